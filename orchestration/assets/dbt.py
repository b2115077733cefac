"""dbt models as Dagster assets.

Two invocations of one dbt project: the warehouse models (staging -> identity -> marts) run before
the Python model assets, the serving models after them, because serving reads the Python outputs.
"""


import json
import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, Config
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.project import dbt_project
from orchestration.warehouse import WarehouseResource

__all__ = ["DbtBuildConfig", "LoyalistDbtTranslator", "warehouse_models", "serving_models", "SERVING_SELECT"]

# Models that read tables written by Python assets live in this folder.
SERVING_SELECT = "path:models/serving"


class LoyalistDbtTranslator(DagsterDbtTranslator):
    """Rule-based mapping of dbt nodes to assets: the group is the model's folder."""

    def __init__(self):
        # tests on sources (raw keys, model outputs) become checks on the assets that write them
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Group = the folder the model sits in (staging, identity, marts, serving)."""
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[-2] if len(fqn) >= 3 else None

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        """Every dbt model is owned by the analytics engineers."""
        return ["team:analytics-engineering"]


class DbtBuildConfig(Config):
    """The run's cut-off date: every mart uses only events strictly before it (YYYY-MM-DD)."""

    as_of: str | None = None


def _build(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig):
    # dbt runs as its own process and finds the warehouse through this variable (profiles.yml).
    os.environ["LOYALIST_WAREHOUSE"] = str(warehouse.resolved_path)
    args = ["build"]
    if config.as_of:
        args += ["--vars", json.dumps({"as_of": config.as_of})]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=SERVING_SELECT,
    dagster_dbt_translator=LoyalistDbtTranslator(),
    name="warehouse_models",
)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig):
    """Staging views, the identity graph and the marts, built and tested by `dbt build`."""
    yield from _build(context, dbt, warehouse, config)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=SERVING_SELECT,
    dagster_dbt_translator=LoyalistDbtTranslator(),
    name="serving_models",
)
def serving_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, config: DbtBuildConfig):
    """BI-facing marts that join the marts with the Python model outputs."""
    yield from _build(context, dbt, warehouse, config)
