with

source as (
    select * from {{ source('retail', 'callcenter_contacts') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('contact_id') }} as contact_id,
        cast(contacted_at as timestamp) as contacted_at,
        {{ normalize_phone('phone') }} as phone,
        {{ as_text('card_number') }} as card_number,
        {{ as_text('reason') }} as reason
    from source
)

select * from renamed
