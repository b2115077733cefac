{#
    One row per identifier with the number of accounts/cards it appears with. An identifier seen
    with more than var('identity_max_holders_per_identifier') of them is suppressed: it is a household
    landline, a shop's placeholder e-mail or a cashier's 000000000, and must not glue strangers together.
    "Appears with" counts every record: a card's own phone, and a phone typed on a call that quotes a card.
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

-- the account, card or source customer key a record belongs to or quotes (orders and calls carry at most one)
record_holders as (
    select record_type, record_key, min(node_id) as holder_node_id
    from record_identifiers
    where identifier_type in ('account', 'card', 'customer_key')
    group by record_type, record_key
),

counted as (
    select
        record_identifiers.node_id,
        record_identifiers.identifier_type,
        count(distinct record_holders.holder_node_id) as holders,
        count(*) as records
    from record_identifiers
    left join record_holders
        on record_holders.record_type = record_identifiers.record_type
        and record_holders.record_key = record_identifiers.record_key
    group by record_identifiers.node_id, record_identifiers.identifier_type
),

final as (
    select
        node_id,
        identifier_type,
        holders,
        records,
        holders > {{ var('identity_max_holders_per_identifier') }} as is_suppressed
    from counted
)

select * from final
