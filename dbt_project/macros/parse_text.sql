{#
    Parse text into a type, giving null instead of an error when the text is not a value of that type,
    so staging can quarantine the row with its reason. dbt.safe_cast is a plain cast on dbt-duckdb (an
    error on bad text), so the engines that have try_cast use it; other engines fall back to
    dbt.safe_cast, which is null-on-failure where the engine's cast is (e.g. Spark without ANSI mode).
#}
{% macro parse_text(expression, data_type) -%}
    {{ return(adapter.dispatch('parse_text', 'loyalist')(expression, data_type)) }}
{%- endmacro %}

{% macro default__parse_text(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{% macro duckdb__parse_text(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro spark__parse_text(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}
