"""The serving marts of the demo run agree with what they are built from: customer_360 carries the
scores and next best offer of ml, segment_summary adds up to customer_360, product_affinities holds
every rule, product_affinity_gaps adds up to each sequence rule, score_calibration is the held-out
window's curve, and each audience is exactly the customers its definition picks (recomputed in pandas)."""

import numpy as np
import pandas as pd
import pytest


def _df(con, sql):
    return con.execute(sql).df()


def test_customer_360_carries_the_scores_and_the_next_best_offer(con):
    c360 = _df(con, "select * from serving.customer_360").set_index("customer_id")
    scores = _df(con, "select * from ml.customer_scores").set_index("customer_id")
    assert len(scores) > 1000
    joined = c360.loc[scores.index]
    assert np.allclose(joined["purchase_probability"], scores["purchase_probability"])
    assert (joined["purchase_band"] == scores["band"]).all()
    assert np.allclose(joined["churn_probability"], scores["churn_probability"], equal_nan=True)
    first = _df(con, """
        select r.customer_id, r.product_id, o.discount from ml.customer_recommendations as r
        join ml.customer_offers as o using (customer_id, product_id) where r.recommendation_rank = 1
    """).set_index("customer_id")
    assert len(first) > 1000
    offered = c360.loc[first.index]
    assert (offered["next_product_id"] == first["product_id"]).all()
    assert np.allclose(offered["next_offer_discount"], first["discount"])
    assert offered["next_product_name"].notna().all()
    # no score without an order before as_of
    assert c360.loc[c360["frequency"].isna(), "purchase_probability"].isna().all()


def test_segment_summary_adds_up_to_customer_360(con):
    c360 = _df(con, "select * from serving.customer_360")
    summary = _df(con, "select * from serving.segment_summary").set_index("segment_name")
    assert summary["customers"].sum() == len(c360)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)
    by_hand = c360.groupby("segment_name").agg(customers=("customer_id", "size"), revenue=("monetary", "sum"),
                                               purchase=("purchase_probability", "mean"))
    assert summary.loc[by_hand.index, "customers"].tolist() == by_hand["customers"].tolist()
    assert np.allclose(summary.loc[by_hand.index, "revenue"], by_hand["revenue"])
    assert np.allclose(summary.loc[by_hand.index, "mean_purchase_probability"], by_hand["purchase"], equal_nan=True)


def test_product_affinities_hold_every_basket_and_sequence_rule_with_names(con):
    counts = dict(con.execute("select affinity, count(*) from serving.product_affinities group by affinity").fetchall())
    assert counts["bought together"] == con.execute("select count(*) from ml.basket_rules").fetchall()[0][0] > 0
    assert counts["bought next"] == con.execute("select count(*) from ml.sequence_rules").fetchall()[0][0] > 0
    assert con.execute("select count(*) from serving.product_affinities where antecedent_name is null "
                       "or consequent_name is null").fetchall()[0][0] == 0


RULE_KEY = ["level", "segment_by", "segment", "antecedent", "consequent"]


def test_product_affinity_gaps_add_up_to_each_sequence_rule_under_its_names(con):
    gaps = _df(con, "select * from serving.product_affinity_gaps")
    source = _df(con, "select * from ml.sequence_gap_histogram")
    assert len(gaps) == len(source) > 0
    assert gaps["order_pairs"].sum() == source["order_pairs"].sum()
    assert set(gaps["segment_by"]) == set(source["segment_by"])
    # summed over the weeks, each rule's histogram holds exactly the rule's order pairs
    rules = _df(con, "select * from ml.sequence_rules").set_index(RULE_KEY)
    per_rule = gaps.groupby(RULE_KEY)["order_pairs"].sum()
    assert set(per_rule.index) == set(rules.index[rules["order_pairs"] > 0])
    assert (per_rule == rules.loc[per_rule.index, "order_pairs"]).all()
    # every histogram joins to its 'bought next' rule of product_affinities, with that rule's rank and names
    affinities = _df(con, "select * from serving.product_affinities where affinity = 'bought next'").set_index(RULE_KEY)
    named = gaps.set_index(RULE_KEY)
    assert named.index.isin(affinities.index).all()
    shown = affinities.loc[named.index]
    for column in ("rule_rank", "antecedent_name", "consequent_name"):
        assert (named[column].to_numpy() == shown[column].to_numpy()).all(), column
    # and it is the histogram the rule's median gap was read from: the first week holding half the pairs
    ordered = gaps.sort_values(RULE_KEY + ["gap_weeks"])
    by_rule = ordered.groupby(RULE_KEY)["order_pairs"]
    median = ordered[by_rule.cumsum() >= by_rule.transform("sum") / 2].groupby(RULE_KEY)["gap_weeks"].first()
    assert np.array_equal(median.to_numpy(dtype=float), affinities.loc[median.index, "median_gap_weeks"].to_numpy())


def test_score_calibration_is_the_held_out_curve_of_each_propensity(con):
    curve = _df(con, "select * from serving.score_calibration order by task, bin_lower")
    source = _df(con, "select * from ml.score_calibration order by task, bin_lower").rename(columns={"rows": "customers"})
    pd.testing.assert_frame_equal(curve, source, check_dtype=False)
    assert {"purchase", "churn"} == set(curve["task"])
    held_out = _df(con, "select * from ml.score_evaluation where model = 'model'").set_index("task")
    for task, bins in curve.groupby("task"):
        expected = held_out.loc[task]
        assert bins["customers"].sum() == expected["customers"] > 100, task
        assert (bins["bin_upper"] - bins["bin_lower"]).round(9).eq(0.1).all() and len(bins) <= 10
        weight = bins["customers"] / bins["customers"].sum()
        # the bins' observed rates average to the window's positive rate, their gaps to the model's ECE
        assert (weight * bins["observed_rate"]).sum() == pytest.approx(expected["positive_rate"]), task
        assert (weight * (bins["observed_rate"] - bins["mean_predicted"]).abs()).sum() == pytest.approx(expected["ece"]), task
        assert (pd.to_datetime(bins["window_start"]) == pd.Timestamp(expected["window_start"])).all(), task
    as_of = con.execute("select max(as_of) from serving.customer_360").fetchall()[0][0]
    assert set(pd.to_datetime(curve["as_of"])) == {pd.Timestamp(as_of)}


def test_at_risk_high_value_audience_is_its_definition(con):
    c360 = _df(con, "select customer_id, churn_probability, m_score from serving.customer_360")
    wanted = set(c360.loc[(c360["churn_probability"] >= 0.5) & (c360["m_score"] >= 4), "customer_id"])
    got = set(_df(con, "select customer_id from serving.audience_at_risk_high_value")["customer_id"])
    assert got == wanted and len(got) > 0


def test_hesitating_high_margin_audience_is_the_top_margin_fifth_of_the_hesitating(con):
    buyers = _df(con, "select customer_id, margin, purchase_band from serving.customer_360 where margin is not null")
    got = _df(con, "select customer_id, margin from serving.audience_hesitating_high_margin")
    top_fifth = len(buyers) // 5  # ntile(5): the last bucket is never the larger one
    boundary = buyers["margin"].sort_values().iloc[len(buyers) - top_fifth]
    hesitating = buyers[buyers["purchase_band"] == "hesitating"]
    assert len(got) > 0
    assert set(got["customer_id"]) <= set(hesitating["customer_id"])
    assert (got["margin"] >= boundary).all()
    assert set(hesitating.loc[hesitating["margin"] > boundary, "customer_id"]) <= set(got["customer_id"])


def test_lapsed_sale_buyers_bought_in_the_last_sale_and_not_since(con):
    lines = _df(con, "select promotion_id, cast(event_at as date) as day from marts.fct_order_lines "
                     "where event_type = 'sale' and promotion_id is not null")
    lines["day"] = pd.to_datetime(lines["day"])
    windows = lines.groupby("promotion_id")["day"].agg(["min", "max"])
    last = windows[windows["max"] == windows["max"].max()]
    orders = _df(con, "select customer_id, order_date from marts.fct_orders where customer_id is not null")
    orders["order_date"] = pd.to_datetime(orders["order_date"])

    during = np.zeros(len(orders), dtype=bool)
    for start, end in zip(last["min"], last["max"]):
        during |= (orders["order_date"] >= start).to_numpy() & (orders["order_date"] <= end).to_numpy()
    buyers = set(orders.loc[during, "customer_id"])
    came_back = set(orders.loc[orders["order_date"] > last["max"].max(), "customer_id"])
    got = set(_df(con, "select customer_id from serving.audience_lapsed_sale_buyers")["customer_id"])
    assert got == buyers - came_back and len(got) > 0


def test_the_dashboard_snapshot_holds_every_mart_of_the_exposure(con, pipeline_run):
    from orchestration import settings
    from orchestration.project import exposure_models
    from orchestration.snapshot import open_snapshot

    names = exposure_models("loyalist_dashboard")
    assert {"customer_360", "segment_summary", "product_affinities", "product_affinity_gaps", "score_calibration"} <= set(names)
    with open_snapshot(settings.snapshot_path(pipeline_run["warehouse"])) as snapshot:
        for name in names:
            copied = snapshot.execute(f"select count(*) from {name}").fetchall()[0][0]
            assert copied == con.execute(f"select count(*) from serving.{name}").fetchall()[0][0] > 0, name


WRITER = """
import sys, time, duckdb
sys.path.insert(0, {repo!r})
from pathlib import Path
from orchestration.snapshot import publish_snapshot
con = duckdb.connect({warehouse!r})  # the run: holds the warehouse's write lock
con.execute("create or replace table serving.marts as select 2 as version")
print("locked", flush=True)
sys.stdin.readline()
publish_snapshot(con, {{"marts": "serving.marts"}}, Path({snapshot!r}))
print("published", flush=True)
sys.stdin.readline()
"""


def test_the_snapshot_keeps_serving_while_a_run_holds_and_rewrites_the_warehouse(tmp_path):
    import subprocess
    import sys

    import duckdb

    from orchestration import settings
    from orchestration.snapshot import open_snapshot, publish_snapshot

    warehouse, snapshot = tmp_path / "loyalist.duckdb", tmp_path / "serving_snapshot.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema serving")
        con.execute("create table serving.marts as select 1 as version")
        publish_snapshot(con, {"marts": "serving.marts"}, snapshot)
    script = WRITER.format(repo=str(settings.REPO_ROOT), warehouse=str(warehouse), snapshot=str(snapshot))
    run = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "locked"
        with pytest.raises(duckdb.IOException):  # the warehouse itself cannot be read during the run
            duckdb.connect(str(warehouse), read_only=True)
        reader = open_snapshot(snapshot)
        assert reader.execute("select version from marts").fetchall() == [(1,)]
        run.stdin.write("\n")
        run.stdin.flush()
        assert run.stdout.readline().strip() == "published"
        # the open reader keeps its consistent copy; once closed, the next one sees the new copy
        # (DuckDB shares one open database per path within a process, so a new connection opened
        # while the old one lives would still read the old copy)
        assert reader.execute("select version from marts").fetchall() == [(1,)]
        reader.close()
        with open_snapshot(snapshot) as fresh:
            assert fresh.execute("select version from marts").fetchall() == [(2,)]
    finally:
        run.stdin.write("\n")
        run.stdin.flush()
        run.wait(timeout=30)
