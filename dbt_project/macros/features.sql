{#
    Small portable helpers of customer_features: each engine names a median differently, so it is
    dispatched; an age is whole calendar years between the birth year and the as_of date.
#}

{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'loyalist')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{# Spark has no ordered-set aggregates before 3.4; percentile() is exact and older. #}
{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}

{# Age in years reached during the year of `on_date` (birth dates are years only). #}
{% macro age(birth_year, on_date) -%}
    (extract(year from {{ on_date }}) - {{ birth_year }})
{%- endmacro %}

{#
    Sale windows as the data shows them: the first and last day a sale line carried each promotion
    id (every receipt shows the sale, anonymous ones too). A source without promotion ids has none.
#}
{% macro promotion_windows(order_lines) -%}
    select
        promotion_id,
        min(cast(event_at as date)) as starts_on,
        max(cast(event_at as date)) as ends_on
    from {{ order_lines }}
    where event_type = 'sale' and promotion_id is not null
    group by promotion_id
{%- endmacro %}
