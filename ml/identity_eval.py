"""Evaluation of identity resolution against planted truth: pairwise precision, recall and F1.

Identity resolution assigns each source record (web account, loyalty card, guest e-mail, ...)
to a merged customer. The demo generator plants the true person behind each record, so the
linkage can be scored: a pair of records is *predicted-linked* when both records carry the same
predicted cluster label, and *truly linked* when both belong to the same true entity.

Pair counts are computed from cluster sizes, never by listing pairs: a group of n records holds
C(n, 2) = n (n - 1) / 2 pairs, so

* predicted pairs = sum of C(n, 2) over predicted clusters,
* true pairs = sum of C(n, 2) over true entities,
* true-positive pairs = sum of C(n, 2) over (predicted cluster, true entity) cells.

That takes a few hash passes over the records and never materialises a pair, so ten million
records score in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["pairwise_scores"]


def _pairs(group_codes: np.ndarray) -> int:
    sizes = np.bincount(group_codes).astype(np.int64)
    # int64 is exact while C(n, 2) < 2**63, i.e. for groups of up to ~4 billion records.
    return int((sizes * (sizes - 1) // 2).sum())


def _check_series(series: object, name: str) -> pd.Series:
    if not isinstance(series, pd.Series):
        raise TypeError(
            f"{name} must be a pandas Series indexed by record key, got {type(series).__name__}"
        )
    return series


def _duplicate_error(name: str, keys: pd.Index) -> ValueError:
    duplicated = keys[keys.duplicated()]
    return ValueError(
        f"{name} has {duplicated.size} duplicated record keys (e.g. {duplicated[0]!r}); each "
        f"record must appear once"
    )


def _aligned_truth_codes(predicted: pd.Series, truth: pd.Series) -> np.ndarray:
    """Factorised truth in the row order of ``predicted``, checking both cover the same keys."""
    keys = predicted.index
    if not keys.is_unique:
        raise _duplicate_error("predicted", keys)
    codes, _ = pd.factorize(truth, use_na_sentinel=True)
    if keys.equals(truth.index):
        return codes
    # One hash lookup of truth's keys into predicted's (already built by is_unique) gives the
    # alignment and, from the hit counts, every way the two key sets can disagree.
    position = keys.get_indexer(truth.index)
    found = position >= 0
    hits = np.bincount(position[found], minlength=keys.size)
    if (hits > 1).any():
        raise _duplicate_error("truth", truth.index)
    only_truth = truth.index[~found]
    only_predicted = keys[hits == 0]
    if only_truth.size or only_predicted.size:
        parts = [
            f"{only.size} record keys are only in {side} (e.g. {only[0]!r})"
            for only, side in ((only_predicted, "predicted"), (only_truth, "truth"))
            if only.size
        ]
        raise ValueError(f"{' and '.join(parts)}; both must cover the same records")
    aligned = np.empty_like(codes)
    aligned[position] = codes
    return aligned


def pairwise_scores(predicted: pd.Series, truth: pd.Series) -> dict[str, int | float]:
    """Pairwise linkage precision, recall and F1 of a clustering of records.

    Parameters
    ----------
    predicted : pandas.Series
        Predicted cluster label of each record (e.g. the merged ``customer_id``), indexed by
        record key. A missing label (NaN/None) means the record was left unmatched: it is a
        singleton cluster of its own and is linked to nothing.
    truth : pandas.Series
        True entity id of each record, indexed by the same record keys; no missing values.

    Returns
    -------
    dict
        ``records`` (int), ``true_pairs`` (int), ``predicted_pairs`` (int),
        ``true_positive_pairs`` (int, pairs both predicted-linked and truly linked),
        ``precision`` = true_positive_pairs / predicted_pairs,
        ``recall`` = true_positive_pairs / true_pairs, and ``f1``, their harmonic mean.
        By convention precision is 1.0 when there are no predicted pairs (no link was
        asserted, so none is wrong) and recall is 1.0 when there are no true pairs (there was
        nothing to find); f1 is 0.0 when precision and recall are both 0.

    Raises
    ------
    ValueError
        If the inputs are empty, have duplicated keys, do not cover the same record keys, or
        ``truth`` has missing values.

    Examples
    --------
    >>> predicted = pd.Series(["a", "a", "b", None], index=[1, 2, 3, 4])
    >>> truth = pd.Series(["x", "x", "x", "y"], index=[1, 2, 3, 4])
    >>> scores = pairwise_scores(predicted, truth)
    >>> scores["true_pairs"], scores["predicted_pairs"], scores["true_positive_pairs"]
    (3, 1, 1)
    """
    predicted = _check_series(predicted, "predicted")
    truth = _check_series(truth, "truth")
    if len(predicted) == 0 and len(truth) == 0:
        raise ValueError("predicted and truth are empty; there are no records to score")
    truth_codes = _aligned_truth_codes(predicted, truth)
    if (truth_codes < 0).any():
        missing = predicted.index[truth_codes < 0]
        raise ValueError(
            f"truth has {missing.size} missing entity ids (e.g. record {missing[0]!r}); every "
            f"record needs its true entity"
        )
    predicted_codes, _ = pd.factorize(predicted, use_na_sentinel=True)
    unmatched = predicted_codes < 0
    if unmatched.any():
        # Each unmatched record becomes its own cluster, numbered after the real ones.
        predicted_codes = predicted_codes.copy()
        predicted_codes[unmatched] = predicted_codes.max(initial=-1) + 1 + np.arange(
            int(unmatched.sum())
        )
    predicted_codes = predicted_codes.astype(np.int64)
    truth_codes = truth_codes.astype(np.int64)

    # One code per (predicted cluster, true entity) cell; the product stays far below 2**63.
    cell_codes, _ = pd.factorize(predicted_codes * (int(truth_codes.max()) + 1) + truth_codes)

    true_pairs = _pairs(truth_codes)
    predicted_pairs = _pairs(predicted_codes)
    true_positive_pairs = _pairs(cell_codes)
    precision = true_positive_pairs / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive_pairs / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "records": int(len(predicted)),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "true_positive_pairs": true_positive_pairs,
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
    }
