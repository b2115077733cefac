"""Plots of the dbt lifecycle marts (cohort retention, RFM segment migration) for people."""


from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_dbt import get_asset_key_for_model

from ml.plots import cohort_retention_figure, migration_figure
from orchestration.assets.dbt import warehouse_models
from orchestration.assets.segmentation import png_metadata
from orchestration.project import model_relation
from orchestration.warehouse import WarehouseResource

__all__ = ["lifecycle_plots"]

_COHORTS = get_asset_key_for_model([warehouse_models], "cohort_retention")
_MIGRATION = get_asset_key_for_model([warehouse_models], "rfm_segment_migration")


@asset(
    deps=[_COHORTS, _MIGRATION],
    group_name="segmentation",
    kinds={"python", "matplotlib"},
    owners=["team:data-science"],
)
def lifecycle_plots(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """The cohort retention heatmap and the RFM segment migration matrix, as PNG files and metadata.

    Reads the marts cohort_retention and rfm_segment_migration; draws nothing new into the warehouse.
    """
    with warehouse.connect(read_only=True) as con:
        cohorts = con.sql(f"select * from {model_relation('cohort_retention')}").df()
        migration = con.sql(f"select * from {model_relation('rfm_segment_migration')}").df()
    moved = migration.loc[migration["from_segment"] != migration["to_segment"], "customers"].sum()
    return MaterializeResult(
        metadata={
            "cohorts": int(cohorts["cohort_month"].nunique()),
            "customers_who_changed_segment": int(moved),
            "migration": MetadataValue.md(migration.to_markdown(index=False, floatfmt=".3f")),
            **png_metadata(cohort_retention_figure(cohorts), "cohort_retention", warehouse),
            **png_metadata(migration_figure(migration), "segment_migration", warehouse),
        }
    )
