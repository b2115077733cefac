{#
    The BI-facing view of a customer: demographics, RFM cell and named RFM segment, behavioural
    segment and promo-sensitivity segment. No raw PII (e-mails,
    phones, names) ever reaches this schema: only the merged customer_id.
#}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

segments as (
    select * from {{ source('ml', 'customer_segments') }}
),

rfm_segments as (
    select * from {{ ref('customer_rfm_segments') }}
),

promo as (
    select * from {{ source('ml', 'customer_promo_segments') }}
),

final as (
    select
        customers.customer_id,
        customers.gender,
        customers.birth_year,
        customers.city,
        customers.home_store_city,
        customers.web_accounts,
        customers.loyalty_cards,
        customers.first_seen_at,
        rfm.as_of,
        rfm.recency_days,
        rfm.frequency,
        rfm.monetary,
        rfm.margin,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        rfm_segments.rfm_segment,
        segments.segment_id,
        -- customers with no order before as_of have no RFM and so no k-means segment; a customer
        -- with RFM but no segment of the same as_of (stale segmentation) stays null and fails a test
        case when rfm.customer_id is null then 'No purchase yet' else segments.segment_name end as segment_name,
        case when rfm.customer_id is null then 'No purchase yet' else promo.promo_segment end as promo_segment,
        promo.promo_probability
    from customers
    left join rfm on rfm.customer_id = customers.customer_id
    left join segments on segments.customer_id = rfm.customer_id and segments.as_of = rfm.as_of
    left join rfm_segments on rfm_segments.customer_id = rfm.customer_id
    left join promo on promo.customer_id = rfm.customer_id and promo.as_of = rfm.as_of
)

select * from final
