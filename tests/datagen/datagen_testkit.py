"""Shared helpers for the datagen tests (imported by the test modules, not a conftest)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from datagen import RAW_SCHEMAS, TRUTH_SCHEMAS, generate

SMALL_PEOPLE = 3_000
PLANTED_PEOPLE = 5_000


def build(root: Path, people: int = SMALL_PEOPLE, seed: int = 7, chunk_people: int = 1_000) -> Path:
    """Generate a dataset under ``root`` and return its directory."""
    out = root / f"demo-{people}-{seed}-{chunk_people}"
    generate(out, people=people, seed=seed, chunk_people=chunk_people, progress=False)
    return out


def connect(out: Path) -> duckdb.DuckDBPyConnection:
    """DuckDB connection with one view per raw table and ``t_<name>`` per truth table."""
    con = duckdb.connect()
    for name in RAW_SCHEMAS:
        con.execute(f"create view {name} as select * from read_parquet('{out}/raw/{name}/*.parquet')")
    for name in TRUTH_SCHEMAS:
        con.execute(f"create view t_{name} as select * from read_parquet('{out}/truth/{name}/*.parquet')")
    con.execute("""
        create view order_person as
        select o.*, r.person_id from orders o
        join t_identity_records r on r.record_type = 'order' and r.record_key = o.order_id::varchar
    """)
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str):
    """First column of the first row of ``sql``."""
    return con.execute(sql).fetchall()[0][0]
