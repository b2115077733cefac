{#
    The basket rules ("bought together") and sequence rules ("bought next, weeks later") with
    product, category or brand names, one row per rule, for the dashboard and for merchandisers.
    Both come from the Python rule assets; the measures that both have share a column.
#}

with

basket as (
    select
        'bought together' as affinity,
        level,
        segment_by,
        segment,
        rule_rank,
        antecedent,
        consequent,
        antecedent_names as antecedent_name,
        consequent_names as consequent_name,
        confidence as probability,
        lift,
        support,
        cast(null as {{ dbt.type_bigint() }}) as customers,
        cast(null as double) as median_gap_weeks
    from {{ source('ml', 'basket_rules') }}
),

sequence as (
    select
        'bought next' as affinity,
        level,
        segment_by,
        segment,
        rule_rank,
        antecedent,
        consequent,
        antecedent_name,
        consequent_name,
        probability,
        lift,
        cast(null as double) as support,
        customers,
        median_gap_weeks
    from {{ source('ml', 'sequence_rules') }}
)

select * from basket
union all
select * from sequence
