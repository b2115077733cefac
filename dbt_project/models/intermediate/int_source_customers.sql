{#
    Customers as file-loaded sources know them (Online Retail's CustomerID), one row per source and
    key seen on a sale or return before as_of. Each is an identity record of its own, and the way back
    from a merged customer to the key of the source system (dim_customer_keys).
#}

with

lines as (
    select * from {{ ref('int_file_lines_as_of') }}
    where source_customer_id is not null
),

final as (
    select
        source_customer_id,
        min(source) as source,
        min(source_customer_key) as source_customer_key,
        min(ordered_at) as first_seen_at
    from lines
    group by source_customer_id
)

select * from final
