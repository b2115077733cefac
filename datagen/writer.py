"""Parquet part writing (in a background thread) and atomic replacement of the output directory."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .schemas import RAW_SCHEMAS, TRUTH_SCHEMAS

__all__ = ["PartWriter", "atomic_directory"]

_SCHEMAS = {"raw": RAW_SCHEMAS, "truth": TRUTH_SCHEMAS}


class PartWriter:
    """Write ``<root>/<kind>/<table>/part-NNNNN.parquet`` files, one per chunk and table.

    Writes run in one background thread so that Parquet encoding overlaps with generating
    the next chunk; :meth:`wait` blocks until the pending writes are done (call it before
    queuing the next chunk to keep at most one chunk in memory).

    Parameters
    ----------
    root : pathlib.Path
        Dataset directory.
    compression : str
        Parquet codec.
    """

    def __init__(self, root: Path, compression: str = "zstd") -> None:
        self.root = root
        self.compression = compression
        self.rows: dict[str, Counter[str]] = {"raw": Counter(), "truth": Counter()}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="datagen-writer")
        self._pending: list[Future[None]] = []

    def write(self, kind: str, table: str, part: int, data: pa.Table) -> None:
        """Queue one part file; ``data`` is checked and cast to the contract schema.

        Parameters
        ----------
        kind : str
            ``raw`` or ``truth``.
        table : str
            Table name.
        part : int
            Part number (the chunk index for per-chunk tables).
        data : pyarrow.Table
            Rows; its columns must be exactly the schema's columns.
        """
        schema = _SCHEMAS[kind][table]
        if data.column_names != schema.names:
            raise ValueError(f"{kind}.{table}: columns {data.column_names} != {schema.names}")
        data = data.cast(schema)
        self.rows[kind][table] += data.num_rows
        path = self.root / kind / table / f"part-{part:05d}.parquet"
        self._pending.append(self._pool.submit(self._write, path, data))

    def _write(self, path: Path, data: pa.Table) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(data, path, compression=self.compression)

    def wait(self) -> None:
        """Block until every queued write is on disk (re-raises write errors)."""
        pending, self._pending = self._pending, []
        for f in pending:
            f.result()

    def close(self) -> None:
        """Wait for pending writes and stop the background thread."""
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``target``; on success it replaces ``target``.

    If the body raises, the temporary directory is removed and ``target`` (if any)
    is left untouched.

    Parameters
    ----------
    target : pathlib.Path
        Final directory.

    Yields
    ------
    pathlib.Path
        The directory to write into.
    """
    target = Path(target).absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        target.rename(old)
    try:
        tmp.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
