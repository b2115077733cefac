"""Load a file into the raw event log: one file, one batch, one transaction.

The steps of :func:`load_file`, each of which may refuse the load before anything is written:
check the file, hash it (a file already loaded is a no-op), read its header and match it to the
format's columns, read its rows as text, choose its timestamp format (order lines) or check its
record keys (customer records); then, in one transaction, append its rows to the format's raw
table (``raw.transaction_lines`` or ``raw.customer_records``) and its row to ``raw.load_batches``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ingest.batches import LoadResult, find_batch, next_batch_id, prepare_raw_schema, record_batch, sha256_of_files
from ingest.demo_folder import load_demo
from ingest.errors import LoadError, first_line
from ingest.formats import FormatSpec, get_format
from ingest.keys import check_record_keys
from ingest.mapping import merge_options, resolve_columns
from ingest.normalise import TimestampFormat, choose_timestamp_format, customer_key_sql, text_sql, timestamp_sql
from ingest.raw_schema import LINEAGE_COLUMNS, RAW_SCHEMA
from ingest.readers import file_type, read_header, read_rows
from orchestration.warehouse import transaction

__all__ = ["LoadResult", "LoadError", "load_file", "load_demo"]

# A connection-scoped name for the file's rows while they are appended.
_ROWS_VIEW = "_loyalist_ingest_rows"


def load_file(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    path: str | Path,
    *,
    mapping: dict[str, str] | None = None,
    mapping_file: str | Path | None = None,
    source: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    timestamp_format: str | None = None,
) -> LoadResult:
    """Append one file to the raw log as one batch; a no-op if the same bytes were loaded before.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        An open, writable connection to the warehouse (the caller closes it).
    fmt : str
        ``online-retail``, ``transactions``, ``customers`` or ``demo`` (then ``path`` is the demo
        folder and no other option applies).
    path : str or pathlib.Path
        A CSV (.csv/.txt/.tsv), XLSX or Parquet (.parquet/.pq) file.
    mapping : dict, optional
        Target -> column name (``{"customer": "cust_id"}``, ``{"key": "unique_id"}``); overrides
        ``mapping_file``.
    mapping_file : str or pathlib.Path, optional
        YAML file with ``columns:`` and optionally ``source``, ``timestamp_format``, ``encoding``,
        ``delimiter``.
    source : str, optional
        Source system name stored on every row (default: the mapping file's, else the format's).
    encoding, delimiter : str, optional
        CSV only: DuckDB encoding (utf-8, latin-1, utf-16) and one-character delimiter
        (default: detected from the header line).
    timestamp_format : str, optional
        strptime format of the timestamp column (default: the candidate that parses most values);
        refused by a format without one (``customers``).

    Returns
    -------
    LoadResult

    Raises
    ------
    LoadError
        For anything the user can fix; nothing has been written then.
    """
    spec = get_format(fmt)
    if spec.name == "demo":
        if any(v is not None for v in (mapping, mapping_file, source, encoding, delimiter, timestamp_format)):
            raise LoadError("--format demo takes a folder and no other option", file=path)
        return load_demo(con, path)

    path = Path(path)
    kind = file_type(path)
    options = merge_options(
        spec, path, mapping=mapping, mapping_file=mapping_file, source=source, encoding=encoding,
        delimiter=delimiter, timestamp_format=timestamp_format,
    )
    source_name = options.source or spec.default_source
    prepare_raw_schema(con)
    file_hash = sha256_of_files([path])
    earlier = find_batch(con, spec.name, file_hash)
    if earlier is not None:
        return LoadResult(earlier.batch_id, spec.name, earlier.source, path.name, 0, True, {spec.table: 0})

    header = read_header(con, path, encoding=options.encoding, delimiter=options.delimiter)
    columns = resolve_columns(spec, header.names, options.columns, path, header.delimiter)
    frame = read_rows(con, header)
    con.register(_ROWS_VIEW, frame.table)
    try:
        timestamp_column = columns.get(spec.timestamp_target)
        ts_format = (
            choose_timestamp_format(con, _ROWS_VIEW, f"c{timestamp_column}", options.timestamp_format, str(path))
            if timestamp_column is not None else None
        )
        if spec.unique_key:
            key_column = columns[spec.key_target]
            check_record_keys(con, _ROWS_VIEW, f"c{key_column}", header.names[key_column], path)
        select = _select_list(spec, columns, ts_format)
        recorded = {
            "file_type": kind,
            "mapping": {target: header.names[i] for target, i in columns.items()},
            "mapping_file": options.mapping_file,
            "encoding": header.encoding,
            "delimiter": header.delimiter,
            "timestamp_format": ts_format[0] if ts_format else None,
        }
        target_columns = ", ".join(LINEAGE_COLUMNS + spec.columns)
        try:
            with transaction(con):
                batch_id = next_batch_id(con)
                con.execute(
                    f"insert into {RAW_SCHEMA}.{spec.table} ({target_columns}) "
                    f"select ?, _source_row, ?, {select} from {_ROWS_VIEW}",
                    [batch_id, source_name],
                )
                record_batch(con, batch_id=batch_id, fmt=spec.name, source=source_name, path=path,
                             file_hash=file_hash, row_count=frame.table.num_rows, options=recorded)
        except duckdb.Error as exc:
            raise LoadError(f"could not append: {first_line(exc)}", file=path) from None
    finally:
        con.unregister(_ROWS_VIEW)
    return LoadResult(batch_id, spec.name, source_name, path.name, frame.table.num_rows, False,
                      {spec.table: frame.table.num_rows})


def _select_list(spec: FormatSpec, columns: dict[str, int], ts_format: TimestampFormat | None) -> str:
    """The SQL expressions of the format's raw columns after ``source``, in table order (NULL if unmapped)."""
    by_column = {spec.targets[target]: target for target in columns}
    expressions = []
    for name in spec.columns[1:]:
        target = by_column.get(name)
        expressions.append("null" if target is None else _value_sql(spec, target, f"c{columns[target]}", ts_format))
    return ", ".join(expressions)


def _value_sql(spec: FormatSpec, target: str, column: str, ts_format: TimestampFormat | None) -> str:
    """The loaded value of one mapped column: keys and timestamps get their normalisation, the rest none."""
    if target == spec.key_target:
        return customer_key_sql(column)
    if target == spec.timestamp_target:
        return timestamp_sql(column, ts_format)
    return text_sql(column)
