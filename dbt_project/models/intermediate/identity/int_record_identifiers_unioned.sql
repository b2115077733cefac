{#
    Every identifier every source record carries, with its identity graph node: '<type>:<hash of the
    value>', so the graph downstream (schema identity) is pseudonymised and this model, which keeps the
    values, lives in the restricted schema pii. Records that hold an identity (web accounts, loyalty
    cards, customer records and the customer keys of file-loaded sources) are "holders"; orders, calls
    and campaign sends only point at identities, so they never count towards an identifier's holder
    total. Only records created before as_of take part, so a run as of T links exactly what was known
    at T. The holders, their as_of cut and their contacts come from int_identity_person_records.
#}

{{ config(schema='pii', tags=['identity_input']) }}

with

person_records as (
    select * from {{ ref('int_identity_person_records') }}
),

orders as (
    select * from {{ ref('stg_retail__orders') }}
    where {{ before_as_of('ordered_at') }}
),

callcenter_contacts as (
    select * from {{ ref('stg_retail__callcenter_contacts') }}
    where {{ before_as_of('contacted_at') }}
),

campaign_contacts as (
    select * from {{ ref('stg_retail__campaign_contacts') }}
    where {{ before_as_of('sent_at') }}
),

-- a holder's own key (account id, card number, customer key) and the contacts it states
holder_identifiers as (
    select record_type, record_key, key_type as identifier_type, record_key as identifier_value
    from person_records
    union all
    select record_type, record_key, 'email', email from person_records where email is not null
    union all
    select record_type, record_key, 'phone', phone from person_records where phone is not null
),

order_identifiers as (
    select 'order' as record_type, order_id as record_key, 'account' as identifier_type, account_id as identifier_value
    from orders where account_id is not null
    union all
    select 'order', order_id, 'card', card_number from orders where card_number is not null
    union all
    select 'order', order_id, 'email', guest_email from orders where guest_email is not null
),

call_identifiers as (
    select 'callcenter_contact' as record_type, contact_id as record_key, 'phone' as identifier_type, phone as identifier_value
    from callcenter_contacts where phone is not null
    union all
    select 'callcenter_contact', contact_id, 'card', card_number from callcenter_contacts where card_number is not null
),

source_customers as (
    select * from {{ ref('int_source_customers') }}
),

source_customer_identifiers as (
    select
        'source_customer' as record_type,
        source_customer_id as record_key,
        'customer_key' as identifier_type,
        source_customer_id as identifier_value
    from source_customers
),

campaign_identifiers as (
    select 'campaign_contact' as record_type, contact_id as record_key, 'email' as identifier_type, email as identifier_value
    from campaign_contacts where email is not null
),

unioned as (
    select * from holder_identifiers
    union all
    select * from order_identifiers
    union all
    select * from call_identifiers
    union all
    select * from campaign_identifiers
    union all
    select * from source_customer_identifiers
),

final as (
    select
        record_type,
        record_key,
        identifier_type,
        identifier_value,
        {{ identity_node_id('identifier_type', 'identifier_value') }} as node_id,
        record_type in ('web_account', 'loyalty_card', 'source_customer', 'customer_record') as is_holder_record
    from unioned
)

select * from final
