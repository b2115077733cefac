{#
    The way back from a merged customer to the keys the source systems use: join scores to a CRM on
    (source, source_customer_key). One row per source key; a merged customer has one row per account,
    card or source customer key merged into it. Sources: 'web_shop' (web account ids) and
    'loyalty_program' (card numbers) for the demo, and each loaded file's source name (e.g.
    'online_retail', key '17850').
#}

with

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

source_customers as (
    select * from {{ ref('int_source_customers') }}
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
)

select * from final
