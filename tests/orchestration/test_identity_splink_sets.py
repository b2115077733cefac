"""Splink's fake_1000 sets through the whole identity pipeline: `loyalist load --format customers`
with the flag mapping, `loyalist run` of the identity stages, and the merged customers of
dim_customer_keys scored against the files' `cluster` column (the truth, never loaded)."""

from pathlib import Path

import duckdb
import pytest

from orchestration.cli import main
from orchestration.identity_quality import file_truth_scores

SETS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "splink_fake_1000"
MAPPING = ["--map", "key=unique_id", "--map", "first_name=first_name", "--map", "surname=surname",
           "--map", "dob=dob", "--map", "email=email", "--map", "city=city"]
IDENTITY_STAGES = "input_models,identity_match_links,warehouse_models,identity_quality"


def _scores(tmp_path, monkeypatch, file_name, *run_flags):
    """Load one file into a fresh warehouse, run the identity stages, score against its clusters."""
    warehouse = tmp_path / "loyalist.duckdb"
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    truth = SETS / file_name
    assert main(["load", "--format", "customers", str(truth), *MAPPING]) == 0
    assert main(["run", "--only", IDENTITY_STAGES, *run_flags]) == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        keys = con.execute("select count(*) from marts.dim_customer_keys where source = 'customers'").fetchall()[0][0]
        assert keys == 1000  # every loaded record key maps to its merged customer
        return file_truth_scores(con, truth, "unique_id", "cluster", "customers")


def test_exact_email_alone_matches_the_published_baseline(tmp_path, monkeypatch):
    scores = _scores(tmp_path, monkeypatch, "splink_datasets_fake_1000.parquet", "--no-probabilistic")
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(0.34, abs=0.01)
    assert scores["f1"] == pytest.approx(0.50, abs=0.01)


@pytest.mark.parametrize("file_name", ["splink_datasets_fake_1000.parquet", "fake_1000_from_splink_demos.parquet"])
def test_probabilistic_matching_reaches_the_targets(tmp_path, monkeypatch, file_name):
    scores = _scores(tmp_path, monkeypatch, file_name)
    assert scores["precision"] >= 0.98
    assert scores["f1"] >= 0.88
