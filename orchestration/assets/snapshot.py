"""The dashboard's copy of the serving marts (orchestration.snapshot), published after each run."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_dbt import get_asset_key_for_model

from orchestration import settings
from orchestration.assets.dbt import serving_models
from orchestration.project import exposure_models, model_relation
from orchestration.snapshot import publish_snapshot
from orchestration.warehouse import WarehouseResource

__all__ = ["dashboard_snapshot", "DASHBOARD_EXPOSURE"]

#: The dbt exposure that declares what the dashboard reads: its models are what gets copied.
DASHBOARD_EXPOSURE = "loyalist_dashboard"


@asset(
    deps=[get_asset_key_for_model([serving_models], name) for name in exposure_models(DASHBOARD_EXPOSURE)],
    group_name="serving",
    kinds={"python", "duckdb"},
    owners=["team:analytics-engineering"],
)
def dashboard_snapshot(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """A read-only copy of the serving marts the dashboard reads (the models of the dbt exposure
    loyalist_dashboard), written beside the warehouse and renamed into place in one step, so the
    dashboard keeps serving while a run rewrites the warehouse."""
    target = settings.snapshot_path(warehouse.resolved_path)
    relations = {name: model_relation(name) for name in exposure_models(DASHBOARD_EXPOSURE)}
    with warehouse.connect() as con:
        rows = publish_snapshot(con, relations, target)
    return MaterializeResult(metadata={
        "path": str(target),
        "tables": MetadataValue.md("\n".join(f"- {name}: {count:,} rows" for name, count in rows.items())),
    })
