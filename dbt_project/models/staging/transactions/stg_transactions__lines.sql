{#
    Usable order lines from loaded files, one row per raw row without a quarantine reason.

    line_type: a positive quantity is a sale. A negative quantity is a return when the line names a
    customer or is on an Online Retail cancellation invoice ('C' prefix); otherwise it is a stock
    write-off (damaged, lost), which stays here and in raw, is counted by load_reconciliation and is
    kept out of every customer mart.

    Order ids and customer keys are namespaced by the source system ('online_retail:536365'), so
    two systems' numbering never collides; the source's own values are kept beside them.
#}

with

checked as (
    select * from {{ ref('stg_transactions__lines_checked') }}
    where quarantine_reason is null
),

non_product_codes as (
    select * from {{ ref('non_product_codes') }}
),

product_codes as (
    select distinct product_id from checked
),

-- each code once, so a product matching two rules cannot duplicate lines
product_kinds as (
    select product_codes.product_id, min(non_product_codes.line_kind) as line_kind
    from product_codes
    inner join non_product_codes
        on (non_product_codes.match_type = 'exact' and product_codes.product_id = non_product_codes.code)
        or (
            -- a plain comparison, not LIKE: codes may hold '_' or '%', which LIKE reads as wildcards
            non_product_codes.match_type = 'prefix'
            and substring(product_codes.product_id, 1, length(non_product_codes.code)) = non_product_codes.code
        )
    group by product_codes.product_id
),

final as (
    select
        {{ dbt.concat(["'T-'", as_text('checked.load_batch_id'), "'-'", as_text('checked.source_row')]) }}
            as line_id,
        checked.load_batch_id,
        checked.source_row,
        checked.load_format,
        checked.source,
        {{ dbt.concat(['checked.source', "':'", 'checked.order_id']) }} as order_id,
        checked.order_id as source_order_id,
        case
            when checked.customer_key is not null
                then {{ dbt.concat(['checked.source', "':'", 'checked.customer_key']) }}
        end as source_customer_id,
        checked.customer_key as source_customer_key,
        checked.ordered_at,
        checked.product_id,
        coalesce(product_kinds.line_kind, 'product') as line_kind,
        product_kinds.line_kind is null as is_product,
        case
            when checked.quantity > 0 then 'sale'
            when checked.customer_key is not null then 'return'
            when checked.load_format = 'online-retail' and checked.order_id like 'C%' then 'return'
            else 'write_off'
        end as line_type,
        cast(checked.quantity as integer) as quantity,
        checked.unit_price,
        coalesce(checked.discount, 0) as discount_pct,
        -- the price paid is loaded; the list price follows from the discount taken
        checked.unit_price / (1 - coalesce(checked.discount, 0)) as unit_list_price,
        -- Online Retail is a web shop; other files say their channel or leave it unknown
        coalesce(lower(checked.channel), case when checked.load_format = 'online-retail' then 'web' end) as channel,
        checked.store_id,
        checked.product_name,
        checked.category,
        checked.brand,
        checked.country
    from checked
    left join product_kinds on product_kinds.product_id = checked.product_id
)

select * from final
