{#
    Cohort retention by calendar month: customers grouped by the month of their first purchase
    (cohort_month), and for each month since then how many of them bought again in that calendar
    month. A purchase is a sale of a product (event_type 'sale', is_product): postage or a gift
    voucher alone does not make a customer active. Only purchases strictly before the cut-off count
    (var('as_of'), or the day after the latest event when the run is not cut), and only months that
    start before it: the last one may be partial (is_complete_month false), so its retention is
    understated until the month closes. Months in which no one of a cohort bought are listed with
    zero active customers. One row per cohort_month and months_since_first.
#}

-- months_since_first runs over a fixed series: 1,200 months (a century) is far more than any sales
-- history, and a constant keeps the SQL portable (dbt.generate_series needs it at compile time)
{%- set max_months = 1200 %}

with

line_events as (
    select * from {{ ref('fct_order_lines') }}
),

cutoff as (
    {{ measured_as_of('line_events') }}
),

purchase_months as (
    select distinct
        line_events.customer_id,
        cast({{ dbt.date_trunc('month', 'line_events.event_at') }} as date) as activity_month
    from line_events
    cross join cutoff
    where line_events.customer_id is not null
        and line_events.event_type = 'sale'
        and line_events.is_product
        and line_events.event_at < cutoff.as_of
),

cohorts as (
    select
        customer_id,
        min(activity_month) as cohort_month
    from purchase_months
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_customers
    from cohorts
    group by cohort_month
),

active as (
    select
        cohorts.cohort_month,
        purchase_months.activity_month,
        count(*) as active_customers
    from purchase_months
    inner join cohorts
        on cohorts.customer_id = purchase_months.customer_id
    group by cohorts.cohort_month, purchase_months.activity_month
),

last_month as (
    select
        as_of,
        cast({{ dbt.date_trunc('month', dbt.dateadd('day', -1, 'as_of')) }} as date) as last_month
    from cutoff
),

month_offsets as (
    select cast(generated_number - 1 as integer) as months_since_first
    from ({{ dbt.generate_series(max_months) }}) as series
),

cohort_months as (
    select
        cohort_sizes.cohort_month,
        month_offsets.months_since_first,
        cast({{ dbt.dateadd('month', 'month_offsets.months_since_first', 'cohort_sizes.cohort_month') }} as date)
            as activity_month,
        cohort_sizes.cohort_customers,
        last_month.as_of
    from cohort_sizes
    cross join last_month
    inner join month_offsets
        on month_offsets.months_since_first
            <= {{ dbt.datediff('cohort_sizes.cohort_month', 'last_month.last_month', 'month') }}
),

final as (
    select
        cohort_months.cohort_month,
        cohort_months.months_since_first,
        cohort_months.activity_month,
        cast(cohort_months.cohort_customers as {{ dbt.type_bigint() }}) as cohort_customers,
        cast(coalesce(active.active_customers, 0) as {{ dbt.type_bigint() }}) as active_customers,
        cast(coalesce(active.active_customers, 0) as double)
            / cohort_months.cohort_customers as retention,
        cast({{ dbt.dateadd('month', 1, 'cohort_months.activity_month') }} as date) <= cohort_months.as_of
            as is_complete_month
    from cohort_months
    left join active
        on active.cohort_month = cohort_months.cohort_month
        and active.activity_month = cohort_months.activity_month
)

select * from final
