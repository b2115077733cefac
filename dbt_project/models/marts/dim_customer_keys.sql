{#
    The way back from a merged customer to the keys the source systems use: join scores to a CRM on
    (source, source_customer_key). One row per source key; a merged customer has one row per account,
    card or source customer key merged into it. Sources: 'web_shop' (web account ids) and
    'loyalty_program' (card numbers) for the demo, and each loaded file's source name (e.g.
    'online_retail', key '17850'; a CRM file loaded with `loyalist load --format customers` under its
    source name, every record key).
#}

with

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

source_customers as (
    select * from {{ ref('int_source_customers') }}
),

customer_records as (
    select * from {{ ref('stg_customers__records') }}
),

final as (
    select resolved.customer_id, 'web_shop' as source, resolved.record_key as source_customer_key
    from resolved
    where resolved.record_type = 'web_account'
    union all
    select resolved.customer_id, 'loyalty_program', resolved.record_key
    from resolved
    where resolved.record_type = 'loyalty_card'
    union all
    select resolved.customer_id, source_customers.source, source_customers.source_customer_key
    from resolved
    inner join source_customers on source_customers.source_customer_id = resolved.record_key
    where resolved.record_type = 'source_customer'
    union
    -- a CRM record whose key also appears on the source's transactions is the same key: one row
    select resolved.customer_id, customer_records.source, customer_records.record_key
    from resolved
    inner join customer_records on customer_records.record_id = resolved.record_key
    where resolved.record_type = 'customer_record'
)

select * from final
