"""Helpers for the Online Retail tests: the real file, the real loader, the real Dagster job."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from orchestration.settings import REPO_ROOT

ONLINE_RETAIL = REPO_ROOT.parent / "shared" / "data" / "uci_online_retail" / "online_retail.parquet"


def run_pipeline(warehouse: Path, as_of: str | None = None):
    """Materialise every asset into ``warehouse`` (already loaded), cut at ``as_of``; return the result."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB

    saved = os.environ.get("LOYALIST_WAREHOUSE")
    os.environ["LOYALIST_WAREHOUSE"] = str(warehouse)
    try:
        run_config = {"resources": {"cutoff": {"config": {"as_of": as_of}}}} if as_of else {}
        return defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            run_config=run_config, instance=DagsterInstance.ephemeral(), raise_on_error=False
        )
    finally:
        if saved is None:
            os.environ.pop("LOYALIST_WAREHOUSE", None)
        else:
            os.environ["LOYALIST_WAREHOUSE"] = saved


def load(warehouse: Path, path: Path, fmt: str = "online-retail"):
    """Append ``path`` to the warehouse's raw log with the real loader."""
    from ingest.load import load_file

    con = duckdb.connect(str(warehouse))
    try:
        return load_file(con, fmt, path)
    finally:
        con.close()


