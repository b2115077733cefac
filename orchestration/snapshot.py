"""A read-only copy of the serving marts for the dashboard, published atomically.

DuckDB allows one writer per file, and a reader of the warehouse would also block the next run
from opening it for writing. So the dashboard never opens the warehouse: after each run, the
serving marts are copied into a file of their own, written under a temporary name and renamed
over the previous copy. A rename is atomic: a reader sees the old copy or the new one, never a
half-written file, and a connection already open keeps reading the copy it opened.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

__all__ = ["publish_snapshot", "open_snapshot"]


def publish_snapshot(con: duckdb.DuckDBPyConnection, relations: dict[str, str], target: Path) -> dict[str, int]:
    """Copy each ``schema.table`` of the warehouse into ``target`` as a table of the given name,
    then move the copy into place; return the rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.publishing")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)  # from a run that died half-way
    con.execute(f"attach '{staging}' as snapshot")
    try:
        rows = {}
        for name, relation in relations.items():
            con.execute(f"create table snapshot.main.{name} as select * from {relation}")
            rows[name] = con.execute(f"select count(*) from snapshot.main.{name}").fetchall()[0][0]
        con.execute("checkpoint snapshot")
    finally:
        con.execute("detach snapshot")
    os.replace(staging, target)
    return rows


def open_snapshot(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published copy (it never touches the warehouse). Open one per
    read and close it: DuckDB shares an open database per path within a process, so a connection
    kept open would pin the copy it opened."""
    if not path.exists():
        raise FileNotFoundError(f"no dashboard snapshot at {path}: run `make run` (or `loyalist run`) first")
    return duckdb.connect(str(path), read_only=True)
