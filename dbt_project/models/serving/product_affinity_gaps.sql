{#
    The gap histogram of every sequence rule ("bought A, buys B within W weeks"): how many pairs
    of a customer's A day and later B day fall at each gap in whole weeks (ml.sequence_gap_histogram,
    weeks without pairs left out), with the rule's rank and names as product_affinities shows
    them. The rule is looked up with a left join, so a histogram whose rule is missing from
    product_affinities keeps its row with null names and fails the not_null tests. The keys are
    cast: a run that finds no sequence rule writes an empty table whose columns have no type.
#}

with

gaps as (
    select * from {{ source('ml', 'sequence_gap_histogram') }}
),

rules as (
    select * from {{ ref('product_affinities') }}
    where affinity = 'bought next'
)

select
    cast(gaps.level as {{ dbt.type_string() }}) as level,
    cast(gaps.segment_by as {{ dbt.type_string() }}) as segment_by,
    cast(gaps.segment as {{ dbt.type_string() }}) as segment,
    rules.rule_rank,
    cast(gaps.antecedent as {{ dbt.type_string() }}) as antecedent,
    cast(gaps.consequent as {{ dbt.type_string() }}) as consequent,
    rules.antecedent_name,
    rules.consequent_name,
    cast(gaps.gap_weeks as integer) as gap_weeks,
    cast(gaps.order_pairs as {{ dbt.type_bigint() }}) as order_pairs
from gaps
left join rules
    on rules.level = gaps.level
    and rules.segment_by = gaps.segment_by
    and rules.segment = gaps.segment
    and rules.antecedent = gaps.antecedent
    and rules.consequent = gaps.consequent
