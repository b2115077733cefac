with

source as (
    select * from {{ source('retail', 'order_lines') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ dbt.concat([as_text('order_id'), "'-'", as_text('line_number')]) }}
            as order_line_id,
        {{ as_text('order_id') }} as order_id,
        cast(line_number as integer) as line_number,
        {{ as_text('sku') }} as product_id,
        cast(quantity as integer) as quantity,
        cast(unit_list_price as double) as unit_list_price,
        cast(unit_price as double) as unit_price,
        cast(discount_pct as double) as discount_pct,
        {{ as_text('promotion_id') }} as promotion_id
    from source
)

select * from renamed
