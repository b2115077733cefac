{#
    Recency, frequency and monetary value as of var('as_of'), using only events strictly before it
    (fct_order_lines is already cut; the filter here keeps the model right on its own). Without an
    as_of, everything loaded counts and recency is measured to the day after the latest event.
    Scores are quintiles by rank: 1 + floor(5 * (rank - 1) / customers). Equal values share a rank
    and so a score, whatever the row order, which keeps the scores deterministic under ties.
    Recency scores are reversed: the most recent buyers get 5.
    The measures and scores come from the macro rfm_scores (macros/rfm.sql), which the segment
    migration also uses at an earlier cut-off: one rule for every cut-off.
#}

with

line_events as (
    select * from {{ ref('fct_order_lines') }}
),

as_of as (
    {{ measured_as_of('line_events') }}
),

final as (
    {{ rfm_scores('line_events', 'as_of') }}
)

select * from final
