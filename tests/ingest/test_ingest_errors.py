"""Every refused load: exit code 2, one line naming the file (and row, column), and nothing written."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from ingest_testkit import RETAIL_II_HEADER, RETAIL_II_ROWS, refused_load_line, warehouse_raw_counts, write_csv

from ingest.errors import LoadError
from ingest.formats import FORMAT_NAMES
from ingest.load import load_file
from orchestration.cli import build_parser, main

TX_HEADER = ["cust", "order", "at", "sku", "qty", "price"]
TX_MAP = ["--map", "customer=cust", "--map", "order=order", "--map", "timestamp=at", "--map", "product=sku",
          "--map", "quantity=qty", "--map", "price=price"]


def _tx_rows(n: int = 3) -> list[list[str]]:
    return [[f"c{i}", f"o{i}", "2024-01-01 10:00", "p", "1", "2.5"] for i in range(1, n + 1)]


# Each case builds its file(s) in a folder and returns (argv after `load`, fragments the message must hold).
def case_not_found(d: Path):
    return ["--format", "online-retail", str(d / "missing.csv")], ["missing.csv", "file not found"]


def case_unsupported_extension(d: Path):
    (d / "orders.json").write_text("[]")
    return (["--format", "online-retail", str(d / "orders.json")],
            ["orders.json", "unsupported file type '.json'", ".csv", ".xlsx", ".parquet"])


def case_empty_file(d: Path):
    (d / "empty.csv").write_bytes(b"")
    return ["--format", "online-retail", str(d / "empty.csv")], ["empty.csv", "empty (0 bytes)"]


def case_header_only_csv(d: Path):
    write_csv(d / "header.csv", RETAIL_II_HEADER, [])
    return ["--format", "online-retail", str(d / "header.csv")], ["header.csv", "header but no data rows"]


def case_header_only_xlsx(d: Path):
    book = openpyxl.Workbook()
    book.active.append(RETAIL_II_HEADER)
    book.save(d / "header.xlsx")
    return ["--format", "online-retail", str(d / "header.xlsx")], ["header.xlsx", "header but no data rows"]


def case_empty_parquet(d: Path):
    pd.DataFrame({c: pd.Series([], dtype="string") for c in TX_HEADER}).to_parquet(d / "none.parquet")
    return ["--format", "transactions", *TX_MAP, str(d / "none.parquet")], ["none.parquet", "no data rows"]


def case_missing_columns(d: Path):
    header = [c for c in RETAIL_II_HEADER if c not in ("Price", "Customer ID")]
    write_csv(d / "partial.csv", header, [["1", "A", "x", "1", "12/1/2009 7:45", "UK"]])
    return (["--format", "online-retail", str(d / "partial.csv")],
            ["partial.csv", "missing columns UnitPrice or Price, CustomerID or Customer ID", "expected InvoiceNo",
             "found 'Invoice', 'StockCode'"])


def case_semicolons_read_with_a_comma(d: Path):
    write_csv(d / "semi.csv", RETAIL_II_HEADER, RETAIL_II_ROWS, delimiter=";")
    return (["--format", "online-retail", "--delimiter", ",", str(d / "semi.csv")],
            ["semi.csv", "none of the expected columns InvoiceNo or Invoice",
             "looks ';'-delimited: pass --delimiter ';'"])


def case_tabs_read_with_a_semicolon(d: Path):
    write_csv(d / "tabs.tsv", RETAIL_II_HEADER, RETAIL_II_ROWS, delimiter="\t")
    return (["--format", "online-retail", "--delimiter", ";", str(d / "tabs.tsv")],
            ["tabs.tsv", "looks '\\t'-delimited: pass --delimiter '\\t'"])


def case_unknown_map_target(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    return (["--format", "transactions", *TX_MAP, "--map", "buyer=cust", str(d / "tx.csv")],
            ["tx.csv", "unknown --map target 'buyer'", "targets: customer, order, timestamp"])


def case_mapped_column_not_in_file(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    return (["--format", "transactions", *TX_MAP, "--map", "customer=cust_no", str(d / "tx.csv")],
            ["tx.csv", "column 'cust_no'", "(for customer) is not in the file", "columns found: 'cust', 'order'"])


def case_required_target_not_mapped(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    return (["--format", "transactions", "--map", "customer=cust", str(d / "tx.csv")],
            ["tx.csv", "no column mapped for order, timestamp, product, quantity, price", "--map"])


def case_invalid_encoding(d: Path):
    rows = _tx_rows(4)
    rows[2][0] = "Zoë"
    write_csv(d / "latin.csv", TX_HEADER, rows, encoding="latin-1")
    return (["--format", "transactions", *TX_MAP, str(d / "latin.csv")],
            ["latin.csv", "row 3 (line 4)", "not valid utf-8", "--encoding latin-1"])


def case_unsupported_encoding(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    return (["--format", "transactions", *TX_MAP, "--encoding", "cp1252", str(d / "tx.csv")],
            ["tx.csv", "unsupported encoding 'cp1252'", "latin-1"])


def case_short_row(d: Path):
    rows = _tx_rows(4)
    rows[1] = rows[1][:5]
    write_csv(d / "short.csv", TX_HEADER, rows)
    return (["--format", "transactions", *TX_MAP, str(d / "short.csv")],
            ["short.csv", "row 2 (line 3)", "has 5 fields, the header has 6"])


def case_long_row(d: Path):
    rows = _tx_rows(5)
    rows[4] = rows[4] + ["extra"]
    write_csv(d / "long.csv", TX_HEADER, rows)
    return (["--format", "transactions", *TX_MAP, str(d / "long.csv")],
            ["long.csv", "row 5 (line 6)", "has 7 fields, the header has 6"])


def case_unterminated_quote(d: Path):
    (d / "quote.csv").write_text(",".join(TX_HEADER) + "\nc,o,2024-01-01 10:00,p,1,2\nc,\"o,2024-01-01 10:00,p,1,2\n")
    return (["--format", "transactions", *TX_MAP, str(d / "quote.csv")], ["quote.csv", "row 2 (line 3)", "quoted"])


def case_xlsx_value_beyond_the_header(d: Path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(TX_HEADER)
    sheet.append(["c", "o", "2024-01-01 10:00", "p", 1, 2])
    sheet.append(["c", "o", "2024-01-01 10:00", "p", 1, 2, None, "note"])
    book.save(d / "wide.xlsx")
    return (["--format", "transactions", *TX_MAP, str(d / "wide.xlsx")],
            ["wide.xlsx", "row 2", "column 8 beyond the header's 6 columns"])


def case_not_a_parquet_file(d: Path):
    (d / "fake.parquet").write_bytes(b"PAR1 this is not parquet")
    return (["--format", "transactions", *TX_MAP, str(d / "fake.parquet")], ["fake.parquet", "not a readable Parquet"])


def case_not_an_xlsx_file(d: Path):
    (d / "fake.xlsx").write_bytes(b"not a zip")
    return (["--format", "transactions", *TX_MAP, str(d / "fake.xlsx")], ["fake.xlsx", "not a readable XLSX"])


def case_encoding_flag_on_parquet(d: Path):
    pd.DataFrame({c: ["x"] for c in TX_HEADER}).to_parquet(d / "tx.parquet")
    return (["--format", "transactions", *TX_MAP, "--encoding", "latin-1", str(d / "tx.parquet")],
            ["tx.parquet", "CSV files only"])


def case_invalid_timestamp_format(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    return (["--format", "transactions", *TX_MAP, "--timestamp-format", "%Q", str(d / "tx.csv")],
            ["tx.csv", "invalid timestamp format '%Q'"])


def case_mapping_file_with_an_unknown_key(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    (d / "map.yml").write_text("columns:\n  customer: cust\ncolumn_names: {}\n")
    return (["--format", "transactions", "--mapping", str(d / "map.yml"), str(d / "tx.csv")],
            ["map.yml", "unknown keys 'column_names'", "allowed: columns, source"])


def case_mapping_file_with_an_unknown_target(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    (d / "map.yml").write_text("columns:\n  client: cust\n")
    return (["--format", "transactions", "--mapping", str(d / "map.yml"), str(d / "tx.csv")],
            ["map.yml", "unknown mapping target 'client'"])


def case_mapping_file_not_yaml(d: Path):
    write_csv(d / "tx.csv", TX_HEADER, _tx_rows())
    (d / "map.yml").write_text("columns: [unclosed\n")
    return (["--format", "transactions", "--mapping", str(d / "map.yml"), str(d / "tx.csv")],
            ["map.yml", "not a readable YAML file (line 2: expected ',' or ']'"])


def case_demo_folder_without_manifest(d: Path):
    (d / "demo" / "raw" / "orders").mkdir(parents=True)
    return ["--format", "demo", str(d / "demo")], ["demo", "no manifest.json"]


def case_demo_folder_missing_a_table(d: Path):
    (d / "demo").mkdir()
    (d / "demo" / "manifest.json").write_text("{}")
    return ["--format", "demo", str(d / "demo")], ["demo", "missing raw table 'products'"]


def case_demo_with_a_mapping(d: Path):
    (d / "demo").mkdir()
    return ["--format", "demo", "--map", "customer=x", str(d / "demo")], ["demo", "no other option"]


CASES = [value for name, value in sorted(globals().items()) if name.startswith("case_")]


@pytest.fixture()
def loaded_warehouse(tmp_path, cli_env, capsys):
    """A warehouse already holding one batch, so that 'nothing written' is checked against real rows."""
    good = write_csv(tmp_path / "good.csv", RETAIL_II_HEADER, RETAIL_II_ROWS)
    assert main(["load", "--format", "online-retail", str(good)]) == 0
    capsys.readouterr()
    return cli_env


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__.removeprefix("case_"))
def test_a_refused_load_prints_one_line_exits_2_and_writes_nothing(case, tmp_path, loaded_warehouse, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    argv, fragments = case(folder)
    before = warehouse_raw_counts(loaded_warehouse)

    line = refused_load_line(argv, capsys)

    for fragment in fragments:
        assert fragment in line
    assert warehouse_raw_counts(loaded_warehouse) == before
    assert before["transaction_lines"] == len(RETAIL_II_ROWS) and before["load_batches"] == 1


def test_a_bad_path_among_several_loads_none_of_them(tmp_path, loaded_warehouse, capsys):
    ok = write_csv(tmp_path / "ok.csv", RETAIL_II_HEADER, RETAIL_II_ROWS[:1])
    before = warehouse_raw_counts(loaded_warehouse)

    assert main(["load", "--format", "online-retail", str(ok), str(tmp_path / "typo.csv")]) == 2

    assert "typo.csv: file not found" in capsys.readouterr().err
    assert warehouse_raw_counts(loaded_warehouse) == before


def test_an_unknown_format_lists_the_formats(tmp_path, db, capsys):
    path = write_csv(tmp_path / "a.csv", RETAIL_II_HEADER, RETAIL_II_ROWS)
    with pytest.raises(LoadError, match="unknown format .shopify.; formats: online-retail, transactions, customers, demo"):
        load_file(db, "shopify", path)

    with pytest.raises(SystemExit) as exit_:
        main(["load", "--format", "shopify", str(path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "loyalist load: error: argument --format: invalid choice: 'shopify'" in err
    assert all(name in err for name in FORMAT_NAMES)


def test_the_cli_formats_are_the_loader_formats():
    load = build_parser()._subparsers._group_actions[0].choices["load"]
    (fmt,) = [a for a in load._actions if a.dest == "format"]
    assert tuple(fmt.choices) == FORMAT_NAMES


def test_a_malformed_map_flag_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["load", "--format", "transactions", "--map", "customer", "x.csv"])
    assert "expected TARGET=COLUMN" in capsys.readouterr().err


def test_an_error_carries_its_file_row_and_column():
    error = LoadError("bad value\nsecond line", file="a.csv", row=3, line=4, column="qty")
    assert str(error) == "a.csv: row 3 (line 4), column 'qty': bad value second line"
    assert (error.file, error.row, error.line, error.column) == ("a.csv", 3, 4, "qty")


def test_a_warehouse_from_before_load_batches_is_refused_with_what_to_do(tmp_path, monkeypatch, capsys):
    warehouse = tmp_path / "old.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw; create table raw.orders (order_id bigint); insert into raw.orders values (1)")
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    path = tmp_path / "lines.csv"
    path.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                    "1,A,x,1,2011-01-01 10:00,1.0,7,UK\n")
    assert main(["load", "--format", "online-retail", str(path)]) == 2
    err = capsys.readouterr().err
    assert "old.duckdb" in err and "raw.orders has no _batch_id column" in err and "make clean" in err
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.orders").fetchall() == [(1,)]
        tables = {t for (t,) in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()}
    assert tables == {"orders"}  # nothing created beside the old table
