"""Stable customer ids and identity events: more events never renumber a customer, and every change
of id is an append-only fact (identity_events); a backtest reads the registry but never writes it.

On a copy of the demo warehouse whose id registry is emptied: the identity models are built as of an
early date (the first run), then over everything loaded (more events: new customers, merges), then as
of the early date again (a backtest)."""

import json
import os
import shutil
import subprocess

import duckdb
import pytest

from orchestration.project import dbt_executable, dbt_project

EARLY = "2025-01-01"
IDENTITY = "path:models/intermediate/identity"


def _build_identity(warehouse, target_path, as_of=None):
    args = [dbt_executable(), "build", "--select", IDENTITY, "--target-path", str(target_path)]
    if as_of:
        args += ["--vars", json.dumps({"as_of": as_of})]
    subprocess.run(args, cwd=dbt_project.project_dir, env={**os.environ, "LOYALIST_WAREHOUSE": str(warehouse)},
                   check=True, capture_output=True)


def _ids(con):
    return dict(con.execute("select node_id, customer_id from identity.int_customer_ids_assigned").fetchall())


def _count(con, table):
    return con.execute(f"select count(*) from identity.{table}").fetchall()[0][0]


@pytest.fixture(scope="module")
def runs(pipeline_run, tmp_path_factory):
    """Node ids after the early run, after the full run and after the backtest, with the registry sizes."""
    root = tmp_path_factory.mktemp("identity_ids")
    warehouse = root / "loyalist.duckdb"
    shutil.copy(pipeline_run["warehouse"], warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("drop table identity.identity_customer_registry")
    con.execute("drop table identity.identity_events")
    con.close()
    states = {}
    for name, as_of in (("early", EARLY), ("full", None), ("backtest", EARLY)):
        _build_identity(warehouse, root / f"target_{name}", as_of)
        with duckdb.connect(str(warehouse), read_only=True) as con:
            states[name] = {
                "ids": _ids(con),
                "registry": _count(con, "identity_customer_registry"),
                "events": con.execute(
                    "select event_type, from_customer_id, to_customer_id, reason from identity.identity_events"
                ).fetchall(),
            }
    return states


def test_more_events_never_renumber_a_customer_without_an_event(runs):
    early, full = runs["early"]["ids"], runs["full"]["ids"]
    events = {(frm, to) for _, frm, to, _ in runs["full"]["events"]}
    kept = sum(1 for node, cid in early.items() if full.get(node) == cid)
    changed = [(node, cid, full[node]) for node, cid in early.items() if node in full and full[node] != cid]
    # every node known early keeps its id, unless an event says where it went
    assert all((old, new) in events for _, old, new in changed)
    assert kept > 0.9 * len(early)


def test_new_events_add_customers_and_record_merges_with_their_reason(runs):
    early, full = runs["early"], runs["full"]
    assert len(full["ids"]) > len(early["ids"])  # records created after the early date
    assert full["registry"] > early["registry"]
    merges = [event for event in full["events"] if event[0] == "merge"]
    assert merges, "three more years of events merge some customers known early"
    assert all(reason.startswith("linked by ") for _, _, _, reason in merges)
    # every retired id joined an id that lives on
    assert all(to in set(full["ids"].values()) for kind, _, to, _ in full["events"] if kind == "merge")


def test_a_backtest_reads_the_registry_but_appends_nothing(runs):
    assert runs["backtest"]["registry"] == runs["full"]["registry"]
    assert runs["backtest"]["events"] == runs["full"]["events"]
    # as of the early date the registry is read as it stood then: the ids the early run gave
    assert runs["backtest"]["ids"] == runs["early"]["ids"]


def test_the_first_run_registers_every_node_once(runs):
    assert runs["early"]["registry"] == len(runs["early"]["ids"])
    assert runs["early"]["events"] == []
