"""Load the demo generator's output folder: all ten raw tables as one batch.

The folder is ``<folder>/manifest.json`` and ``<folder>/raw/<table>/part-NNNNN.parquet`` (see
docs/demo-data.md). Its tables keep the generator's column types. ``_source_row`` is the row's
position within its table over the part files in name order.

The generator numbers orders, returns, accounts and cards from fixed starting values, so two
different demos in one warehouse would share ids: a warehouse takes one demo (loading the same
one again is a no-op).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from datagen.common import GENERATOR_VERSION
from datagen.schemas import RAW_SCHEMAS
from ingest.batches import (
    Batch,
    LoadResult,
    batches_of_format,
    find_batch,
    next_batch_id,
    prepare_raw_schema,
    record_batch,
    sha256_of_files,
)
from ingest.errors import LoadError, first_line
from ingest.raw_schema import DEMO_TABLES, LINEAGE_COLUMNS, RAW_SCHEMA
from ingest.readers import sql_quote_identifier
from orchestration.warehouse import transaction

__all__ = ["DEMO_FORMAT", "load_demo", "loaded_demo", "check_demo_compatible", "demo_fingerprint"]

DEMO_FORMAT = "demo"

# Manifest keys that describe the run rather than the data: left out of the fingerprint, so a
# demo regenerated with the same settings (identical files) is recognised as already loaded.
_RUN_ONLY_KEYS = ("seconds",)
_IDENTITY_KEYS = ("generator_version", "people", "seed", "start_date", "end_date", "chunk_people")
_USE_A_NEW_WAREHOUSE = "use a new warehouse (set LOYALIST_WAREHOUSE) or run `make clean`"


def _manifest(folder: Path) -> dict:
    if not folder.exists():
        raise LoadError("demo folder not found", file=folder)
    if not folder.is_dir():
        raise LoadError("--format demo takes the generator's output folder, not a file", file=folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise LoadError(
            "no manifest.json: not a finished demo folder (write one with `loyalist demo --no-load`)", file=folder
        )
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(f"manifest.json is not valid JSON ({exc})", file=folder) from None
    if not isinstance(manifest, dict):
        raise LoadError("manifest.json is not a JSON object", file=folder)
    return manifest


def _parts(folder: Path) -> dict[str, list[Path]]:
    parts: dict[str, list[Path]] = {}
    for table in DEMO_TABLES:
        files = sorted((folder / "raw" / table).glob("*.parquet"))
        if not files:
            raise LoadError(f"missing raw table {table!r}: no raw/{table}/*.parquet files", file=folder)
        parts[table] = files
    return parts


def demo_fingerprint(folder: Path, manifest: dict, parts: dict[str, list[Path]]) -> str:
    """sha256 over the manifest (without its run time) and the Parquet files' bytes in path order."""
    stable = {k: v for k, v in manifest.items() if k not in _RUN_ONLY_KEYS}
    files = sorted((f for files in parts.values() for f in files), key=lambda f: f.relative_to(folder).as_posix())
    return sha256_of_files(files, prefix=json.dumps(stable, sort_keys=True).encode())


def loaded_demo(con: duckdb.DuckDBPyConnection) -> Batch | None:
    """The demo batch this warehouse holds, or None (the raw schema must exist)."""
    batches = batches_of_format(con, DEMO_FORMAT)
    return batches[0] if batches else None


def _describe(batch: Batch) -> str:
    people, seed = batch.options.get("people"), batch.options.get("seed")
    detail = f"{people:,} people, seed {seed}" if isinstance(people, int) else "another demo"
    return f"demo batch {batch.batch_id} ({batch.file_name}: {detail})"


def check_demo_compatible(con: duckdb.DuckDBPyConnection, people: int, seed: int) -> None:
    """Refuse, before any file is generated, a demo other than the one the warehouse already holds.

    That includes the same people and seed written by another generator version (after an upgrade):
    the same ids would then carry different data.
    """
    prepare_raw_schema(con)
    batch = loaded_demo(con)
    if batch is not None and (batch.options.get("people"), batch.options.get("seed")) != (people, seed):
        raise LoadError(
            f"the warehouse already holds {_describe(batch)}; a demo of {people:,} people, seed {seed} "
            f"would reuse its order, account and card ids: {_USE_A_NEW_WAREHOUSE}"
        )
    if batch is not None and batch.options.get("generator_version") != GENERATOR_VERSION:
        raise LoadError(
            f"the warehouse holds {_describe(batch)} written by demo generator "
            f"{batch.options.get('generator_version')}; this Loyalist generates version {GENERATOR_VERSION}, "
            f"whose data differs under the same ids: {_USE_A_NEW_WAREHOUSE}"
        )


def _file_rows(files: list[Path], folder: Path) -> list[int]:
    rows = []
    for f in files:
        try:
            rows.append(pq.read_metadata(f).num_rows)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... for a damaged footer
            raise LoadError(f"not a readable Parquet file ({exc})", file=f) from None
    return rows


def _append_table(con: duckdb.DuckDBPyConnection, table: str, files: list[Path], rows: list[int], batch_id: int) -> int:
    """Append one table's part files; ``_source_row`` continues from one part file to the next."""
    offsets, total = [], 0
    for n in rows:
        offsets.append(total)
        total += n
    # One scan over all parts (DuckDB reads them in parallel), each row offset by the rows of
    # the parts before its own: faster than one insert per part.
    cases = " ".join(f"when '{str(f).replace(chr(39), chr(39) * 2)}' then {o}" for f, o in zip(files, offsets))
    columns = ", ".join(sql_quote_identifier(name) for name in RAW_SCHEMAS[table].names)
    inserted = con.execute(
        f"insert into {RAW_SCHEMA}.{table} ({', '.join(LINEAGE_COLUMNS)}, {columns}) "
        f"select ?, file_row_number + 1 + (case filename {cases} end), {columns} "
        "from read_parquet(?, file_row_number=true, filename=true)",
        [batch_id, [str(f) for f in files]],
    ).fetchall()[0][0]
    return int(inserted)


def load_demo(con: duckdb.DuckDBPyConnection, folder: str | Path) -> LoadResult:
    """Append the demo folder's ten raw tables as one batch, in one transaction.

    A no-op if this demo (same manifest and files) is loaded already; a :class:`LoadError` if the
    warehouse holds a different demo, the folder lacks its manifest or a table, or a file is
    unreadable (then nothing is written).
    """
    folder = Path(folder)
    manifest = _manifest(folder)
    parts = _parts(folder)
    prepare_raw_schema(con)
    fingerprint = demo_fingerprint(folder, manifest, parts)
    earlier = find_batch(con, DEMO_FORMAT, fingerprint)
    if earlier is not None:
        return LoadResult(earlier.batch_id, DEMO_FORMAT, earlier.source, folder.name, 0, True,
                          dict.fromkeys(DEMO_TABLES, 0))
    other = loaded_demo(con)
    if other is not None:
        raise LoadError(
            f"the warehouse already holds {_describe(other)}; this demo's generated ids would collide "
            f"with it: {_USE_A_NEW_WAREHOUSE}",
            file=folder,
        )
    file_rows = {table: _file_rows(files, folder) for table, files in parts.items()}
    expected = manifest.get("rows", {}).get("raw", {})
    for table, rows in file_rows.items():
        if table in expected and expected[table] != sum(rows):
            raise LoadError(
                f"raw table {table!r}: manifest.json says {expected[table]:,} rows, the Parquet files hold "
                f"{sum(rows):,}: the folder is incomplete or was changed", file=folder,
            )
    counts: dict[str, int] = {}
    with transaction(con):
        batch_id = next_batch_id(con)
        for table in DEMO_TABLES:
            try:
                counts[table] = _append_table(con, table, parts[table], file_rows[table], batch_id)
            except duckdb.Error as exc:
                raise LoadError(f"raw table {table!r}: {first_line(exc)}", file=folder) from None
        options = {key: manifest.get(key) for key in _IDENTITY_KEYS} | {"tables": counts}
        record_batch(con, batch_id=batch_id, fmt=DEMO_FORMAT, source=DEMO_FORMAT, path=folder,
                     file_hash=fingerprint, row_count=sum(counts.values()), options=options)
    return LoadResult(batch_id, DEMO_FORMAT, DEMO_FORMAT, folder.name, sum(counts.values()), False, counts)
