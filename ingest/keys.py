"""Record keys: a format whose rows are records (``customers``) needs one key per row, once per file.

The key is the source system's id of the record: staging namespaces it by the source and keeps the
latest batch's row of each key, so a row without a key could never be told apart from another, and
two rows with one key in the same file would leave staging no way to choose between them. Both are
refused before anything is written, naming the row (both rows for a repeated key) and the column.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.errors import LoadError
from ingest.normalise import customer_key_sql

__all__ = ["record_key_sql", "check_record_keys"]


def record_key_sql(column: str) -> str:
    """A record key as staging compares it: as loaded, then trimmed; blank as NULL.

    Trimmed because staging trims it: ``' 7'`` and ``'7'`` are one key there, so they are one here.
    """
    return f"nullif(trim({customer_key_sql(column)}), '')"


def _first_blank_row(con: duckdb.DuckDBPyConnection, relation: str, key: str) -> int | None:
    rows = con.execute(f"select min(_source_row) from {relation} where {key} is null").fetchall()
    return rows[0][0]


def _first_repeat(con: duckdb.DuckDBPyConnection, relation: str, key: str) -> tuple[str, int, int] | None:
    """The first row (in file order) whose key an earlier row has: (key, earlier row, row), or None."""
    rows = con.execute(
        f"select key, first_row, _source_row from ("
        f"  select {key} as key, _source_row, min(_source_row) over (partition by {key}) as first_row"
        f"  from {relation} where {key} is not null"
        f") where _source_row > first_row order by _source_row limit 1"
    ).fetchall()
    return rows[0] if rows else None


def check_record_keys(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, column_name: str, file: str | Path
) -> None:
    """Refuse a file with a row without a key or a key on two rows (a :class:`LoadError` naming them).

    ``relation`` holds the file's rows (``_source_row``, ``c0..cN``), ``column`` is the key's
    positional column there and ``column_name`` its name in the file's header.
    """
    key = record_key_sql(column)
    blank = _first_blank_row(con, relation, key)
    if blank is not None:
        raise LoadError("the record key is empty; every record needs one", file=file, row=blank, column=column_name)
    repeat = _first_repeat(con, relation, key)
    if repeat is not None:
        value, first, again = repeat
        raise LoadError(
            f"record key {value!r} is on rows {first} and {again}; a key must be unique within a file",
            file=file, row=again, column=column_name,
        )
