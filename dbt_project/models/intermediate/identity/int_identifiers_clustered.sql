{#
    Connected components by min-label propagation, unrolled var('identity_max_iterations') times in
    plain SQL so the same model runs on DuckDB and Spark (no recursive CTE). Each round a node takes
    the smallest label among itself and its neighbours; after as many rounds as the widest component's
    diameter nothing changes. The test assert_identity_components_converged runs one more round and
    fails if any label would still move. Customer ids are assigned downstream (int_customer_ids_assigned).
#}

{%- set rounds = var('identity_max_iterations') | int %}

with

-- the reason for a link does not matter here, only that it exists
edges as (
    select distinct node_id, neighbour_id from {{ ref('int_identifier_edges_built') }}
),

labels_0 as (
    select distinct node_id, node_id as component_id from edges
),

{% for round in range(1, rounds + 1) %}
labels_{{ round }} as (
    select edges.node_id, min(labels_{{ round - 1 }}.component_id) as component_id
    from edges
    inner join labels_{{ round - 1 }} on labels_{{ round - 1 }}.node_id = edges.neighbour_id
    group by edges.node_id
),
{% endfor %}

final as (
    select node_id, component_id from labels_{{ rounds }}
)

select * from final
