"""Same inputs give identical tables; a different seed gives different ones."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from datagen import RAW_SCHEMAS, TRUTH_SCHEMAS
from datagen_testkit import build


def _tables(out):
    return {(kind, name): pq.read_table(out / kind / name)
            for kind, names in (("raw", RAW_SCHEMAS), ("truth", TRUTH_SCHEMAS)) for name in names}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    a = build(tmp_path_factory.mktemp("a"), people=2_000, seed=11)
    b = build(tmp_path_factory.mktemp("b"), people=2_000, seed=11)
    c = build(tmp_path_factory.mktemp("c"), people=2_000, seed=12)
    return a, b, c


def test_same_seed_gives_identical_tables(runs):
    a, b, _ = runs
    ta, tb = _tables(a), _tables(b)
    for key in ta:
        assert ta[key].num_rows > 0, key
        assert ta[key].equals(tb[key]), key


def test_different_seed_gives_different_tables(runs):
    a, _, c = runs
    ta, tc = _tables(a), _tables(c)
    for key in [("raw", "orders"), ("raw", "order_lines"), ("raw", "web_accounts"), ("truth", "people")]:
        assert not ta[key].equals(tc[key]), key


def test_manifest_matches_files(runs):
    a, _, _ = runs
    manifest = json.loads((a / "manifest.json").read_text())
    assert manifest["people"] == 2_000 and manifest["seed"] == 11 and manifest["chunk_people"] == 1_000
    assert manifest["start_date"] == "2023-11-01" and manifest["end_date"] == "2026-10-31"
    assert manifest["generator_version"] and manifest["seconds"] >= 0
    for (kind, name), table in _tables(a).items():
        assert manifest["rows"][kind][name] == table.num_rows, (kind, name)
    # one part file per chunk for per-chunk tables
    assert sorted(p.name for p in (a / "raw" / "orders").iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
