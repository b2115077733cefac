"""Helpers shared by the warehouse tests: tables read into comparable frames."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pandas as pd


def snapshot_tables(warehouse: Path, tables: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Each ``schema.table`` of ``warehouse`` as a frame sorted on every column, so two builds compare equal."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frames = {}
        for table in tables:
            frame = con.sql(f"select * from {table}").df()
            frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return frames
    finally:
        con.close()


def run_backtest(warehouse: Path, as_of, horizon_days: int = 14):
    """`loyalist backtest --as-of ... --horizon-days ...` on ``warehouse`` in its own process (as a
    user runs it); returns the finished process and that backtest's rows of ml.backtest_results."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "LOYALIST_WAREHOUSE": str(warehouse), "DAGSTER_HOME": str(Path(warehouse).parent / "dagster")}
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "backtest", "--as-of", str(as_of), "--horizon-days", str(horizon_days),
         "--log-level", "WARNING"], capture_output=True, text=True, env=env,
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        exists = con.sql("select count(*) from information_schema.tables where table_schema = 'ml' "
                         "and table_name = 'backtest_results'").fetchall()[0][0]
        results = con.sql("select * from ml.backtest_results where as_of = ? and horizon_days = ?",
                          params=[pd.Timestamp(as_of).date(), horizon_days]).df() if exists else pd.DataFrame()
    finally:
        con.close()
    return done, results


def beats_best_baseline(results: pd.DataFrame, task: str, metric: str) -> bool:
    """True when the model's ``metric`` is at least every baseline's in one backtest's results."""
    part = results[(results["task"] == task) & (results["metric"] == metric)].set_index("model")["value"]
    return bool(part["model"] >= part.drop("model").max())
