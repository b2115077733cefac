with

source as (
    select * from {{ source('retail', 'web_views') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('view_id') }} as view_id,
        cast(viewed_at as timestamp) as viewed_at,
        {{ as_text('account_id') }} as account_id,
        {{ as_text('sku') }} as product_id
    from source
)

select * from renamed
