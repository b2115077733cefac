{#
    RFM in one place. customer_rfm scores customers at the run's cut-off; the segment migration
    scores them again at an earlier cut-off in the same run. Both call rfm_scores, so a customer's
    scores at any cut-off follow one rule and a change to the rule reaches every model at once.
#}

{#
    The cut-off the RFM and lifecycle marts measure to, as a one-row select of `as_of` (a date):
    var('as_of') when the run is cut, otherwise the day after the latest event of `line_events`
    (a relation or CTE with event_at), so that recency is at least one day.
#}
{% macro measured_as_of(line_events) -%}
    {%- if as_of_date() -%}
    select cast('{{ as_of_date() }}' as date) as as_of
    {%- else -%}
    {#- with no event loaded yet (customer records alone) the cut-off is today -#}
    select coalesce(
        cast({{ dbt.dateadd('day', 1, 'cast(max(event_at) as date)') }} as date),
        cast({{ dbt.current_timestamp() }} as date)
    ) as as_of
    from {{ line_events }}
    {%- endif -%}
{%- endmacro %}

{#
    Recency, frequency and monetary value with their quintile scores, at one or more cut-offs.

    line_events: relation or CTE shaped like fct_order_lines (customer_id, event_type, order_id,
        event_at, amount, margin). Only events strictly before a cut-off count towards it.
    cutoffs: relation or CTE with a date column `as_of`, one row per cut-off.

    Returns a select (to wrap in a CTE) with one row per cut-off and customer with at least one sale
    before it: customer_id, as_of, recency_days, frequency, monetary, margin, r_score, f_score,
    m_score, rfm_cell. Customers are ranked against the others at the same cut-off.

    Scores are quintiles by rank: 1 + floor(5 * (rank - 1) / customers). Equal values share a rank
    and so a score, whatever the row order, which keeps the scores deterministic under ties.
    Recency scores are reversed: the most recent buyers get 5.
#}
{% macro rfm_scores(line_events, cutoffs) %}
    with

    rfm_history as (
        select
            rfm_cutoffs.as_of,
            rfm_events.customer_id,
            rfm_events.event_type,
            rfm_events.order_id,
            rfm_events.event_at,
            rfm_events.amount,
            rfm_events.margin
        from {{ line_events }} as rfm_events
        inner join {{ cutoffs }} as rfm_cutoffs
            on rfm_events.event_at < rfm_cutoffs.as_of
        where rfm_events.customer_id is not null
    ),

    rfm_per_customer as (
        select
            customer_id,
            as_of,
            max(case when event_type = 'sale' then event_at end) as last_order_at,
            count(distinct case when event_type = 'sale' then order_id end) as frequency,
            sum(amount) as monetary,
            sum(margin) as margin
        from rfm_history
        group by customer_id, as_of
    ),

    rfm_measured as (
        select
            customer_id,
            as_of,
            cast({{ dbt.datediff('cast(last_order_at as date)', 'as_of', 'day') }} as {{ dbt.type_bigint() }}) as recency_days,
            frequency,
            monetary,
            margin
        from rfm_per_customer
        -- a customer whose only events before the cut-off are returns has no order to measure
        where frequency > 0
    ),

    rfm_scored as (
        select
            customer_id,
            as_of,
            recency_days,
            frequency,
            monetary,
            margin,
            cast(1 + floor(5.0 * (rank() over (partition by as_of order by recency_days desc) - 1)
                / count(*) over (partition by as_of)) as integer) as r_score,
            cast(1 + floor(5.0 * (rank() over (partition by as_of order by frequency) - 1)
                / count(*) over (partition by as_of)) as integer) as f_score,
            -- ranked on cents: a float sum's last bits depend on the engine's summation order, and
            -- two equal revenues must tie in every run
            cast(1 + floor(5.0 * (rank() over (partition by as_of order by round(monetary, 2)) - 1)
                / count(*) over (partition by as_of)) as integer) as m_score
        from rfm_measured
    )

    select
        *,
        {{ dbt.concat([as_text('r_score'), as_text('f_score'), as_text('m_score')]) }} as rfm_cell
    from rfm_scored
{% endmacro %}

{#
    Generic test for a map keyed on (r_score, f_score), like the seed rfm_segment_map: every cell of
    the 5 x 5 grid must be present. Returns the missing cells. (Duplicates and scores outside 1..5 are
    left to unique_combination and accepted_values.)
#}
{% test rfm_grid_complete(model, r_column='r_score', f_column='f_score') %}
with

scores as (
    select cast(generated_number as integer) as score
    from ({{ dbt.generate_series(5) }}) as series
),

grid as (
    select r.score as r_score, f.score as f_score
    from scores as r
    cross join scores as f
),

present as (
    select distinct
        cast({{ r_column }} as integer) as r_score,
        cast({{ f_column }} as integer) as f_score
    from {{ model }}
)

select grid.r_score, grid.f_score
from grid
left join present
    on present.r_score = grid.r_score
    and present.f_score = grid.f_score
where present.r_score is null
{% endtest %}
