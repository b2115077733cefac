{#
    The person behind each holder record (web account, loyalty card, CRM customer record), as stated
    on it: folded names, birth year or date, gender, city, postcode and contacts, and when the record was
    opened (account created, card issued; unknown for CRM records). The input of the
    probabilistic matcher (Python asset identity_match_links) and of the conflicting-holders guard.
    Restricted schema pii. Records created before as_of only (CRM records always: reference data).
#}

{{ config(schema='pii', tags=['identity_input']) }}

with

web_accounts as (
    select * from {{ ref('stg_retail__web_accounts') }}
    where {{ before_as_of('created_at') }}
),

loyalty_cards as (
    select * from {{ ref('stg_retail__loyalty_cards') }}
    where {{ before_as_of('issued_at') }}
),

customer_records as (
    select * from {{ ref('stg_customers__records') }}
),

stores as (
    select * from {{ ref('stg_retail__stores') }}
),

unioned as (
    select
        'web_account' as record_type,
        account_id as record_key,
        'account' as key_type,
        {{ fold_name('first_name') }} as first_name,
        {{ fold_name('last_name') }} as surname,
        birth_year,
        cast(null as date) as dob,
        gender,
        {{ fold_name('city') }} as city,
        {{ as_text('null') }} as postcode,
        email,
        phone,
        created_at as opened_at
    from web_accounts
    union all
    select
        'loyalty_card',
        loyalty_cards.card_number,
        'card',
        {{ fold_name('loyalty_cards.first_name') }},
        {{ fold_name('loyalty_cards.last_name') }},
        loyalty_cards.birth_year,
        cast(null as date),
        loyalty_cards.gender,
        -- the city the holder wrote, else the city of the store that issued the card
        {{ fold_name('coalesce(loyalty_cards.city, stores.city)') }},
        {{ as_text('null') }},
        loyalty_cards.email,
        loyalty_cards.phone,
        loyalty_cards.issued_at
    from loyalty_cards
    left join stores on stores.store_id = loyalty_cards.store_id
    union all
    select
        'customer_record',
        record_id,
        'customer_key',
        first_name,
        surname,
        birth_year,
        dob,
        {{ as_text('null') }},
        city,
        postcode,
        email,
        phone,
        cast(null as timestamp)
    from customer_records
),

final as (
    select
        *,
        {{ identity_node_id('key_type', 'record_key') }} as record_node_id,
        -- graph nodes of the contacts: the matcher drops the ones the guards suppressed
        {{ identity_node_id("'email'", 'email') }} as email_node_id,
        {{ identity_node_id("'phone'", 'phone') }} as phone_node_id
    from unioned
)

select * from final
