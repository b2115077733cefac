{#
    Per load batch: the rows its file declared, the rows in raw, and where each went. Reconciled when
    declared = raw = staged + quarantined + superseded (the test assert_load_batches_reconcile and the
    Dagster check load_batches_reconcile fail otherwise). Superseded rows are customer records whose
    key a later export of the same source states again: staging keeps the latest. Staged transaction lines split into sales, returns
    and stock write-offs; non_product_rows counts the staged lines that are postage, fees and the like.
#}

{%- set demo_tables = ['products', 'stores', 'web_accounts', 'loyalty_cards', 'orders', 'order_lines',
                       'returns', 'web_views', 'campaign_contacts', 'callcenter_contacts'] %}

with

batches as (
    select * from {{ ref('stg_loads__batches') }}
),

raw_rows as (
    select _batch_id as load_batch_id, count(*) as raw_rows
    from {{ source('retail', 'transaction_lines') }}
    group by _batch_id
    union all
    select _batch_id, count(*) from {{ source('retail', 'customer_records') }} group by _batch_id
    {%- for table in demo_tables %}
    union all
    select _batch_id, count(*) from {{ source('retail', table) }} group by _batch_id
    {%- endfor %}
),

staged_rows as (
    select load_batch_id, count(*) as staged_rows
    from {{ ref('stg_transactions__lines') }}
    group by load_batch_id
    union all
    select load_batch_id, count(*) from {{ ref('stg_customers__records') }} group by load_batch_id
    {%- for table in demo_tables %}
    union all
    select load_batch_id, count(*) from {{ ref('stg_retail__' ~ table) }} group by load_batch_id
    {%- endfor %}
),

-- customer records re-exported by a later batch of the same source (the same key, as staging trims it)
superseded as (
    select _batch_id as load_batch_id, count(*) as superseded_rows
    from (
        select
            _batch_id,
            max(_batch_id) over (partition by source, trim(record_key)) as latest_batch_id
        from {{ source('retail', 'customer_records') }}
    ) as exports
    where _batch_id < latest_batch_id
    group by _batch_id
),

quarantined as (
    select load_batch_id, count(*) as quarantined_rows
    from {{ ref('quarantined_rows') }}
    group by load_batch_id
),

line_types as (
    select
        load_batch_id,
        sum(case when line_type = 'sale' then 1 else 0 end) as sale_rows,
        sum(case when line_type = 'return' then 1 else 0 end) as return_rows,
        sum(case when line_type = 'write_off' then 1 else 0 end) as write_off_rows,
        sum(case when is_product then 0 else 1 end) as non_product_rows
    from {{ ref('stg_transactions__lines') }}
    group by load_batch_id
),

raw_totals as (
    select load_batch_id, sum(raw_rows) as raw_rows from raw_rows group by load_batch_id
),

staged_totals as (
    select load_batch_id, sum(staged_rows) as staged_rows from staged_rows group by load_batch_id
),

final as (
    select
        batches.batch_id,
        batches.load_format,
        batches.source,
        batches.file_name,
        batches.loaded_at,
        batches.declared_rows,
        cast(coalesce(raw_totals.raw_rows, 0) as {{ dbt.type_bigint() }}) as raw_rows,
        cast(coalesce(staged_totals.staged_rows, 0) as {{ dbt.type_bigint() }}) as staged_rows,
        cast(coalesce(quarantined.quarantined_rows, 0) as {{ dbt.type_bigint() }}) as quarantined_rows,
        cast(coalesce(superseded.superseded_rows, 0) as {{ dbt.type_bigint() }}) as superseded_rows,
        cast(coalesce(line_types.sale_rows, 0) as {{ dbt.type_bigint() }}) as sale_rows,
        cast(coalesce(line_types.return_rows, 0) as {{ dbt.type_bigint() }}) as return_rows,
        cast(coalesce(line_types.write_off_rows, 0) as {{ dbt.type_bigint() }}) as write_off_rows,
        cast(coalesce(line_types.non_product_rows, 0) as {{ dbt.type_bigint() }}) as non_product_rows
    from batches
    left join raw_totals on raw_totals.load_batch_id = batches.batch_id
    left join staged_totals on staged_totals.load_batch_id = batches.batch_id
    left join quarantined on quarantined.load_batch_id = batches.batch_id
    left join superseded on superseded.load_batch_id = batches.batch_id
    left join line_types on line_types.load_batch_id = batches.batch_id
),

reconciled as (
    select
        *,
        -- null-safe: a batch with no declared count must fail, not slip through as unknown
        coalesce(declared_rows = raw_rows and raw_rows = staged_rows + quarantined_rows + superseded_rows, false) as is_reconciled
    from final
)

select * from reconciled
