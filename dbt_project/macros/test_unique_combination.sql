{#
    Generic test: no two rows share the same values in `columns` (dbt_utils' unique_combination_of_columns,
    which we cannot install offline).
#}
{% test unique_combination(model, columns) %}

select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
