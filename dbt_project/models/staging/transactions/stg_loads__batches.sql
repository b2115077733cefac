with

source as (
    select * from {{ source('retail', 'load_batches') }}
),

renamed as (
    select
        cast(batch_id as {{ dbt.type_bigint() }}) as batch_id,
        {{ as_text('format') }} as load_format,
        {{ as_text('source') }} as source,
        {{ as_text('file_name') }} as file_name,
        {{ as_text('file_hash') }} as file_hash,
        cast(row_count as {{ dbt.type_bigint() }}) as declared_rows,
        cast(loaded_at as timestamp) as loaded_at
    from source
)

select * from renamed
