"""A user's own order lines end to end through the `loyalist` command: `loyalist load --format
transactions` with the --map flags, then `loyalist run --as-of`, and the marts carry what was mapped."""

import csv
import random

import duckdb
import pytest

from orchestration.cli import main

AS_OF = "2024-06-01"
HEADER = ["cust", "receipt", "ts", "sku", "qty", "paid", "chan", "disc", "shop", "cat", "maker"]
MAP = ["customer=cust", "order=receipt", "timestamp=ts", "product=sku", "quantity=qty", "price=paid",
       "channel=chan", "discount=disc", "store=shop", "category=cat", "brand=maker"]


def _write_lines(path, rng):
    """80 customers, a few receipts each over 2024, dates written day-first as a till exports them."""
    rows = []
    for customer in range(1, 81):
        for receipt in range(rng.randint(1, 6)):
            month, day = rng.randint(1, 11), rng.randint(1, 28)
            stamp = f"{day:02d}/{month:02d}/2024 {rng.randint(8, 20)}:{rng.randint(0, 59):02d}"
            channel = rng.choice(["Web", "Store"])
            # distinct products per receipt: two identical lines would rightly be quarantined as duplicates
            for sku in rng.sample(range(1, 31), rng.randint(1, 4)):
                rows.append([f"{customer:04d}", f"R{customer}-{receipt}", stamp, f"SKU{sku}", rng.randint(1, 3),
                             f"{5 + sku * 1.5:.2f}", channel, rng.choice(["", "0.2"]), "S1" if channel == "Store" else "",
                             f"cat{sku % 4}", f"brand{sku % 3}"])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return len(rows)


@pytest.fixture(scope="module")
def loaded_and_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("load_and_run")
    mp = pytest.MonkeyPatch()
    mp.setenv("LOYALIST_WAREHOUSE", str(root / "loyalist.duckdb"))
    mp.setenv("DAGSTER_HOME", str(root / "dagster"))
    try:
        path = root / "till_export.csv"
        rows = _write_lines(path, random.Random(3))
        argv = ["load", "--format", "transactions", str(path), "--source", "pos"]
        for pair in MAP:
            argv += ["--map", pair]
        load_code = main(argv)
        run_code = main(["run", "--as-of", AS_OF, "--log-level", "ERROR"])
        yield {"rows": rows, "codes": (load_code, run_code), "warehouse": root / "loyalist.duckdb"}
    finally:
        mp.undo()


@pytest.fixture()
def wh(loaded_and_run):
    con = duckdb.connect(str(loaded_and_run["warehouse"]), read_only=True)
    yield con
    con.close()


def test_load_and_run_succeed(loaded_and_run):
    assert loaded_and_run["codes"] == (0, 0)


def test_every_line_is_staged_and_the_mapping_reaches_the_marts(loaded_and_run, wh):
    assert wh.execute("select raw_rows, staged_rows, quarantined_rows from audit.load_reconciliation").fetchall() == [
        (loaded_and_run["rows"], loaded_and_run["rows"], 0)
    ]
    # day-first dates were recognised: every staged line has its timestamp
    assert wh.execute("select count(*) from staging.stg_transactions__lines where ordered_at is null").fetchall() == [(0,)]
    assert set(wh.execute("select distinct channel from marts.fct_order_lines").fetchall()) == {("web",), ("store",)}
    assert wh.execute("select count(*) from marts.fct_order_lines where discount_pct = 0.2").fetchall()[0][0] > 0
    product = wh.execute("select category, brand, is_product from marts.dim_products where product_id = 'SKU5'").fetchall()
    assert product == [("cat1", "brand2", True)]
    keys = wh.execute("select count(*), min(source) from marts.dim_customer_keys").fetchall()[0]
    assert keys[1] == "pos" and keys[0] == wh.execute("select count(*) from marts.dim_customers").fetchall()[0][0]


def test_the_run_is_cut_at_as_of(wh):
    assert wh.execute("select distinct cast(as_of as varchar) from marts.customer_rfm").fetchall() == [(AS_OF,)]
    assert wh.execute(f"select count(*) from marts.fct_order_lines where event_at >= '{AS_OF}'").fetchall() == [(0,)]
    later = wh.execute(f"select count(*) from staging.stg_transactions__lines where ordered_at >= '{AS_OF}'").fetchall()
    assert later[0][0] > 0  # there were later lines to leave out
    assert wh.execute("select distinct cast(as_of as varchar) from ml.customer_segments").fetchall() == [(AS_OF,)]
