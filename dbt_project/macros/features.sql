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
