{#
    Demographics come from the accounts and cards of the merged customer: the earliest registered
    record that states a value wins, so a later, sloppier registration never overwrites it. The home
    store is the store that issued the customer's first loyalty card. Everything is as of var('as_of'):
    records, orders, views and campaign responses from before it only.
#}

with

web_accounts as (
    select * from {{ ref('stg_retail__web_accounts') }}
),

loyalty_cards as (
    select * from {{ ref('stg_retail__loyalty_cards') }}
),

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

orders as (
    select * from {{ ref('int_orders_identified') }}
),

source_customers as (
    select * from {{ ref('int_source_customers') }}
),

customer_records as (
    select * from {{ ref('stg_customers__records') }}
),

web_views as (
    select * from {{ ref('stg_retail__web_views') }}
    where {{ before_as_of('viewed_at') }}
),

campaign_contacts as (
    select * from {{ ref('stg_retail__campaign_contacts') }}
    where {{ before_as_of('sent_at') }}
),

stores as (
    select * from {{ ref('stg_retail__stores') }}
),

holder_records as (
    select
        resolved.customer_id,
        'web_account' as record_type,
        web_accounts.created_at as registered_at,
        web_accounts.account_id as record_key,
        web_accounts.gender,
        web_accounts.birth_year,
        web_accounts.city,
        {{ as_text('null') }} as store_id
    from web_accounts
    inner join resolved
        on resolved.record_type = 'web_account' and resolved.record_key = web_accounts.account_id
    union all
    select
        resolved.customer_id,
        'loyalty_card',
        loyalty_cards.issued_at,
        loyalty_cards.card_number,
        loyalty_cards.gender,
        loyalty_cards.birth_year,
        loyalty_cards.city,
        loyalty_cards.store_id
    from loyalty_cards
    inner join resolved
        on resolved.record_type = 'loyalty_card' and resolved.record_key = loyalty_cards.card_number
    union all
    select
        resolved.customer_id,
        'source_customer',
        source_customers.first_seen_at,
        source_customers.source_customer_id,
        {{ as_text('null') }},
        cast(null as integer),
        {{ as_text('null') }},
        {{ as_text('null') }}
    from source_customers
    inner join resolved
        on resolved.record_type = 'source_customer'
        and resolved.record_key = source_customers.source_customer_id
    union all
    -- a CRM record has no registration time: it ranks after every dated record
    select
        resolved.customer_id,
        'customer_record',
        cast(null as timestamp),
        customer_records.record_id,
        {{ as_text('null') }},
        customer_records.birth_year,
        customer_records.city,
        {{ as_text('null') }}
    from customer_records
    inner join resolved
        on resolved.record_type = 'customer_record' and resolved.record_key = customer_records.record_id
),

ranked as (
    select
        customer_id,
        gender,
        birth_year,
        city,
        store_id,
        row_number() over (partition by customer_id, gender is null order by registered_at is null, registered_at, record_key) as gender_rank,
        row_number() over (partition by customer_id, birth_year is null order by registered_at is null, registered_at, record_key) as birth_year_rank,
        row_number() over (partition by customer_id, city is null order by registered_at is null, registered_at, record_key) as city_rank,
        row_number() over (partition by customer_id, store_id is null order by registered_at is null, registered_at, record_key) as store_rank
    from holder_records
),

demographics as (
    select
        customer_id,
        max(case when gender_rank = 1 then gender end) as gender,
        max(case when birth_year_rank = 1 then birth_year end) as birth_year,
        max(case when city_rank = 1 then city end) as city,
        max(case when store_rank = 1 then store_id end) as home_store_id
    from ranked
    group by customer_id
),

holdings as (
    select
        customer_id,
        cast(sum(case when record_type = 'web_account' then 1 else 0 end) as bigint) as web_accounts,
        cast(sum(case when record_type = 'loyalty_card' then 1 else 0 end) as bigint) as loyalty_cards,
        cast(sum(case when record_type in ('source_customer', 'customer_record') then 1 else 0 end) as bigint)
            as source_customer_keys,
        min(registered_at) as first_registered_at
    from holder_records
    group by customer_id
),

ordering as (
    select customer_id, min(ordered_at) as first_order_at, count(*) as orders
    from orders
    where customer_id is not null and document_type = 'order'
    group by customer_id
),

browsing as (
    select resolved.customer_id, count(*) as web_views, max(web_views.viewed_at) as last_web_view_at
    from web_views
    inner join resolved on resolved.record_type = 'web_account' and resolved.record_key = web_views.account_id
    group by resolved.customer_id
),

campaigns as (
    select
        resolved.customer_id,
        count(*) as campaign_emails,
        count(case when {{ before_as_of('campaign_contacts.opened_at') }} then campaign_contacts.opened_at end)
            as campaign_opens,
        count(case when {{ before_as_of('campaign_contacts.clicked_at') }} then campaign_contacts.clicked_at end)
            as campaign_clicks
    from campaign_contacts
    inner join resolved
        on resolved.record_type = 'campaign_contact' and resolved.record_key = campaign_contacts.contact_id
    group by resolved.customer_id
),

customers as (
    select customer_id from holdings
    union
    select customer_id from ordering
),

final as (
    select
        customers.customer_id,
        demographics.gender,
        demographics.birth_year,
        demographics.city,
        demographics.home_store_id,
        stores.city as home_store_city,
        coalesce(holdings.web_accounts, 0) as web_accounts,
        coalesce(holdings.loyalty_cards, 0) as loyalty_cards,
        coalesce(holdings.source_customer_keys, 0) as source_customer_keys,
        coalesce(ordering.orders, 0) as orders,
        case
            when holdings.first_registered_at is null then ordering.first_order_at
            when ordering.first_order_at is null then holdings.first_registered_at
            when ordering.first_order_at < holdings.first_registered_at then ordering.first_order_at
            else holdings.first_registered_at
        end as first_seen_at,
        ordering.first_order_at,
        coalesce(browsing.web_views, 0) as web_views,
        browsing.last_web_view_at,
        coalesce(campaigns.campaign_emails, 0) as campaign_emails,
        coalesce(campaigns.campaign_opens, 0) as campaign_opens,
        coalesce(campaigns.campaign_clicks, 0) as campaign_clicks
    from customers
    left join demographics on demographics.customer_id = customers.customer_id
    left join stores on stores.store_id = demographics.home_store_id
    left join holdings on holdings.customer_id = customers.customer_id
    left join ordering on ordering.customer_id = customers.customer_id
    left join browsing on browsing.customer_id = customers.customer_id
    left join campaigns on campaigns.customer_id = customers.customer_id
)

select * from final
