"""DuckDB warehouse access for the Python assets.

DuckDB allows one writing process per file, and dbt runs as a separate process: so a connection is
opened per unit of work and closed at once, never held across assets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
from dagster import ConfigurableResource

from orchestration import settings

__all__ = ["WarehouseResource", "table_exists", "row_count", "transaction", "replace_tables", "load_parquet_tables"]


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file. ``path`` empty means ``settings.warehouse_path()`` at run time."""

    path: str = ""

    @property
    def resolved_path(self) -> Path:
        """The absolute warehouse path this resource opens."""
        return Path(self.path).resolve() if self.path else settings.warehouse_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the warehouse for one unit of work and always close it."""
        path = self.resolved_path
        if read_only and not path.exists():
            raise FileNotFoundError(f"warehouse {path} does not exist yet; run `loyalist run` first")
        path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def table_exists(con: duckdb.DuckDBPyConnection, qualified_name: str) -> bool:
    """True when ``schema.table`` exists in the warehouse."""
    schema, table = qualified_name.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchall()[0]
    return bool(found and found[0])


def row_count(con: duckdb.DuckDBPyConnection, qualified_name: str) -> int:
    """Rows in ``schema.table``."""
    return int(con.execute(f"select count(*) from {qualified_name}").fetchall()[0][0])


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run the block in one transaction: committed if it finishes, rolled back if it raises."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def replace_tables(con: duckdb.DuckDBPyConnection, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Replace each ``schema.table`` with its frame, all in one transaction (all or nothing)."""
    counts: dict[str, int] = {}
    with transaction(con):
        for qualified_name, frame in frames.items():
            con.execute(f"create schema if not exists {qualified_name.split('.')[0]}")
            con.register("_frame", frame)
            con.execute(f"create or replace table {qualified_name} as select * from _frame")
            con.unregister("_frame")
            counts[qualified_name] = len(frame)
    return counts


def load_parquet_tables(con: duckdb.DuckDBPyConnection, schema: str, folders: Mapping[str, Path]) -> dict[str, int]:
    """Replace ``schema.<table>`` with the Parquet files of each folder, in one transaction."""
    counts: dict[str, int] = {}
    with transaction(con):
        con.execute(f"create schema if not exists {schema}")
        for table, folder in folders.items():
            files = sorted(Path(folder).glob("*.parquet"))
            if not files:
                raise FileNotFoundError(f"no Parquet files for table {table!r} in {folder}")
            con.execute(
                f"create or replace table {schema}.{table} as select * from read_parquet(?)",
                [[str(f) for f in files]],
            )
            counts[table] = row_count(con, f"{schema}.{table}")
    return counts
