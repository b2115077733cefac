"""--format online-retail: the UCI reference file, Online Retail II CSV and XLSX, batches and idempotency."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import openpyxl
from ingest_testkit import (
    ONLINE_RETAIL_PARQUET,
    RETAIL_II_HEADER,
    RETAIL_II_ROWS,
    batches,
    needs_online_retail,
    raw_counts,
    transaction_rows,
    write_csv,
)

from ingest.load import LoadResult, load_file


@needs_online_retail
def test_the_uci_parquet_loads_every_row_with_integer_customer_keys(db):
    result = load_file(db, "online-retail", ONLINE_RETAIL_PARQUET)

    assert result == LoadResult(1, "online-retail", "online_retail", "online_retail.parquet", 541_909, False,
                                {"transaction_lines": 541_909})
    stats = db.execute("""
        select count(*), count(distinct customer_key), count(distinct order_id),
               count(*) filter (where customer_key = '17850'), count(*) filter (where customer_key like '%.%'),
               min(_source_row), max(_source_row), count(distinct _source_row),
               count(*) filter (where ordered_at not similar to '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d'),
               count(distinct source), count(*) filter (where _batch_id <> 1)
        from raw.transaction_lines
    """).fetchone()
    assert stats == (541_909, 4_372, 25_900, stats[3], 0, 1, 541_909, 541_909, 0, 1, 0)
    assert stats[3] > 0
    first = transaction_rows(db)[0]
    assert first == {
        "_batch_id": 1, "_source_row": 1, "source": "online_retail", "customer_key": "17850", "order_id": "536365",
        "ordered_at": "2010-12-01 08:26:00", "product_id": "85123A", "quantity": "6", "unit_price": "2.55",
        "channel": None, "discount": None, "store_id": None,
        "product_name": "WHITE HANGING HEART T-LIGHT HOLDER", "category": None, "brand": None,
        "country": "United Kingdom",
    }
    # descriptions keep their trailing spaces: values land verbatim
    assert db.execute("select count(*) from raw.transaction_lines where product_name = 'FANCY FONT BIRTHDAY CARD, '"
                      ).fetchone()[0] > 0

    (batch,) = batches(db)
    assert batch["file_hash"] == hashlib.sha256(ONLINE_RETAIL_PARQUET.read_bytes()).hexdigest()
    assert (batch["format"], batch["source"], batch["row_count"]) == ("online-retail", "online_retail", 541_909)
    assert batch["file_path"] == str(ONLINE_RETAIL_PARQUET.resolve())
    assert abs((datetime.now() - batch["loaded_at"]).total_seconds()) < 120
    options = json.loads(batch["options"])
    assert options["mapping"]["customer"] == "CustomerID"
    assert options["file_type"] == "parquet"


@needs_online_retail
def test_loading_the_same_file_again_is_a_noop_naming_the_batch(db):
    load_file(db, "online-retail", ONLINE_RETAIL_PARQUET)
    before = raw_counts(db)

    again = load_file(db, "online-retail", ONLINE_RETAIL_PARQUET, source="renamed")

    assert again.already_loaded and again.batch_id == 1 and again.rows == 0
    assert again.source == "online_retail"  # the batch that holds the rows
    assert raw_counts(db) == before


def test_online_retail_ii_csv_with_us_dates_and_float_customer_ids(tmp_path, db):
    path = write_csv(tmp_path / "online_retail_II.csv", RETAIL_II_HEADER, RETAIL_II_ROWS)

    result = load_file(db, "online-retail", path)

    assert (result.rows, result.source) == (4, "online_retail")
    rows = transaction_rows(db)
    assert [r["_source_row"] for r in rows] == [1, 2, 3, 4]
    assert [r["ordered_at"] for r in rows] == [
        "2009-12-01 07:45:00", "2009-12-01 07:45:00", "2009-12-01 10:33:00", "2009-12-13 10:38:00"]
    assert [r["customer_key"] for r in rows] == ["13085", "13085", "16321", None]
    assert rows[2]["order_id"] == "C489449" and rows[2]["quantity"] == "-12"
    assert rows[2]["product_name"] == "PAPER BUNTING WHITE LACE "
    assert rows[3]["unit_price"] == "18"
    assert json.loads(batches(db)[0]["options"])["timestamp_format"] == "%m/%d/%Y %H:%M"


def test_header_names_match_ignoring_case_spaces_and_underscores(tmp_path, db):
    header = ["invoice_no", "stock code", "DESCRIPTION", "quantity", "Invoice_Date", "unit price", "customer_id",
              "country"]
    path = write_csv(tmp_path / "lower.csv", header, [["1", "A", "x", "2", "2011-01-02 03:04", "1.5", "7", "UK"]])

    load_file(db, "online-retail", path)

    (row,) = transaction_rows(db)
    assert (row["order_id"], row["ordered_at"], row["unit_price"], row["customer_key"]) == (
        "1", "2011-01-02 03:04:00", "1.5", "7")


def test_an_xlsx_workbook_loads_its_first_sheet_with_typed_cells_as_text(tmp_path, db):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(RETAIL_II_HEADER)
    sheet.append(["489434", "85048", "GLASS BALL", 12, datetime(2009, 12, 1, 7, 45), 6.95, 13085.0, "United Kingdom"])
    sheet.append([489435, "22087", "BUNTING, \"LACE\"", -3, datetime(2009, 12, 1, 10, 33, 5), 2, None, "France"])
    book.create_sheet("ignored").append(["not", "read"])
    path = tmp_path / "online_retail_II.xlsx"
    book.save(path)

    result = load_file(db, "online-retail", path)

    assert result.rows == 2
    first, second = transaction_rows(db)
    assert (first["_source_row"], first["ordered_at"], first["quantity"], first["unit_price"], first["customer_key"]) \
        == (1, "2009-12-01 07:45:00", "12", "6.95", "13085")
    assert (second["_source_row"], second["order_id"], second["product_name"], second["ordered_at"]) == (
        2, "489435", 'BUNTING, "LACE"', "2009-12-01 10:33:05")
    assert second["customer_key"] is None
    assert json.loads(batches(db)[0]["options"])["file_type"] == "xlsx"


def test_a_second_file_appends_a_batch_and_leaves_earlier_rows_alone(tmp_path, db):
    first = write_csv(tmp_path / "a.csv", RETAIL_II_HEADER, RETAIL_II_ROWS[:2])
    second = write_csv(tmp_path / "b.csv", RETAIL_II_HEADER, RETAIL_II_ROWS[2:] + RETAIL_II_ROWS[:1])
    load_file(db, "online-retail", first)
    before = transaction_rows(db, batch_id=1)

    result = load_file(db, "online-retail", second)

    assert (result.batch_id, result.rows, result.already_loaded) == (2, 3, False)
    assert transaction_rows(db, batch_id=1) == before
    assert [r["_source_row"] for r in transaction_rows(db, batch_id=2)] == [1, 2, 3]
    assert [b["batch_id"] for b in batches(db)] == [1, 2]
    assert raw_counts(db)["transaction_lines"] == 5


def test_the_same_bytes_under_another_name_are_recognised_but_another_format_is_not(tmp_path, db):
    path = write_csv(tmp_path / "a.csv", RETAIL_II_HEADER, RETAIL_II_ROWS)
    copy = tmp_path / "copy_of_a.csv"
    copy.write_bytes(path.read_bytes())
    load_file(db, "online-retail", path)

    assert load_file(db, "online-retail", copy).already_loaded
    mapping = {"customer": "Customer ID", "order": "Invoice", "timestamp": "InvoiceDate", "product": "StockCode",
               "quantity": "Quantity", "price": "Price"}
    as_transactions = load_file(db, "transactions", copy, mapping=mapping)
    assert (as_transactions.already_loaded, as_transactions.batch_id) == (False, 2)


def test_source_overrides_the_default_name(tmp_path, db):
    path = write_csv(tmp_path / "a.csv", RETAIL_II_HEADER, RETAIL_II_ROWS)

    result = load_file(db, "online-retail", path, source="shop_eu")

    assert result.source == "shop_eu"
    assert {r["source"] for r in transaction_rows(db)} == {"shop_eu"}
    assert batches(db)[0]["source"] == "shop_eu"
