"""Jobs. The warehouse is one DuckDB file with a single writer, so steps run in one process."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

__all__ = ["loyalist_job", "PIPELINE_JOB"]

PIPELINE_JOB = "loyalist"

loyalist_job = define_asset_job(
    PIPELINE_JOB,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="The whole pipeline: raw data -> dbt marts -> segmentation -> serving marts.",
)
