{#
    Every loaded order line, typed, with the reason it cannot be used (null when it can). The one
    place that decides: stg_transactions__lines keeps the rows without a reason, quarantined_rows the
    rows with one, so every raw row lands in exactly one of them.

    A row gets the first reason that applies, in this order: missing order id, product or timestamp;
    unparseable timestamp, quantity (whole units), price or discount (a fraction in [0, 1)); zero
    quantity; negative price; a timestamp after the load; and last, a duplicate event: a row whose
    every loaded value equals an earlier row's (same source; earlier batch, or earlier in the file).
    The first copy is kept and each further copy is quarantined.
#}

with

lines as (
    select * from {{ source('retail', 'transaction_lines') }}
),

batches as (
    select * from {{ ref('stg_loads__batches') }}
),

typed as (
    select
        lines._batch_id as load_batch_id,
        lines._source_row as source_row,
        batches.load_format,
        batches.loaded_at,
        lines.source,
        lines.customer_key,
        lines.order_id,
        lines.ordered_at as ordered_at_text,
        lines.product_id,
        lines.quantity as quantity_text,
        lines.unit_price as unit_price_text,
        lines.discount as discount_text,
        lines.channel,
        lines.store_id,
        lines.product_name,
        lines.category,
        lines.brand,
        lines.country,
        {{ parse_text('trim(lines.ordered_at)', 'timestamp') }} as ordered_at,
        -- whole units only: an engine may round '1.5' when casting text to an integer, so test first
        case
            when {{ parse_text('trim(lines.quantity)', 'double') }} = floor({{ parse_text('trim(lines.quantity)', 'double') }})
                then cast({{ parse_text('trim(lines.quantity)', 'double') }} as {{ dbt.type_bigint() }})
        end as quantity,
        {{ parse_text('trim(lines.unit_price)', 'double') }} as unit_price,
        {{ parse_text('trim(lines.discount)', 'double') }} as discount,
        -- identical rows share every loaded value; the earliest (batch, row) is the original
        row_number() over (
            partition by
                lines.source, lines.customer_key, lines.order_id, lines.ordered_at, lines.product_id,
                lines.quantity, lines.unit_price, lines.discount, lines.channel, lines.store_id,
                lines.product_name, lines.category, lines.brand, lines.country
            order by lines._batch_id, lines._source_row
        ) as copy_number
    from lines
    inner join batches on batches.batch_id = lines._batch_id
),

checked as (
    select
        *,
        case
            when order_id is null then 'missing_order_id'
            when product_id is null then 'missing_product'
            when ordered_at_text is null then 'missing_timestamp'
            when ordered_at is null then 'unparseable_timestamp'
            when quantity_text is null then 'missing_quantity'
            when quantity is null then 'unparseable_quantity'
            when unit_price_text is null then 'missing_price'
            when unit_price is null then 'unparseable_price'
            when discount_text is not null and (discount is null or discount < 0 or discount >= 1)
                then 'unparseable_discount'
            when quantity = 0 then 'zero_quantity'
            when unit_price < 0 then 'negative_price'
            when ordered_at > loaded_at then 'future_timestamp'
            when copy_number > 1 then 'duplicate_event'
        end as quarantine_reason
    from typed
)

select * from checked
