{#
    Undirected graph over identifiers: each record links its usable identifiers to one anchor (the
    smallest), which is enough to connect them all. Both directions and a self-loop per node are
    kept, so one join + min() per round propagates component labels (see int_identifiers_clustered).
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_screened') }}
),

usable as (
    select record_identifiers.record_type, record_identifiers.record_key, record_identifiers.node_id
    from record_identifiers
    inner join identifiers on identifiers.node_id = record_identifiers.node_id
    where not identifiers.is_suppressed
),

anchored as (
    select
        node_id,
        min(node_id) over (partition by record_type, record_key) as anchor_id
    from usable
),

edges as (
    select node_id, anchor_id as neighbour_id from anchored
    union
    select anchor_id as node_id, node_id as neighbour_id from anchored
    union
    select node_id, node_id as neighbour_id from anchored
)

select * from edges
