"""The Dagster Definitions load and draw one connected lineage from raw data to customer_360."""

from dagster import AssetKey

from orchestration.definitions import defs
from orchestration.jobs import PIPELINE_JOB


def _graph():
    return defs.resolve_asset_graph()


def _reachable(graph, start: AssetKey, neighbours) -> set:
    """Every key reachable from ``start`` following ``neighbours(node)``."""
    seen, frontier = set(), [start]
    while frontier:
        key = frontier.pop()
        if key not in seen:
            seen.add(key)
            frontier.extend(neighbours(graph.get(key)))
    return seen


def test_definitions_load_with_every_stage():
    keys = {key.to_user_string() for key in _graph().get_all_asset_keys()}
    for expected in (
        "raw/orders",
        "pii/stg_retail__orders",
        "pii/int_identity_person_records",
        "identity_match_links",
        "identity/int_identifiers_clustered",
        "identity/identity_events",
        "identity_quality",
        "marts/dim_customers",
        "marts/customer_rfm",
        "customer_segments",
        "segment_profiles",
        "serving/customer_360",
    ):
        assert expected in keys


def test_lineage_is_connected_from_raw_to_customer_360():
    graph = _graph()
    upstream = _reachable(graph, AssetKey(["serving", "customer_360"]), lambda node: node.parent_keys)
    # the serving mart reads the Python segments, which read the dbt RFM mart, which reads raw data
    assert AssetKey("customer_segments") in upstream
    assert AssetKey(["marts", "customer_rfm"]) in upstream
    assert AssetKey(["raw", "orders"]) in upstream
    assert AssetKey(["raw", "web_accounts"]) in upstream


def test_every_asset_is_on_one_connected_graph():
    graph = _graph()
    # undirected reachability from the last mart must cover every asset: no islands in the UI
    seen = _reachable(graph, AssetKey(["serving", "customer_360"]), lambda node: node.parent_keys | node.child_keys)
    assert seen == set(graph.get_all_asset_keys())


def test_every_raw_table_feeds_customer_360():
    graph = _graph()
    upstream = _reachable(graph, AssetKey(["serving", "customer_360"]), lambda node: node.parent_keys)
    raw = {key for key in graph.get_all_asset_keys() if key.path[0] == "raw"}
    # the ten demo tables, the file-loaded transaction lines and customer records, and the load batches
    assert len(raw) == 13
    assert raw <= upstream


def test_groups_follow_the_dbt_folders():
    graph = _graph()
    assert graph.get(AssetKey(["pii", "stg_retail__orders"])).group_name == "staging"  # group: folder; schema: pii
    assert graph.get(AssetKey(["staging", "stg_retail__products"])).group_name == "staging"
    assert graph.get(AssetKey(["identity", "int_records_resolved"])).group_name == "identity"
    assert graph.get(AssetKey(["marts", "customer_rfm"])).group_name == "marts"
    assert graph.get(AssetKey(["serving", "customer_360"])).group_name == "serving"
    assert graph.get(AssetKey(["raw", "orders"])).group_name == "raw"


def test_every_asset_has_a_description():
    graph = _graph()
    missing = [key.to_user_string() for key in graph.get_all_asset_keys() if not graph.get(key).description]
    assert missing == []


def test_pipeline_job_runs_in_one_process():
    # DuckDB takes one writer per file: parallel step processes would collide
    job = defs.resolve_job_def(PIPELINE_JOB)
    assert job.executor_def.name == "in_process"


def test_serving_marts_read_every_model_output_and_the_jobs_resolve():
    graph = _graph()
    upstream = _reachable(graph, AssetKey(["serving", "customer_360"]), lambda node: node.parent_keys)
    assert {AssetKey([name]) for name in ("customer_scores", "customer_recommendations", "customer_offers")} <= upstream
    affinities = graph.get(AssetKey(["serving", "product_affinities"])).parent_keys
    assert {AssetKey(["basket_rules"]), AssetKey(["sequence_rules"])} <= affinities
    dashboard = {key.path[-1] for key in graph.get_all_asset_keys() if key.path[0] == "serving"}
    assert {"segment_summary", "audience_lapsed_sale_buyers", "audience_hesitating_high_margin",
            "audience_at_risk_high_value"} <= dashboard
    # the serving stage runs the tests of the ml tables: blocking there would make a cycle
    for name in (PIPELINE_JOB, "backtest"):
        assert defs.resolve_job_def(name) is not None


def test_daily_schedule_inbox_sensor_and_freshness_on_every_asset():
    schedule = defs.resolve_schedule_def("loyalist_daily")
    assert schedule.job_name == PIPELINE_JOB and schedule.cron_schedule == "0 4 * * *"
    assert defs.resolve_sensor_def("inbox_files").job_name == PIPELINE_JOB
    graph = _graph()
    stale = [key.to_user_string() for key in graph.materializable_asset_keys if graph.get(key).freshness_policy is None]
    assert stale == []


def test_every_asset_has_an_owner():
    graph = _graph()
    assert [key.to_user_string() for key in graph.materializable_asset_keys if not graph.get(key).owners] == []
