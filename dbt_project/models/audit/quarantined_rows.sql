{#
    Loaded rows that cannot be used, with the reason, the batch and the row's position in its file,
    and every value as it was loaded: nothing is lost, and a fixed file can be loaded as a new batch.
#}

with

checked as (
    select * from {{ ref('stg_transactions__lines_checked') }}
),

final as (
    select
        load_batch_id,
        'transaction_lines' as raw_table,
        source_row,
        quarantine_reason as reason,
        source,
        customer_key,
        order_id,
        ordered_at_text as ordered_at,
        product_id,
        quantity_text as quantity,
        unit_price_text as unit_price,
        discount_text as discount,
        channel,
        store_id,
        product_name,
        category,
        brand,
        country
    from checked
    where quarantine_reason is not null
)

select * from final
