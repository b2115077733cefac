{#
    Stable customer ids. Each graph node gets the id its cluster had in the id registry
    (identity_customer_registry, written by earlier runs), so more events never renumber a customer:
      - a cluster whose nodes were all registered under one id keeps it;
      - a new cluster (no registered node) gets a new id, a hash of its smallest node and the number of
        earlier runs, so it can never collide with an id handed out before;
      - a merge (a cluster holding nodes of several ids) keeps the oldest id; the others retire;
      - a split (an id's nodes now in several clusters) leaves the id with the largest part; the
        other parts keep another id they hold or get new ones.
    Merges and splits become identity_events. A backtest (as_of before the latest run) reads only the
    registry rows of runs as of that date or earlier, so it sees the ids that were current then. The
    registry is read by name, not ref(), because it is written from this model further down the run.
#}

{%- set registry = existing_relation(this.schema, 'identity_customer_registry') %}
{%- set events = existing_relation(this.schema, 'identity_events') %}

with

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

{% if registry -%}
-- the registry as it stood at this run's as_of: a backtest sees the ids of its time
registry as (
    select node_id, customer_id, assigned_at from {{ registry }}
    where effective_date <= {{ identity_effective_date() }}
),
{%- else -%}
-- first run: nothing registered yet
registry as (
    select {{ as_text('null') }} as node_id, {{ as_text('null') }} as customer_id, cast(null as timestamp) as assigned_at
    where 1 = 0
),
{%- endif %}

{% if events -%}
-- a node that left the graph (suppressed, or no longer exported) while its id was merged away keeps
-- that retired id in the registry: when it comes back it joins the customer the id was merged into
merged as (
    select from_customer_id, max(to_customer_id) as to_customer_id
    from {{ events }}
    where event_type = 'merge' and effective_date <= {{ identity_effective_date() }}
    group by from_customer_id
),
{%- else -%}
merged as (
    select {{ as_text('null') }} as from_customer_id, {{ as_text('null') }} as to_customer_id
    where 1 = 0
),
{%- endif %}

registered as (
    select ranked.node_id, coalesce(merged.to_customer_id, ranked.customer_id) as customer_id
    from (
        select
            node_id,
            customer_id,
            row_number() over (partition by node_id order by assigned_at desc) as recency
        from registry
    ) as ranked
    left join merged on merged.from_customer_id = ranked.customer_id
    where ranked.recency = 1
),

-- when each id was first handed out: the older id survives a merge
minted as (
    select customer_id, min(assigned_at) as first_assigned_at
    from registry
    group by customer_id
),

runs as (
    select count(distinct assigned_at) as previous_runs from registry
),

nodes as (
    select clusters.node_id, clusters.cluster_key, registered.customer_id as prior_customer_id
    from clusters
    left join registered on registered.node_id = clusters.node_id
),

claims as (
    select cluster_key, prior_customer_id, count(*) as claimed_nodes
    from nodes
    where prior_customer_id is not null
    group by cluster_key, prior_customer_id
),

-- an id stays with the cluster holding most of its nodes (ties: the smaller cluster key)
kept as (
    select cluster_key, prior_customer_id
    from (
        select
            cluster_key,
            prior_customer_id,
            row_number() over (partition by prior_customer_id order by claimed_nodes desc, cluster_key) as claim_rank
        from claims
    ) as ranked
    where claim_rank = 1
),

chosen as (
    select cluster_key, customer_id
    from (
        select
            kept.cluster_key,
            kept.prior_customer_id as customer_id,
            row_number() over (
                partition by kept.cluster_key order by minted.first_assigned_at, kept.prior_customer_id
            ) as age_rank
        from kept
        inner join minted on minted.customer_id = kept.prior_customer_id
    ) as ranked
    where age_rank = 1
),

final as (
    select
        nodes.node_id,
        nodes.cluster_key,
        nodes.prior_customer_id,
        coalesce(
            chosen.customer_id,
            {{ dbt.hash(dbt.concat(["nodes.cluster_key", "'/'", as_text("runs.previous_runs")])) }}
        ) as customer_id
    from nodes
    left join chosen on chosen.cluster_key = nodes.cluster_key
    cross join runs
)

select * from final
