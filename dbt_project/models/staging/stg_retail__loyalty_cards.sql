with

source as (
    select * from {{ source('retail', 'loyalty_cards') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('card_number') }} as card_number,
        cast(issued_at as timestamp) as issued_at,
        {{ as_text('store_id') }} as store_id,
        {{ normalize_phone('phone') }} as phone,
        {{ normalize_email('email') }} as email,
        trim(first_name) as first_name,
        trim(last_name) as last_name,
        upper(gender) as gender,
        cast(birth_year as integer) as birth_year,
        trim(city) as city
    from source
)

select * from renamed
