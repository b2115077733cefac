{#
    Nothing is silently lost: for every load batch, the rows its file declared = the rows in raw =
    rows staged + rows quarantined. Returns the batches that do not add up.
#}

{{ config(meta={'dagster': {'ref': {'name': 'load_reconciliation'}}}) }}

select *
from {{ ref('load_reconciliation') }}
where not is_reconciled
