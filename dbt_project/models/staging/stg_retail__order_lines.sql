with

source as (
    select * from {{ source('retail', 'order_lines') }}
),

renamed as (
    select
        {{ dbt.concat(["cast(order_id as varchar)", "'-'", "cast(line_number as varchar)"]) }}
            as order_line_id,
        cast(order_id as varchar) as order_id,
        cast(line_number as integer) as line_number,
        cast(sku as varchar) as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_list_price as double) as unit_list_price,
        cast(unit_price as double) as unit_price,
        cast(discount_pct as double) as discount_pct,
        cast(promotion_id as varchar) as promotion_id
    from source
)

select * from renamed
