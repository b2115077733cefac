"""Basket rules, sequence rules and product suggestions as the pipeline builds them on the test demo:
baskets as defined, measures recounted from the baskets, planted affinities and lag modes found."""

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest


def _truth(pipeline_run, table: str) -> pd.DataFrame:
    return duckdb.sql(f"select * from read_parquet('{pipeline_run['demo']}/truth/{table}/*.parquet')").df()


def test_rule_assets_succeed(pipeline_run):
    result = pipeline_run["result"]
    for step in ("basket_rules", "sequence_rules", "product_suggestions"):
        assert result.is_node_success(step), step


def test_baskets_are_orders_with_returns_removed(con):
    expected = con.sql("""
        select order_id, product_id from marts.fct_order_lines
        where is_product group by order_id, product_id
        having sum(case when event_type = 'sale' then quantity else 0 end) > 0 and sum(quantity) > 0
    """).df()
    got = con.sql("select order_id, product_id from marts.basket_lines").df()
    assert len(got) == len(expected)
    assert set(map(tuple, got.to_numpy())) == set(map(tuple, expected.to_numpy()))
    # a line returned in full is in no basket
    returned = con.sql("""
        select l.order_id, l.product_id from marts.fct_order_lines l
        group by all having sum(case when event_type = 'sale' then quantity else 0 end) > 0 and sum(quantity) = 0
    """).df()
    assert len(returned) > 0
    assert not set(map(tuple, returned.to_numpy())) & set(map(tuple, got.to_numpy()))


def test_every_level_has_rules_overall_and_per_segment(con):
    counts = con.sql("select level, segment_by, count(*) as n from ml.basket_rules group by all").df()
    overall = set(counts.loc[counts["segment_by"] == "all", "level"])
    assert {"sku", "category", "department", "brand_department", "mixed"} <= overall
    assert (counts["segment_by"] == "gender × city_size_band").any()


def test_rule_measures_recount_from_the_baskets(con):
    rules = con.sql("""
        select * from ml.basket_rules
        where level = 'sku' and segment_by = 'all' and antecedent_len = 1 and consequent_len = 1
        order by rule_rank limit 25
    """).df()
    assert len(rules) >= 10
    baskets = con.sql("select count(distinct order_id) from marts.basket_lines").fetchall()[0][0]
    for rule in rules.itertuples(index=False):
        a, c = rule.antecedent_items[0], rule.consequent_items[0]
        n_a, n_c = con.execute(
            "select count(distinct order_id) filter (where product_id = ?), count(distinct order_id) filter (where product_id = ?) "
            "from marts.basket_lines", [a, c]).fetchall()[0]
        both = con.execute("""
            select count(*) from (select order_id from marts.basket_lines where product_id in (?, ?)
            group by order_id having count(distinct product_id) = 2)
        """, [a, c]).fetchall()[0][0]
        assert rule.support == pytest.approx(both / baskets)
        assert rule.confidence == pytest.approx(both / n_a)
        assert rule.lift == pytest.approx(both / n_a / (n_c / baskets))
        assert rule.baskets == both


def test_kept_rules_meet_the_thresholds_and_are_not_redundant(con):
    rules = con.sql("select * from ml.basket_rules").df()
    floor = rules["level"].map({"sku": 0.002}).fillna(0.005)  # the asset's default supports
    assert (rules["support"] >= floor - 1e-12).all()
    assert (rules["confidence"] >= 0.1 - 1e-12).all()
    assert (rules["lift"] >= 1.0 - 1e-12).all()
    assert rules["antecedent_len"].max() + rules["consequent_len"].max() <= 4
    lift = {(r.level, r.segment, r.antecedent, r.consequent): r.lift for r in rules.itertuples(index=False)}
    longer = rules[rules["antecedent_len"] == 2]
    assert len(longer)
    for r in longer.itertuples(index=False):
        for sub in r.antecedent_items:
            key = (r.level, r.segment, sub, r.consequent)
            if key in lift:
                assert r.lift > lift[key]


def test_planted_sku_affinities_are_top_rules(con, pipeline_run):
    planted = _truth(pipeline_run, "basket_affinities")
    planted = planted[planted["level"] == "sku"]
    rules = con.sql("""
        select antecedent, consequent from ml.basket_rules
        where level = 'sku' and segment_by = 'all' and antecedent_len = 1 and consequent_len = 1
        order by rule_rank
    """).df()
    position = {(a, c): i + 1 for i, (a, c) in enumerate(zip(rules["antecedent"], rules["consequent"]))}
    found = [position.get((a, c)) for a, c in zip(planted["antecedent"], planted["consequent"])]
    # every planted pair is found, and they fill the top of the one-to-one rules (each pair shows in
    # both directions, so 20 pairs take 40 places; the planted brand affinities come next)
    assert None not in found
    assert max(found) <= 3 * len(planted)


def test_planted_brand_cross_buying_is_found(con, pipeline_run):
    planted = _truth(pipeline_run, "basket_affinities")
    planted = planted[planted["level"] == "brand"]
    rules = con.sql("""
        select antecedent, consequent, lift from ml.basket_rules
        where level = 'brand_department' and segment_by = 'all' and antecedent_len = 1 and consequent_len = 1
    """).df()
    lift = dict(zip(zip(rules["antecedent"], rules["consequent"]), rules["lift"]))
    found = [lift.get((a, c), 0) for a, c in zip(planted["antecedent"], planted["consequent"])]
    assert sum(f > 1.5 for f in found) >= len(planted) - 1, found


def test_planted_sequences_and_their_lag_modes_are_found(con, pipeline_run):
    planted = _truth(pipeline_run, "sequences")
    modes = set(planted["gap_weeks"])
    pairs = planted[["antecedent_category", "consequent_category"]].drop_duplicates()
    rules = con.sql("""
        select antecedent, consequent, lift, peak_weeks, rule_rank from ml.sequence_rules
        where level = 'category' and segment_by = 'all'
    """).df()
    by_pair = {(a, c): r for a, c, r in zip(rules["antecedent"], rules["consequent"], rules.itertuples(index=False))}
    exact = 0
    for a, c in pairs.itertuples(index=False):
        rule = by_pair.get((a, c))
        assert rule is not None, (a, c)
        assert rule.lift > 1.5, (a, c, rule.lift)
        exact += set(rule.peak_weeks) == modes
    # the planted lags are the histogram's peaks
    assert exact >= len(pairs) - 1, exact


def test_gap_histograms_add_up_to_the_rules_pairs(con):
    check = con.sql("""
        select r.level, r.segment_by, r.segment, r.antecedent, r.consequent, any_value(r.order_pairs) as order_pairs,
            sum(h.order_pairs) as summed
        from ml.sequence_rules r join ml.sequence_gap_histogram h using (level, segment_by, segment, antecedent, consequent)
        group by r.level, r.segment_by, r.segment, r.antecedent, r.consequent
    """).df()
    assert len(check)
    assert (check["order_pairs"] == check["summed"]).all()


def test_product_suggestions_put_the_planted_partner_first(con, pipeline_run):
    planted = _truth(pipeline_run, "basket_affinities")
    planted = planted[planted["level"] == "sku"]
    suggestions = con.sql("select * from ml.product_suggestions").df()
    assert suggestions.groupby("product_id")["suggestion_rank"].max().max() <= 5
    assert not (suggestions["product_id"] == suggestions["suggestion"]).any()
    top = suggestions[suggestions["suggestion_level"] == "sku"].sort_values("lift", ascending=False)
    partners = top.groupby("product_id")["suggestion"].apply(list).to_dict()
    hits = sum(c in partners.get(a, [])[:3] for a, c in zip(planted["antecedent"], planted["consequent"]))
    assert hits == len(planted)


def test_suggest_command_prints_the_lookup(pipeline_run, con):
    product = con.sql("select product_id from ml.product_suggestions where suggestion_rank = 1 limit 1").fetchall()[0][0]
    expected = con.execute(
        "select suggestion_name from ml.product_suggestions where product_id = ? order by suggestion_rank", [product]
    ).fetchall()
    env = {"LOYALIST_WAREHOUSE": str(pipeline_run["warehouse"]), "PATH": str(Path(sys.executable).parent)}
    out = subprocess.run([sys.executable, "-m", "orchestration.cli", "suggest", product, "-n", "3"],
                         capture_output=True, text=True, env=env, check=True).stdout
    lines = out.strip().splitlines()
    assert len(lines) == min(3, len(expected))
    assert lines[0].startswith(f"1. {expected[0][0]} [")
    missing = subprocess.run([sys.executable, "-m", "orchestration.cli", "suggest", "NO-SUCH-SKU"],
                             capture_output=True, text=True, env=env)
    assert missing.returncode == 1
    assert "not in dim_products" in missing.stdout


def test_rule_plots_are_written_and_attached(pipeline_run):
    plots = Path(pipeline_run["warehouse"]).parent / "plots"
    for name in ("top_basket_rules", "sequence_gaps"):
        png = plots / f"{name}.png"
        assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events = pipeline_run["result"].get_asset_materialization_events()
    metadata = {e.asset_key.to_user_string(): e.materialization.metadata for e in events}
    assert "top_basket_rules_plot" in metadata["basket_rules"]
    assert "sequence_gaps_plot" in metadata["sequence_gap_histogram"]
