"""Sequence rules: "bought A, buys B within W weeks", with the distribution of the gap.

For each customer the items of a level are taken per shopping day. An *A day* is a day the customer
bought A; it is *observable* when the whole window of W weeks after it lies inside the data, so a
customer is never counted as not buying B for lack of time to do so.

* ``anchored_customers``: customers with an observable A day.
* ``customers``: those of them who bought B on a later day within W weeks of an observable A day.
* ``probability`` = customers / anchored_customers, P(buys B within W weeks | bought A).
* ``baseline_probability``: the same for any first purchase (customers whose first observable
  shopping day is followed by B within W weeks), so ``lift`` says how much A raises the chance.
* The gap histogram counts every pair (A day, later B day within W weeks) of a customer, by gap in
  whole weeks (rounded); ``peak_weeks`` are its highest local
  maxima. Counting every pair, not only the first B after the first A, keeps each planted or
  habitual lag at its own week rather than letting the shortest one hide the others.

The counting is numpy over the integer arrays of :mod:`ml.line_data`: each customer's (day, item)
events, sorted, give every later event within the window by binary search; pairs are generated in
chunks that never split a customer, so it scales with the number of customer-item days, not with
customers x items. Counts are dense arrays while the key space is small, sorted chunks beyond.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.basket_mining import OVERALL
from ml.line_data import LineData, level_items

__all__ = ["SequenceRuleSettings", "SEQUENCE_RULE_COLUMNS", "GAP_HISTOGRAM_COLUMNS", "mine_sequence_rules", "peak_weeks"]

SEQUENCE_RULE_COLUMNS = [
    "level", "segment_by", "segment", "rule_rank", "antecedent", "consequent", "antecedent_name", "consequent_name",
    "window_weeks", "anchored_customers", "customers", "probability", "baseline_probability", "lift",
    "order_pairs", "peak_weeks", "median_gap_weeks",
]
GAP_HISTOGRAM_COLUMNS = ["level", "segment_by", "segment", "antecedent", "consequent", "gap_weeks", "order_pairs"]


@dataclass(frozen=True)
class SequenceRuleSettings:
    """Window, evidence and lift thresholds of the sequence rules, and how many peaks to report."""

    window_weeks: int = 56
    min_customers: int = 20
    min_anchored_customers: int = 50
    min_lift: float = 1.0
    n_peaks: int = 3
    #: a week is a peak only if its pairs reach this multiple of the histogram's median week
    peak_ratio: float = 1.5
    min_segment_customers: int = 500
    #: the highest-lift rules kept per segment and level (every pair of 300 categories passes at scale)
    max_rules_per_segment: int = 1000

    def __post_init__(self):
        if self.window_weeks < 1:
            raise ValueError(f"window_weeks must be at least 1, got {self.window_weeks}")


def mine_sequence_rules(data: LineData, level: str, settings: SequenceRuleSettings, mixed=None):
    """Sequence rules and gap histograms of ``level`` overall and within each segment of ``data``.

    Returns
    -------
    (rules, histogram) : pandas.DataFrame, pandas.DataFrame
        :data:`SEQUENCE_RULE_COLUMNS` (highest lift first within a segment) and
        :data:`GAP_HISTOGRAM_COLUMNS` for the rules kept.
    """
    items = level_items(data, level, mixed)
    window = 7 * settings.window_weeks
    weeks = settings.window_weeks + 1
    ev = _events(data, items, settings.min_customers)
    if ev is None:
        return _empty(SEQUENCE_RULE_COLUMNS), _empty(GAP_HISTOGRAM_COLUMNS)
    customer, day, item, n_items = ev
    horizon = int(data.day.max()) - window  # an A day up to here has its whole window inside the data
    slots = _Slots(data, customer)
    nn = n_items * n_items

    # customers with an observable A day, per slot and A
    observable = day <= horizon
    anchored = slots.count_customers(customer[observable], item[observable], n_items)
    # baseline: customers whose first shopping day is observable and is followed by B within the window
    first = np.flatnonzero(np.concatenate(([True], customer[1:] != customer[:-1])))
    first_day = np.repeat(day[first], np.diff(np.append(first, len(day))))
    base_customers = slots.count(customer[first][day[first] <= horizon])
    follows = (first_day <= horizon) & (day > first_day) & (day <= first_day + window)
    base_hits = slots.count_customers(customer[follows], item[follows], n_items)

    # customers with an observable A day followed by B within the window, per slot and (A, B); and,
    # when the (slot, A, B, week) space is small enough to count densely, the gap histogram in the
    # same pass
    hits = _Tally(slots.n * nn)
    dense_hist = slots.n * nn * weeks <= DENSE_LIMIT
    hist_all = _Tally(slots.n * nn * weeks) if dense_hist else None
    for src, dst in _pairs(customer, day, window):
        pair_keys = item[src] * n_items + item[dst]
        obs = observable[src]
        cust, key = _distinct(customer[src][obs], pair_keys[obs], nn)
        for slot_of, which in slots.assign(cust):
            hits.add(slot_of * nn + key[which])
        if dense_hist:
            week = _weeks(day[dst] - day[src])
            for slot_of, which in slots.assign(customer[src]):
                hist_all.add((slot_of * nn + pair_keys[which]) * weeks + week[which])
    keys, counts = hits.result()

    slot, ab = keys // nn, keys % nn
    a, b = ab // n_items, ab % n_items
    n_anchored = anchored[slot * n_items + a]
    base = base_hits[slot * n_items + b] / np.maximum(base_customers[slot], 1)
    probability = counts / np.maximum(n_anchored, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = np.where(base > 0, probability / base, np.inf)
    big = slots.sizes[slot] >= settings.min_segment_customers
    kept = ((counts >= settings.min_customers) & (n_anchored >= settings.min_anchored_customers)
            & (lift >= settings.min_lift) & (big | (slot == 0)))
    kept &= _top_per_slot(slot, lift, kept, settings.max_rules_per_segment)
    keys, counts, slot, a, b = keys[kept], counts[kept], slot[kept], a[kept], b[kept]
    rules = pd.DataFrame({
        "slot": slot, "antecedent": items.labels[a], "consequent": items.labels[b],
        "antecedent_name": items.names[a], "consequent_name": items.names[b],
        "anchored_customers": n_anchored[kept], "customers": counts, "probability": probability[kept],
        "baseline_probability": base[kept], "lift": lift[kept],
    })

    if dense_hist:
        dense = hist_all.dense.reshape(slots.n * nn, weeks)[keys]
    else:
        dense = _histogram_pass(customer, day, item, n_items, window, weeks, slots, keys)
    rules["order_pairs"] = dense.sum(axis=1)
    rules["peak_weeks"] = peak_weeks(dense, settings.n_peaks, settings.peak_ratio)
    cumulative = dense.cumsum(axis=1)
    rules["median_gap_weeks"] = (cumulative >= cumulative[:, -1:] / 2).argmax(axis=1).astype(float)
    rule_at, week_at = np.nonzero(dense)
    histogram = pd.DataFrame({
        "slot": slot[rule_at], "antecedent": items.labels[a[rule_at]], "consequent": items.labels[b[rule_at]],
        "gap_weeks": week_at.astype(np.int32), "order_pairs": dense[rule_at, week_at],
    })
    rules, histogram = slots.label(rules), slots.label(histogram)
    rules["level"], histogram["level"] = level, level
    rules["window_weeks"] = settings.window_weeks
    rules = rules.sort_values(["segment_by", "segment", "lift", "customers"], ascending=[True, True, False, False])
    rules["rule_rank"] = rules.groupby(["segment_by", "segment"]).cumcount() + 1
    return rules[SEQUENCE_RULE_COLUMNS].reset_index(drop=True), histogram[GAP_HISTOGRAM_COLUMNS].reset_index(drop=True)


def _histogram_pass(customer, day, item, n_items, window, weeks, slots, keys) -> np.ndarray:
    """Gap histograms of the (slot, A, B) ``keys`` (sorted), one row each, from a pass over the pairs."""
    nn = n_items * n_items
    hist = np.zeros(len(keys) * weeks, dtype=np.int64)
    for src, dst in (_pairs(customer, day, window) if len(keys) else ()):
        pair_keys = item[src] * n_items + item[dst]
        week = _weeks(day[dst] - day[src])
        for slot_of, which in slots.assign(customer[src]):
            wanted = slot_of * nn + pair_keys[which]
            at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
            found = keys[at] == wanted
            hist += np.bincount(at[found] * weeks + week[which][found], minlength=len(hist))
    return hist.reshape(len(keys), weeks)


def _weeks(gap_days: np.ndarray) -> np.ndarray:
    """Gaps in whole weeks, rounded to the nearest (3 days down, 4 days up), in integer arithmetic."""
    return (gap_days + 3) // 7


#: Key spaces up to this size are counted in a dense array (one bincount per chunk, no sorting).
DENSE_LIMIT = 60_000_000
#: Most distinct keys a sparse count may hold before it refuses (about 2 GB of keys and counts).
SPARSE_LIMIT = 120_000_000


class _Tally:
    """Counts per integer key in [0, size): dense when the space is small, else sorted chunks."""

    def __init__(self, size: int):
        self.dense = np.zeros(size, dtype=np.int64) if size <= DENSE_LIMIT else None
        self.keys, self.counts = [], []
        self.held = 0

    def add(self, keys: np.ndarray) -> None:
        if self.dense is not None:
            self.dense += np.bincount(keys, minlength=len(self.dense))
        else:
            k = np.sort(keys)
            starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
            c = np.diff(np.append(starts, len(k)))
            k = k[starts]
            self.held += len(k)
            if self.held > SPARSE_LIMIT:
                raise ValueError(
                    f"more than {SPARSE_LIMIT:,} distinct (segment, A, B) sequences to count: this level has too many "
                    "items for sequence rules at this size; raise min_customers, or leave the level out (sku and "
                    "mixed are the usual culprits)"
                )
            self.keys.append(k)
            self.counts.append(c)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Keys with a count (ascending) and their counts."""
        if self.dense is not None:
            keys = np.flatnonzero(self.dense)
            return keys, self.dense[keys]
        return _merge(self.keys, self.counts)


def _distinct(customers: np.ndarray, keys: np.ndarray, n_keys: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (customer, key) pairs. Rows come grouped by customer, where a stable sort is fast."""
    combined = _sorted_unique(customers * n_keys + keys)
    return combined // n_keys, combined % n_keys


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by a stable sort: near linear on data already grouped, where hashing is slow."""
    values = np.sort(values, kind="stable")
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def _events(data: LineData, items, min_customers: int):
    """Distinct (customer, day, item) of known customers, items bought by enough customers only,
    sorted by customer, day and item; None when nothing is left."""
    customer = data.customer[items.line]
    known = customer >= 0
    customer, day, item = customer[known], data.day[items.line][known], items.item[known]
    if not len(item):
        return None
    n_items = len(items.labels)
    d0 = int(day.min())
    span = int(day.max()) - d0 + 1
    # lines come in (customer, day) order, so the stable sort only orders items within a day
    key = _sorted_unique((customer * span + (day - d0)) * n_items + item)
    item = key % n_items
    customer_day = key // n_items
    customer, day = customer_day // span, customer_day % span + d0
    # customers per item: one (customer, item) each
    per_item = np.bincount(_sorted_unique(customer * n_items + item) % n_items, minlength=n_items)
    keep = per_item[item] >= min_customers
    if not keep.any():
        return None
    return customer[keep], day[keep], item[keep], n_items


def _pairs(customer, day, window: int, chunk: int = 20_000_000):
    """(source, later event) index pairs of one customer within ``window`` days, in chunks of
    about ``chunk`` pairs that never split a customer (so distinct counts stay right per chunk)."""
    d0 = int(day.min())
    span = int(day.max()) - d0 + window + 1
    g = customer * span + (day - d0)
    lo = np.searchsorted(g, g, side="right")          # first event on a later day
    hi = np.searchsorted(g, g + window, side="right")  # past the window
    n = hi - lo
    total = np.cumsum(n)
    starts = np.flatnonzero(np.concatenate(([True], customer[1:] != customer[:-1])))
    begin = 0
    while begin < len(g):
        done = total[begin - 1] if begin else 0
        # end at the first customer boundary past the chunk's pair budget (at least one customer)
        budget_end = max(int(np.searchsorted(total, done + chunk, side="right")), begin + 1)
        j = int(np.searchsorted(starts, budget_end, side="left"))
        end = int(starts[j]) if j < len(starts) else len(g)
        counts = n[begin:end]
        src = np.repeat(np.arange(begin, end), counts)
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
        dst = np.repeat(lo[begin:end] - offsets, counts) + np.arange(int(counts.sum()))
        yield src, dst
        begin = end


class _Slots:
    """Slot 0 is every customer; then one slot per segment of each segmentation."""

    def __init__(self, data: LineData, customer: np.ndarray):
        self.names = [(OVERALL, OVERALL)]
        self.maps = []
        offset = 1
        for name, labels, by_customer in zip(data.segmentation_names, data.segment_labels, data.customer_segments):
            self.maps.append((offset, by_customer))
            self.names += [(name, label) for label in labels]
            offset += len(labels)
        self.n = offset
        people = _sorted_unique(customer)
        self.sizes = self.count(people)

    def count(self, customers: np.ndarray) -> np.ndarray:
        """How many of ``customers`` (distinct) fall in each slot."""
        out = np.zeros(self.n, dtype=np.int64)
        out[0] = len(customers)
        for offset, by_customer in self.maps:
            seg = by_customer[customers]
            out += np.bincount(seg[seg >= 0] + offset, minlength=self.n)
        return out

    def assign(self, customers: np.ndarray):
        """(slot array, row selector) for slot 0 and for each segmentation."""
        yield np.zeros(len(customers), dtype=np.int64), slice(None)
        for offset, by_customer in self.maps:
            seg = by_customer[customers]
            which = np.flatnonzero(seg >= 0)
            yield seg[which] + offset, which

    def count_customers(self, customers, keys, n_keys: int) -> np.ndarray:
        """Distinct customers per (slot, key), as a dense array of n slots x ``n_keys``."""
        cust, key = _distinct(customers, keys, n_keys)
        out = np.zeros(self.n * n_keys, dtype=np.int64)
        for slot, which in self.assign(cust):
            out += np.bincount(slot * n_keys + key[which], minlength=len(out))
        return out

    def label(self, frame: pd.DataFrame) -> pd.DataFrame:
        names = np.array([n for n, _ in self.names], dtype=object)
        labels = np.array([label for _, label in self.names], dtype=object)
        return frame.assign(segment_by=names[frame["slot"]], segment=labels[frame["slot"]]).drop(columns="slot")


def _merge(keys: list[np.ndarray], counts: list[np.ndarray]):
    """Sum counts of equal keys across chunks; keys come back sorted."""
    if not keys:
        return np.array([], np.int64), np.array([], np.int64)
    all_keys, inverse = np.unique(np.concatenate(keys), return_inverse=True, sorted=True)
    return all_keys, np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)


def _top_per_slot(slot, lift, kept, limit: int) -> np.ndarray:
    """Keep at most ``limit`` rules per slot, the highest lift first."""
    order = np.lexsort((-np.where(kept, lift, -np.inf), slot))
    rank = np.empty(len(order), dtype=np.int64)
    sorted_slot = slot[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_slot[1:] != sorted_slot[:-1]))) if len(order) else order
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.append(starts, len(order))))
    rank[order] = position
    return rank < limit


def peak_weeks(histograms: np.ndarray, n_peaks: int = 3, ratio: float = 1.5) -> list[list[int]]:
    """The weeks of the highest local maxima of each row (at most ``n_peaks``, highest first).

    A week is a local maximum when it is above the week before and not below the week after; it
    counts only when it reaches ``ratio`` times the row's median week (flat noise has no peaks).
    """
    h = np.asarray(histograms, dtype=float)
    if h.ndim != 2:
        raise ValueError("histograms must be a 2-d array (one row per rule, one column per week)")
    left = np.concatenate([np.full((len(h), 1), -np.inf), h[:, :-1]], axis=1)
    right = np.concatenate([h[:, 1:], np.full((len(h), 1), -np.inf)], axis=1)
    floor = ratio * np.median(h, axis=1, keepdims=True)
    is_peak = (h > left) & (h >= right) & (h >= floor) & (h > 0)
    out = []
    for row, mask in zip(h, is_peak):
        weeks = np.flatnonzero(mask)
        out.append(weeks[np.argsort(-row[weeks], kind="stable")][:n_peaks].tolist())
    return out


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
