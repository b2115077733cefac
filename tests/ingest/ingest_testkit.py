"""Shared helpers for the ingest tests (imported by the test modules, not a conftest)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ingest.raw_schema import RAW_SCHEMA, raw_table_ddl
from orchestration.settings import REPO_ROOT

#: The UCI Online Retail reference file, shared beside the repository and never copied into it.
ONLINE_RETAIL_PARQUET = REPO_ROOT.parent / "shared" / "data" / "uci_online_retail" / "online_retail.parquet"
needs_online_retail = pytest.mark.skipif(
    not ONLINE_RETAIL_PARQUET.exists(), reason=f"reference file {ONLINE_RETAIL_PARQUET} not present"
)

#: Online Retail II's header, and a few of its lines as the UCI file has them (US dates).
RETAIL_II_HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
RETAIL_II_ROWS = [
    ["489434", "85048", "15CM CHRISTMAS GLASS BALL 20 LIGHTS", "12", "12/1/2009 7:45", "6.95", "13085.0", "UK"],
    ["489434", "79323P", "PINK CHERRY LIGHTS", "12", "12/1/2009 7:45", "6.75", "13085.0", "United Kingdom"],
    ["C489449", "22087", "PAPER BUNTING WHITE LACE ", "-12", "12/1/2009 10:33", "2.95", "16321.0", "Australia"],
    ["489450", "POST", "POSTAGE", "1", "12/13/2009 10:38", "18", "", "France"],
]


def write_csv(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    """Write ``header`` and ``rows`` with the csv module (quoting whatever needs it)."""
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def raw_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every raw table that exists (load_batches included)."""
    present = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = ?", [RAW_SCHEMA]).fetchall()}
    return {t: con.execute(f"select count(*) from {RAW_SCHEMA}.{t}").fetchall()[0][0]
            for t in raw_table_ddl() if t in present}


def warehouse_raw_counts(warehouse: Path) -> dict[str, int]:
    """raw_counts of a warehouse file, read through a short read-only connection."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return raw_counts(con)


def refused_load_line(argv: list[str], capsys) -> str:
    """Run ``loyalist load`` expecting a refusal: exit 2, nothing on stdout, one error line (returned)."""
    from orchestration.cli import main

    code = main(["load", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("loyalist load: error: ")
    return lines[0]


def transaction_rows(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> list[dict]:
    """raw.transaction_lines as dicts in (batch, row) order, optionally of one batch."""
    where = "" if batch_id is None else f"where _batch_id = {int(batch_id)}"
    cursor = con.execute(f"select * from {RAW_SCHEMA}.transaction_lines {where} order by _batch_id, _source_row")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def batches(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """raw.load_batches as dicts, oldest first."""
    cursor = con.execute(f"select * from {RAW_SCHEMA}.load_batches order by batch_id")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
