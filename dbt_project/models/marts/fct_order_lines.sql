{#
    Sales and returns as separate, immutable facts before as_of: a return is a later event with
    negative quantity and amount, so summing any measure over the rows nets returns out. Demo sales
    and returns come from the order system; file-loaded lines (Online Retail, `transactions`) bring
    their own returns (a cancellation is a return of the customer's product, not linked to the sold
    line). Non-product lines (postage, fees, adjustments: seed non_product_codes) stay in, flagged
    is_product = false, so revenue reconciles; product analytics filter them out. Stock write-offs
    are not customer events and stay out.
#}

with

orders as (
    select * from {{ ref('int_orders_identified') }}
),

order_lines as (
    select * from {{ ref('stg_retail__order_lines') }}
),

returns as (
    select * from {{ ref('stg_retail__returns') }}
    where {{ before_as_of('returned_at') }}
),

products as (
    select * from {{ ref('stg_retail__products') }}
),

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

file_lines as (
    select * from {{ ref('int_file_lines_as_of') }}
),

sales as (
    select
        {{ dbt.concat(["'S-'", "order_lines.order_line_id"]) }} as line_event_id,
        'sale' as event_type,
        'demo' as source,
        order_lines.order_line_id,
        orders.order_id,
        orders.customer_id,
        orders.channel,
        orders.ordered_at as event_at,
        order_lines.product_id,
        true as is_product,
        order_lines.quantity,
        order_lines.unit_list_price,
        order_lines.unit_price,
        order_lines.discount_pct,
        order_lines.promotion_id,
        order_lines.quantity * order_lines.unit_price as amount,
        order_lines.quantity * products.unit_cost as cost
    from order_lines
    -- orders before as_of only: the join is the cut
    inner join orders on orders.order_id = order_lines.order_id
    left join products on products.product_id = order_lines.product_id
),

returned as (
    select
        {{ dbt.concat(["'R-'", "returns.return_id"]) }} as line_event_id,
        'return' as event_type,
        sales.source,
        sales.order_line_id,
        sales.order_id,
        sales.customer_id,
        returns.channel,
        returns.returned_at as event_at,
        sales.product_id,
        sales.is_product,
        -returns.quantity as quantity,
        sales.unit_list_price,
        sales.unit_price,
        sales.discount_pct,
        sales.promotion_id,
        -returns.quantity * sales.unit_price as amount,
        -returns.quantity * (sales.cost / sales.quantity) as cost
    from returns
    inner join sales on sales.order_line_id = returns.order_line_id
),

loaded as (
    select
        file_lines.line_id as line_event_id,
        file_lines.line_type as event_type,
        file_lines.source,
        file_lines.line_id as order_line_id,
        orders.order_id,
        -- the line's own customer: a document whose lines name different customers stays right
        line_customers.customer_id,
        file_lines.channel,
        file_lines.ordered_at as event_at,
        file_lines.product_id,
        file_lines.is_product,
        file_lines.quantity,
        file_lines.unit_list_price,
        file_lines.unit_price,
        file_lines.discount_pct,
        {{ as_text('null') }} as promotion_id,
        file_lines.quantity * file_lines.unit_price as amount,
        -- files carry no unit cost: margin stays unknown rather than made up
        cast(null as double) as cost
    from file_lines
    inner join orders on orders.order_id = file_lines.order_id
    left join resolved as line_customers
        on line_customers.record_type = 'source_customer'
        and line_customers.record_key = file_lines.source_customer_id
),

unioned as (
    select * from sales
    union all
    select * from returned
    union all
    select * from loaded
),

final as (
    select
        line_event_id,
        event_type,
        source,
        order_line_id,
        order_id,
        customer_id,
        channel,
        event_at,
        product_id,
        is_product,
        quantity,
        unit_list_price,
        unit_price,
        discount_pct,
        promotion_id,
        amount,
        cost,
        amount - cost as margin
    from unioned
)

select * from final
