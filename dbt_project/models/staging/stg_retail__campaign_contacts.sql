with

source as (
    select * from {{ source('retail', 'campaign_contacts') }}
),

renamed as (
    select
        _batch_id as load_batch_id,
        {{ as_text('contact_id') }} as contact_id,
        {{ as_text('campaign_id') }} as campaign_id,
        {{ normalize_email('email') }} as email,
        {{ as_text('offer') }} as offer,
        cast(sent_at as timestamp) as sent_at,
        cast(opened_at as timestamp) as opened_at,
        cast(clicked_at as timestamp) as clicked_at
    from source
)

select * from renamed
