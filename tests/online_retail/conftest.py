"""Online Retail (UCI, 541,909 lines) loaded with `loyalist load` and run through the whole pipeline."""

from __future__ import annotations

import duckdb
import pytest
from or_testkit import ONLINE_RETAIL, load, run_pipeline


@pytest.fixture(scope="session")
def online_retail_run(tmp_path_factory):
    """The real file loaded into a fresh warehouse and the whole pipeline run on it (no as_of)."""
    assert ONLINE_RETAIL.exists(), f"Online Retail not found at {ONLINE_RETAIL} (../shared must sit beside the repo)"
    warehouse = tmp_path_factory.mktemp("online_retail") / "loyalist.duckdb"
    loaded = load(warehouse, ONLINE_RETAIL)
    result = run_pipeline(warehouse)
    return {"warehouse": warehouse, "loaded": loaded, "result": result}


@pytest.fixture()
def or_con(online_retail_run):
    """Read-only connection to the Online Retail warehouse."""
    connection = duckdb.connect(str(online_retail_run["warehouse"]), read_only=True)
    yield connection
    connection.close()
