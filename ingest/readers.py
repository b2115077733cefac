"""Read a CSV, XLSX or Parquet file into text columns, in file order, with each row's position.

Two steps, so that a file whose columns do not fit is refused before its rows are read:
:func:`read_header` returns the file's :class:`Header` (column names and, for CSV, the dialect);
:func:`read_rows` returns a :class:`RawFrame`: an Arrow table whose columns are ``_source_row``
(1-based data-row position, the header not counted) and ``c0`` ... ``cN`` (the file's columns by
position, all text). Positional names keep any header (duplicates, blanks, odd characters) out
of SQL.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from ingest.errors import LoadError, first_line

__all__ = [
    "Header", "RawFrame", "EXTENSIONS", "ISO_SECONDS", "file_type", "read_header", "read_rows", "sql_quote_identifier",
]

#: File extension -> reader. Anything else is refused rather than guessed.
EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".pq": "parquet"}

#: The one text form of a timestamp in the raw log (DuckDB strftime / strptime codes).
ISO_SECONDS = "%Y-%m-%d %H:%M:%S"

# DuckDB's CSV reader knows these three without an extension (which would need the network);
# the key is Python's canonical codec name, the value (DuckDB name, Python codec for the header).
_ENCODINGS = {
    "utf-8": ("utf-8", "utf-8-sig"),
    "utf-8-sig": ("utf-8", "utf-8-sig"),
    "ascii": ("utf-8", "utf-8-sig"),
    "iso8859-1": ("latin-1", "latin-1"),
    "latin-1": ("latin-1", "latin-1"),
    "utf-16": ("utf-16", "utf-16"),
}
_DELIMITER_CANDIDATES = (",", ";", "\t", "|")
_DELIMITER_WORDS = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
_HEAD_BYTES = 1 << 20


@dataclass(frozen=True)
class Header:
    """A file's column names (``c0..cN`` in order) and how to read it.

    ``encoding`` and ``delimiter`` are set for CSV, ``types`` (DuckDB's) for Parquet.
    """

    path: Path
    names: list[str]
    file_type: str
    encoding: str | None = None
    delimiter: str | None = None
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawFrame:
    """A file's rows as text: ``table`` has ``_source_row`` then ``c0..cN``."""

    header: Header
    table: pa.Table


def sql_quote_identifier(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def file_type(path: str | Path) -> str:
    """``csv``, ``xlsx`` or ``parquet`` by extension; a :class:`LoadError` for a missing, empty or unknown file."""
    path = Path(path)
    if not path.exists():
        raise LoadError("file not found", file=path)
    if not path.is_file():
        raise LoadError("not a file (a folder is only loaded with --format demo)", file=path)
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(EXTENSIONS)
        raise LoadError(f"unsupported file type {path.suffix or '(no extension)'!r}; supported: {known}", file=path)
    if path.stat().st_size == 0:
        raise LoadError("file is empty (0 bytes)", file=path)
    return kind


def read_header(
    con: duckdb.DuckDBPyConnection, path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> Header:
    """The header of ``path`` (read by the reader its extension names), without reading its rows."""
    path = Path(path)
    kind = file_type(path)
    if kind != "csv" and (encoding or delimiter):
        # Parquet and XLSX carry their own encoding and structure: a flag for them is a mistake
        raise LoadError(f"--encoding and --delimiter apply to CSV files only, not {kind}", file=path)
    if kind == "csv":
        return _csv_header(path, encoding, _resolve_delimiter(delimiter, path))
    if kind == "xlsx":
        return _xlsx(path, header_only=True).header
    return _parquet_header(con, path)


def read_rows(con: duckdb.DuckDBPyConnection, header: Header) -> RawFrame:
    """Every data row of the file as text, in file order; refuses a file with no data rows."""
    if header.file_type == "csv":
        frame = _read_csv(con, header)
    elif header.file_type == "xlsx":
        frame = _xlsx(header.path, header_only=False)
    else:
        frame = _read_parquet(con, header)
    if frame.table.num_rows == 0:
        raise LoadError("has a header but no data rows", file=header.path)
    return frame


# --- CSV --------------------------------------------------------------------------------------


def _resolve_encoding(name: str | None, head: bytes, path: Path) -> tuple[str, str]:
    if name is None:
        # Excel's "Unicode text" export is UTF-16 with a byte-order mark: no flag needed for it
        name = "utf-16" if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8"
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        canonical = name.lower()
    if canonical not in _ENCODINGS:
        raise LoadError(f"unsupported encoding {name!r}; supported: utf-8, latin-1, utf-16", file=path)
    return _ENCODINGS[canonical]


def _resolve_delimiter(delimiter: str | None, path: Path) -> str | None:
    if delimiter is None:
        return None
    delimiter = _DELIMITER_WORDS.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise LoadError(f"--delimiter must be one character (or 'tab'), got {delimiter!r}", file=path)
    return delimiter


def _first_record(text: str) -> str | None:
    """The text of the first CSV record (quotes respected), or None if it does not end in ``text``."""
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch in "\r\n" and not quoted:
            return text[:i]
    return None


def _sniff_delimiter(record: str) -> str:
    """The candidate delimiter seen most often outside quotes in the header (',' on a tie or none)."""
    counts = dict.fromkeys(_DELIMITER_CANDIDATES, 0)
    quoted = False
    for ch in record:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(_DELIMITER_CANDIDATES, key=counts.__getitem__)
    return best if counts[best] else ","


def _csv_header(path: Path, encoding: str | None, delimiter: str | None) -> Header:
    """The header's names, the delimiter (given, or detected from the header) and DuckDB's encoding name.

    The header is parsed here, not by DuckDB's sniffer: the sniffer may pick another delimiter, a
    different header line or give up on a file whose bad row is the very thing to report, and
    with the columns given DuckDB reports a bad row by its line instead.
    """
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    duck_encoding, py_encoding = _resolve_encoding(encoding, head, path)
    try:
        text = codecs.getincrementaldecoder(py_encoding)().decode(head, final=len(head) < _HEAD_BYTES)
    except UnicodeDecodeError as exc:
        # keep the valid prefix: a bad byte further down is DuckDB's to report with its row
        text = head[: exc.start].decode(py_encoding, errors="ignore")
        if _first_record(text) is None:
            raise LoadError(
                f"not valid {duck_encoding} text; pass --encoding latin-1 (or the file's encoding)",
                file=path, row=None, line=1,
            ) from None
    record = _first_record(text)
    if record is None:
        record = text
    if not record.strip():
        raise LoadError("the first line (the header) is empty", file=path, line=1)
    delimiter = delimiter or _sniff_delimiter(record)
    names = next(csv.reader(io.StringIO(record), delimiter=delimiter))
    return Header(path, names, "csv", duck_encoding, delimiter)


@contextmanager
def _insertion_order(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep DuckDB's output in file order (the default, but a caller may have turned it off)."""
    kept = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    if not kept:
        con.execute("set preserve_insertion_order = true")
    try:
        yield
    finally:
        if not kept:
            con.execute("set preserve_insertion_order = false")


def _csv_error(exc: duckdb.Error, path: Path, encoding: str) -> LoadError:
    """DuckDB's multi-line CSV error as one line with the row, line and what to do."""
    text = str(exc)
    found = re.search(r"CSV Error on Line: (\d+)", text)
    line = int(found.group(1)) if found else None
    row = line - 1 if line else None
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if counts:
        message = f"has {counts.group(2)} fields, the header has {counts.group(1)}"
    elif "Invalid unicode" in text or "not utf-8 encoded" in text:
        message = f"not valid {encoding} text; pass --encoding latin-1 (or the file's encoding)"
    elif "unterminated quote" in text:
        message = 'a quoted field is never closed (unterminated ")'
    else:
        lines = [part for part in text.splitlines() if part.strip() and not part.startswith("CSV Error on Line")]
        message = first_line("\n".join(lines)) if lines else text
    return LoadError(message, file=path, row=row, line=line)


def _read_csv(con: duckdb.DuckDBPyConnection, header: Header) -> RawFrame:
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header.names))) + "}"
    # All dialect settings are given, so DuckDB does not sniff: RFC 4180 quoting ("" inside quotes),
    # strict field counts so that a short or long row is an error naming its line.
    query = (
        f"select * from read_csv(?, auto_detect=false, header=true, columns={columns}, delim=?,"
        " quote='\"', escape='\"', strict_mode=true, encoding=?)"
    )
    try:
        with _insertion_order(con):
            table = con.sql(query, params=[str(header.path), header.delimiter, header.encoding]).to_arrow_table()
    except duckdb.Error as exc:
        raise _csv_error(exc, header.path, header.encoding) from None
    return RawFrame(header, _with_rows(table))


def _with_rows(table: pa.Table) -> pa.Table:
    """Prepend ``_source_row`` = 1..n: the table is in file order, so position is the row number."""
    rows = pa.array(np.arange(1, table.num_rows + 1, dtype=np.int64))
    return table.add_column(0, "_source_row", rows)


# --- XLSX -------------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """A cell as the raw log's text: numbers as written, dates as ISO, '' as NULL."""
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _xlsx(path: Path, header_only: bool) -> RawFrame:
    """The first sheet; its first non-empty row is the header, row N is the N-th row below it."""
    import openpyxl  # imported here: only XLSX loads pay for it

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, ValueError... for a bad file
        raise LoadError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})", file=path) from None
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header_cells: tuple = ()
        for cells in rows:
            if any(c is not None for c in cells):
                header_cells = cells
                break
        header_cells = tuple(header_cells)
        while header_cells and header_cells[-1] is None:
            header_cells = header_cells[:-1]
        if not header_cells:
            raise LoadError("the first sheet is empty", file=path)
        header = Header(path, ["" if c is None else str(c) for c in header_cells], "xlsx")
        width = len(header.names)
        positions: list[int] = []
        values: list[list[str | None]] = [[] for _ in range(width)]
        for position, cells in enumerate(() if header_only else rows, start=1):
            if all(c is None for c in cells):
                continue  # blank rows (often just formatting) are skipped but keep their position
            extra = [i for i, c in enumerate(cells[width:], start=width) if c is not None]
            if extra:
                raise LoadError(
                    f"has a value in column {extra[0] + 1} beyond the header's {width} columns",
                    file=path, row=position, line=None,
                )
            positions.append(position)
            for i in range(width):
                values[i].append(_cell_text(cells[i]) if i < len(cells) else None)
    finally:
        book.close()
    arrays = [pa.array(np.array(positions, dtype=np.int64))]
    arrays += [pa.array(column, type=pa.string()) for column in values]
    table = pa.table(arrays, names=["_source_row"] + [f"c{i}" for i in range(width)])
    return RawFrame(header, table)


# --- Parquet ----------------------------------------------------------------------------------


def _parquet_text(column: str, duck_type: str) -> str:
    quoted = sql_quote_identifier(column)
    if duck_type.upper().startswith("TIMESTAMP"):
        return f"strftime({quoted}, '{ISO_SECONDS}')"
    return f"cast({quoted} as varchar)"


def _parquet_error(exc: duckdb.Error, path: Path) -> LoadError:
    return LoadError(f"not a readable Parquet file ({first_line(exc)})", file=path)


def _parquet_header(con: duckdb.DuckDBPyConnection, path: Path) -> Header:
    try:
        described = con.execute(
            "select column_name, column_type from (describe select * from read_parquet(?))", [str(path)]
        ).fetchall()
    except duckdb.Error as exc:
        raise _parquet_error(exc, path) from None
    return Header(path, [name for name, _ in described], "parquet", types=tuple(typ for _, typ in described))


def _read_parquet(con: duckdb.DuckDBPyConnection, header: Header) -> RawFrame:
    """Every column cast to text (timestamps as ``YYYY-MM-DD HH:MM:SS``); the row is the file's row number."""
    selects = ", ".join(
        f"{_parquet_text(name, typ)} as c{i}" for i, (name, typ) in enumerate(zip(header.names, header.types))
    )
    try:
        # row numbers come from the file itself, so the output order does not matter here
        table = con.sql(
            f"select file_row_number + 1 as _source_row, {selects} from read_parquet(?, file_row_number=true)",
            params=[str(header.path)],
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise _parquet_error(exc, header.path) from None
    return RawFrame(header, table)
