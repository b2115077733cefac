{#
    Who moved between named RFM segments over the last period: each customer's segment at the
    run's cut-off (customer_rfm_segments) beside their segment at the previous cut-off, as_of minus
    var('segment_migration_days'). The earlier segments are scored within this run from
    fct_order_lines (events before the earlier cut-off) with the same macro as customer_rfm, so the
    model needs no stored history and gives the same answer on every run. A customer without a sale
    before the earlier cut-off comes from 'New (no purchase before)'. Filter on moved and the
    previous segment to see who is slipping (Champions -> At Risk).
    Note: the earlier scores use today's identity resolution, so customers merged since then are
    scored as one at both cut-offs.
#}

{%- set migration_days = var('segment_migration_days', 30) | int -%}
{%- if migration_days < 1 -%}
    {{ exceptions.raise_compiler_error("var('segment_migration_days') must be a whole number of days >= 1, got '" ~ var('segment_migration_days', 30) ~ "'") }}
{%- endif %}

with

line_events as (
    select * from {{ ref('fct_order_lines') }}
),

current_segments as (
    select * from {{ ref('customer_rfm_segments') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

current_cutoff as (
    {{ measured_as_of('line_events') }}
),

previous_cutoff as (
    select cast({{ dbt.dateadd('day', -migration_days, 'as_of') }} as date) as as_of
    from current_cutoff
),

previous_scores as (
    {{ rfm_scores('line_events', 'previous_cutoff') }}
),

previous_segments as (
    select
        previous_scores.customer_id,
        previous_scores.r_score,
        previous_scores.f_score,
        segment_map.rfm_segment
    from previous_scores
    left join segment_map
        on segment_map.r_score = previous_scores.r_score
        and segment_map.f_score = previous_scores.f_score
),

final as (
    select
        current_segments.customer_id,
        previous_cutoff.as_of as previous_as_of,
        current_segments.as_of,
        previous_segments.r_score as previous_r_score,
        previous_segments.f_score as previous_f_score,
        current_segments.r_score,
        current_segments.f_score,
        case
            when previous_segments.customer_id is null then 'New (no purchase before)'
            else previous_segments.rfm_segment
        end as previous_segment,
        current_segments.rfm_segment,
        -- a new customer has moved too: from nowhere into a segment
        (previous_segments.customer_id is null
            or previous_segments.rfm_segment <> current_segments.rfm_segment) as moved
    from current_segments
    cross join previous_cutoff
    left join previous_segments
        on previous_segments.customer_id = current_segments.customer_id
)

select * from final
