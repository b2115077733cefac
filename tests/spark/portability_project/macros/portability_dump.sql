{#
    on-run-end of the throwaway project: logs, as one JSON line read back by the test, what the
    engine itself returns for the built tables, and the tables left in the identity schema (the
    macro's round tables must all be dropped). Values are logged as text (agate numbers are decimals).
#}
{% macro portability_dump() %}
    {%- if not execute or flags.WHICH != 'build' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set payload = {} -%}
    {%- for name in ['int_identifiers_clustered', 'portable_helpers'] -%}
        {%- set relation = adapter.get_relation(database=(target.database or none), schema='identity', identifier=name) -%}
        {%- if relation is not none -%}
            {%- set rows = [] -%}
            {%- for row in run_query('select * from ' ~ relation).rows -%}
                {%- set values = [] -%}
                {%- for value in row -%}
                    {%- do values.append(none if value is none else (value | string)) -%}
                {%- endfor -%}
                {%- do rows.append(values) -%}
            {%- endfor -%}
            {%- do payload.update({name: rows}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if target.type == 'spark' -%}
        {%- set tables = run_query('show tables in identity').columns['tableName'].values() -%}
    {%- else -%}
        {%- set tables = run_query(
            "select table_name from information_schema.tables where table_schema = 'identity'").columns[0].values() -%}
    {%- endif -%}
    {%- do payload.update({'identity_tables': tables | list | sort}) -%}
    {%- do log('PORTABILITY_RESULT ' ~ tojson(payload), info=true) -%}
    {{ return('') }}
{% endmacro %}
