"""customer_rfm rebuilt with an explicit, earlier as_of ignores every event at or after it."""

import json
import os
import shutil
import subprocess

import duckdb
import pytest

from orchestration.project import dbt_executable, dbt_project

AS_OF = "2025-06-01"


@pytest.fixture()
def rebuilt_with_as_of(pipeline_run, tmp_path):
    """A copy of the test warehouse whose customer_rfm was rebuilt as of AS_OF by dbt."""
    warehouse = tmp_path / "loyalist.duckdb"
    shutil.copy(pipeline_run["warehouse"], warehouse)
    wal = pipeline_run["warehouse"].with_suffix(".duckdb.wal")
    if wal.exists():
        shutil.copy(wal, warehouse.with_suffix(".duckdb.wal"))
    subprocess.run(
        [dbt_executable(), "build", "--select", "customer_rfm", "--vars", json.dumps({"as_of": AS_OF}),
         "--target-path", str(tmp_path / "target")],
        cwd=dbt_project.project_dir,
        env={**os.environ, "LOYALIST_WAREHOUSE": str(warehouse)},
        check=True,
        capture_output=True,
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def test_rfm_as_of_an_earlier_date_uses_only_earlier_events(rebuilt_with_as_of):
    con = rebuilt_with_as_of
    assert con.execute("select distinct cast(as_of as varchar) from marts.customer_rfm").fetchall() == [(AS_OF,)]
    expected = con.sql(
        f"""
        select customer_id,
               count(distinct case when event_type = 'sale' then order_id end) as frequency,
               sum(amount) as monetary
        from marts.fct_order_lines
        where customer_id is not null and event_at < date '{AS_OF}'
        group by customer_id
        having count(distinct case when event_type = 'sale' then order_id end) > 0
        """
    ).df().set_index("customer_id").sort_index()
    rfm = con.sql("select customer_id, frequency, monetary from marts.customer_rfm").df().set_index("customer_id")
    rfm = rfm.sort_index()
    # the full history has later orders, so the cut-off must have dropped some customers and orders
    all_buyers = con.execute("select count(distinct customer_id) from marts.fct_orders").fetchall()[0][0]
    assert 0 < len(rfm) < all_buyers
    assert list(rfm.index) == list(expected.index)
    assert (rfm["frequency"].to_numpy() == expected["frequency"].to_numpy()).all()
    assert abs(rfm["monetary"] - expected["monetary"]).max() < 1e-6
    assert con.execute("select min(recency_days) from marts.customer_rfm").fetchall()[0][0] >= 1
