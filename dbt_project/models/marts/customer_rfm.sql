{#
    Recency, frequency and monetary value as of var('as_of'), using only events strictly before it
    (fct_order_lines is already cut; the filter here keeps the model right on its own). Without an
    as_of, everything loaded counts and recency is measured to the day after the latest event.
    Scores are quintiles by rank: 1 + floor(5 * (rank - 1) / customers). Equal values share a rank
    and so a score, whatever the row order, which keeps the scores deterministic under ties.
    Recency scores are reversed: the most recent buyers get 5.
#}

with

line_events as (
    select * from {{ ref('fct_order_lines') }}
),

as_of as (
    {% if as_of_date() %}
    select cast('{{ as_of_date() }}' as date) as as_of
    {% else %}
    select cast({{ dbt.dateadd('day', 1, 'cast(max(event_at) as date)') }} as date) as as_of from line_events
    {% endif %}
),

history as (
    select line_events.*, as_of.as_of
    from line_events
    cross join as_of
    where line_events.customer_id is not null
        and line_events.event_at < as_of.as_of
),

per_customer as (
    select
        customer_id,
        max(as_of) as as_of,
        max(case when event_type = 'sale' then event_at end) as last_order_at,
        count(distinct case when event_type = 'sale' then order_id end) as frequency,
        sum(amount) as monetary,
        sum(margin) as margin
    from history
    group by customer_id
),

measured as (
    select
        customer_id,
        as_of,
        cast({{ dbt.datediff('cast(last_order_at as date)', 'as_of', 'day') }} as {{ dbt.type_bigint() }}) as recency_days,
        frequency,
        monetary,
        margin
    from per_customer
    -- a customer whose only events before as_of are returns has no order to measure
    where frequency > 0
),

scored as (
    select
        customer_id,
        as_of,
        recency_days,
        frequency,
        monetary,
        margin,
        cast(1 + floor(5.0 * (rank() over (order by recency_days desc) - 1) / count(*) over ()) as integer) as r_score,
        cast(1 + floor(5.0 * (rank() over (order by frequency) - 1) / count(*) over ()) as integer) as f_score,
        cast(1 + floor(5.0 * (rank() over (order by monetary) - 1) / count(*) over ()) as integer) as m_score
    from measured
),

final as (
    select
        *,
        {{ dbt.concat([as_text('r_score'), as_text('f_score'), as_text('m_score')]) }}
            as rfm_cell
    from scored
)

select * from final
