"""Column-level lineage of the dbt models, as the test pipeline run recorded it in Dagster:
each model's materialization carries its built columns and, per column, the parent columns it is
computed from (orchestration.column_lineage)."""

import duckdb
import pytest
from dagster import AssetKey

from orchestration.definitions import defs

# reads a table its pre-hook builds and drops again, so its SQL names no relation that still exists
_NO_LINEAGE = {"int_identifiers_clustered"}


def _latest(instance, key: AssetKey) -> dict:
    records = instance.fetch_materializations(key, limit=1).records
    assert records, f"{key.to_user_string()} was not materialized"
    return dict(records[0].asset_materialization.metadata)


def _deps(metadata: dict) -> dict[str, set[tuple[str, str]]]:
    lineage = metadata["dagster/column_lineage"].value.deps_by_column
    return {column: {(dep.asset_key.to_user_string(), dep.column_name) for dep in deps} for column, deps in lineage.items()}


@pytest.fixture(scope="module")
def dbt_model_metadata(pipeline_run) -> dict[AssetKey, dict]:
    """The latest materialization metadata of every dbt model asset in the run."""
    graph = defs.resolve_asset_graph()
    found = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if "dbt" in node.kinds and node.is_materializable:
            records = pipeline_run["instance"].fetch_materializations(key, limit=1).records
            if records:
                found[key] = dict(records[0].asset_materialization.metadata)
    return found


def test_every_dbt_model_records_its_built_columns(dbt_model_metadata, pipeline_run):
    models = {key: md for key, md in dbt_model_metadata.items() if md["unique_id"].value.startswith(("model.", "seed."))}
    assert len(models) >= 45
    with duckdb.connect(str(pipeline_run["warehouse"]), read_only=True) as con:
        for key, metadata in models.items():
            schema, table = key.path[0], key.path[-1]
            built = [row[0] for row in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position", [schema, table]).fetchall()]
            recorded = [column.name for column in metadata["dagster/column_schema"].value.columns]
            assert built, key.to_user_string()
            assert recorded == [c.lower() for c in built], key.to_user_string()


def test_column_lineage_names_only_upstream_assets_and_real_columns(dbt_model_metadata):
    graph = defs.resolve_asset_graph()
    with_lineage = {key: md for key, md in dbt_model_metadata.items() if "dagster/column_lineage" in md}
    without = {key.path[-1] for key, md in dbt_model_metadata.items()
               if md["unique_id"].value.startswith("model.") and "dagster/column_lineage" not in md}
    assert without == _NO_LINEAGE
    for key, metadata in with_lineage.items():
        upstream = graph.get(key).parent_keys
        columns = {column.name for column in metadata["dagster/column_schema"].value.columns}
        deps = _deps(metadata)
        assert set(deps) == columns, key.to_user_string()
        for column, parents in deps.items():
            for parent, parent_column in parents:
                assert AssetKey.from_user_string(parent) in upstream, (key.to_user_string(), column, parent)
                # the parent's column exists in what the parent recorded (dbt parents) or wrote
                if AssetKey.from_user_string(parent) in dbt_model_metadata:
                    parent_columns = {c.name for c in dbt_model_metadata[AssetKey.from_user_string(parent)]["dagster/column_schema"].value.columns}
                    assert parent_column in parent_columns, (key.to_user_string(), column, parent, parent_column)


def test_customer_360_columns_trace_to_the_python_scores_and_the_marts(pipeline_run):
    metadata = _latest(pipeline_run["instance"], AssetKey(["serving", "customer_360"]))
    deps = _deps(metadata)
    # the table the open-source UI shows says the same
    table = metadata["column_lineage"].value
    assert "| purchase_probability | customer_scores.purchase_probability |" in table
    assert len(table.splitlines()) == 2 + len(deps)
    assert deps["purchase_probability"] == {("customer_scores", "purchase_probability")}
    assert ("customer_segments", "segment_name") in deps["segment_name"]
    assert deps["monetary"] == {("marts/customer_rfm", "monetary")}
    assert ("customer_offers", "discount") in deps["next_offer_discount"]


def test_lineage_follows_ephemeral_models_to_their_parents(pipeline_run):
    # fct_orders reads the ephemeral int_orders_identified, which is no asset: its columns must
    # trace through it to the staging models it reads
    deps = _deps(_latest(pipeline_run["instance"], AssetKey(["marts", "fct_orders"])))
    assert ("staging/stg_transactions__lines", "channel") in deps["channel"]
    assert not any("int_orders_identified" in parent for parents in deps.values() for parent, _ in parents)
