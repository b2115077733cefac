"""Association rules from frequent itemsets: every split of every itemset, scored and pruned.

For each frequent itemset ``S`` and each non-empty proper subset ``A`` the rule ``A -> S \\ A`` is
scored with the usual measures (``supp`` is a share of baskets)::

    support    = supp(S)
    confidence = supp(S) / supp(A)
    lift       = confidence / supp(C)
    leverage   = supp(S) - supp(A) * supp(C)
    conviction = (1 - supp(C)) / (1 - confidence)      (infinite when confidence is 1)

Every subset of a frequent itemset is frequent, so the supports of ``A`` and ``C`` are looked up,
never recounted. The work is vectorised per (itemset length, split), so rule generation costs a few
numpy calls per split pattern rather than a Python step per rule.

A rule is *redundant* when some rule with the same consequent and a smaller antecedent has at least
its lift: the extra antecedent items add nothing a marketer could use.
"""

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from ml.itemsets import FrequentItemsets

__all__ = ["RuleThresholds", "generate_rules", "RULE_MEASURES"]

#: Measures every rules table carries, in this order.
RULE_MEASURES = ["antecedent_support", "consequent_support", "support", "confidence", "lift", "leverage", "conviction"]


@dataclass(frozen=True)
class RuleThresholds:
    """Which rules to keep: all three bounds must hold (defaults keep every rule)."""

    min_confidence: float = 0.0
    min_lift: float = 0.0
    drop_redundant: bool = False

    def __post_init__(self):
        if not 0 <= self.min_confidence <= 1:
            raise ValueError(f"min_confidence must be in [0, 1], got {self.min_confidence}")
        if not self.min_lift >= 0:
            raise ValueError(f"min_lift must be >= 0, got {self.min_lift}")


class _Lookup:
    """Basket counts of the itemsets of one length, searchable by row."""

    def __init__(self, items: np.ndarray, counts: np.ndarray):
        keys = _row_keys(items)
        order = np.argsort(keys, kind="stable")
        self.keys, self.counts = keys[order], counts[order]

    def count(self, rows: np.ndarray) -> np.ndarray:
        """Counts of ``rows`` (each sorted ascending); every row must be present."""
        keys = _row_keys(rows)
        at = np.searchsorted(self.keys, keys)
        if len(keys) and (at.max() >= len(self.keys) or not np.array_equal(self.keys[at], keys)):
            raise ValueError("an antecedent or consequent is missing from the itemsets (not downward closed)")
        return self.counts[at]


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """One comparable scalar per row: the row's bytes as a numpy void (exact, any length)."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def generate_rules(itemsets: FrequentItemsets, thresholds: RuleThresholds = RuleThresholds()) -> pd.DataFrame:
    """Score every rule of every frequent itemset of length >= 2.

    Returns
    -------
    pandas.DataFrame
        One row per rule: ``antecedent`` and ``consequent`` (tuples of item codes, ascending),
        ``antecedent_len``, ``consequent_len``, ``baskets`` (count of the whole itemset), the
        :data:`RULE_MEASURES` and ``redundant``. Rules failing ``thresholds`` are left out.
    """
    n = itemsets.n_baskets
    lookups = {k: _Lookup(*itemsets.by_length[k]) for k in itemsets.by_length}
    groups: dict[tuple[int, int], dict[str, np.ndarray]] = {}
    for k in sorted(itemsets.by_length):
        if k < 2:
            continue
        sets, counts = itemsets.by_length[k]
        for a in range(1, k):
            parts = []
            for cols in combinations(range(k), a):
                rest = [c for c in range(k) if c not in cols]
                ante, cons = sets[:, list(cols)], sets[:, rest]
                parts.append((ante, cons, counts, lookups[a].count(ante), lookups[k - a].count(cons)))
            groups[(a, k - a)] = {
                "antecedent": np.concatenate([p[0] for p in parts]),
                "consequent": np.concatenate([p[1] for p in parts]),
                "count": np.concatenate([p[2] for p in parts]),
                "count_a": np.concatenate([p[3] for p in parts]),
                "count_c": np.concatenate([p[4] for p in parts]),
            }
    for group in groups.values():
        # every measure is a ratio of integer counts, divided once: equal ratios give equal floats
        # (ties stay ties for redundancy) and a rule exactly at a threshold reaches it
        c_ac, c_a, c_c = group["count"], group["count_a"], group["count_c"]
        group["measures"] = {
            "antecedent_support": c_a / n,
            "consequent_support": c_c / n,
            "support": c_ac / n,
            "confidence": c_ac / c_a,
            "lift": (c_ac * n) / (c_a * c_c),
            "leverage": (c_ac * n - c_a * c_c) / (n * n),
            "conviction": _conviction(c_ac, c_a, c_c, n),
        }
    _mark_redundant(groups)

    frames = []
    for (a, c), group in sorted(groups.items()):
        m = group["measures"]
        keep = (m["confidence"] >= thresholds.min_confidence) & (m["lift"] >= thresholds.min_lift)
        if thresholds.drop_redundant:
            keep &= ~group["redundant"]
        if not keep.any():
            continue
        frame = pd.DataFrame({
            "antecedent": list(map(tuple, group["antecedent"][keep].tolist())),
            "consequent": list(map(tuple, group["consequent"][keep].tolist())),
            "antecedent_len": np.full(int(keep.sum()), a, dtype=np.int64),
            "consequent_len": np.full(int(keep.sum()), c, dtype=np.int64),
            "baskets": group["count"][keep],
            **{name: m[name][keep] for name in RULE_MEASURES},
            "redundant": group["redundant"][keep],
        })
        frames.append(frame)
    if not frames:
        return _empty_rules()
    return pd.concat(frames, ignore_index=True)


def _conviction(c_ac: np.ndarray, c_a: np.ndarray, c_c: np.ndarray, n: int) -> np.ndarray:
    """(1 - supp(C)) / (1 - confidence) = (n - c_c) * c_a / (n * (c_a - c_ac)); infinite when c_ac == c_a."""
    out = np.full(c_ac.shape, np.inf)
    below = c_ac < c_a
    out[below] = ((n - c_c[below]) * c_a[below]) / (n * (c_a[below] - c_ac[below]))
    return out


def _mark_redundant(groups: dict[tuple[int, int], dict]) -> None:
    """Set ``redundant``: some sub-rule (fewer antecedent items, same consequent) has >= lift.

    ``best`` carries the highest lift over all proper sub-rules, built from the immediate ones
    (one antecedent item dropped), so the check reaches every subset without enumerating them.
    """
    for (a, c) in sorted(groups):
        group = groups[(a, c)]
        lift = group["measures"]["lift"]
        if a == 1:
            group["best_sub_lift"] = np.full(len(lift), -np.inf)
            group["redundant"] = np.zeros(len(lift), dtype=bool)
            continue
        sub = groups[(a - 1, c)]
        sub_keys = _row_keys(np.column_stack([sub["antecedent"], sub["consequent"]]))
        order = np.argsort(sub_keys, kind="stable")
        sub_keys = sub_keys[order]
        sub_score = np.maximum(sub["measures"]["lift"], sub["best_sub_lift"])[order]
        best = np.full(len(lift), -np.inf)
        for drop in range(a):
            ante = np.delete(group["antecedent"], drop, axis=1)
            keys = _row_keys(np.column_stack([ante, group["consequent"]]))
            best = np.maximum(best, sub_score[np.searchsorted(sub_keys, keys)])
        group["best_sub_lift"] = best
        group["redundant"] = lift <= best


def _empty_rules() -> pd.DataFrame:
    columns = ["antecedent", "consequent", "antecedent_len", "consequent_len", "baskets", *RULE_MEASURES, "redundant"]
    dtypes = {"antecedent": object, "consequent": object, "antecedent_len": np.int64, "consequent_len": np.int64,
              "baskets": np.int64, "redundant": bool}
    return pd.DataFrame({name: pd.Series(dtype=dtypes.get(name, float)) for name in columns})
