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
