{#
    Connected components of the identity graph: min-label propagation with pointer jumping, run round by
    round in plain SQL (macro connected_components) so the same model runs on DuckDB and Spark (no
    recursive CTE), stopping when a round moves no label, after at most var('identity_max_iterations')
    rounds. The test assert_identity_components_converged runs one more plain round and fails if any
    label would still move. Customer ids are assigned downstream (int_customer_ids_assigned).
#}

-- the hook renders when the model runs, with the model's own schema
{{ config(post_hook="drop table if exists {{ components_relation() }}") }}

{%- set edges = ref('int_identifier_edges_built') %}
{%- set components = connected_components(edges, var('identity_max_iterations') | int) %}

{% if components -%}
select node_id, component_id from {{ components }}
{%- else -%}
-- parse, compile, docs: the rounds only run when the model is built
select node_id, neighbour_id as component_id from {{ edges }}
{%- endif %}
