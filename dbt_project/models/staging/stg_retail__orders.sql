with

source as (
    select * from {{ source('retail', 'orders') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('order_id') }} as order_id,
        cast(ordered_at as timestamp) as ordered_at,
        lower(channel) as channel,
        {{ as_text('account_id') }} as account_id,
        {{ normalize_email('guest_email') }} as guest_email,
        {{ as_text('card_number') }} as card_number,
        {{ as_text('store_id') }} as store_id
    from source
)

select * from renamed
