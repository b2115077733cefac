{#
    Generic test: every value of `column_name` lies in [min_value, max_value] (both bounds included).
    Returns the rows outside the range (all their columns, so a failure shows the culprits).

    min_value / max_value: numbers, or SQL expressions (quoted date literals work too:
        "cast('2020-01-01' as date)"). Leave one out (or set it to none) for a one-sided range.
    Nulls pass: the range says nothing about missing values; add not_null when they are not allowed.

    Usage (dbt_utils is not available, so this stands in for accepted_range):
        columns:
          - name: retention
            data_tests:
              - value_between:
                  arguments: {min_value: 0, max_value: 1}
          - name: recency_days
            data_tests:
              - value_between:
                  arguments: {min_value: 1}
#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("value_between on " ~ column_name ~ ": give min_value, max_value or both") }}
{%- endif %}
select *
from {{ model }}
where {{ column_name }} is not null
    and (
        {%- if min_value is not none %}
        {{ column_name }} < {{ min_value }}
        {%- endif %}
        {%- if min_value is not none and max_value is not none %}
        or
        {%- endif %}
        {%- if max_value is not none %}
        {{ column_name }} > {{ max_value }}
        {%- endif %}
    )
{% endtest %}
