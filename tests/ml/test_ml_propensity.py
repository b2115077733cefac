"""Purchase propensity: cut-offs that cannot leak, features and labels against brute force, the
model learning a planted signal, calibration, and bands."""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from history_testkit import line, regulars_and_lapsed, staged

from ml.evaluation import propensity_metrics
from ml.propensity import (
    NotEnoughHistory, PropensitySettings, assign_bands, features_for_scoring, fit_propensity, labels_at, plan_cutoffs,
)
from ml.purchase_history import customer_features_at

START = date(2024, 1, 1)
AS_OF = START + timedelta(days=300)


def test_training_windows_end_before_the_holdout_and_the_holdout_before_as_of():
    settings = PropensitySettings(horizon_days=14, training_cutoffs=40, cutoff_step_days=7, min_history_days=28)
    holdout, training = plan_cutoffs(AS_OF, START, settings)
    assert holdout + timedelta(days=14) == AS_OF
    assert all(t + timedelta(days=14) <= holdout for t in training)
    assert all(t >= START + timedelta(days=28) for t in training)
    assert len(training) < 40  # the oldest ones would have had less than 28 days of history


def test_too_short_a_history_is_refused_with_what_it_needs():
    with pytest.raises(NotEnoughHistory, match="at least 56 days"):
        plan_cutoffs(START + timedelta(days=40), START, PropensitySettings(horizon_days=14, min_history_days=28))


def test_features_and_labels_match_brute_force():
    rows = [line("a", "x", START + timedelta(days=d)) for d in (0, 10, 11, 40, 58)] + \
           [line("a", "y", START + timedelta(days=58))] + \
           [line("a", "x", START + timedelta(days=50), event="return", quantity=-1, amount=-10)] + \
           [line("b", "x", START + timedelta(days=d)) for d in (5, 70)]
    con = staged(rows)
    cutoff = START + timedelta(days=60)
    features = customer_features_at(con, [cutoff]).set_index("ckey")
    ids = dict(con.execute("select customer_id, ckey from h_customers").fetchall())
    a, b = features.loc[ids["a"]], features.loc[ids["b"]]
    assert (a["recency_days"], a["tenure_days"], a["purchase_days"]) == (2, 60, 5)
    assert a["orders"] == 5 and a["lines"] == 6   # two lines on day 58, one order
    assert a["days_30"] == 2 and a["days_7"] == 1   # days 40 and 58; day 58
    assert a["days_lag_28"] == 1                      # the 14 days ending 28 days before: day 40 only
    assert a["mean_gap"] == pytest.approx((58 - 0) / 4)
    assert a["return_lines"] == 1
    assert (b["recency_days"], b["purchase_days"]) == (55, 1) and np.isnan(b["mean_gap"])  # day 70 is after the cut-off
    frame = features.reset_index()
    label = dict(zip(frame["ckey"], labels_at(con, frame, horizon_days=14)))
    assert label[ids["b"]] == 1 and label[ids["a"]] == 0  # b buys on day 70, a not before day 74
    inverted = dict(zip(frame["ckey"], labels_at(con, frame, horizon_days=14, inverted=True)))
    assert inverted[ids["b"]] == 0 and inverted[ids["a"]] == 1


def test_nothing_at_or_after_as_of_changes_the_model():
    rows = regulars_and_lapsed(START, 300, seed=1)
    settings = PropensitySettings(training_cutoffs=8)
    before = fit_propensity(staged(rows), AS_OF, settings)
    later = [line(f"c{c}", "P0", AS_OF + timedelta(days=d)) for c in range(0, 400, 3) for d in (0, 5)]
    after = fit_propensity(staged(rows + later), AS_OF, settings)
    pd.testing.assert_frame_equal(before.holdout, after.holdout)
    assert before.training_rows == after.training_rows


def test_the_model_learns_a_planted_signal_and_beats_recency():
    con = staged(regulars_and_lapsed(START, 300, seed=2))
    fitted = fit_propensity(con, AS_OF, PropensitySettings(training_cutoffs=12))
    holdout = fitted.holdout
    model = propensity_metrics(holdout["label"], holdout["probability"])
    assert model["roc_auc"] > 0.9
    assert model["roc_auc"] >= propensity_metrics(holdout["label"], holdout["recency"], False)["roc_auc"] - 0.01
    scores = fitted.predict(features_for_scoring(con, AS_OF, fitted.settings))
    assert ((scores >= 0) & (scores <= 1)).all()


def test_calibrated_probabilities_mean_what_they_say_on_the_holdout():
    fitted = fit_propensity(staged(regulars_and_lapsed(START, 300, seed=3, customers=800)), AS_OF, PropensitySettings(training_cutoffs=12))
    holdout = fitted.holdout
    assert holdout["probability"].mean() == pytest.approx(holdout["label"].mean(), abs=0.02)


def test_bands():
    bands = {"unlikely": [0.0, 0.15], "hesitating": [0.15, 0.5], "likely": [0.5, 1.0]}
    assert list(assign_bands([0.0, 0.149, 0.15, 0.5, 1.0], bands)) == ["unlikely", "unlikely", "hesitating", "likely", "likely"]
    for broken in ({"a": [0.0, 0.4], "b": [0.5, 1.0]}, {"a": [0.1, 1.0]}, {"a": [0.0, 0.6], "b": [0.5, 1.0]}, {}):
        with pytest.raises(ValueError, match="cover"):
            assign_bands([0.3], broken)
