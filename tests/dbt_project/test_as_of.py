"""One as_of for the whole pipeline: a run as of T uses only events before T, so it must not change
when events after T are added. Checked on the demo warehouse: the marts built as of T over all the
data equal the marts built as of T over a copy from which every event at or after T was removed."""

import json
import os
import shutil
import subprocess

import duckdb
import pandas as pd
import pytest
from warehouse_testkit import snapshot_tables

from orchestration.project import dbt_executable, dbt_project

AS_OF = "2025-06-01"
MARTS = tuple(f"marts.{mart}" for mart in (
    "dim_customers", "dim_products", "dim_customer_keys", "fct_order_lines", "fct_orders", "customer_rfm",
    "customer_rfm_segments", "customer_rfm_segment_changes", "rfm_segment_migration", "cohort_retention",
))

# (table, timestamp column): the raw events that happen at a point in time
_EVENTS = (
    ("orders", "ordered_at"),
    ("returns", "returned_at"),
    ("web_views", "viewed_at"),
    ("campaign_contacts", "sent_at"),
    ("callcenter_contacts", "contacted_at"),
    ("web_accounts", "created_at"),
    ("loyalty_cards", "issued_at"),
)


def _copy_warehouse(pipeline_run, target):
    shutil.copy(pipeline_run["warehouse"], target)
    wal = pipeline_run["warehouse"].with_suffix(".duckdb.wal")
    if wal.exists():
        shutil.copy(wal, target.with_suffix(".duckdb.wal"))


def _build_as_of(warehouse, target_path):
    subprocess.run(
        [dbt_executable(), "build", "--exclude", "path:models/serving", "--vars", json.dumps({"as_of": AS_OF}),
         "--target-path", str(target_path)],
        cwd=dbt_project.project_dir,
        env={**os.environ, "LOYALIST_WAREHOUSE": str(warehouse)},
        check=True,
        capture_output=True,
    )


def _drop_events_from(warehouse):
    """Remove every raw event at or after AS_OF (and the lines of removed orders), as if not yet loaded."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(
            f"delete from raw.order_lines where order_id in (select order_id from raw.orders where ordered_at >= '{AS_OF}')"
        )
        for table, column in _EVENTS:
            con.execute(f"delete from raw.{table} where {column} >= '{AS_OF}'")
        # the loader's declared row count follows, so the reconciliation test still holds
        tables = ["products", "stores", "order_lines", *(t for t, _ in _EVENTS)]
        total = " + ".join(f"(select count(*) from raw.{t})" for t in tables)
        con.execute(f"update raw.load_batches set row_count = {total}")
    finally:
        con.close()


@pytest.fixture(scope="module")
def as_of_runs(pipeline_run, tmp_path_factory):
    """Marts as of AS_OF built over all events, and over only the events before AS_OF."""
    root = tmp_path_factory.mktemp("as_of")
    full, cut = root / "full.duckdb", root / "cut.duckdb"
    _copy_warehouse(pipeline_run, full)
    _copy_warehouse(pipeline_run, cut)
    _drop_events_from(cut)
    _build_as_of(full, root / "target_full")
    _build_as_of(cut, root / "target_cut")
    return {"full": full, "cut": cut, "marts_full": snapshot_tables(full, MARTS), "marts_cut": snapshot_tables(cut, MARTS)}


def test_a_run_as_of_t_ignores_events_after_t(as_of_runs):
    for mart in MARTS:
        full, cut = as_of_runs["marts_full"][mart], as_of_runs["marts_cut"][mart]
        assert len(full) > 0, mart
        pd.testing.assert_frame_equal(full, cut, check_exact=False, rtol=1e-9, obj=mart)


def test_every_mart_holds_only_events_before_as_of(as_of_runs, con):
    built = duckdb.connect(str(as_of_runs["full"]), read_only=True)
    try:
        latest = built.execute(
            """
            select
                (select max(event_at) from marts.fct_order_lines),
                (select max(ordered_at) from marts.fct_orders),
                (select max(first_seen_at) from marts.dim_customers),
                (select max(last_web_view_at) from marts.dim_customers)
            """
        ).fetchall()[0]
        assert all(value < pd.Timestamp(AS_OF) for value in latest)
        assert built.execute("select distinct cast(as_of as varchar) from marts.customer_rfm").fetchall() == [(AS_OF,)]
        # the uncut build has later events, so the cut really removed something
        assert con.execute("select count(*) from marts.fct_orders").fetchall()[0][0] > built.execute(
            "select count(*) from marts.fct_orders"
        ).fetchall()[0][0]
        assert built.execute("select min(recency_days) from marts.customer_rfm").fetchall()[0][0] >= 1
    finally:
        built.close()
