"""Recommendations: returned products never come back, the baselines are what they say, lists
are ranked 1..N, and the ranker learns a planted repeat rhythm."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from history_testkit import line, regulars_and_lapsed, staged

from ml.recommendations import RecommendationSettings, baseline_lists, candidates_at, fit_recommender, recommend, top_n

START = date(2024, 1, 1)
CUTOFF = START + timedelta(days=100)


def _ckey(con, customer):
    return con.execute("select ckey from h_customers where customer_id = ?", [customer]).fetchall()[0][0]


def _products(con, frame):
    names = dict(con.execute("select pkey, product_id from h_products").fetchall())
    return [names[p] for p in frame["pkey"]]


def test_a_product_just_returned_is_never_a_candidate_unless_bought_again():
    rows = [line("a", "kept", START + timedelta(days=d)) for d in (10, 40, 80)]
    rows += [line("a", "sent_back", START + timedelta(days=d)) for d in (20, 60, 70)]
    rows += [line("a", "sent_back", START + timedelta(days=75), event="return", quantity=-1, amount=-10)]
    rows += [line("a", "back_again", START + timedelta(days=d)) for d in (30, 90)]
    rows += [line("a", "back_again", START + timedelta(days=50), event="return", quantity=-1, amount=-10)]
    rows += [line("z", "sent_back", START + timedelta(days=d)) for d in (85, 86, 87)]  # popular with others
    con = staged(rows)
    frame = candidates_at(con, pd.DataFrame({"cutoff": [CUTOFF], "ckey": [_ckey(con, "a")]}), RecommendationSettings())
    got = set(_products(con, frame))
    assert "sent_back" not in got
    assert {"kept", "back_again"} <= got
    # returned more than exclude_returned_days ago: a candidate again
    far = candidates_at(con, pd.DataFrame({"cutoff": [CUTOFF + timedelta(days=100)], "ckey": [_ckey(con, "a")]}),
                        RecommendationSettings())
    assert "sent_back" in set(_products(con, far))


def test_candidate_features_match_a_count_by_hand():
    """Per-product counts, the customer's orders and the average ranks (ties shared) against the lines."""
    rng = np.random.default_rng(3)
    rows = []
    for customer in ("me", "you"):
        for k in range(40):
            day = START + timedelta(days=int(rng.integers(0, 120)))  # some after the cut-off: ignored
            order = f"{customer}-{k % 25}-{day}"  # two orders on some days, several lines per order
            rows.append(line(customer, f"P{int(rng.integers(0, 6))}", day, order=order, quantity=int(rng.integers(1, 4))))
    con = staged(rows)
    me = _ckey(con, "me")
    frame = candidates_at(con, pd.DataFrame({"cutoff": [CUTOFF], "ckey": [me]}), RecommendationSettings())
    lines = pd.DataFrame(rows, columns=["event", "is_product", "customer", "product", "order", "at", "quantity", "amount", "discount"])
    lines = lines[(lines["customer"] == "me") & (lines["at"] < pd.Timestamp(CUTOFF))]
    lines["day"] = lines["at"].dt.date
    by_product = lines.groupby("product").agg(bought_orders=("order", "nunique"), bought_days=("day", "nunique"),
                                              quantity=("quantity", "sum"), last=("day", "max"))
    frame = frame.assign(product=_products(con, frame)).set_index("product")
    own = frame.loc[by_product.index]
    assert own["bought_orders"].tolist() == by_product["bought_orders"].tolist()
    assert own["bought_days"].tolist() == by_product["bought_days"].tolist()
    assert own["quantity"].tolist() == by_product["quantity"].astype(float).tolist()
    assert own["days_since"].tolist() == [(CUTOFF - d).days for d in by_product["last"]]
    assert (frame["customer_orders"] == lines["order"].nunique()).all()
    assert frame["rank_in_customer"].tolist() == frame["bought_orders"].rank(ascending=False, method="average").tolist()
    assert frame["popularity_rank"].tolist() == frame["buyers_30"].rank(ascending=False, method="average").tolist()


def test_baselines_are_popularity_and_personal_repeat():
    rows = []
    for c in range(6):  # 'hit' bought by 6 customers lately, 'old' by 6 long ago, 'mid' by 3 lately
        rows.append(line(f"p{c}", "hit", CUTOFF - timedelta(days=5)))
        rows.append(line(f"p{c}", "old", START))
        if c < 3:
            rows.append(line(f"p{c}", "mid", CUTOFF - timedelta(days=3)))
    rows += [line("me", "mine", START + timedelta(days=d)) for d in (1, 2, 3)]  # three orders
    rows += [line("me", "old", START + timedelta(days=4)), line("me", "mid", START + timedelta(days=5))]
    con = staged(rows)
    candidates_at(con, pd.DataFrame({"cutoff": [CUTOFF], "ckey": [_ckey(con, "me")]}), RecommendationSettings())
    lists = baseline_lists(con, 3)
    # most buyers in the last 30 days: hit (6), mid (3); the rest had none lately
    assert _products(con, lists["popularity"].sort_values("rank"))[:2] == ["hit", "mid"]
    # own purchases by orders (mine: 3), then ties by all-time buyers (old: 7 > mid: 4)
    assert _products(con, lists["repeat"].sort_values("rank")) == ["mine", "old", "mid"]


def test_top_n_ranks_from_one_and_breaks_ties_by_product():
    frame = pd.DataFrame({"cutoff": [CUTOFF] * 5, "ckey": [1, 1, 1, 2, 2], "pkey": [9, 3, 5, 4, 7], "s": [0.5, 0.5, 0.9, 0.1, 0.2]})
    ranked = top_n(frame, "s", 2)
    assert ranked[["ckey", "pkey", "rank"]].values.tolist() == [[1, 5, 1], [1, 3, 2], [2, 7, 1], [2, 4, 2]]


def test_top_n_groups_by_cutoff_and_customer_in_any_row_order():
    later = CUTOFF + timedelta(days=7)
    frame = pd.DataFrame({"cutoff": [later, CUTOFF, later, CUTOFF, later], "ckey": [1, 1, 1, 1, 0],
                          "pkey": [1, 2, 3, 4, 5], "s": [0.3, 0.1, 0.6, 0.2, 0.9]})
    ranked = top_n(frame, "s", 1)
    assert ranked[["cutoff", "ckey", "pkey", "rank"]].values.tolist() == [[CUTOFF, 1, 4, 1], [later, 0, 5, 1], [later, 1, 3, 1]]
    assert top_n(frame.iloc[:0], "s", 2).empty


def test_the_ranker_learns_a_planted_repeat_rhythm():
    con = staged(regulars_and_lapsed(START, 300, seed=4))
    as_of = START + timedelta(days=300)
    recommender, holdout = fit_recommender(con, as_of, RecommendationSettings(training_cutoffs=10))
    regulars = np.array([_ckey(con, f"c{c}") for c in range(0, 400, 2)])
    ranked = recommend(con, recommender, as_of, regulars, 2)
    first = ranked[ranked["rank"] == 1]
    assert (np.array(_products(con, first)) == "P0").mean() > 0.95
    assert set(ranked.groupby("ckey")["rank"].apply(list).map(tuple)) == {(1, 2)}
    # the held-out window's lists exist for the model and both baselines
    assert {"model", "popularity", "repeat", "bought"} <= set(holdout)
    # scored in chunks (built and scored on two threads): the same lists
    chunked = replace(recommender, settings=replace(recommender.settings, scoring_chunk_customers=37))
    in_order = ["ckey", "rank"]
    pd.testing.assert_frame_equal(recommend(con, chunked, as_of, regulars, 2).sort_values(in_order, ignore_index=True),
                                  ranked.sort_values(in_order, ignore_index=True))


def test_reasons_name_the_strongest_signal():
    from ml.recommendations import describe_reasons

    ranked = pd.DataFrame({"bought_orders": [1, 3, 0, 0], "days_since": [5, 58, 9999, 9999],
                           "rule_lift": [0.0, 2.0, 4.23, 0.0], "buyers_30": [1, 2, 3, 812]})
    assert describe_reasons(ranked).tolist() == [
        "bought it once, last 5 days ago", "bought it 3 times, last 58 days ago",
        "often bought with what they bought recently (lift 4.2)", "popular now (812 buyers in the last 30 days)"]
