{#
    Revenue reconciles: the sales and returns staged from loaded files before as_of (non-product
    lines included) add up to the same amount in fct_order_lines, per source, and fct_orders adds up
    to fct_order_lines. Returns the sources whose totals differ by more than a cent.
#}

{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}

with

staged as (
    select source, sum(quantity * unit_price) as amount
    from {{ ref('stg_transactions__lines') }}
    where line_type in ('sale', 'return') and {{ before_as_of('ordered_at') }}
    group by source
),

lines as (
    select source, sum(amount) as amount
    from {{ ref('fct_order_lines') }}
    group by source
),

orders as (
    select source, sum(net_amount) as amount
    from {{ ref('fct_orders') }}
    group by source
),

compared as (
    select
        lines.source,
        staged.amount as staged_amount,
        lines.amount as line_amount,
        orders.amount as order_amount
    from lines
    left join staged on staged.source = lines.source
    left join orders on orders.source = lines.source
)

select *
from compared
where abs(coalesce(order_amount, 0) - line_amount) > 0.01
    or (source <> 'demo' and abs(coalesce(staged_amount, 0) - line_amount) > 0.01)
