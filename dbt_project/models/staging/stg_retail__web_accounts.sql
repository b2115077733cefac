with

source as (
    select * from {{ source('retail', 'web_accounts') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('account_id') }} as account_id,
        cast(created_at as timestamp) as created_at,
        {{ normalize_email('email') }} as email,
        {{ normalize_phone('phone') }} as phone,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        upper(gender) as gender,
        cast(birth_year as integer) as birth_year,
        trim(city) as city
    from source
)

select * from renamed
