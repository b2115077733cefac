{#
    Sales and returns as separate, immutable facts: a return is a later event with negative
    quantity and amount, so summing any measure over the rows nets returns out.
#}

with

orders as (
    select * from {{ ref('int_orders_identified') }}
),

order_lines as (
    select * from {{ ref('stg_retail__order_lines') }}
),

returns as (
    select * from {{ ref('stg_retail__returns') }}
),

products as (
    select * from {{ ref('stg_retail__products') }}
),

sales as (
    select
        {{ dbt.concat(["'S-'", "order_lines.order_line_id"]) }} as line_event_id,
        'sale' as event_type,
        order_lines.order_line_id,
        orders.order_id,
        orders.customer_id,
        orders.channel,
        orders.ordered_at as event_at,
        order_lines.product_id,
        order_lines.quantity,
        order_lines.unit_list_price,
        order_lines.unit_price,
        order_lines.discount_pct,
        order_lines.promotion_id,
        order_lines.quantity * order_lines.unit_price as amount,
        order_lines.quantity * products.unit_cost as cost
    from order_lines
    inner join orders on orders.order_id = order_lines.order_id
    left join products on products.product_id = order_lines.product_id
),

returned as (
    select
        {{ dbt.concat(["'R-'", "returns.return_id"]) }} as line_event_id,
        'return' as event_type,
        sales.order_line_id,
        sales.order_id,
        sales.customer_id,
        returns.channel,
        returns.returned_at as event_at,
        sales.product_id,
        -returns.quantity as quantity,
        sales.unit_list_price,
        sales.unit_price,
        sales.discount_pct,
        sales.promotion_id,
        -returns.quantity * sales.unit_price as amount,
        -returns.quantity * (sales.cost / sales.quantity) as cost
    from returns
    inner join sales on sales.order_line_id = returns.order_line_id
),

unioned as (
    select * from sales
    union all
    select * from returned
),

final as (
    select
        line_event_id,
        event_type,
        order_line_id,
        order_id,
        customer_id,
        channel,
        event_at,
        product_id,
        quantity,
        unit_list_price,
        unit_price,
        discount_pct,
        promotion_id,
        amount,
        cost,
        amount - cost as margin
    from unioned
)

select * from final
