"""dbt docs: generated against the demo warehouse, with every model and column described."""

import json

from orchestration.dbt_docs import generate_docs, undocumented


def test_docs_describe_every_model_and_column_of_the_warehouse(pipeline_run):
    target = generate_docs()  # LOYALIST_WAREHOUSE points at the test warehouse while pipeline_run lives
    catalog = json.loads((target / "catalog.json").read_text())
    assert {"model.loyalist.customer_360", "model.loyalist.segment_summary", "model.loyalist.product_affinities"} <= set(catalog["nodes"])
    assert (target / "index.html").exists()
    assert undocumented(target) == []


def test_undocumented_names_models_and_columns_without_a_description(tmp_path):
    manifest = {"metadata": {"project_name": "p"}, "nodes": {
        "model.p.a": {"resource_type": "model", "package_name": "p", "name": "a", "description": "A.",
                      "columns": {"x": {"description": "X."}, "y": {"description": " "}}},
        "model.p.b": {"resource_type": "model", "package_name": "p", "name": "b", "description": "", "columns": {}},
        "model.other.c": {"resource_type": "model", "package_name": "other", "name": "c", "description": "", "columns": {}},
        "test.p.t": {"resource_type": "test", "package_name": "p", "name": "t", "description": ""},
    }}
    catalog = {"nodes": {"model.p.a": {"columns": {"X": {}, "y": {}, "z": {}}}, "model.p.b": {"columns": {"k": {}}}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "catalog.json").write_text(json.dumps(catalog))
    assert undocumented(tmp_path) == ["a.y", "a.z", "b", "b.k"]
