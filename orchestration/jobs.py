"""Jobs. The warehouse is one DuckDB file with a single writer, so steps run in one process."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job, in_process_executor

__all__ = ["loyalist_job", "backtest_job", "PIPELINE_JOB", "BACKTEST_JOB"]

PIPELINE_JOB = "loyalist"
BACKTEST_JOB = "backtest"

# only `loyalist backtest` looks past the cut-off
_BACKTEST_ONLY = AssetSelection.assets("backtest_results")

loyalist_job = define_asset_job(
    PIPELINE_JOB,
    selection=AssetSelection.all() - _BACKTEST_ONLY,
    executor_def=in_process_executor,
    description="The whole pipeline: raw data -> dbt marts -> segments, rules, scores -> serving marts.",
)

backtest_job = define_asset_job(
    BACKTEST_JOB,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="The whole pipeline cut at as_of, then its scores against what happened in [as_of, as_of + H).",
)
