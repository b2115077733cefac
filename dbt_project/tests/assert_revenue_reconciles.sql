{#
    Revenue reconciles: the sales and returns staged from loaded files before as_of (non-product
    lines included) add up to the same amount in fct_order_lines, per source, and fct_orders adds up
    to fct_order_lines. Returns the sources whose totals differ by more than rounding.
#}

{{ config(meta={'dagster': {'ref': {'name': 'fct_orders'}}}) }}

with

staged as (
    select source, sum(quantity * unit_price) as amount
    from {{ ref('int_file_lines_as_of') }}
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

sources as (
    select source from staged
    union
    select source from lines
    union
    select source from orders
),

-- from every source seen anywhere, so a source missing from the marts altogether is caught too
compared as (
    select
        sources.source,
        coalesce(staged.amount, 0) as staged_amount,
        coalesce(lines.amount, 0) as line_amount,
        coalesce(orders.amount, 0) as order_amount
    from sources
    left join staged on staged.source = sources.source
    left join lines on lines.source = sources.source
    left join orders on orders.source = sources.source
)

-- a cent, or a billionth of the total: summing millions of doubles in another order moves the last digits
select *
from compared
where abs(order_amount - line_amount) > 0.01 + 1e-9 * abs(line_amount)
    or (source <> 'demo' and abs(staged_amount - line_amount) > 0.01 + 1e-9 * abs(line_amount))
