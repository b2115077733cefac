{#
    One row per merged customer with what a marketer and the segmentation need to know, as of
    var('as_of'): every input is already cut there (fct_order_lines, fct_orders, dim_customers), so
    a run as of T never sees a later event. Customers who have not bought yet keep a row (their
    purchase measures are 0 or null) so every customer can get a segment.

    Conventions: shares are in [0, 1] and null when their denominator is 0 (a customer with no
    campaign e-mail has no open rate, not a rate of 0); "lines" are product lines of sales
    (postage and fees left out); amounts are net of discounts; monetary and margin are net of
    returns (customer_rfm's definitions, reused, not recomputed).
#}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where customer_id is not null and document_type = 'order'
),

line_events as (
    select * from {{ ref('fct_order_lines') }}
    where customer_id is not null and is_product
),

products as (
    select * from {{ ref('dim_products') }}
),

calls as (
    select * from {{ ref('stg_retail__callcenter_contacts') }}
    where {{ before_as_of('contacted_at') }}
),

resolved as (
    select * from {{ ref('int_records_resolved') }}
),

city_sizes as (
    select * from {{ ref('city_size_bands') }}
),

{# the same cut-off as customer_rfm: as_of, or the day after the latest event when the run is not cut #}
as_of as (
    {{ measured_as_of(ref('fct_order_lines')) }}
),

-- without promotion ids there are no windows, and then "bought on a sale day" is unknown (null)
promotion_windows as (
    {{ promotion_windows(ref('fct_order_lines')) }}
),

promotion_calendar as (
    select count(*) as promotions from promotion_windows
),

promotion_day_orders as (
    select orders.customer_id, count(distinct orders.order_id) as promotion_day_orders
    from orders
    inner join promotion_windows
        on orders.order_date >= promotion_windows.starts_on and orders.order_date <= promotion_windows.ends_on
    group by orders.customer_id
),

-- distinct order days: two receipts on one day are one shopping trip, not a gap of 0 days
order_days as (
    select distinct customer_id, order_date from orders
),

gaps as (
    select
        customer_id,
        cast({{ dbt.datediff('previous_date', 'order_date', 'day') }} as double) as gap_days
    from (
        select
            customer_id,
            order_date,
            lag(order_date) over (partition by customer_id order by order_date) as previous_date
        from order_days
    ) as consecutive
    where previous_date is not null
),

gap_stats as (
    select
        customer_id,
        avg(gap_days) as mean_days_between_orders,
        {{ median('gap_days') }} as median_days_between_orders
    from gaps
    group by customer_id
),

baskets as (
    select
        customer_id,
        count(*) as orders,
        min(order_date) as first_order_date,
        sum(sales_amount) as sales_amount,
        sum(units) as units,
        sum(case when channel = 'web' then 1 else 0 end) as web_orders,
        sum(case when channel = 'store' then 1 else 0 end) as store_orders
    from orders
    group by customer_id
),

sold_lines as (
    select
        line_events.customer_id,
        line_events.amount,
        line_events.quantity,
        line_events.discount_pct,
        products.department,
        products.category,
        products.brand,
        -- "new" = launched less than var('new_product_days') days before it was bought
        case
            when products.launched_on is null then null
            when {{ dbt.datediff('products.launched_on', 'cast(line_events.event_at as date)', 'day') }}
                < {{ var('new_product_days') }} then 1
            else 0
        end as is_new_product
    from line_events
    left join products on products.product_id = line_events.product_id
    where line_events.event_type = 'sale'
),

line_stats as (
    select
        customer_id,
        count(*) as product_lines,
        sum(quantity) as sold_units,
        avg(case when discount_pct > 0 then 1.0 else 0.0 end) as discount_line_share,
        avg(case when discount_pct > 0 then discount_pct end) as mean_discount_taken,
        avg(cast(is_new_product as double)) as new_product_share,
        cast(sum(case when is_new_product = 1 and discount_pct = 0 then 1 else 0 end) as {{ dbt.type_bigint() }}) as full_price_new_lines
    from sold_lines
    group by customer_id
),

returned as (
    select customer_id, -sum(quantity) as returned_units
    from line_events
    where event_type = 'return'
    group by customer_id
),

{% for level in ['department', 'category', 'brand'] %}
{{ level }}_spend as (
    select customer_id, {{ level }} as favourite, sum(amount) as spend
    from sold_lines
    where {{ level }} is not null
    group by customer_id, {{ level }}
),

favourite_{{ level }} as (
    select customer_id, favourite, spend / nullif(total, 0) as share
    from (
        select
            customer_id,
            favourite,
            spend,
            sum(spend) over (partition by customer_id) as total,
            -- ties go to the name that sorts first, so the favourite does not depend on row order
            row_number() over (partition by customer_id order by spend desc, favourite) as spend_rank
        from {{ level }}_spend
    ) as ranked
    where spend_rank = 1
),
{% endfor %}

contacts as (
    select resolved.customer_id, count(*) as callcenter_contacts
    from calls
    inner join resolved
        on resolved.record_type = 'callcenter_contact' and resolved.record_key = calls.contact_id
    group by resolved.customer_id
),

final as (
    select
        customers.customer_id,
        as_of.as_of,
        rfm.recency_days,
        coalesce(rfm.frequency, 0) as frequency,
        coalesce(rfm.monetary, 0) as monetary,
        rfm.margin,
        rfm.margin / nullif(rfm.monetary, 0) as margin_rate,
        cast({{ dbt.datediff('baskets.first_order_date', 'as_of.as_of', 'day') }} as {{ dbt.type_bigint() }})
            as tenure_days,
        gap_stats.mean_days_between_orders,
        gap_stats.median_days_between_orders,
        baskets.sales_amount / nullif(baskets.orders, 0) as avg_basket_value,
        cast(baskets.units as double) / nullif(baskets.orders, 0) as avg_basket_units,
        coalesce(line_stats.product_lines, 0) as product_lines,
        line_stats.discount_line_share,
        line_stats.mean_discount_taken,
        line_stats.new_product_share,
        1 - line_stats.new_product_share as long_listed_share,
        case when line_stats.new_product_share is not null then line_stats.full_price_new_lines end
            as full_price_new_lines,
        case when promotion_calendar.promotions > 0 then coalesce(promotion_day_orders.promotion_day_orders, 0) end
            as promotion_day_orders,
        case when promotion_calendar.promotions > 0 then
            cast(coalesce(promotion_day_orders.promotion_day_orders, 0) as double) / nullif(baskets.orders, 0)
        end as promotion_day_order_share,
        favourite_department.favourite as favourite_department,
        favourite_department.share as favourite_department_share,
        favourite_category.favourite as favourite_category,
        favourite_category.share as favourite_category_share,
        favourite_brand.favourite as favourite_brand,
        favourite_brand.share as favourite_brand_share,
        coalesce(contacts.callcenter_contacts, 0) as callcenter_contacts,
        -- channel mix over every touch: web orders, store orders and calls to the contact center
        cast(coalesce(baskets.web_orders, 0) as double)
            / nullif(coalesce(baskets.orders, 0) + coalesce(contacts.callcenter_contacts, 0), 0) as web_share,
        cast(coalesce(baskets.store_orders, 0) as double)
            / nullif(coalesce(baskets.orders, 0) + coalesce(contacts.callcenter_contacts, 0), 0) as store_share,
        cast(coalesce(contacts.callcenter_contacts, 0) as double)
            / nullif(coalesce(baskets.orders, 0) + coalesce(contacts.callcenter_contacts, 0), 0) as callcenter_share,
        -- returned units of the units bought before as_of, at most 1: a file source's cancellations
        -- are not tied to a sold line and may return goods bought before the file starts
        least(cast(coalesce(returned.returned_units, 0) as double) / nullif(line_stats.sold_units, 0), 1.0)
            as return_rate,
        customers.web_views,
        cast({{ dbt.datediff('cast(customers.last_web_view_at as date)', 'as_of.as_of', 'day') }} as {{ dbt.type_bigint() }})
            as days_since_last_web_view,
        customers.campaign_emails,
        cast(customers.campaign_opens as double) / nullif(customers.campaign_emails, 0) as campaign_open_rate,
        cast(customers.campaign_clicks as double) / nullif(customers.campaign_emails, 0) as campaign_click_rate,
        customers.gender,
        case
            when customers.birth_year is null then null
            when {{ age('customers.birth_year', 'as_of.as_of') }} < 25 then 'under 25'
            when {{ age('customers.birth_year', 'as_of.as_of') }} < 35 then '25-34'
            when {{ age('customers.birth_year', 'as_of.as_of') }} < 45 then '35-44'
            when {{ age('customers.birth_year', 'as_of.as_of') }} < 55 then '45-54'
            when {{ age('customers.birth_year', 'as_of.as_of') }} < 65 then '55-64'
            else '65 and over'
        end as age_band,
        customers.city,
        city_sizes.size_band as city_size_band
    from customers
    cross join as_of
    cross join promotion_calendar
    left join rfm on rfm.customer_id = customers.customer_id
    left join baskets on baskets.customer_id = customers.customer_id
    left join gap_stats on gap_stats.customer_id = customers.customer_id
    left join line_stats on line_stats.customer_id = customers.customer_id
    left join promotion_day_orders on promotion_day_orders.customer_id = customers.customer_id
    left join returned on returned.customer_id = customers.customer_id
    left join favourite_department on favourite_department.customer_id = customers.customer_id
    left join favourite_category on favourite_category.customer_id = customers.customer_id
    left join favourite_brand on favourite_brand.customer_id = customers.customer_id
    left join contacts on contacts.customer_id = customers.customer_id
    left join city_sizes on city_sizes.city = customers.city
)

select * from final
