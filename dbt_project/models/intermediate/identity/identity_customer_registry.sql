{#
    The id registry: append-only history of which customer id each graph node was assigned. A run
    appends a row only for nodes that are new or moved to another customer, so the latest row per
    node is its current id (int_customer_ids_assigned reads it). full_refresh = false: even
    `dbt build --full-refresh` keeps the history, because dropping it would renumber every customer.
    A backtest (a run as of a date before the latest one recorded) reads it but appends nothing.
#}

{{ config(materialized='incremental', full_refresh=false) }}

-- after identity_events, which compares with the registry as it was before this run
-- depends_on: {{ ref('identity_events') }}

with

assigned as (
    select * from {{ ref('int_customer_ids_assigned') }}
),

changed as (
    select
        node_id,
        customer_id,
        {{ identity_run_at() }} as assigned_at,
        {{ identity_effective_date() }} as effective_date
    from assigned
    where prior_customer_id is null or prior_customer_id <> customer_id
)

select * from changed
{% if is_incremental() -%}
where {{ identity_advances(this) }}
{%- endif %}
