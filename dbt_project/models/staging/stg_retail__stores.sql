with

source as (
    select * from {{ source('retail', 'stores') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('store_id') }} as store_id,
        {{ as_text('city') }} as city
    from source
)

select * from renamed
