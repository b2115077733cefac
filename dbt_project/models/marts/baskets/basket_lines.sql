{#
    The baskets of market-basket and sequence analysis: one row per order and product bought and
    kept. Returns linked to the sold line (demo orders) net out, and a product returned in full
    leaves its basket; a file's cancellation is a document of its own with no sale, so it forms no
    basket. Non-product lines (postage, fees) stay out. Each row carries the product attributes the
    rule levels use (category, brand, target gender, price band) and the discount it was bought at.
#}

with

lines as (
    select * from {{ ref('fct_order_lines') }}
    where is_product
),

products as (
    select * from {{ ref('dim_products') }}
),

price_bands as (
    select * from {{ ref('price_bands') }}
),

discount_bands as (
    select * from {{ ref('discount_bands') }}
),

order_products as (
    select
        order_id,
        product_id,
        min(customer_id) as customer_id,
        min(case when event_type = 'sale' then event_at end) as ordered_at,
        sum(case when event_type = 'sale' then quantity else 0 end) as quantity_bought,
        sum(quantity) as quantity,
        sum(amount) as amount,
        max(case when event_type = 'sale' then discount_pct end) as discount_pct,
        max(case when event_type = 'sale' then unit_list_price end) as unit_list_price
    from lines
    group by order_id, product_id
),

kept as (
    select * from order_products
    where quantity_bought > 0 and quantity > 0
),

-- bands are looked up once per product and once per distinct discount, not once per line
banded_products as (
    select products.*, price_bands.price_band
    from products
    left join price_bands
        on products.list_price >= price_bands.min_price
        and (price_bands.max_price is null or products.list_price < price_bands.max_price)
),

discounts as (
    select bought.discount_pct, discount_bands.discount_band
    from (select distinct coalesce(discount_pct, 0) as discount_pct from kept) as bought
    left join discount_bands
        on bought.discount_pct >= discount_bands.min_discount
        and (discount_bands.max_discount is null or bought.discount_pct < discount_bands.max_discount)
),

final as (
    select
        kept.order_id,
        kept.customer_id,
        kept.ordered_at,
        cast(kept.ordered_at as date) as order_date,
        kept.product_id,
        products.product_name,
        products.department,
        products.category,
        products.brand,
        products.target_gender,
        coalesce(products.list_price, kept.unit_list_price) as list_price,
        products.price_band,
        coalesce(kept.discount_pct, 0) as discount_pct,
        discounts.discount_band,
        cast(kept.quantity as {{ dbt.type_bigint() }}) as quantity,
        kept.amount
    from kept
    left join banded_products as products on products.product_id = kept.product_id
    left join discounts on discounts.discount_pct = coalesce(kept.discount_pct, 0)
)

select * from final
