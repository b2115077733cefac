"""Metrics against brute force: every figure a backtest reports can be recomputed by hand."""

import itertools

import numpy as np
import pandas as pd
import pytest

from ml.evaluation import calibration_curve, expected_calibration_error, propensity_metrics, ranking_metrics, top_decile_lift


def _pairwise_auc(label, score):
    pos = [s for s, y in zip(score, label) if y]
    neg = [s for s, y in zip(score, label) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_roc_auc_is_the_share_of_correctly_ordered_pairs():
    rng = np.random.default_rng(0)
    label = rng.random(300) < 0.3
    score = np.round(rng.random(300) + label * 0.3, 1)  # rounded: ties count half
    assert propensity_metrics(label, score, probability=False)["roc_auc"] == pytest.approx(_pairwise_auc(label, score))


def test_top_decile_lift_by_hand():
    label = np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    score = np.arange(20)[::-1]  # the first two rows score highest
    # top 10% = 2 rows, both positive: rate 1.0 against 3/20
    assert top_decile_lift(label, score) == pytest.approx(1.0 / (3 / 20))


def test_calibration_error_is_zero_when_rates_match_and_grows_with_the_gap():
    probability = np.repeat([0.05, 0.25, 0.75], 400)
    label = np.concatenate([np.arange(400) < 20, np.arange(400) < 100, np.arange(400) < 300])
    assert expected_calibration_error(label, probability) == pytest.approx(0.0, abs=1e-12)
    shifted = np.clip(probability + 0.1, 0, 1)
    assert expected_calibration_error(label, shifted) == pytest.approx(0.1)
    curve = calibration_curve(label, probability)
    assert curve["rows"].sum() == len(label)
    assert list(curve["observed_rate"].round(6)) == [0.05, 0.25, 0.75]


def test_propensity_metrics_need_both_outcomes():
    with pytest.raises(ValueError, match="both outcomes"):
        propensity_metrics(np.zeros(5), np.arange(5))


def test_hit_and_precision_at_k_by_hand():
    recommended = pd.DataFrame({"customer": ["a", "a", "a", "b", "b", "c"], "rank": [1, 2, 3, 1, 2, 1],
                                "product": ["x", "y", "z", "x", "y", "q"]})
    bought = pd.DataFrame({"customer": ["a", "b", "b", "d"], "product": ["z", "y", "x", "x"]})
    got = ranking_metrics(recommended, bought, ks=(1, 2, 3))
    # buyers a, b, d (c bought nothing; d has no list and counts as a miss)
    assert got["buyers"] == 3
    assert got["hit_at_1"] == pytest.approx(1 / 3)       # b
    assert got["hit_at_2"] == pytest.approx(1 / 3)       # b (a's z is third)
    assert got["hit_at_3"] == pytest.approx(2 / 3)       # a, b
    assert got["precision_at_2"] == pytest.approx(2 / (2 * 3))
