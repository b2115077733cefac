"""Shared fixtures: one small demo warehouse built end to end through Dagster, reused read-only."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

# Small enough for a quick build, large enough for households, junk identifiers and 3+ segments.
TEST_PEOPLE = 3_000
TEST_SEED = 7


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """Materialise every asset into a fresh DuckDB file under a temp dir; yield what the run left.

    Session-scoped because a full dbt build takes tens of seconds; tests only read from it.
    """
    from dagster import DagsterInstance

    root = tmp_path_factory.mktemp("pipeline")
    warehouse = root / "loyalist.duckdb"
    saved = {k: os.environ.get(k) for k in ("LOYALIST_WAREHOUSE", "DAGSTER_HOME")}
    os.environ["LOYALIST_WAREHOUSE"] = str(warehouse)
    os.environ.pop("DAGSTER_HOME", None)
    try:
        from orchestration.definitions import defs
        from orchestration.jobs import PIPELINE_JOB

        instance = DagsterInstance.ephemeral()
        result = defs.resolve_job_def(PIPELINE_JOB).execute_in_process(
            run_config={"ops": {"raw_data": {"config": {"people": TEST_PEOPLE, "seed": TEST_SEED}}}},
            instance=instance,
            raise_on_error=False,
        )
        yield {"result": result, "instance": instance, "warehouse": warehouse, "demo": root / "demo"}
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture()
def con(pipeline_run):
    """A fresh read-only connection to the test warehouse."""
    connection = duckdb.connect(str(pipeline_run["warehouse"]), read_only=True)
    yield connection
    connection.close()


@pytest.fixture()
def demo_manifest(pipeline_run) -> dict:
    """The generator's manifest of the test demo data."""
    import json

    return json.loads(Path(pipeline_run["demo"], "manifest.json").read_text())
