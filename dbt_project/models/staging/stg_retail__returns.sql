with

source as (
    select * from {{ source('retail', 'returns') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('return_id') }} as return_id,
        {{ dbt.concat([as_text('order_id'), "'-'", as_text('line_number')]) }}
            as order_line_id,
        {{ as_text('order_id') }} as order_id,
        cast(line_number as integer) as line_number,
        cast(returned_at as timestamp) as returned_at,
        cast(quantity as integer) as quantity,
        lower(channel) as channel,
        {{ as_text('reason') }} as reason
    from source
)

select * from renamed
