{#
    Undirected graph over identifiers. Deterministic edges: each record links its usable identifiers
    to one anchor (the smallest), which is enough to connect them all. Probabilistic edges: the holder
    records that the matcher (Python asset identity_match_links, splink) found to be one person. Both
    directions and a self-loop per node are kept, so one join + min() per round propagates component
    labels (see int_identifiers_clustered). link_type says why two nodes are joined: the identifier
    type they share, or 'probabilistic'.
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_screened') }}
),

usable as (
    select record_identifiers.record_type, record_identifiers.record_key, record_identifiers.node_id, record_identifiers.identifier_type
    from record_identifiers
    inner join identifiers on identifiers.node_id = record_identifiers.node_id
    where not identifiers.is_suppressed
),

-- every usable node is in the graph (a self-loop), so that a record with one identifier resolves
nodes as (
    select distinct node_id, identifier_type from usable
),

-- only records with two or more identifiers link anything: most records (orders, campaign sends)
-- carry one, and leaving them out of the window below is most of this model's work at scale
linking_records as (
    select record_type, record_key
    from usable
    group by record_type, record_key
    having count(*) > 1
),

anchored as (
    select
        usable.node_id,
        usable.identifier_type,
        min(usable.node_id) over (partition by usable.record_type, usable.record_key) as anchor_id
    from usable
    inner join linking_records
        on linking_records.record_type = usable.record_type
        and linking_records.record_key = usable.record_key
),

{%- set links = source('ml', 'identity_match_links') %}
{%- set links_exist = existing_relation(links.schema, links.identifier) is not none %}

probabilistic as (
    {% if links_exist -%}
    -- only nodes the screen let through: a link never revives a suppressed identifier
    select links.node_id_l as node_id, links.node_id_r as neighbour_id
    from {{ links }} as links
    inner join identifiers as left_node on left_node.node_id = links.node_id_l and not left_node.is_suppressed
    inner join identifiers as right_node on right_node.node_id = links.node_id_r and not right_node.is_suppressed
    -- links the matcher made for another as_of (a build of this stage alone) are stale
    where {{ links_of_this_run('links.as_of') }}
    {%- else -%}
    -- the matcher has not run (a dbt build outside Dagster): deterministic edges only
    select {{ as_text('null') }} as node_id, {{ as_text('null') }} as neighbour_id
    where 1 = 0
    {%- endif %}
),

edges as (
    select node_id, anchor_id as neighbour_id, identifier_type as link_type from anchored
    union
    select anchor_id as node_id, node_id as neighbour_id, identifier_type as link_type from anchored
    union
    select node_id, node_id as neighbour_id, identifier_type as link_type from nodes
    union
    select node_id, neighbour_id, 'probabilistic' as link_type from probabilistic
    union
    select neighbour_id as node_id, node_id as neighbour_id, 'probabilistic' as link_type from probabilistic
)

select * from edges
