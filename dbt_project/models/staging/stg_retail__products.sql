with

source as (
    select * from {{ source('retail', 'products') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('sku') }} as product_id,
        {{ as_text('product_name') }} as product_name,
        {{ as_text('department') }} as department,
        {{ as_text('category') }} as category,
        {{ as_text('brand') }} as brand,
        lower({{ as_text('target_gender') }}) as target_gender,
        cast(list_price as double) as list_price,
        cast(unit_cost as double) as unit_cost,
        cast(launched_on as date) as launched_on
    from source
)

select * from renamed
