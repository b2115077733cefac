{#
    One row per identifier (graph node) and whether it may link, with the first reason it may not:
      type_not_linking    its type has may_link = false in the seed identity_identifier_types;
      too_many_holders    seen with more than var('identity_max_holders_per_identifier') accounts, cards
                          or customer records: a cashier's 000000000, a shop's placeholder e-mail;
      conflicting_holders its type is checked (seed column check_name_conflicts: phones) and two of
                          its holders state clearly different first names (more than
                          var('identity_first_name_tolerance') edits apart, so typos do not count): a
                          household landline shared by a couple. Birth years are not compared: CRM
                          exports mistype them by a decade too often.
    "Seen with" counts every record: a card's own phone, and a phone typed on a call that quotes a card.
    A record key is counted like any identifier: a card quoted on the orders of many accounts (a
    cashier scanning their own card for everyone) is suppressed too, and its receipts stay anonymous.
#}

-- built with the matcher's input: it reads which contacts the guards suppressed
{{ config(tags=['identity_input']) }}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

identifier_types as (
    select * from {{ ref('identity_identifier_types') }}
),

person_records as (
    select * from {{ ref('int_identity_person_records') }}
),

-- the holders (account, card, customer key) a record is or quotes: an order placed from an account
-- with a card scanned quotes both
record_holders as (
    select distinct record_identifiers.record_type, record_identifiers.record_key, record_identifiers.node_id as holder_node_id
    from record_identifiers
    inner join identifier_types
        on identifier_types.identifier_type = record_identifiers.identifier_type
        and identifier_types.is_record_key
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

-- the names on the holders of identifiers that pass the holder limit (the others are out anyway,
-- and a junk phone's thousands of holders would make the pairs below quadratic)
holder_names as (
    select distinct record_identifiers.node_id, person_records.first_name, person_records.surname
    from record_identifiers
    inner join counted
        on counted.node_id = record_identifiers.node_id
        and counted.holders between 2 and {{ var('identity_max_holders_per_identifier') }}
    inner join identifier_types
        on identifier_types.identifier_type = record_identifiers.identifier_type
        and identifier_types.check_name_conflicts
    inner join record_holders
        on record_holders.record_type = record_identifiers.record_type
        and record_holders.record_key = record_identifiers.record_key
    inner join person_records on person_records.record_node_id = record_holders.holder_node_id
    where person_records.first_name is not null
),

-- two holders conflict when one's first name is far from both names of the other: typos and a
-- first name typed in the surname field (and the other way round) are the same person
conflicting as (
    select left_name.node_id, count(*) as conflicting_name_pairs
    from holder_names as left_name
    inner join holder_names as right_name
        on right_name.node_id = left_name.node_id
        and right_name.first_name > left_name.first_name
    where {{ edit_distance('left_name.first_name', 'right_name.first_name') }} > {{ var('identity_first_name_tolerance') }}
        and coalesce({{ edit_distance('left_name.first_name', 'right_name.surname') }}, 99) > {{ var('identity_first_name_tolerance') }}
        and coalesce({{ edit_distance('right_name.first_name', 'left_name.surname') }}, 99) > {{ var('identity_first_name_tolerance') }}
    group by left_name.node_id
),

screened as (
    select
        counted.node_id,
        counted.identifier_type,
        counted.holders,
        counted.records,
        coalesce(conflicting.conflicting_name_pairs, 0) as conflicting_name_pairs,
        case
            when not coalesce(identifier_types.may_link, false) then 'type_not_linking'
            when counted.holders > {{ var('identity_max_holders_per_identifier') }} then 'too_many_holders'
            when conflicting.conflicting_name_pairs > 0 then 'conflicting_holders'
        end as suppression_reason
    from counted
    left join identifier_types on identifier_types.identifier_type = counted.identifier_type
    left join conflicting on conflicting.node_id = counted.node_id
),

final as (
    select
        *,
        suppression_reason is not null as is_suppressed
    from screened
)

select * from final
