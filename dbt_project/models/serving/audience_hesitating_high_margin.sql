{#
    Audience: hesitating about buying in the next weeks (purchase band 'hesitating', by default a
    15-50% probability: the band worth an expensive channel) and among the most profitable buyers
    (margin quintile at least var('audience_min_margin_quintile'), default 5: the top fifth).
#}

with

buyers as (
    select
        *,
        ntile(5) over (order by margin) as margin_quintile
    from {{ ref('customer_360') }}
    where margin is not null
)

select
    customer_id,
    as_of,
    purchase_probability,
    margin,
    cast(margin_quintile as integer) as margin_quintile,
    segment_name,
    next_product_name,
    next_offer_discount
from buyers
where purchase_band = 'hesitating' and margin_quintile >= {{ var('audience_min_margin_quintile') }}
