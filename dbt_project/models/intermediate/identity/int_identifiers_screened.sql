{#
    One row per identifier with the number of accounts/cards that hold it. An identifier held by more
    than var('identity_max_holders_per_identifier') of them is suppressed: it is a household
    landline, a shop's placeholder e-mail or a cashier's 000000000, and must not glue strangers together.
#}

with

record_identifiers as (
    select * from {{ ref('int_record_identifiers_unioned') }}
),

counted as (
    select
        node_id,
        identifier_type,
        count(distinct case when is_holder_record then {{ dbt.concat(["record_type", "':'", "record_key"]) }} end)
            as holders,
        count(*) as records
    from record_identifiers
    group by node_id, identifier_type
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
