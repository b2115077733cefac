{#
    The merged customer behind each source record (account, card, customer record, order, call,
    campaign send). A record resolves through its own key when it has one (an order placed from an
    account, a receipt that quotes a card), else through its smallest usable identifier; inside a
    component under the size cap every node of a record has the same customer anyway. A record whose
    every identifier was suppressed, or an anonymous receipt, resolves to no customer and is absent.
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

identifier_types as (
    select * from {{ ref('identity_identifier_types') }}
),

assigned as (
    select * from {{ ref('int_customer_ids_assigned') }}
),

anchored as (
    select
        record_identifiers.record_type,
        record_identifiers.record_key,
        assigned.customer_id,
        row_number() over (
            partition by record_identifiers.record_type, record_identifiers.record_key
            order by case when identifier_types.is_record_key then 0 else 1 end, record_identifiers.node_id
        ) as anchor_rank
    from record_identifiers
    inner join assigned on assigned.node_id = record_identifiers.node_id
    left join identifier_types on identifier_types.identifier_type = record_identifiers.identifier_type
),

resolved as (
    select record_type, record_key, customer_id
    from anchored
    where anchor_rank = 1
)

select * from resolved
