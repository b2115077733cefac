{#
    One row per behavioural segment (plus 'No purchase yet'): its size, revenue and margin with
    their shares of the whole, its RFM standing and its mean next-best-offer scores. Reads
    customer_360 only, so the dashboard's overview and segment explorer agree with it.
#}

with

customers as (
    select * from {{ ref('customer_360') }}
),

totals as (
    select
        count(*) as customers,
        sum(coalesce(monetary, 0)) as revenue,
        sum(coalesce(margin, 0)) as margin
    from customers
),

segments as (
    select
        segment_id,
        segment_name,
        count(*) as customers,
        sum(coalesce(monetary, 0)) as revenue,
        sum(coalesce(margin, 0)) as margin,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        avg(monetary) as mean_monetary,
        avg(purchase_probability) as mean_purchase_probability,
        avg(churn_probability) as mean_churn_probability,
        avg(return_probability) as mean_return_probability,
        sum(case when purchase_band = 'hesitating' then 1 else 0 end) as hesitating_customers,
        sum(case when promo_segment = 'Promo-sensitive' then 1 else 0 end) as promo_sensitive_customers,
        sum(case when next_offer_discount > 0 then 1 else 0 end) as discounted_offers
    from customers
    group by segment_id, segment_name
)

select
    segments.segment_id,
    segments.segment_name,
    segments.customers,
    cast(segments.customers as double) / nullif(totals.customers, 0) as customer_share,
    segments.revenue,
    segments.revenue / nullif(totals.revenue, 0) as revenue_share,
    segments.margin,
    segments.margin / nullif(totals.margin, 0) as margin_share,
    segments.mean_recency_days,
    segments.mean_frequency,
    segments.mean_monetary,
    segments.mean_purchase_probability,
    segments.mean_churn_probability,
    segments.mean_return_probability,
    cast(segments.hesitating_customers as {{ dbt.type_bigint() }}) as hesitating_customers,
    cast(segments.promo_sensitive_customers as {{ dbt.type_bigint() }}) as promo_sensitive_customers,
    cast(segments.discounted_offers as {{ dbt.type_bigint() }}) as discounted_offers
from segments
cross join totals
