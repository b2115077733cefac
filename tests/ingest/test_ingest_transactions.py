"""--format transactions: --map flags, YAML mapping files, CSV dialects and the value normalisations."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from ingest_testkit import batches, transaction_rows, write_csv

from ingest.load import load_file
from ingest.normalise import TIMESTAMP_CANDIDATES

HEADER = ["cust", "order_no", "when", "sku", "qty", "paid", "pct_off", "shop", "chan"]
ROWS = [
    ["C-1", "O1", "03/14/2024 09:05", "SKU1", "2", "9.90", "0.25", "S01", "store"],
    ["C-2", "O2", "03/15/2024 18:30", "SKU2", "1", "12.00", "", "", "web"],
    ["42.0", "O3", "yesterday", "SKU3", "one", "1,50", "", "S02", "store"],
]
FLAGS = {"customer": "cust", "order": "order_no", "timestamp": "when", "product": "sku", "quantity": "qty",
         "price": "paid"}


def test_map_flags_fill_the_required_targets_and_leave_the_rest_null(tmp_path, db):
    path = write_csv(tmp_path / "orders.csv", HEADER, ROWS)

    result = load_file(db, "transactions", path, mapping=FLAGS)

    assert (result.rows, result.source, result.format) == (3, "transactions", "transactions")
    first, second, third = transaction_rows(db)
    assert first == {
        "_batch_id": 1, "_source_row": 1, "source": "transactions", "customer_key": "C-1", "order_id": "O1",
        "ordered_at": "2024-03-14 09:05:00", "product_id": "SKU1", "quantity": "2", "unit_price": "9.90",
        "channel": None, "discount": None, "store_id": None, "product_name": None, "category": None, "brand": None,
        "country": None,
    }
    # bad values land verbatim for staging to quarantine; the float-artefact key is normalised
    assert (third["customer_key"], third["ordered_at"], third["quantity"], third["unit_price"]) == (
        "42", "yesterday", "one", "1,50")
    assert second["ordered_at"] == "2024-03-15 18:30:00"


def test_optional_targets_map_to_their_columns_and_empty_fields_are_null(tmp_path, db):
    path = write_csv(tmp_path / "orders.csv", HEADER, ROWS)

    load_file(db, "transactions", path, mapping=FLAGS | {"discount": "pct_off", "store": "shop", "channel": "chan"})

    rows = transaction_rows(db)
    assert [(r["discount"], r["store_id"], r["channel"]) for r in rows] == [
        ("0.25", "S01", "store"), (None, None, "web"), (None, "S02", "store")]


def test_a_yaml_mapping_file_sets_columns_source_and_format_and_flags_override_it(tmp_path, db):
    rows = [[c, o, w.replace("03/14/2024", "14.03.2024").replace("03/15/2024", "15.03.2024"), *rest]
            for c, o, w, *rest in ROWS]
    path = write_csv(tmp_path / "orders.csv", HEADER, rows, delimiter=";")
    mapping = tmp_path / "shop.yml"
    mapping.write_text(
        "source: shop_eu\n"
        "timestamp_format: '%d.%m.%Y %H:%M'\n"
        "delimiter: ';'\n"
        "columns:\n"
        "  customer: cust\n  order: order_no\n  timestamp: when\n  product: sku\n  quantity: qty\n"
        "  price: paid\n  store: shop\n"
    )

    result = load_file(db, "transactions", path, mapping_file=mapping, mapping={"store": "chan"})

    assert result.source == "shop_eu"
    rows_loaded = transaction_rows(db)
    assert [r["ordered_at"] for r in rows_loaded] == ["2024-03-14 09:05:00", "2024-03-15 18:30:00", "yesterday"]
    assert [r["store_id"] for r in rows_loaded] == ["store", "web", "store"]  # the flag won
    options = json.loads(batches(db)[0]["options"])
    assert options["timestamp_format"] == "%d.%m.%Y %H:%M"
    assert options["delimiter"] == ";"
    assert options["mapping"]["store"] == "chan"
    assert options["mapping_file"] == str(mapping)

    again = load_file(db, "transactions", path, mapping_file=mapping, source="other")
    assert again.already_loaded  # same bytes, same format: the source flag does not make it new


def test_the_timestamp_format_that_parses_most_values_wins(tmp_path, db):
    rows = [
        ["c", "o1", "01/02/2024 10:00", "p", "1", "1"],  # ambiguous
        ["c", "o2", "25/02/2024 10:00", "p", "1", "1"],  # day first only
        ["c", "o3", "26/02/2024 11:15", "p", "1", "1"],  # day first only
        ["c", "o4", "31/02/2024 11:15", "p", "1", "1"],  # no such day: stays verbatim
        ["c", "o5", "", "p", "1", "1"],
    ]
    path = write_csv(tmp_path / "eu.csv", ["c", "o", "t", "p", "q", "pr"], rows)

    load_file(db, "transactions", path, mapping={"customer": "c", "order": "o", "timestamp": "t", "product": "p",
                                                 "quantity": "q", "price": "pr"})

    assert [r["ordered_at"] for r in transaction_rows(db)] == [
        "2024-02-01 10:00:00", "2024-02-25 10:00:00", "2024-02-26 11:15:00", "31/02/2024 11:15", None]
    assert json.loads(batches(db)[0]["options"])["timestamp_format"] == "%d/%m/%Y %H:%M"


def test_timestamps_that_no_format_parses_stay_verbatim_and_no_format_is_recorded(tmp_path, db):
    path = write_csv(tmp_path / "junk.csv", ["c", "o", "t", "p", "q", "pr"],
                     [["c", "o", "soon", "p", "1", "1"], ["c", "o", "2024-13-45 99:99", "p", "1", "1"]])

    load_file(db, "transactions", path, mapping={"customer": "c", "order": "o", "timestamp": "t", "product": "p",
                                                 "quantity": "q", "price": "pr"})

    assert [r["ordered_at"] for r in transaction_rows(db)] == ["soon", "2024-13-45 99:99"]
    assert json.loads(batches(db)[0]["options"])["timestamp_format"] is None


def test_each_candidate_timestamp_format_is_detected_and_becomes_iso_text(tmp_path, db):
    when = datetime(2024, 7, 19, 16, 5, 9)  # day 19: month/day and day/month cannot be confused
    mapping = {"customer": "c", "order": "o", "timestamp": "t", "product": "p", "quantity": "q", "price": "pr"}
    for i, (label, patterns) in enumerate(TIMESTAMP_CANDIDATES):
        for j, pattern in enumerate(patterns):
            path = write_csv(tmp_path / f"ts{i}{j}.csv", ["c", "o", "t", "p", "q", "pr"],
                             [["c", "o", when.strftime(pattern), "p", "1", "1"]])

            result = load_file(db, "transactions", path, mapping=mapping)

            (row,) = transaction_rows(db, result.batch_id)
            expected = when if "%S" in pattern else when.replace(second=0)
            assert row["ordered_at"] == expected.strftime("%Y-%m-%d %H:%M:%S"), pattern
            assert json.loads(batches(db)[-1]["options"])["timestamp_format"] == label


def test_parquet_with_typed_columns_lands_as_text(tmp_path, db):
    frame = pd.DataFrame({
        "customer": [17850.0, 3.5, None],
        "order": [1, 2, 3],
        "at": pd.to_datetime(["2024-01-02 03:04:05", "2024-01-02 03:04:05.250", None], format="ISO8601"),
        "sku": ["A", "", "C"],
        "qty": [1, -2, 0],
        "price": [2.55, 1e-05, 100.0],
    })
    path = tmp_path / "typed.parquet"
    frame.to_parquet(path)

    load_file(db, "transactions", path, mapping={"customer": "customer", "order": "order", "timestamp": "at",
                                                 "product": "sku", "quantity": "qty", "price": "price"})

    rows = transaction_rows(db)
    assert [r["customer_key"] for r in rows] == ["17850", "3.5", None]
    assert [r["ordered_at"] for r in rows] == ["2024-01-02 03:04:05", "2024-01-02 03:04:05", None]
    assert [r["product_id"] for r in rows] == ["A", None, "C"]
    assert [r["quantity"] for r in rows] == ["1", "-2", "0"]
    assert rows[0]["unit_price"] == "2.55"


def test_latin1_and_utf16_files_load_with_their_encoding(tmp_path, db):
    header = ["c", "o", "t", "p", "q", "pr"]
    latin = write_csv(tmp_path / "latin.csv", header, [["Zoë", "o", "2024-01-01 10:00", "Crème", "1", "1"]],
                      encoding="latin-1")
    utf16 = write_csv(tmp_path / "excel.txt", header, [["Zoë", "o", "2024-01-01 10:00", "Crème", "1", "1"]],
                      encoding="utf-16", delimiter="\t")
    mapping = {"customer": "c", "order": "o", "timestamp": "t", "product": "p", "quantity": "q", "price": "pr"}

    load_file(db, "transactions", latin, mapping=mapping, encoding="latin-1")
    load_file(db, "transactions", utf16, mapping=mapping)  # BOM: detected without a flag

    assert [(r["customer_key"], r["product_id"]) for r in transaction_rows(db)] == [("Zoë", "Crème")] * 2
    assert [json.loads(b["options"])["encoding"] for b in batches(db)] == ["latin-1", "utf-16"]
    assert json.loads(batches(db)[1]["options"])["delimiter"] == "\t"


def test_the_delimiter_is_detected_from_the_header_or_given(tmp_path, db):
    header = ["c", "o", "t", "p", "q", "pr"]
    row = ["a,b", "o", "2024-01-01 10:00", "p", "1", "1,5"]
    mapping = {"customer": "c", "order": "o", "timestamp": "t", "product": "p", "quantity": "q", "price": "pr"}
    semicolons = write_csv(tmp_path / "semi.csv", header, [row], delimiter=";")
    pipes = write_csv(tmp_path / "pipes.tsv", header, [row], delimiter="|")

    load_file(db, "transactions", semicolons, mapping=mapping)
    load_file(db, "transactions", pipes, mapping=mapping, delimiter="|")

    assert [(r["customer_key"], r["unit_price"]) for r in transaction_rows(db)] == [("a,b", "1,5")] * 2


def test_columns_of_the_mapping_match_ignoring_case_and_an_exact_name_wins(tmp_path, db):
    path = write_csv(tmp_path / "x.csv", ["Customer_ID", "customer id", "Order", "TS", "SKU", "QTY", "Price"],
                     [["exact", "other", "o", "2024-01-01 00:00", "p", "1", "1"]])

    load_file(db, "transactions", path, mapping={"customer": "customer id", "order": "order", "timestamp": "ts",
                                                 "product": "sku", "quantity": "qty", "price": "price"})

    (row,) = transaction_rows(db)
    assert (row["customer_key"], row["order_id"]) == ("other", "o")


def test_a_connection_with_a_half_read_result_loads_and_is_left_usable(tmp_path, db):
    path = write_csv(tmp_path / "orders.csv", HEADER, ROWS)
    db.execute("select 1 union all select 2").fetchone()  # the caller's business: DuckDB 2 keeps it open

    load_file(db, "transactions", path, mapping=FLAGS)
    load_file(db, "transactions", path, mapping=FLAGS)  # the no-op path too

    assert db.sql("select count(*) from raw.transaction_lines").fetchall() == [(3,)]
