{#
    Cast to the warehouse's string type: `varchar` on DuckDB, `string` on Spark (whose casts
    reject a bare varchar).
#}
{% macro as_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}
