"""Sequence rules on small hand-made baskets in a real DuckDB: probabilities, the observability
rule, baselines, gap histograms and peak weeks, against counts worked out by hand or brute force."""

from datetime import date, timedelta
import itertools

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.basket_mining import Segmentation
from ml.line_data import load_lines
from ml.sequence_rules import SequenceRuleSettings, mine_sequence_rules, peak_weeks

START = date(2024, 1, 1)
LOOSE = dict(min_customers=1, min_anchored_customers=1, min_lift=0.0, min_segment_customers=1)


def _lines(con, rows):
    """A basket_lines-like table from (order_id, customer_id, day offset, category) rows."""
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "offset", "category"])
    frame["order_date"] = [START + timedelta(days=int(d)) for d in frame["offset"]]
    frame["product_id"] = "P-" + frame["category"]
    for column in ("product_name", "department", "brand", "target_gender", "price_band", "discount_band"):
        frame[column] = None
    con.register("lines_frame", frame.drop(columns="offset"))
    con.execute("create or replace table lines as select * from lines_frame")
    return "lines"


def _mine(con, relation, settings, segmentations=()):
    return mine_sequence_rules(load_lines(con, relation, segmentations), "category", settings)


def test_probability_counts_only_customers_observable_for_the_whole_window():
    con = duckdb.connect()
    rows = [
        # c1 buys A on day 0 and B 3 weeks later: a hit
        ("o1", "c1", 0, "A"), ("o2", "c1", 21, "B"),
        # c2 buys A on day 0, B only after the 4-week window: anchored, no hit
        ("o3", "c2", 0, "A"), ("o4", "c2", 40, "B"),
        # c3 buys A too late to be observed for 4 weeks (day 90, data ends day 100): not anchored
        ("o5", "c3", 90, "A"), ("o6", "c3", 95, "B"),
        # c4 ends the data
        ("o7", "c4", 100, "C"),
    ]
    relation = _lines(con, rows)
    rules, hist = _mine(con, relation, SequenceRuleSettings(window_weeks=4, **LOOSE))
    ab = rules[(rules["antecedent"] == "A") & (rules["consequent"] == "B") & (rules["segment"] == "all")].iloc[0]
    assert ab["anchored_customers"] == 2
    assert ab["customers"] == 1
    assert ab["probability"] == pytest.approx(0.5)
    # baseline: first observable days c1 (0), c2 (0): B within 4 weeks only for c1 -> 1/2
    assert ab["baseline_probability"] == pytest.approx(0.5)
    assert ab["lift"] == pytest.approx(1.0)
    # the histogram counts every pair inside the window, observable or not: c1 at week 3, c3 at week 1
    h = hist[(hist["antecedent"] == "A") & (hist["consequent"] == "B")].set_index("gap_weeks")["order_pairs"]
    assert h.to_dict() == {1: 1, 3: 1}


def test_same_day_purchases_are_not_a_sequence():
    con = duckdb.connect()
    relation = _lines(con, [("o1", "c1", 0, "A"), ("o2", "c1", 0, "B"), ("o3", "c1", 50, "Z")])
    rules, _ = _mine(con, relation, SequenceRuleSettings(window_weeks=2, **LOOSE))
    assert rules[(rules["antecedent"] == "A") & (rules["consequent"] == "B")].empty


def test_rules_match_a_brute_force_count_on_random_histories():
    rng = np.random.default_rng(3)
    rows, order = [], 0
    for c in range(60):
        for _ in range(rng.integers(1, 6)):
            order += 1
            day = int(rng.integers(0, 200))
            for cat in rng.choice(list("ABCD"), size=rng.integers(1, 3), replace=False):
                rows.append((f"o{order}", f"c{c}", day, str(cat)))
    con = duckdb.connect()
    relation = _lines(con, rows)
    window_weeks = 5
    rules, _ = _mine(con, relation, SequenceRuleSettings(window_weeks=window_weeks, **LOOSE))
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "day", "category"])
    last, w = frame["day"].max(), 7 * window_weeks
    days = frame.groupby(["customer_id", "category"])["day"].apply(set).to_dict()
    customers = frame["customer_id"].unique()
    firsts = frame.groupby("customer_id")["day"].min()
    observable_firsts = firsts[firsts <= last - w]
    for a, b in itertools.product("ABCD", repeat=2):
        anchored = [c for c in customers if any(d <= last - w for d in days.get((c, a), ()))]
        hits = [c for c in anchored
                if any(0 < e - d <= w for d in days.get((c, a), ()) if d <= last - w for e in days.get((c, b), ()))]
        base = sum(any(0 < e - f <= w for e in days.get((c, b), ())) for c, f in observable_firsts.items())
        got = rules[(rules["antecedent"] == a) & (rules["consequent"] == b) & (rules["segment"] == "all")]
        if not hits:
            assert got.empty
            continue
        row = got.iloc[0]
        assert row["anchored_customers"] == len(anchored)
        assert row["customers"] == len(hits)
        assert row["probability"] == pytest.approx(len(hits) / len(anchored))
        assert row["baseline_probability"] == pytest.approx(base / len(observable_firsts))


def test_rules_per_segment_count_only_the_segments_customers():
    con = duckdb.connect()
    rows = [("o1", "c1", 0, "A"), ("o2", "c1", 14, "B"), ("o3", "c2", 0, "A"), ("o4", "c2", 14, "B"),
            ("o5", "c3", 0, "A"), ("o6", "c3", 100, "C")]
    relation = _lines(con, rows)
    con.execute("create table seg as select * from (values ('c1', 'x'), ('c2', 'y'), ('c3', 'y')) t(customer_id, segment)")
    rules, _ = _mine(con, relation, SequenceRuleSettings(window_weeks=4, **LOOSE),
                     [Segmentation("letter", "select customer_id, segment from seg")])
    ab = rules[(rules["antecedent"] == "A") & (rules["consequent"] == "B")].set_index("segment")
    assert ab.loc["all", "probability"] == pytest.approx(2 / 3)
    assert ab.loc["x", "probability"] == pytest.approx(1.0)
    assert ab.loc["y", "probability"] == pytest.approx(0.5)
    assert set(ab["segment_by"]) == {"all", "letter"}


def test_thresholds_drop_thin_rules():
    con = duckdb.connect()
    relation = _lines(con, [("o1", "c1", 0, "A"), ("o2", "c1", 7, "B"), ("o3", "c2", 200, "C")])
    rules, hist = _mine(con, relation, SequenceRuleSettings(window_weeks=2, min_customers=2))
    assert rules.empty and hist.empty


def test_peak_weeks_find_planted_modes_over_noise():
    rng = np.random.default_rng(0)
    hist = rng.poisson(20, size=(1, 57)).astype(float)
    hist[0, [16, 26, 52]] += [150, 110, 80]
    assert peak_weeks(hist) == [[16, 26, 52]]


def test_peak_weeks_of_a_flat_histogram_are_empty():
    assert peak_weeks(np.full((2, 10), 5.0)) == [[], []]


def test_peak_weeks_report_at_most_n_highest_first():
    hist = np.array([[0, 9, 0, 5, 0, 7, 0, 3, 0]], dtype=float)
    assert peak_weeks(hist, n_peaks=2, ratio=0) == [[1, 5]]


def test_window_must_be_positive():
    with pytest.raises(ValueError, match="window_weeks"):
        SequenceRuleSettings(window_weeks=0)


def test_sparse_counting_gives_the_dense_results(monkeypatch):
    """Past DENSE_LIMIT the counts go through sorted chunks and a second histogram pass: same rules."""
    import ml.sequence_rules as seq

    rng = np.random.default_rng(5)
    rows = [(f"o{c}-{k}", f"c{c}", int(rng.integers(0, 150)), str(rng.choice(list("ABCDE"))))
            for c in range(80) for k in range(int(rng.integers(2, 6)))]
    con = duckdb.connect()
    relation = _lines(con, rows)
    settings = SequenceRuleSettings(window_weeks=6, **LOOSE)
    dense_rules, dense_hist = _mine(con, relation, settings)
    monkeypatch.setattr(seq, "DENSE_LIMIT", 10)
    sparse_rules, sparse_hist = _mine(con, relation, settings)
    assert len(dense_rules) > 5
    pd.testing.assert_frame_equal(dense_rules, sparse_rules)
    pd.testing.assert_frame_equal(dense_hist, sparse_hist)
