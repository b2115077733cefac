with

orders as (
    select * from {{ ref('int_orders_identified') }}
),

stores as (
    select * from {{ ref('stg_retail__stores') }}
),

line_events as (
    select * from {{ ref('fct_order_lines') }}
),

measures as (
    select
        order_id,
        cast(sum(case when event_type = 'sale' then 1 else 0 end) as bigint) as lines,
        cast(sum(case when event_type = 'sale' then quantity else 0 end) as bigint) as units,
        sum(case when event_type = 'sale' then quantity * unit_list_price else 0 end) as gross_amount,
        sum(case when event_type = 'sale' then amount else 0 end) as sales_amount,
        -sum(case when event_type = 'return' then amount else 0 end) as returned_amount,
        sum(amount) as net_amount,
        sum(margin) as net_margin
    from line_events
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.source,
        orders.source_order_id,
        orders.document_type,
        orders.customer_id,
        orders.channel,
        orders.store_id,
        stores.city as store_city,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        coalesce(measures.lines, 0) as lines,
        coalesce(measures.units, 0) as units,
        coalesce(measures.gross_amount, 0) as gross_amount,
        coalesce(measures.gross_amount - measures.sales_amount, 0) as discount_amount,
        coalesce(measures.sales_amount, 0) as sales_amount,
        coalesce(measures.returned_amount, 0) as returned_amount,
        coalesce(measures.net_amount, 0) as net_amount,
        coalesce(measures.net_margin, 0) as net_margin
    from orders
    left join measures on measures.order_id = orders.order_id
    -- the demo's store list; a loaded file's store codes are its own and are not looked up there
    left join stores on stores.store_id = orders.store_id and orders.source = 'demo'
)

select * from final
