{#
    The BI-facing view of a customer: demographics, RFM cell and named RFM segment, behavioural
    segment and promo-sensitivity segment, key features, the next-best-offer scores and the top
    recommendation with its personal discount. No raw PII (e-mails, phones, names) ever reaches
    this schema: only the merged customer_id.
#}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

features as (
    select * from {{ ref('customer_features') }}
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

scores as (
    select * from {{ source('ml', 'customer_scores') }}
),

-- the first recommendation, with the personal offer on it: the customer's next best offer
next_offer as (
    select
        recommendations.customer_id,
        recommendations.as_of,
        recommendations.product_id,
        products.product_name,
        offers.discount,
        offers.offer_price,
        offers.expected_margin,
        offers.reason as offer_reason
    from {{ source('ml', 'customer_recommendations') }} as recommendations
    left join {{ source('ml', 'customer_offers') }} as offers
        on offers.customer_id = recommendations.customer_id and offers.product_id = recommendations.product_id
    left join {{ ref('dim_products') }} as products on products.product_id = recommendations.product_id
    where recommendations.recommendation_rank = 1
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
        promo.promo_probability,
        features.tenure_days,
        features.mean_days_between_orders,
        features.avg_basket_value,
        features.margin_rate,
        features.discount_line_share,
        features.return_rate,
        features.favourite_category,
        features.web_share,
        features.store_share,
        -- scores of the same as_of only: a stale score table leaves them null rather than wrong
        scores.purchase_probability,
        scores.band as purchase_band,
        scores.churn_probability,
        scores.return_probability,
        next_offer.product_id as next_product_id,
        next_offer.product_name as next_product_name,
        next_offer.discount as next_offer_discount,
        next_offer.offer_price as next_offer_price,
        next_offer.expected_margin as next_offer_expected_margin,
        next_offer.offer_reason as next_offer_reason
    from customers
    left join rfm on rfm.customer_id = customers.customer_id
    left join features on features.customer_id = rfm.customer_id and features.as_of = rfm.as_of
    left join segments on segments.customer_id = rfm.customer_id and segments.as_of = rfm.as_of
    left join rfm_segments on rfm_segments.customer_id = rfm.customer_id
    left join promo on promo.customer_id = rfm.customer_id and promo.as_of = rfm.as_of
    left join scores on scores.customer_id = rfm.customer_id and scores.as_of = rfm.as_of
    left join next_offer on next_offer.customer_id = rfm.customer_id and next_offer.as_of = rfm.as_of
)

select * from final
