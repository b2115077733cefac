{#
    Every sales document before as_of with the merged customer behind it: the one place that joins
    an order to its customer, for every mart that needs it. Demo orders come from the order system;
    file-loaded documents are their lines grouped by order id: a document with a sale is an 'order',
    one with only returns (an Online Retail 'C' cancellation) a 'return'. Anonymous receipts keep a
    null customer_id.
#}

with

demo_orders as (
    select * from {{ ref('stg_retail__orders') }}
    where {{ before_as_of('ordered_at') }}
),

file_lines as (
    select * from {{ ref('int_file_lines_as_of') }}
),

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

file_documents as (
    select
        order_id,
        min(source) as source,
        min(source_order_id) as source_order_id,
        case when max(case when line_type = 'sale' then 1 else 0 end) = 1 then 'order' else 'return' end
            as document_type,
        min(ordered_at) as ordered_at,
        max(channel) as channel,
        max(store_id) as store_id,
        max(source_customer_id) as source_customer_id
    from file_lines
    group by order_id
),

final as (
    select
        demo_orders.order_id,
        'demo' as source,
        demo_orders.order_id as source_order_id,
        'order' as document_type,
        demo_orders.ordered_at,
        demo_orders.channel,
        demo_orders.store_id,
        resolved.customer_id
    from demo_orders
    left join resolved
        on resolved.record_type = 'order' and resolved.record_key = demo_orders.order_id
    union all
    select
        file_documents.order_id,
        file_documents.source,
        file_documents.source_order_id,
        file_documents.document_type,
        file_documents.ordered_at,
        file_documents.channel,
        file_documents.store_id,
        resolved.customer_id
    from file_documents
    left join resolved
        on resolved.record_type = 'source_customer'
        and resolved.record_key = file_documents.source_customer_id
)

select * from final
