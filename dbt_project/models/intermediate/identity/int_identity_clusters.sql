{#
    The cluster each graph node belongs to after the size cap. A component holding more accounts,
    cards and customer records than var('identity_max_component_holders') is not merged: something
    glued strangers together that the identifier guards did not catch, and one giant customer would
    poison every mart. Each of its nodes then stays a cluster of its own (a record resolves through
    its own key) and the component is listed in identity_suppressed.
#}

with

clustered as (
    select * from {{ ref('int_identifiers_clustered') }}
),

identifiers as (
    select * from {{ ref('int_identifiers_screened') }}
),

identifier_types as (
    select * from {{ ref('identity_identifier_types') }}
),

nodes as (
    select
        clustered.node_id,
        clustered.component_id,
        coalesce(identifier_types.is_record_key, false) as is_holder
    from clustered
    inner join identifiers on identifiers.node_id = clustered.node_id
    left join identifier_types on identifier_types.identifier_type = identifiers.identifier_type
),

sized as (
    select
        component_id,
        cast(sum(case when is_holder then 1 else 0 end) as bigint) as component_holders,
        count(*) as component_nodes
    from nodes
    group by component_id
),

final as (
    select
        nodes.node_id,
        nodes.component_id,
        sized.component_holders,
        sized.component_nodes,
        sized.component_holders > {{ var('identity_max_component_holders') }} as is_over_size_cap,
        case
            when sized.component_holders > {{ var('identity_max_component_holders') }} then nodes.node_id
            else nodes.component_id
        end as cluster_key
    from nodes
    inner join sized on sized.component_id = nodes.component_id
)

select * from final
