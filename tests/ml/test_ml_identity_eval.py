"""Tests of ml.identity_eval: pairwise linkage scores against hand-counted pairs."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from ml.identity_eval import pairwise_scores

KEYS = ["r1", "r2", "r3", "r4", "r5", "r6"]


@pytest.fixture
def truth() -> pd.Series:
    # Entities: A = {r1, r2, r3} (3 pairs), B = {r4, r5} (1 pair), C = {r6}: 4 true pairs.
    return pd.Series(["A", "A", "A", "B", "B", "C"], index=KEYS, name="person_id")


@pytest.fixture
def predicted() -> pd.Series:
    # Cluster x = {r1, r2, r3, r4} (6 pairs), r5 and r6 unmatched: 6 predicted pairs, of which
    # r1-r2, r1-r3, r2-r3 are true: 3 true positives.
    return pd.Series(["x", "x", "x", "x", None, np.nan], index=KEYS, name="customer_id")


def test_hand_counted_pairs(predicted: pd.Series, truth: pd.Series) -> None:
    scores = pairwise_scores(predicted, truth)
    assert scores == {
        "records": 6,
        "true_pairs": 4,
        "predicted_pairs": 6,
        "true_positive_pairs": 3,
        "precision": pytest.approx(0.5),
        "recall": pytest.approx(0.75),
        "f1": pytest.approx(0.6),
    }
    assert all(isinstance(scores[key], int) for key in ("records", "true_pairs"))


def test_alignment_is_by_index_not_position(predicted: pd.Series, truth: pd.Series) -> None:
    shuffled = truth.iloc[[5, 3, 0, 4, 2, 1]]
    assert pairwise_scores(predicted, shuffled) == pairwise_scores(predicted, truth)


def test_unmatched_records_are_singletons_not_one_cluster(truth: pd.Series) -> None:
    # Were the two missing labels grouped together, r4-r5 would be a (true) predicted pair.
    predicted = pd.Series(["x", "x", "y", None, np.nan, "z"], index=KEYS)
    scores = pairwise_scores(predicted, truth)
    assert scores["predicted_pairs"] == 1
    assert scores["true_positive_pairs"] == 1
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(0.25)
    assert scores["f1"] == pytest.approx(0.4)


def test_no_predicted_pairs_gives_precision_one(truth: pd.Series) -> None:
    predicted = pd.Series([None] * 6, index=KEYS, dtype=object)
    scores = pairwise_scores(predicted, truth)
    assert scores["predicted_pairs"] == 0
    assert scores["precision"] == 1.0
    assert scores["recall"] == 0.0
    assert scores["f1"] == 0.0


def test_no_true_pairs_gives_recall_one() -> None:
    truth = pd.Series([1, 2, 3, 4], index=KEYS[:4])
    predicted = pd.Series([7, 7, 8, 9], index=KEYS[:4])
    scores = pairwise_scores(predicted, truth)
    assert (scores["true_pairs"], scores["predicted_pairs"]) == (0, 1)
    assert scores["recall"] == 1.0
    assert scores["precision"] == 0.0
    assert scores["f1"] == 0.0


def test_perfect_linkage_with_unrelated_label_values(truth: pd.Series) -> None:
    predicted = pd.Series([10, 10, 10, 20, 20, 30], index=KEYS)
    scores = pairwise_scores(predicted, truth)
    assert (scores["precision"], scores["recall"], scores["f1"]) == (1.0, 1.0, 1.0)
    assert scores["true_positive_pairs"] == 4


def test_matches_brute_force_pair_enumeration() -> None:
    rng = np.random.default_rng(7)
    n = 300
    keys = [f"k{i}" for i in range(n)]
    truth = pd.Series(rng.integers(0, 60, n), index=keys)
    labels = rng.integers(0, 50, n).astype(object)
    labels[rng.random(n) < 0.2] = None
    predicted = pd.Series(labels, index=keys).sample(frac=1.0, random_state=3)

    same_truth = same_pred = both = 0
    lookup = predicted.to_dict()
    for a, b in itertools.combinations(keys, 2):
        t = truth[a] == truth[b]
        p = lookup[a] is not None and lookup[a] == lookup[b]
        same_truth += t
        same_pred += p
        both += t and p
    scores = pairwise_scores(predicted, truth)
    assert (scores["true_pairs"], scores["predicted_pairs"], scores["true_positive_pairs"]) == (
        same_truth,
        same_pred,
        both,
    )
    assert scores["precision"] == pytest.approx(both / same_pred)
    assert scores["recall"] == pytest.approx(both / same_truth)


def test_record_missing_on_one_side_is_named(predicted: pd.Series, truth: pd.Series) -> None:
    other = truth.rename(index={"r6": "r7"})
    with pytest.raises(ValueError, match=r"1 record keys are only in predicted \(e\.g\. 'r6'\)"):
        pairwise_scores(predicted, other)
    with pytest.raises(ValueError, match=r"1 record keys are only in truth \(e\.g\. 'r7'\)"):
        pairwise_scores(predicted, other)
    with pytest.raises(ValueError, match=r"2 record keys are only in truth"):
        pairwise_scores(predicted.iloc[:4], truth)


def test_duplicate_keys_are_rejected(predicted: pd.Series, truth: pd.Series) -> None:
    doubled = pd.concat([truth, truth.iloc[:1]])
    with pytest.raises(ValueError, match=r"truth has 1 duplicated record keys \(e\.g\. 'r1'\)"):
        pairwise_scores(predicted, doubled)
    with pytest.raises(ValueError, match="predicted has 1 duplicated"):
        pairwise_scores(pd.concat([predicted, predicted.iloc[:1]]), truth)


def test_missing_truth_is_rejected(predicted: pd.Series, truth: pd.Series) -> None:
    truth.iloc[2] = None
    with pytest.raises(ValueError, match=r"truth has 1 missing entity ids \(e\.g\. record 'r3'\)"):
        pairwise_scores(predicted, truth)


def test_non_series_and_empty_inputs_are_rejected(truth: pd.Series) -> None:
    with pytest.raises(TypeError, match="predicted must be a pandas Series"):
        pairwise_scores(list(truth), truth)  # type: ignore[arg-type]
    empty = pd.Series([], dtype=object)
    with pytest.raises(ValueError, match="empty"):
        pairwise_scores(empty, empty.copy())
