{#
    The named RFM segment of each customer of customer_rfm (Champions, At Risk, ...): their recency
    and frequency scores looked up in the seed rfm_segment_map, which marketing may edit. Monetary
    value does not choose the segment (the grid is R x F), but m_score is carried for ranking inside
    a segment. A left join, so a cell missing from an edited map shows as a null segment (and fails
    the not_null test) instead of silently dropping the customer.
#}

with

rfm as (
    select * from {{ ref('customer_rfm') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

final as (
    select
        rfm.customer_id,
        rfm.as_of,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_cell,
        segment_map.rfm_segment,
        segment_map.recommended_action
    from rfm
    left join segment_map
        on segment_map.r_score = rfm.r_score
        and segment_map.f_score = rfm.f_score
)

select * from final
