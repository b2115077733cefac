"""Fixtures of the ingest tests: a fresh DuckDB warehouse file per test."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture()
def db(tmp_path):
    """An open connection to a new, empty warehouse file in ``tmp_path``."""
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


@pytest.fixture()
def cli_env(tmp_path, monkeypatch):
    """Point `loyalist` at a warehouse and Dagster home in ``tmp_path``; returns the warehouse path."""
    warehouse = tmp_path / "cli" / "loyalist.duckdb"
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return warehouse
