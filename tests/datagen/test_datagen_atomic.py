"""A failed run never leaves a half-written dataset; a successful one replaces the old."""

from __future__ import annotations

import json

import pytest

import datagen.runner as gen
from datagen import generate


class Boom(RuntimeError):
    pass


def _fail_on_second_chunk(monkeypatch):
    real = gen.make_returns
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise Boom("simulated failure mid-run")
        return real(*args, **kwargs)

    monkeypatch.setattr(gen, "make_returns", flaky)
    return calls


def test_failed_run_leaves_nothing(tmp_path, monkeypatch):
    calls = _fail_on_second_chunk(monkeypatch)
    out = tmp_path / "demo"
    with pytest.raises(Boom):
        generate(out, people=1_500, chunk_people=500, progress=False)
    assert calls["n"] == 2  # the first chunk was generated (and written) before the failure
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_failed_run_keeps_previous_dataset(tmp_path, monkeypatch):
    out = tmp_path / "demo"
    generate(out, people=1_000, seed=1, chunk_people=500, progress=False)
    before = json.loads((out / "manifest.json").read_text())
    _fail_on_second_chunk(monkeypatch)
    with pytest.raises(Boom):
        generate(out, people=1_500, seed=2, chunk_people=500, progress=False)
    assert json.loads((out / "manifest.json").read_text()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_successful_run_replaces_previous_dataset(tmp_path):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    manifest = generate(out, people=1_000, seed=3, chunk_people=500, progress=False)
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "manifest.json").read_text()) == manifest
    assert (out / "raw" / "orders" / "part-00001.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
