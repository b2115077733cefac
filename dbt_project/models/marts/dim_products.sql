with

products as (
    select * from {{ ref('stg_retail__products') }}
),

final as (
    select
        product_id,
        product_name,
        department,
        category,
        brand,
        target_gender,
        list_price,
        unit_cost,
        case when list_price > 0 then (list_price - unit_cost) / list_price end as margin_rate,
        launched_on
    from products
)

select * from final
