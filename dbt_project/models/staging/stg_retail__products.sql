with

source as (
    select * from {{ source('retail', 'products') }}
),

renamed as (
    select
        cast(sku as varchar) as product_id,
        cast(product_name as varchar) as product_name,
        cast(department as varchar) as department,
        cast(category as varchar) as category,
        cast(brand as varchar) as brand,
        lower(cast(target_gender as varchar)) as target_gender,
        cast(list_price as double) as list_price,
        cast(unit_cost as double) as unit_cost,
        cast(launched_on as date) as launched_on
    from source
)

select * from renamed
