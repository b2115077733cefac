{#
    What the over-merge guards held back, for review: every identifier that links nothing (with the
    reason and how many holders and records carry it) and every component over the size cap that was
    not merged. Pseudonymised: the node id is '<type>:<hash>'; look a value up in
    pii.int_record_identifiers_unioned when you are allowed to.
#}

with

identifiers as (
    select * from {{ ref('int_identifiers_screened') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

suppressed_identifiers as (
    select
        'identifier' as suppressed_kind,
        node_id,
        identifier_type,
        suppression_reason as reason,
        holders,
        records
    from identifiers
    where is_suppressed
),

capped_components as (
    select
        'component' as suppressed_kind,
        component_id as node_id,
        'component' as identifier_type,
        'component_over_size_cap' as reason,
        max(component_holders) as holders,
        count(*) as records
    from clusters
    where is_over_size_cap
    group by component_id
)

select * from suppressed_identifiers
union all
select * from capped_components
