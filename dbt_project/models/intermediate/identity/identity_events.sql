{#
    Append-only facts about customer ids: when two customers became one (merge) or one became two
    (split), and why. One row per (from, to) pair of ids per run:
      merge  every node of from_customer_id now belongs to to_customer_id, which is the older id;
             reason lists the link types that joined them ('email', 'phone', 'probabilistic', ...);
      split  some nodes left from_customer_id (which lives on) for to_customer_id; reason says why the
             link is gone (the identifier was suppressed, the component went over the size cap).
    full_refresh = false keeps the history. A backtest run (as of a date before the latest recorded)
    appends nothing. Built before the registry (which waits for it), so a failure between the two can
    repeat an event on the next run but never lose one.
#}


{{ config(materialized='incremental', full_refresh=false) }}

with

assigned as (
    select * from {{ ref('int_customer_ids_assigned') }}
),

clusters as (
    select * from {{ ref('int_identity_clusters') }}
),

edges as (
    select * from {{ ref('int_identifier_edges_built') }}
),

moved as (
    select node_id, prior_customer_id as from_customer_id, customer_id as to_customer_id
    from assigned
    where prior_customer_id is not null and prior_customer_id <> customer_id
),

transitions as (
    select from_customer_id, to_customer_id, count(*) as nodes_moved
    from moved
    group by from_customer_id, to_customer_id
),

surviving as (
    select distinct customer_id from assigned
),

-- merges: the links from a moved node to a node that was not under the same old id
merge_links as (
    select distinct moved.from_customer_id, moved.to_customer_id, edges.link_type
    from moved
    inner join edges on edges.node_id = moved.node_id and edges.neighbour_id <> moved.node_id
    inner join assigned as neighbour on neighbour.node_id = edges.neighbour_id
    where neighbour.prior_customer_id is null or neighbour.prior_customer_id <> moved.from_customer_id
),

-- splits: the moved nodes sit in a capped component, or a node of the old id lost its link
split_causes as (
    select distinct moved.from_customer_id, moved.to_customer_id, 'component_over_size_cap' as cause
    from moved
    inner join clusters on clusters.node_id = moved.node_id
    where clusters.is_over_size_cap
),

reasons as (
    select from_customer_id, to_customer_id, {{ dbt.listagg('link_type', "', '", 'order by link_type') }} as reason
    from merge_links
    group by from_customer_id, to_customer_id
),

split_reasons as (
    select from_customer_id, to_customer_id, {{ dbt.listagg('cause', "', '", 'order by cause') }} as reason
    from split_causes
    group by from_customer_id, to_customer_id
),

events as (
    select
        {{ identity_run_at() }} as event_at,
        {{ identity_effective_date() }} as effective_date,
        case when surviving.customer_id is null then 'merge' else 'split' end as event_type,
        transitions.from_customer_id,
        transitions.to_customer_id,
        transitions.nodes_moved,
        case
            when surviving.customer_id is null
                then {{ dbt.concat(["'linked by '", "coalesce(reasons.reason, 'a record that joins them')"]) }}
            else {{ dbt.concat(["'no longer linked: '", "coalesce(split_reasons.reason, 'identifier suppressed or link removed')"]) }}
        end as reason
    from transitions
    left join surviving on surviving.customer_id = transitions.from_customer_id
    left join reasons
        on reasons.from_customer_id = transitions.from_customer_id
        and reasons.to_customer_id = transitions.to_customer_id
    left join split_reasons
        on split_reasons.from_customer_id = transitions.from_customer_id
        and split_reasons.to_customer_id = transitions.to_customer_id
)

select * from events
{% if is_incremental() -%}
{%- set registry = existing_relation(this.schema, 'identity_customer_registry') %}
{%- if registry %}
-- read by name: the registry is appended after this model, in the same run
where {{ identity_advances(registry) }}
{%- endif %}
{%- endif %}
