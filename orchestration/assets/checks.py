"""Python asset checks on what dbt built: data quality the operator sees in the Dagster UI."""


from dagster import AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.dbt import warehouse_models
from orchestration.project import model_relation
from orchestration.warehouse import WarehouseResource

__all__ = ["load_batches_reconcile"]

_RECONCILIATION = get_asset_key_for_model([warehouse_models], "load_reconciliation")


@asset_check(
    asset=_RECONCILIATION,
    name="load_batches_reconcile",
    description=(
        "Nothing is silently lost: for every load batch, rows declared by the loader = rows in raw = "
        "rows staged + rows quarantined. Reports the quarantine reasons and their counts."
    ),
)
def load_batches_reconcile(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Fail when any load batch does not reconcile; list every batch and the quarantine by reason."""
    with warehouse.connect(read_only=True) as con:
        batches = con.sql(
            "select batch_id, load_format, source, file_name, declared_rows, raw_rows, staged_rows, "
            "quarantined_rows, superseded_rows, sale_rows, return_rows, write_off_rows, non_product_rows, is_reconciled "
            f"from {model_relation('load_reconciliation')} order by batch_id"
        ).df()
        reasons = con.sql(
            f"select reason, count(*) as rows from {model_relation('quarantined_rows')} group by reason order by rows desc"
        ).df()
    broken = batches[~batches["is_reconciled"].astype(bool)]
    return AssetCheckResult(
        passed=broken.empty,
        severity=AssetCheckSeverity.ERROR,
        description=None if broken.empty else f"batches not reconciled: {', '.join(map(str, broken['batch_id']))}",
        metadata={
            "batches": len(batches),
            "raw_rows": int(batches["raw_rows"].sum()),
            "quarantined_rows": int(batches["quarantined_rows"].sum()),
            "write_off_rows": int(batches["write_off_rows"].sum()),
            "by_batch": MetadataValue.md(batches.to_markdown(index=False)),
            "quarantine_by_reason": MetadataValue.md(reasons.to_markdown(index=False) if len(reasons) else "none"),
        },
    )
