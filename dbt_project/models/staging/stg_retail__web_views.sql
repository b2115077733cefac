with

source as (
    select * from {{ source('retail', 'web_views') }}
),

renamed as (
    select
        cast(view_id as varchar) as view_id,
        cast(viewed_at as timestamp) as viewed_at,
        cast(account_id as varchar) as account_id,
        cast(sku as varchar) as product_id
    from source
)

select * from renamed
