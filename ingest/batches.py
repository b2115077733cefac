"""Load batches: the ``raw.load_batches`` log that says where every raw row came from.

One row per load: its id (``_batch_id`` on the raw rows), format, source name, file, the sha256 of
the file's bytes, row count, time and options. The hash makes loads idempotent: a file already
loaded (same format, same bytes) is not loaded twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from ingest.errors import LoadError
from ingest.raw_schema import BATCH_TABLE, RAW_SCHEMA, RawSchemaError, ensure_raw_schema

__all__ = [
    "LoadResult",
    "Batch",
    "prepare_raw_schema",
    "sha256_of_files",
    "find_batch",
    "batches_of_format",
    "next_batch_id",
    "record_batch",
]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class LoadResult:
    """What one load did.

    ``rows`` and ``tables`` count the rows this call appended: 0 and every table at 0 when the
    file was already loaded (``already_loaded``), in which case ``batch_id`` is the earlier batch.
    """

    batch_id: int
    format: str
    source: str
    file_name: str
    rows: int
    already_loaded: bool
    tables: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Batch:
    """A row of ``raw.load_batches``; ``options`` parsed from its JSON."""

    batch_id: int
    format: str
    source: str
    file_name: str
    file_path: str
    file_hash: str
    row_count: int
    loaded_at: datetime
    options: dict


def prepare_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema's missing tables; a warehouse whose raw tables predate the log is a LoadError.

    Warehouses built before the append-only log hold raw tables without ``_batch_id``: appending
    to them would fail half-way with a column error, so the user is told what to do instead.
    """
    try:
        ensure_raw_schema(con)
    except RawSchemaError as exc:
        raise LoadError(str(exc)) from None


def sha256_of_files(paths: Iterable[Path], prefix: bytes = b"") -> str:
    """sha256 (hex) over ``prefix`` then the bytes of ``paths`` in the order given."""
    digest = hashlib.sha256(prefix)
    for path in paths:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _batch(row: tuple) -> Batch:
    *head, options = row
    return Batch(*head, options=json.loads(options) if options else {})


_COLUMNS = "batch_id, format, source, file_name, file_path, file_hash, row_count, loaded_at, options"


def find_batch(con: duckdb.DuckDBPyConnection, fmt: str, file_hash: str) -> Batch | None:
    """The earliest batch of format ``fmt`` with this file hash, or None."""
    # fetchall, never fetchone: DuckDB refuses con.sql()/register() while a result is half-read
    rows = con.execute(
        f"select {_COLUMNS} from {RAW_SCHEMA}.{BATCH_TABLE} where format = ? and file_hash = ? "
        "order by batch_id limit 1",
        [fmt, file_hash],
    ).fetchall()
    return _batch(rows[0]) if rows else None


def batches_of_format(con: duckdb.DuckDBPyConnection, fmt: str) -> list[Batch]:
    """Every batch of format ``fmt``, oldest first."""
    rows = con.execute(
        f"select {_COLUMNS} from {RAW_SCHEMA}.{BATCH_TABLE} where format = ? order by batch_id", [fmt]
    ).fetchall()
    return [_batch(row) for row in rows]


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    """max(batch_id) + 1 (1 for the first batch); call it inside the load's transaction."""
    return int(con.execute(f"select coalesce(max(batch_id), 0) + 1 from {RAW_SCHEMA}.{BATCH_TABLE}").fetchall()[0][0])


def record_batch(
    con: duckdb.DuckDBPyConnection,
    *,
    batch_id: int,
    fmt: str,
    source: str,
    path: Path,
    file_hash: str,
    row_count: int,
    options: dict,
) -> None:
    """Insert the batch's row in ``raw.load_batches`` (in the same transaction as its raw rows)."""
    con.execute(
        f"insert into {RAW_SCHEMA}.{BATCH_TABLE} ({_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            batch_id,
            fmt,
            source,
            path.name,
            str(path.resolve()),
            file_hash,
            row_count,
            datetime.now(),  # naive local time: when the user ran the load, as they would read it
            json.dumps(options, sort_keys=True),
        ],
    )
