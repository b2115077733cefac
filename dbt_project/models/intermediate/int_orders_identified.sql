{#
    Orders with the merged customer behind them: the one place that joins an order to its
    customer, for every mart that needs it. Anonymous receipts keep a null customer_id.
#}

with

orders as (
    select * from {{ ref('stg_retail__orders') }}
),

resolved as (
    select * from {{ ref('int_records_resolved') }}
    where record_type = 'order'
),

final as (
    select
        orders.*,
        resolved.customer_id
    from orders
    left join resolved on resolved.record_key = orders.order_id
)

select * from final
