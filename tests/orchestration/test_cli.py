"""The `loyalist` command's arguments and its errors."""

import pytest

from orchestration.cli import build_parser, main


def test_run_parses_as_of_and_k():
    args = build_parser().parse_args(["run", "--as-of", "2026-01-31", "--k", "6"])
    assert args.as_of == "2026-01-31"
    assert args.k == 6


def test_a_malformed_as_of_is_refused_with_the_expected_format(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--as-of", "31/01/2026"])
    assert "expected YYYY-MM-DD" in capsys.readouterr().err


def test_an_unknown_stage_names_the_valid_ones(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(tmp_path / "loyalist.duckdb"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    assert main(["run", "--only", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown stage 'nonsense'" in err
    for stage in ("raw_data", "input_models", "identity_match_links", "warehouse_models", "identity_quality",
                  "segmentation", "serving_models"):
        assert stage in err
    assert not (tmp_path / "loyalist.duckdb").exists()  # nothing ran


def test_run_config_carries_one_as_of_for_every_stage():
    from dagster import validate_run_config

    from orchestration.cli import _run_config
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB

    config = _run_config(build_parser().parse_args(["run", "--as-of", "2011-12-01"]))
    assert config["resources"]["cutoff"]["config"]["as_of"] == "2011-12-01"
    # the job accepts it as it is: the one resource every stage reads
    validated = validate_run_config(defs.resolve_job_def(PIPELINE_JOB), config)
    assert validated["resources"]["cutoff"]["config"]["as_of"] == "2011-12-01"
