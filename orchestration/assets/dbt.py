"""dbt models as Dagster assets.

Three invocations of one dbt project, because Python assets sit between them:
  input_models      staging views, the seeds and the identity input (the records the matcher reads);
  warehouse_models  the identity graph (with the probabilistic links) and the marts;
  serving_models    the BI-facing marts that join the Python model outputs.
"""


import json
import os
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetMaterialization, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliInvocation, DbtCliResource, dbt_assets

from orchestration.column_lineage import lineage_schema, model_column_metadata, warehouse_columns
from orchestration.project import dbt_project
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource

__all__ = ["LoyalistDbtTranslator", "with_column_metadata", "input_models", "warehouse_models", "serving_models", "INPUT_SELECT", "SERVING_SELECT"]

# What the Python matcher (identity_match_links) reads: staging, the seeds, the identity input records.
INPUT_SELECT = "path:models/staging resource_type:seed tag:identity_input"
# Models that read tables written by the Python model assets live in this folder.
SERVING_SELECT = "path:models/serving"


class LoyalistDbtTranslator(DagsterDbtTranslator):
    """Rule-based mapping of dbt nodes to assets: the group is the model's folder."""

    def __init__(self, source_tests_as_checks: bool = True):
        # Tests on sources (raw keys, model outputs) become checks on the assets that write them. A
        # check may belong to one stage only, and dagster-dbt offers a source's tests to every stage
        # that reads the source: the stage that reads it first owns them.
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=source_tests_as_checks))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Group = the folder the model sits in (staging, identity, marts, serving)."""
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[-2] if len(fqn) >= 3 else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        """Every dbt model is owned by the analytics engineers."""
        return ["team:analytics-engineering"]

    def get_asset_check_spec(self, asset_spec, manifest: Mapping[str, Any], unique_id: str, project):
        """dbt tests as asset checks; those on a source written by a Python asset never block.

        The serving stage is the first to read the ml tables, so it runs their tests. Were those
        checks blocking, every Python asset downstream of a tested ml table (recommendations after
        basket rules, offers after scores) would have to wait for the serving stage, which reads
        them all: a cycle. `dbt build` still skips the serving models below a failing source test.
        """
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        parents = manifest["nodes"].get(unique_id, {}).get("depends_on", {}).get("nodes", [])
        if spec is not None and spec.blocking and parents and all(p.startswith("source.") for p in parents):
            return spec._replace(blocking=False)
        return spec


def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, cutoff: RunCutoff):
    # dbt runs as its own process and finds the warehouse through this variable (profiles.yml).
    os.environ["LOYALIST_WAREHOUSE"] = str(warehouse.resolved_path)
    # "buildable": a test that also reads a model outside this selection (customer_360 -> dim_customers)
    # runs with the invocation that builds that model, not before it exists. A default only, so
    # dagster-dbt can still narrow it when a user deselects checks.
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    dbt_vars = cutoff.dbt_vars()
    args = ["build", *(["--vars", json.dumps(dbt_vars)] if dbt_vars else [])]
    # One target folder per stage, reused: dagster-dbt's default is a new folder per invocation
    # (a few MB each, never cleaned up), and a stable one lets dbt reuse its partial parse.
    target_path = Path("target") / context.op_def.name
    invocation = dbt.cli(args, context=context, target_path=target_path, raise_on_error=False)
    # Held back until dbt exits: the column metadata reads the warehouse, which the dbt process
    # holds with DuckDB's single write lock while it runs. A failed build still reports what it built.
    events = list(invocation.stream())
    yield from with_column_metadata(events, invocation, warehouse)
    if not invocation.is_successful():
        raise invocation.get_error()


def with_column_metadata(events: list, invocation: DbtCliInvocation, warehouse: WarehouseResource):
    """The invocation's events, each model's output carrying its column schema and column lineage
    (orchestration.column_lineage), read from the warehouse after the build."""
    with warehouse.connect(read_only=True) as con:
        columns = warehouse_columns(con)
    manifest = invocation.manifest
    schema = lineage_schema(columns, manifest["metadata"]["adapter_type"])
    translator = invocation.dagster_dbt_translator

    def asset_key_of(unique_id: str):
        return translator.get_asset_spec(manifest, unique_id, dbt_project).key

    compiled_root = invocation.target_path / "compiled"
    for event in events:
        unique_id = event.metadata.get("unique_id") if isinstance(event, (Output, AssetMaterialization)) else None
        if unique_id is not None and unique_id.value in manifest["nodes"]:
            extra = model_column_metadata(manifest, unique_id.value, compiled_root, columns, schema, asset_key_of)
            event = event.with_metadata({**event.metadata, **extra})
        yield event


def _dbt_stage(name: str, description: str, source_checks: bool = True, **selection: str):
    """One `dbt build` invocation over a selection of the project, as a subsettable multi-asset."""

    def _assets(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, cutoff: RunCutoff):
        yield from _build(context, dbt, warehouse, cutoff)

    # the docstring becomes the op's description in the UI
    _assets.__doc__ = description
    return dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=LoyalistDbtTranslator(source_tests_as_checks=source_checks),
        name=name,
        **selection,
    )(_assets)


input_models = _dbt_stage(
    "input_models",
    "Staging views, the reference seeds and the identity input records, built and tested by `dbt build`.",
    select=INPUT_SELECT,
)

warehouse_models = _dbt_stage(
    "warehouse_models",
    "The identity graph (deterministic and probabilistic links), the marts and the audit tables.",
    source_checks=False,
    exclude=f"{INPUT_SELECT} {SERVING_SELECT}",
)

serving_models = _dbt_stage(
    "serving_models",
    "BI-facing marts that join the marts with the Python model outputs, built after them.",
    select=SERVING_SELECT,
)
