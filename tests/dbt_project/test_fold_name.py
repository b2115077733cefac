"""The DuckDB fast path of fold_name gives what the portable translate() gives, on every letter it lists."""

import json
import os
import subprocess

from orchestration.project import dbt_executable, dbt_project

LETTERS = "ąàáâãäåāăćçčďđęèéêëēėěĕğìíîïīıłľĺńñňóòôõöøōőřŕśšşșťţțùúûüūůűýÿźżž"
SAMPLES = [LETTERS, LETTERS.upper(), "  Łódź ", "Müller", "ZUZANNA", "Michał", "Straße", "", "   "]


def test_duckdb_fold_name_equals_the_portable_one(tmp_path):
    rows = " union all ".join(f"select '{text}' as name" for text in SAMPLES)
    query = (
        f"select name, {{{{ loyalist.duckdb__fold_name('name') }}}} as fast, "
        f"{{{{ loyalist.default__fold_name('name') }}}} as portable from ({rows}) as samples"
    )
    result = subprocess.run(
        [dbt_executable(), "show", "--inline", query, "--output", "json", "--limit", "-1", "--log-format", "json",
         "--target-path", str(tmp_path / "target")],
        cwd=dbt_project.project_dir,
        env={**os.environ, "LOYALIST_WAREHOUSE": str(tmp_path / "fold.duckdb")},
        check=True, capture_output=True, text=True,
    )
    preview = next(
        json.loads(line)["data"]["preview"] for line in result.stdout.splitlines()
        if line.startswith("{") and "preview" in json.loads(line).get("data", {})
    )
    rows = json.loads(preview) if isinstance(preview, str) else preview
    assert len(rows) == len(SAMPLES)
    for row in rows:
        assert row["fast"] == row["portable"], row
    folded = {row["name"]: row["fast"] for row in rows}
    assert folded[LETTERS] == "aaaaaaaaacccddeeeeeeeeegiiiiiilllnnnoooooooorrsssstttuuuuuuuyyzzz"
    assert folded["  Łódź "] == "lodz" and folded[""] is None
