with

source as (
    select * from {{ source('retail', 'returns') }}
),

renamed as (
    select
        cast(return_id as varchar) as return_id,
        {{ dbt.concat(["cast(order_id as varchar)", "'-'", "cast(line_number as varchar)"]) }}
            as order_line_id,
        cast(order_id as varchar) as order_id,
        cast(line_number as integer) as line_number,
        cast(returned_at as timestamp) as returned_at,
        cast(quantity as integer) as quantity,
        lower(channel) as channel,
        cast(reason as varchar) as reason
    from source
)

select * from renamed
