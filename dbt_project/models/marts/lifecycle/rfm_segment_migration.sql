{#
    The segment migration matrix: how many customers moved from each named RFM segment at the
    previous cut-off (as_of minus var('segment_migration_days')) to each segment now, and what share
    of the 'from' segment that is. Every pair of segments of rfm_segment_map is listed, zeros
    included, so the matrix keeps its shape for a heat map; customers without a sale before the
    earlier cut-off come from 'New (no purchase before)'. One row per (from_segment, to_segment).
    Deterministic and history-free: both cut-offs are scored in the same run
    (customer_rfm_segment_changes). The customers add up to the customers of customer_rfm.
#}

with

changes as (
    select * from {{ ref('customer_rfm_segment_changes') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

cutoffs as (
    select distinct previous_as_of, as_of
    from changes
),

from_segments as (
    select rfm_segment as from_segment from segment_map
    union
    select 'New (no purchase before)' as from_segment
),

to_segments as (
    select distinct rfm_segment as to_segment from segment_map
),

moves as (
    select
        previous_segment as from_segment,
        rfm_segment as to_segment,
        count(*) as customers
    from changes
    group by previous_segment, rfm_segment
),

matrix as (
    select
        cutoffs.previous_as_of,
        cutoffs.as_of,
        from_segments.from_segment,
        to_segments.to_segment,
        cast(coalesce(moves.customers, 0) as {{ dbt.type_bigint() }}) as customers
    from cutoffs
    cross join from_segments
    cross join to_segments
    left join moves
        on moves.from_segment = from_segments.from_segment
        and moves.to_segment = to_segments.to_segment
),

final as (
    select
        previous_as_of,
        as_of,
        from_segment,
        to_segment,
        customers,
        -- null when nobody was in the 'from' segment at the earlier cut-off
        cast(customers as double)
            / nullif(sum(customers) over (partition by from_segment), 0) as share_of_from
    from matrix
)

select * from final
