"""The inbox: the sensor asks for one run per new version of the files that stopped changing, and
raw_data loads them (with the folder's mapping.yml), moves them to loaded/, and refuses a bad file
without loading any of it."""

import os
import time

import duckdb
import pytest
from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context, materialize

from orchestration.assets.raw import raw_data
from orchestration.automation import inbox_files
from orchestration.inbox import ready_files
from orchestration.resources import build_resources

MAPPING = """columns:
  customer: cust
  order: receipt
  timestamp: ts
  product: sku
  quantity: qty
  price: paid
"""


def _till_file(path, customers=5, header="cust,receipt,ts,sku,qty,paid"):
    lines = [header] + [f"c{c},r{c}-{k},2024-03-0{k + 1} 10:00:00,SKU{k},1,9.99" for c in range(customers) for k in range(3)]
    path.write_text("\n".join(lines) + "\n")
    old = time.time() - 60  # settled: not being copied any more
    os.utime(path, (old, old))
    return path


@pytest.fixture()
def inbox(tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALIST_INBOX", str(tmp_path / "inbox"))
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(tmp_path / "loyalist.duckdb"))
    (tmp_path / "inbox" / "transactions").mkdir(parents=True)
    (tmp_path / "inbox" / "transactions" / "mapping.yml").write_text(MAPPING)
    return tmp_path / "inbox"


def test_ready_files_skip_fresh_files_other_types_and_unknown_folders(inbox):
    settled = _till_file(inbox / "transactions" / "a.csv")
    fresh = inbox / "transactions" / "b.csv"
    fresh.write_text("cust\n")  # modified just now: maybe still being copied
    (inbox / "elsewhere").mkdir()
    _till_file(inbox / "elsewhere" / "c.csv")
    assert [f.path.name for f in ready_files(inbox)] == [settled.name]
    assert [f.path.name for f in ready_files(inbox, now=time.time() + 60)] == ["a.csv", "b.csv"]


def test_the_sensor_requests_one_run_per_version_of_the_files(inbox):
    with DagsterInstance.ephemeral() as instance:
        assert isinstance(inbox_files(build_sensor_context(instance=instance)), SkipReason)
        path = _till_file(inbox / "transactions" / "a.csv")
        first = inbox_files(build_sensor_context(instance=instance))
        assert isinstance(first, RunRequest)
        assert first.run_config["ops"]["raw_data"]["config"]["inbox_files"] == {str(path.resolve()): "transactions"}
        assert inbox_files(build_sensor_context(instance=instance)).run_key == first.run_key
        _till_file(path, customers=6)  # the file changed: a new run
        assert inbox_files(build_sensor_context(instance=instance)).run_key != first.run_key


def _load(files: dict):
    return materialize([raw_data], resources=build_resources(), raise_on_error=False,
                       run_config={"ops": {"raw_data": {"config": {"inbox_files": files}}}})


def test_raw_data_loads_inbox_files_moves_them_and_refuses_a_bad_one_whole(inbox, tmp_path):
    good = _till_file(inbox / "transactions" / "till.csv")
    assert _load({str(good): "transactions"}).success
    assert not good.exists() and (inbox / "transactions" / "loaded" / "till.csv").exists()
    with duckdb.connect(str(tmp_path / "loyalist.duckdb"), read_only=True) as con:
        # the inbox file is the first batch: no demo data mixed in
        assert con.execute("select count(*), min(format) from raw.load_batches").fetchall() == [(1, "transactions")]
        assert con.execute("select count(*) from raw.transaction_lines").fetchall() == [(15,)]
    bad = _till_file(inbox / "transactions" / "broken.csv", header="cust,receipt,ts,sku,qty,amount")
    result = _load({str(bad): "transactions"})
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "broken.csv" in str(failure.event_specific_data.error) and "paid" in str(failure.event_specific_data.error)
    assert bad.exists()  # stays in the inbox to be fixed
    with duckdb.connect(str(tmp_path / "loyalist.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.load_batches").fetchall() == [(1,)]
        assert con.execute("select count(*) from raw.transaction_lines").fetchall() == [(15,)]
