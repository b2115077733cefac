"""Dagster Definitions: wiring only."""

from dagster import Definitions, in_process_executor

from orchestration.assets.dbt import serving_models, warehouse_models
from orchestration.assets.checks import load_batches_reconcile
from orchestration.assets.raw import raw_data
from orchestration.assets.segmentation import segmentation
from orchestration.jobs import loyalist_job
from orchestration.resources import build_resources

defs = Definitions(
    assets=[raw_data, warehouse_models, segmentation, serving_models],
    asset_checks=[load_batches_reconcile],
    jobs=[loyalist_job],
    resources=build_resources(),
    # one writer per DuckDB file: materialisations started from the UI run in-process too
    executor=in_process_executor,
)
