{#
    One cut-off for the whole pipeline: var('as_of') (YYYY-MM-DD, from `loyalist run --as-of` or the
    Dagster run config). Every mart, model and score uses only events strictly before midnight at the
    start of that day, so a run as of T does not change when events after T are loaded. null means
    "everything loaded".
#}

{# The validated as_of date as 'YYYY-MM-DD', or none when the run is not cut. #}
{% macro as_of_date() -%}
    {%- set value = var('as_of', none) -%}
    {%- if value is none or value | string | trim in ('', 'None', 'null') -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{- exceptions.raise_compiler_error("var('as_of') must be a date YYYY-MM-DD, got '" ~ text ~ "'") -}}
    {%- endif -%}
    {{- return(text) -}}
{%- endmacro %}

{# A condition keeping what happened strictly before as_of (always true when the run is not cut). #}
{% macro before_as_of(column, data_type='timestamp') -%}
    {%- set cutoff = as_of_date() -%}
    {%- if cutoff -%}
        {{ column }} < cast('{{ cutoff }}' as {{ data_type }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#
    A condition keeping what happened in the backtest window [as_of, as_of + var('backtest_horizon_days'))
    (always false when the run is not cut or the window is empty: only a backtest looks past as_of).
#}
{% macro in_backtest_window(column) -%}
    {%- set cutoff = as_of_date() -%}
    {%- set horizon = var('backtest_horizon_days', 0) | int -%}
    {%- if cutoff and horizon > 0 -%}
        {%- set start = "cast('" ~ cutoff ~ "' as timestamp)" -%}
        {{ column }} >= {{ start }} and {{ column }} < {{ dbt.dateadd('day', horizon, start) }}
    {%- else -%}
        1 = 0
    {%- endif -%}
{%- endmacro %}
