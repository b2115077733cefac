with

source as (
    select * from {{ source('retail', 'stores') }}
),

renamed as (
    select
        cast(store_id as varchar) as store_id,
        cast(city as varchar) as city
    from source
)

select * from renamed
