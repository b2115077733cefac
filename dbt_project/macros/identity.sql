{#
    Helpers shared by the identity models (models/intermediate/identity).
#}

{#
    The identity graph node of an identifier: '<type>:<first 16 hex digits of the md5 of the value>'.
    The type stays readable (the guards and reports group by it); the value is pseudonymised, so
    nothing downstream of the restricted schema pii carries an e-mail, a phone or a card number.
    dbt.hash is md5 on DuckDB and Spark; 64 bits keep a collision unlikely (about 1 in 370,000 at
    10 million identifiers of one type) and the ids short, which every join and write of the graph pays for.
#}
{% macro identity_node_id(type_column, value_column) -%}
    {{ dbt.concat([type_column, "':'", "substr(" ~ dbt.hash(value_column) ~ ", 1, 16)"]) }}
{%- endmacro %}

{#
    The date a run's identity is "as of": var('as_of'), or the day the run started for a run over
    everything loaded. Stable ids and identity events only advance when this does not go back in
    time (a backtest as of an earlier date reads the registry as it stood then, and never writes it).
#}
{% macro identity_effective_date() -%}
    cast('{{ as_of_date() or run_started_at.strftime("%Y-%m-%d") }}' as date)
{%- endmacro %}

{# The probabilistic links of this run's as_of only: links made for another cut-off are stale. #}
{% macro links_of_this_run(as_of_column) -%}
    {%- set cutoff = as_of_date() -%}
    {%- if cutoff -%}
        {{ as_of_column }} = cast('{{ cutoff }}' as date)
    {%- else -%}
        {{ as_of_column }} is null
    {%- endif -%}
{%- endmacro %}

{# When this run started, as a timestamp literal: the time of its registry rows and identity events. #}
{% macro identity_run_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}

{#
    A relation that a model reads without ref() because it is written further down the same DAG (the
    id registry), or by a Python asset that may not have run yet (probabilistic links). Returns the
    relation when it exists, else none; callers then select an empty, typed row set.
#}
{% macro existing_relation(schema, identifier) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{%- endmacro %}

{# True when this run may append to the id registry and to identity_events (see identity_effective_date). #}
{% macro identity_advances(registry) -%}
    {{ identity_effective_date() }} >= (
        select coalesce(max(effective_date), cast('0001-01-01' as date)) from {{ registry }}
    )
{%- endmacro %}

{# Edit (Levenshtein) distance of two strings: the same function name on DuckDB and Spark. #}
{% macro edit_distance(left, right) -%}
    {{ return(adapter.dispatch('edit_distance', 'loyalist')(left, right)) }}
{%- endmacro %}

{% macro default__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}
