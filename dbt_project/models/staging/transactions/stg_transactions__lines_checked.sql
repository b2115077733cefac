{#
    Every loaded order line, typed, with the reason it cannot be used (null when it can). The one
    place that decides: stg_transactions__lines keeps the rows without a reason, quarantined_rows the
    rows with one, so every raw row lands in exactly one of them.

    A row gets the first reason that applies, in this order: an unknown batch; missing order id,
    product or timestamp (blank counts as missing); unparseable timestamp, quantity (whole units
    within integer range), price or discount (a fraction in [0, 1)); zero quantity; negative price;
    a timestamp after the load; and last, a duplicate event: a usable row whose every loaded value
    equals an earlier usable row's (same source; earlier batch, or earlier in the file). The first
    copy is kept and each further copy is quarantined.
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
        batches.batch_id is not null as has_batch,
        batches.load_format,
        batches.loaded_at,
        lines.source,
        -- a key of only spaces is no key: it must not make a write-off a return or an identity
        nullif(trim(lines.customer_key), '') as customer_key,
        nullif(trim(lines.order_id), '') as order_id,
        lines.ordered_at as ordered_at_text,
        nullif(trim(lines.product_id), '') as product_id,
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
        {{ parse_text('trim(lines.quantity)', 'double') }} as quantity_value,
        {{ parse_text('trim(lines.unit_price)', 'double') }} as unit_price_value,
        {{ parse_text('trim(lines.discount)', 'double') }} as discount_value
    from lines
    -- a left join: a row whose batch is unknown is quarantined, not silently dropped
    left join batches on batches.batch_id = lines._batch_id
),

bounded as (
    select
        *,
        -- whole units that fit an integer: an engine may round '1.5' when casting text to an integer,
        -- and NaN/inf/1e19 would fail the cast, so they are tested first (NaN compares as the largest)
        case
            when quantity_value = floor(quantity_value) and abs(quantity_value) < 2147483648
                then cast(quantity_value as {{ dbt.type_bigint() }})
        end as quantity,
        case when abs(unit_price_value) < 1e12 then unit_price_value end as unit_price,
        case when abs(discount_value) < 1e12 then discount_value end as discount
    from typed
),

screened as (
    select
        *,
        case
            when not has_batch then 'unknown_batch'
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
        end as defect
    from bounded
),

-- copies are counted among usable rows only: a row quarantined for another reason (say, loaded
-- before its date) must not make its later, good reload a "duplicate" of something never staged
numbered as (
    select
        *,
        row_number() over (
            partition by
                defect is null,
                source, customer_key, order_id, ordered_at_text, product_id, quantity_text, unit_price_text,
                discount_text, channel, store_id, product_name, category, brand, country
            order by load_batch_id, source_row
        ) as copy_number
    from screened
),

checked as (
    select
        *,
        case
            when defect is not null then defect
            when copy_number > 1 then 'duplicate_event'
        end as quarantine_reason
    from numbered
)

select * from checked
