"""Backtest invariance on real data: a run as of T does not change when a file of events after T is
loaded. Online Retail is split at T into two files, loaded as two batches."""

import duckdb
import pandas as pd
import pytest
from or_testkit import ONLINE_RETAIL, load, run_pipeline
from warehouse_testkit import snapshot_tables

AS_OF = "2011-09-01"
TABLES = (
    "marts.dim_customers",
    "marts.dim_customer_keys",
    "marts.dim_products",
    "marts.fct_order_lines",
    "marts.fct_orders",
    "marts.customer_rfm",
    "ml.customer_segments",
    "ml.segment_profiles",
    "serving.customer_360",
)


@pytest.fixture(scope="module")
def split_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("or_as_of")
    before, after = root / "before.parquet", root / "after.parquet"
    with duckdb.connect() as con:
        for path, condition in ((before, "<"), (after, ">=")):
            con.execute(
                f"copy (select * from read_parquet('{ONLINE_RETAIL}') where InvoiceDate {condition} '{AS_OF}') "
                f"to '{path}' (format parquet)"
            )
    warehouse = root / "loyalist.duckdb"
    load(warehouse, before)
    first = run_pipeline(warehouse, as_of=AS_OF)
    snapshot_before = snapshot_tables(warehouse, TABLES)
    second_load = load(warehouse, after)
    second = run_pipeline(warehouse, as_of=AS_OF)
    snapshot_after = snapshot_tables(warehouse, TABLES)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        # staging is not cut (it reads the raw log live): the later file's orders are there
        later_orders = con.execute(
            f"select count(distinct order_id) from staging.stg_transactions__lines where ordered_at >= '{AS_OF}'"
        ).fetchall()[0][0]
    return {
        "runs": (first, second),
        "second_load": second_load,
        "before": snapshot_before,
        "after": snapshot_after,
        "later_orders": later_orders,
    }


def test_every_run_succeeds(split_runs):
    assert all(run.success for run in split_runs["runs"])
    assert split_runs["second_load"].rows > 0 and not split_runs["second_load"].already_loaded


def test_a_run_as_of_t_does_not_change_when_later_events_are_loaded(split_runs):
    for table in TABLES:
        before, after = split_runs["before"][table], split_runs["after"][table]
        assert len(before) > 0, table
        pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9, obj=table)


def test_the_later_file_was_loaded_and_staged(split_runs):
    # so the equality above is not vacuous: thousands of later orders were there to leak
    assert split_runs["later_orders"] > 5_000
