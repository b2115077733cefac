{#
    Every product code sold before as_of: the demo catalogue (products launched before as_of), then
    the codes that only loaded files know, described by their latest line (name, category, brand,
    list price). Non-product codes (postage, fees: seed non_product_codes) are here too so that every
    line has its product row, flagged is_product = false; product analytics keep is_product only.
#}

with

catalogue as (
    select * from {{ ref('stg_retail__products') }}
    where launched_on is null or {{ before_as_of('launched_on', 'date') }}
),

file_lines as (
    select * from {{ ref('int_file_lines_as_of') }}
),

latest_file_lines as (
    select
        file_lines.*,
        row_number() over (
            partition by product_id
            order by ordered_at desc, load_batch_id desc, source_row desc
        ) as recency_rank
    from file_lines
),

-- the latest non-empty name: a line without one must not blank the product
named as (
    select
        product_id,
        product_name,
        row_number() over (
            partition by product_id
            order by ordered_at desc, load_batch_id desc, source_row desc
        ) as name_rank
    from file_lines
    where product_name is not null
),

file_products as (
    select
        latest_file_lines.product_id,
        trim(named.product_name) as product_name,
        {{ as_text('null') }} as department,
        latest_file_lines.category,
        latest_file_lines.brand,
        {{ as_text('null') }} as target_gender,
        latest_file_lines.unit_list_price as list_price,
        cast(null as double) as unit_cost,
        cast(null as date) as launched_on,
        latest_file_lines.is_product,
        latest_file_lines.line_kind
    from latest_file_lines
    left join named on named.product_id = latest_file_lines.product_id and named.name_rank = 1
    -- an anti join: codes the catalogue already describes keep the catalogue's row
    left join catalogue on catalogue.product_id = latest_file_lines.product_id
    where latest_file_lines.recency_rank = 1
        and catalogue.product_id is null
),

unioned as (
    select
        product_id,
        product_name,
        department,
        category,
        brand,
        target_gender,
        list_price,
        unit_cost,
        launched_on,
        true as is_product,
        'product' as line_kind
    from catalogue
    union all
    select * from file_products
),

final as (
    select
        product_id,
        product_name,
        department,
        category,
        brand,
        target_gender,
        is_product,
        line_kind,
        list_price,
        unit_cost,
        case when list_price > 0 then (list_price - unit_cost) / list_price end as margin_rate,
        launched_on
    from unioned
)

select * from final
