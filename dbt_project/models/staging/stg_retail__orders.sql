with

source as (
    select * from {{ source('retail', 'orders') }}
),

renamed as (
    select
        cast(order_id as varchar) as order_id,
        cast(ordered_at as timestamp) as ordered_at,
        lower(channel) as channel,
        cast(account_id as varchar) as account_id,
        {{ normalize_email('guest_email') }} as guest_email,
        cast(card_number as varchar) as card_number,
        cast(store_id as varchar) as store_id
    from source
)

select * from renamed
