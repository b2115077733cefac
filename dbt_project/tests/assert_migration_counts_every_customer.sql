{#
    The segment migration matrix counts every customer exactly once: its customers add up to the
    customers of customer_rfm at the current cut-off, and each to_segment's customers to that
    segment's size in customer_rfm_segments. Returns the totals that differ (the grand total as
    to_segment '(all)').
#}

{{ config(meta={'dagster': {'ref': {'name': 'rfm_segment_migration'}}}) }}

with

migration as (
    select * from {{ ref('rfm_segment_migration') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

segments as (
    select * from {{ ref('customer_rfm_segments') }}
),

expected as (
    select '(all)' as to_segment, count(*) as customers from rfm
    union all
    select rfm_segment as to_segment, count(*) as customers from segments group by rfm_segment
),

counted as (
    select '(all)' as to_segment, coalesce(sum(customers), 0) as customers from migration
    union all
    select to_segment, sum(customers) as customers from migration group by to_segment
),

compared as (
    select
        coalesce(expected.to_segment, counted.to_segment) as to_segment,
        coalesce(expected.customers, 0) as expected_customers,
        coalesce(counted.customers, 0) as counted_customers
    from expected
    full outer join counted
        on counted.to_segment = expected.to_segment
)

select *
from compared
where expected_customers <> counted_customers
