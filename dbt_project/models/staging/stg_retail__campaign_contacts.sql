with

source as (
    select * from {{ source('retail', 'campaign_contacts') }}
),

renamed as (
    select
        cast(contact_id as varchar) as contact_id,
        cast(campaign_id as varchar) as campaign_id,
        {{ normalize_email('email') }} as email,
        cast(offer as varchar) as offer,
        cast(sent_at as timestamp) as sent_at,
        cast(opened_at as timestamp) as opened_at,
        cast(clicked_at as timestamp) as clicked_at
    from source
)

select * from renamed
