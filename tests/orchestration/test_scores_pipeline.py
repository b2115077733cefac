"""Next best offer on the test demo: scores, recommendations and offers as the pipeline writes them,
recomputed from the warehouse where they can be; and `loyalist backtest` on a copy of it."""

import shutil

import duckdb
import pandas as pd
import pytest
from warehouse_testkit import beats_best_baseline, run_backtest

from orchestration.assets.scores import OffersConfig, ScoresConfig


def test_score_assets_and_their_checks_succeed(pipeline_run):
    result = pipeline_run["result"]
    for step in ("customer_scores", "customer_recommendations", "customer_offers"):
        assert result.is_node_success(step), step
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["scores_are_probabilities"].passed
    assert checks["offers_within_bounds"].passed
    # the held-out comparisons ran, and their verdicts are what the evaluation tables say
    with duckdb.connect(str(pipeline_run["warehouse"]), read_only=True) as con:
        scores = con.sql("select model, roc_auc as value from ml.score_evaluation where task = 'purchase'").df()
        ranking = con.sql("select model, hit_rate as value from ml.recommendation_evaluation").df()
    for name, frame in (("purchase_model_beats_baselines", scores), ("recommendations_beat_baselines", ranking)):
        values = frame.set_index("model")["value"]
        assert checks[name].passed == (values["model"] >= values.drop("model").max()), name


def test_every_customer_with_a_purchase_is_scored_once(con):
    buyers = con.sql("""select count(distinct customer_id) from marts.fct_order_lines
                        where event_type = 'sale' and is_product and quantity > 0 and customer_id is not null""").fetchall()[0][0]
    scores = con.sql("select * from ml.customer_scores").df()
    assert len(scores) == buyers == scores["customer_id"].nunique()
    for column in ("purchase_probability", "churn_probability", "return_probability"):
        assert scores[column].between(0, 1).all(), column
    assert scores["as_of"].nunique() == 1 and scores["model_version"].str.startswith("nbo-").all()


def test_bands_follow_the_configured_ranges(con):
    scores = con.sql("select purchase_probability, band from ml.customer_scores").df()
    for band, (low, high) in ScoresConfig().bands.items():
        inside = scores[scores["band"] == band]["purchase_probability"]
        assert inside.empty or (inside.min() >= low and (inside.max() < high or high == 1.0)), band


def test_probabilities_are_calibrated_on_the_held_out_window(con):
    held = con.sql("select * from ml.score_evaluation where model = 'model'").df()
    assert set(held["task"]) == {"purchase", "churn"}
    assert (held["ece"] < 0.05).all()
    baselines = con.sql("select distinct model from ml.score_evaluation where model <> 'model'").df()["model"]
    assert set(baselines) == {"recency", "frequency", "bgnbd"}


def test_mean_probability_matches_the_held_out_rate(con):
    held = con.sql("select positive_rate from ml.score_evaluation where task = 'purchase' and model = 'model'").fetchall()[0][0]
    mean = con.sql("select avg(purchase_probability) from ml.customer_scores").fetchall()[0][0]
    # the newest window's rate, carried to the scoring cut-off by the calibration
    assert mean == pytest.approx(held, abs=0.03)


def test_recommendations_are_ranked_lists_of_known_products_never_just_returned(con):
    recs = con.sql("select * from ml.customer_recommendations").df()
    ranks = recs.groupby("customer_id")["recommendation_rank"].apply(sorted)
    assert ranks.map(lambda r: r == list(range(1, len(r) + 1)) and len(r) <= 2).all()
    assert (recs.groupby("customer_id")["product_id"].nunique() == recs.groupby("customer_id").size()).all()
    known = set(con.sql("select product_id from marts.dim_products where is_product").df()["product_id"])
    assert set(recs["product_id"]) <= known
    returned = con.sql("""
        with as_of as (select max(as_of) as d from ml.customer_recommendations),
        returned as (select customer_id, product_id, max(cast(event_at as date)) as day from marts.fct_order_lines
                     where event_type = 'return' group by all),
        rebought as (select customer_id, product_id, max(cast(event_at as date)) as day from marts.fct_order_lines
                     where event_type = 'sale' group by all)
        select r.customer_id, r.product_id from ml.customer_recommendations r
        join returned t using (customer_id, product_id) left join rebought b using (customer_id, product_id)
        where t.day >= (select d from as_of) - 90 and (b.day is null or b.day <= t.day)
    """).df()
    assert returned.empty
    assert recs["reason"].str.match(r"^(bought it|often bought with|popular now)").all()


def test_offers_cover_every_recommendation_within_bounds(con):
    offers = con.sql("select * from ml.customer_offers").df()
    recs = con.sql("select customer_id, product_id from ml.customer_recommendations").df()
    assert len(offers) == len(recs)
    config = OffersConfig()
    given = offers[offers["discount"] > 0]
    assert given["discount"].between(config.min_discount - 1e-9, config.max_discount + 1e-9).all()
    assert len(given) > 0 and (offers["discount"] == 0).any()
    full_price = con.sql("""
        select o.discount from ml.customer_offers o join ml.customer_promo_segments p using (customer_id)
        join marts.customer_features f using (customer_id)
        where p.promo_segment <> 'No promotion data' and 1 - f.discount_line_share >= 0.9
    """).df()
    assert (full_price["discount"] == 0).all()


def test_backtest_on_the_demo(pipeline_run, tmp_path):
    """`loyalist backtest` on a copy of the demo warehouse: results beside the baselines, a report."""
    warehouse = tmp_path / "loyalist.duckdb"
    shutil.copy(pipeline_run["warehouse"], warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        last = con.sql("select max(cast(event_at as date)) from marts.fct_order_lines").fetchall()[0][0]
    as_of = (pd.Timestamp(last) - pd.Timedelta(days=30)).date()
    done, results = run_backtest(warehouse, as_of)
    assert "## purchase" in done.stdout and "## recommendations" in done.stdout, done.stderr[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        outcomes = con.sql("select count(*), min(ordered_at), max(ordered_at) from marts.backtest_outcome_lines").fetchall()[0]
        curve = con.sql("select * from ml.backtest_calibration").df()
    assert outcomes[0] > 0 and outcomes[1] >= pd.Timestamp(as_of) and outcomes[2] < pd.Timestamp(as_of) + pd.Timedelta(days=14)
    assert set(results["model"]) == {"model", "recency", "frequency", "bgnbd", "popularity", "repeat"}
    assert {"roc_auc", "pr_auc", "top_decile_lift", "ece", "hit_at_2", "precision_at_2", "hit_at_10"} <= set(results["metric"])
    assert curve["rows"].sum() == results.query("task == 'purchase'")["customers"].iloc[0]
    assert (tmp_path / "reports" / f"backtest_{as_of}_h14.md").exists()
    assert (tmp_path / "reports" / f"backtest_{as_of}_h14_calibration.png").exists()
    # the exit code says whether the models held against their best baselines in the window
    beats = all(beats_best_baseline(results, task, metric)
                for task, metric in (("purchase", "roc_auc"), ("purchase", "pr_auc"), ("recommendations", "hit_at_2")))
    assert done.returncode == (0 if beats else 1), done.stderr[-3000:]


def test_a_backtest_needs_a_complete_window(pipeline_run, tmp_path):
    warehouse = tmp_path / "loyalist.duckdb"
    shutil.copy(pipeline_run["warehouse"], warehouse)
    done, results = run_backtest(warehouse, "2030-01-01")
    assert done.returncode == 1 and results.empty
    assert "is not complete" in done.stderr


def test_auc_check_passes_a_first_run(pipeline_run):
    checks = {e.check_name: e for e in pipeline_run["result"].get_asset_check_evaluations()}
    check = checks["purchase_auc_not_below_last_run"]
    assert check.passed and check.description.startswith("no earlier comparable run")


@pytest.mark.parametrize("earlier_gain, earlier_cut_at, passes", [
    (0.02, "", True),             # a daily run, within the margin
    (0.05, "", False),            # a daily run, beyond it
    (0.05, "2026-06-01", True),   # a backtest at another cut-off is no comparison
])
def test_auc_check_fails_when_the_auc_fell_more_than_the_margin(pipeline_run, tmp_path, monkeypatch, earlier_gain,
                                                                earlier_cut_at, passes):
    """An earlier run recorded a higher AUC (reported to Dagster as an external materialization);
    the scores run again on a copy of the test warehouse and the check compares with it."""
    from dagster import AssetMaterialization, DagsterInstance, materialize

    from orchestration.assets.scores import AucDropConfig, customer_scores, purchase_auc_not_below_last_run
    from orchestration.resources import build_resources

    warehouse = tmp_path / "loyalist.duckdb"
    shutil.copy(pipeline_run["warehouse"], warehouse)
    monkeypatch.setenv("LOYALIST_WAREHOUSE", str(warehouse))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        auc = con.sql("select roc_auc from ml.score_evaluation where task = 'purchase' and model = 'model'").fetchall()[0][0]
    instance = DagsterInstance.ephemeral()
    instance.report_runless_asset_event(AssetMaterialization(
        "customer_scores", metadata={"purchase_roc_auc": auc + earlier_gain, "as_of": "an earlier run",
                                     "horizon_days": ScoresConfig().horizon_days, "cut_at": earlier_cut_at}))
    result = materialize([customer_scores, purchase_auc_not_below_last_run], resources=build_resources(),
                         instance=instance, raise_on_error=False)
    assert result.is_node_success("customer_scores")
    (check,) = result.get_asset_check_evaluations()
    assert check.passed is passes
    # the same data gives the same model: this run's AUC is the one the pipeline recorded
    assert check.metadata["roc_auc"].value == pytest.approx(auc, abs=1e-9)
    if earlier_cut_at:
        assert check.description.startswith("no earlier comparable run")
    else:
        assert check.metadata["drop"].value == pytest.approx(earlier_gain, abs=1e-9)
        assert check.metadata["margin"].value == AucDropConfig().margin
