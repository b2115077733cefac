{#
    The merged customer behind each source record (account, card, order, call). A record whose every
    identifier was suppressed, or an anonymous receipt, resolves to no customer and is absent here.
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

clustered as (
    select * from {{ ref('int_identifiers_clustered') }}
),

resolved as (
    select
        record_identifiers.record_type,
        record_identifiers.record_key,
        -- all usable identifiers of one record sit in one component, so min() only picks that one
        min(clustered.customer_id) as customer_id
    from record_identifiers
    inner join clustered on clustered.node_id = record_identifiers.node_id
    group by record_identifiers.record_type, record_identifiers.record_key
)

select * from resolved
