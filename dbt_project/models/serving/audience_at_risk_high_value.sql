{#
    Audience: at risk and high value. At risk = churn probability (no purchase in the churn
    window, 90 days by default) at least var('audience_min_churn_probability'), default 0.5;
    high value = monetary quintile (RFM m_score) at least var('audience_min_m_score'), default 4.
#}

select
    customer_id,
    as_of,
    churn_probability,
    monetary,
    m_score,
    recency_days,
    segment_name,
    next_product_name,
    next_offer_discount
from {{ ref('customer_360') }}
where churn_probability >= {{ var('audience_min_churn_probability') }}
  and m_score >= {{ var('audience_min_m_score') }}
