with

source as (
    select * from {{ source('retail', 'callcenter_contacts') }}
),

renamed as (
    select
        cast(contact_id as varchar) as contact_id,
        cast(contacted_at as timestamp) as contacted_at,
        {{ normalize_phone('phone') }} as phone,
        cast(card_number as varchar) as card_number,
        cast(reason as varchar) as reason
    from source
)

select * from renamed
