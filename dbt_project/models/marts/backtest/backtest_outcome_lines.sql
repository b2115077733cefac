{#
    What customers bought in the backtest window [as_of, as_of + var('backtest_horizon_days') days):
    the product purchase lines after the run's cut-off, each given the customer that the run's own
    identity (as of as_of) gives its web account, loyalty card or guest e-mail (demo orders, in that
    order) or its source customer key (loaded files). Nothing else of the window reaches the run:
    every other mart stays cut at as_of, so scores cannot see what they are scored against. Empty
    unless the run is cut and the window is set (`loyalist backtest` sets both). A purchase by a
    holder unknown at as_of has no customer and is left out: only customers with history are scored.
#}

with

demo_orders as (
    select * from {{ ref('stg_retail__orders') }}
    where {{ in_backtest_window('ordered_at') }}
),

demo_lines as (
    select * from {{ ref('stg_retail__order_lines') }}
),

file_lines as (
    select * from {{ ref('stg_transactions__lines') }}
    where line_type = 'sale' and is_product and {{ in_backtest_window('ordered_at') }}
),

assigned as (
    select * from {{ ref('int_customer_ids_assigned') }}
),

-- the holder keys an order quotes, in the order the identity resolution anchors a record on
order_keys as (
    select order_id, 1 as key_rank, {{ identity_node_id("'account'", 'account_id') }} as node_id
    from demo_orders where account_id is not null
    union all
    select order_id, 2, {{ identity_node_id("'card'", 'card_number') }}
    from demo_orders where card_number is not null
    union all
    select order_id, 3, {{ identity_node_id("'email'", 'guest_email') }}
    from demo_orders where guest_email is not null
),

order_customers as (
    select order_id, customer_id
    from (
        select
            order_keys.order_id,
            assigned.customer_id,
            row_number() over (partition by order_keys.order_id order by order_keys.key_rank) as key_order
        from order_keys
        inner join assigned on assigned.node_id = order_keys.node_id
    ) as ranked
    where key_order = 1
),

final as (
    select
        order_customers.customer_id,
        demo_orders.order_id,
        demo_orders.ordered_at,
        demo_lines.product_id,
        cast(demo_lines.quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(demo_lines.quantity * demo_lines.unit_price as double) as amount
    from demo_orders
    inner join order_customers on order_customers.order_id = demo_orders.order_id
    inner join demo_lines on demo_lines.order_id = demo_orders.order_id
    where demo_lines.quantity > 0
    union all
    select
        assigned.customer_id,
        file_lines.order_id,
        file_lines.ordered_at,
        file_lines.product_id,
        cast(file_lines.quantity as {{ dbt.type_bigint() }}),
        cast(file_lines.quantity * file_lines.unit_price as double)
    from file_lines
    inner join assigned
        on assigned.node_id = {{ identity_node_id("'customer_key'", 'file_lines.source_customer_id') }}
)

select * from final
