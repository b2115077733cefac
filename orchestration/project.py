"""The dbt project as Dagster sees it, and the warehouse relations named in its manifest."""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration import settings

__all__ = ["dbt_project", "dbt_executable", "dbt_cli_resource", "ensure_manifest", "model_relation", "source_relation",
           "source_tables", "exposure_models"]

dbt_project = DbtProject(project_dir=settings.DBT_PROJECT_DIR)

# Sources of the manifest: a change to any of them makes the manifest stale.
_MANIFEST_INPUTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")


def dbt_executable() -> str:
    """The dbt beside this Python interpreter, so a venv works without being activated."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_cli_resource() -> DbtCliResource:
    """The dbt CLI resource every dbt invocation of Loyalist goes through."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in _MANIFEST_INPUTS:
        path = settings.DBT_PROJECT_DIR / name
        paths = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        for item in paths:
            newest = max(newest, item.stat().st_mtime)
    return newest


def ensure_manifest(force: bool = False) -> Path:
    """Run ``dbt parse`` when the manifest is missing or older than the project files.

    Dagster needs the manifest before Definitions load; parsing takes a few seconds, so it is
    skipped when nothing changed.
    """
    manifest = dbt_project.manifest_path
    if force or not manifest.exists() or manifest.stat().st_mtime < _newest_input_mtime():
        # parse renders profiles.yml, which needs the variable (not the file) to exist
        os.environ.setdefault("LOYALIST_WAREHOUSE", str(settings.warehouse_path()))
        dbt_cli_resource().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
        _manifest.cache_clear()
    return manifest


@lru_cache(maxsize=1)
def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def model_relation(model_name: str) -> str:
    """``schema.table`` of a dbt model, from the manifest (so renames in dbt reach Python)."""
    for node in _manifest()["nodes"].values():
        if node["resource_type"] == "model" and node["name"] == model_name:
            return f"{node['schema']}.{node['alias']}"
    raise KeyError(f"no dbt model named {model_name!r} in {dbt_project.manifest_path}")


def source_relation(source_name: str, table_name: str) -> str:
    """``schema.table`` of a dbt source table: where a Python asset must write it."""
    for source in _manifest()["sources"].values():
        if source["source_name"] == source_name and source["name"] == table_name:
            return f"{source['schema']}.{source['identifier']}"
    raise KeyError(f"no dbt source {source_name}.{table_name} in {dbt_project.manifest_path}")


def exposure_models(exposure_name: str) -> list[str]:
    """Names of the dbt models an exposure depends on (what a dashboard reads), in name order."""
    for exposure in _manifest()["exposures"].values():
        if exposure["name"] == exposure_name:
            nodes = exposure["depends_on"]["nodes"]
            return sorted(_manifest()["nodes"][node]["name"] for node in nodes if node.startswith("model."))
    raise KeyError(f"no dbt exposure named {exposure_name!r} in {dbt_project.manifest_path}")


def source_tables(source_name: str) -> list[dict]:
    """The manifest entries of every table of a dbt source, in name order."""
    tables = [s for s in _manifest()["sources"].values() if s["source_name"] == source_name]
    if not tables:
        raise KeyError(f"no dbt source named {source_name!r} in {dbt_project.manifest_path}")
    return sorted(tables, key=lambda s: s["name"])


# Definitions cannot load without a manifest; this is a cheap mtime check when it is fresh.
ensure_manifest()
