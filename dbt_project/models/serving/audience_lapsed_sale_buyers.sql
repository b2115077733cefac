{#
    Audience: bought in the last sale and has not been back since. The last sale is the promotion
    (or promotions) whose window, as the order lines show it, ended last before as_of; its buyers
    are the customers with an order within that window, and they qualify when they have no order
    after it. Empty on data without promotion ids.
#}

with

sale_windows as (
    {{ promotion_windows(ref('fct_order_lines')) }}
),

last_sale as (
    select * from sale_windows
    where ends_on = (select max(ends_on) from sale_windows)
),

orders as (
    select customer_id, order_date from {{ ref('fct_orders') }}
    where customer_id is not null
),

sale_buyers as (
    select
        orders.customer_id,
        min(last_sale.promotion_id) as promotion_id,
        min(last_sale.starts_on) as sale_starts_on,
        max(last_sale.ends_on) as sale_ended_on,
        count(*) as sale_orders
    from orders
    inner join last_sale on orders.order_date >= last_sale.starts_on and orders.order_date <= last_sale.ends_on
    group by orders.customer_id
),

came_back as (
    select distinct orders.customer_id
    from orders
    inner join sale_buyers on sale_buyers.customer_id = orders.customer_id
    where orders.order_date > sale_buyers.sale_ended_on
)

select
    sale_buyers.customer_id,
    customers.as_of,
    sale_buyers.promotion_id,
    sale_buyers.sale_starts_on,
    sale_buyers.sale_ended_on,
    cast(sale_buyers.sale_orders as {{ dbt.type_bigint() }}) as sale_orders,
    customers.purchase_probability,
    customers.purchase_band,
    customers.next_product_name,
    customers.next_offer_discount
from sale_buyers
inner join {{ ref('customer_360') }} as customers on customers.customer_id = sale_buyers.customer_id
where sale_buyers.customer_id not in (select customer_id from came_back)
