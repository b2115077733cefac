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
  whole weeks (rounded), with the customers behind each week; ``peak_weeks`` are its highest local
  maxima. Counting every pair, not only the first B after the first A, keeps each planted or
  habitual lag at its own week rather than letting the shortest one hide the others.

The counting is SQL on the warehouse (a self-join of each customer's item days within the window),
so it scales with the number of customer-item days, not with customers x items.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.basket_levels import level_items_sql
from ml.basket_mining import OVERALL, Segmentation

__all__ = ["SequenceRuleSettings", "SEQUENCE_RULE_COLUMNS", "GAP_HISTOGRAM_COLUMNS", "mine_sequence_rules", "peak_weeks"]

SEQUENCE_RULE_COLUMNS = [
    "level", "segment_by", "segment", "rule_rank", "antecedent", "consequent", "antecedent_name", "consequent_name",
    "window_weeks", "anchored_customers", "customers", "probability", "baseline_probability", "lift",
    "order_pairs", "peak_weeks", "median_gap_weeks",
]
GAP_HISTOGRAM_COLUMNS = ["level", "segment_by", "segment", "antecedent", "consequent", "gap_weeks", "order_pairs", "customers"]


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

    def __post_init__(self):
        if self.window_weeks < 1:
            raise ValueError(f"window_weeks must be at least 1, got {self.window_weeks}")


def mine_sequence_rules(
    con,
    level: str,
    settings: SequenceRuleSettings,
    relation: str,
    segmentations: list[Segmentation] = (),
    mixed=None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sequence rules and gap histograms of ``level`` overall and within each segment.

    Returns
    -------
    (rules, histogram) : pandas.DataFrame, pandas.DataFrame
        :data:`SEQUENCE_RULE_COLUMNS` (highest lift first within a segment) and
        :data:`GAP_HISTOGRAM_COLUMNS` for the rules kept.
    """
    window = 7 * settings.window_weeks
    seg_columns = "".join(f", s{k}.segment as seg_{k}" for k in range(len(segmentations)))
    seg_joins = "".join(f" left join ({s.sql}) as s{k} on s{k}.customer_id = d.customer_id" for k, s in enumerate(segmentations))
    # one row per customer, shopping day and item; days as integers make the window join cheap
    con.execute(
        "create or replace temp table _seq_days as select d.customer_id, d.day, d.item, d.item_name"
        f"{seg_columns} from (select distinct customer_id, cast(order_date - date '1970-01-01' as bigint) as day, item, "
        f"item_name from ({level_items_sql(level, relation, mixed=mixed)}) where customer_id is not null) as d{seg_joins}"
    )
    last_day = con.sql("select max(day) from _seq_days").fetchall()[0][0]
    if last_day is None:
        return _empty(SEQUENCE_RULE_COLUMNS), _empty(GAP_HISTOGRAM_COLUMNS)
    horizon = last_day - window  # an A day up to here has its whole window inside the data
    seg_select = "".join(f", a.seg_{k}" for k in range(len(segmentations)))
    # items bought by too few customers cannot carry a rule: drop them before the self-join
    con.execute(
        "create or replace temp table _seq_frequent as select * from _seq_days where item in "
        f"(select item from _seq_days group by item having count(distinct customer_id) >= {int(settings.min_customers)})"
    )
    con.execute(
        "create or replace temp table _seq_pairs as select a.customer_id, a.item as antecedent, b.item as consequent, "
        f"a.day <= {horizon} as observable, b.day - a.day as gap_days{seg_select} "
        "from _seq_frequent as a join _seq_frequent as b "
        f"on a.customer_id = b.customer_id and b.day > a.day and b.day <= a.day + {window}"
    )
    names = con.sql("select item, min(item_name) as item_name from _seq_days group by item").df()
    names = dict(zip(names["item"], names["item_name"]))

    rules, hists = [], []
    for name, column in [(OVERALL, f"'{OVERALL}'")] + [(s.name, f"seg_{k}") for k, s in enumerate(segmentations)]:
        r, h = _rules_for(con, column, horizon, window, settings)
        if name != OVERALL:
            sizes = con.sql(f"select {column} as segment, count(distinct customer_id) as n from _seq_days group by 1").df()
            big = set(sizes.loc[sizes["n"] >= settings.min_segment_customers, "segment"].astype(str))
            r, h = r[r["segment"].isin(big)], h[h["segment"].isin(big)]
        rules.append(r.assign(segment_by=name))
        hists.append(h.assign(segment_by=name))
    rules = pd.concat(rules, ignore_index=True)
    hist = pd.concat(hists, ignore_index=True)
    rules, hist = _with_peaks(rules, hist, settings)
    rules["level"], hist["level"] = level, level
    rules["window_weeks"] = settings.window_weeks
    rules["antecedent_name"] = rules["antecedent"].map(names)
    rules["consequent_name"] = rules["consequent"].map(names)
    rules = rules.sort_values(["segment_by", "segment", "lift", "customers"], ascending=[True, True, False, False])
    rules["rule_rank"] = rules.groupby(["segment_by", "segment"]).cumcount() + 1
    return rules[SEQUENCE_RULE_COLUMNS].reset_index(drop=True), hist[GAP_HISTOGRAM_COLUMNS].reset_index(drop=True)


def _rules_for(con, segment: str, horizon: int, window: int, settings: SequenceRuleSettings):
    """Rules and histogram with ``segment`` (a column of the temp tables, or a constant) as the split."""
    where_segment = f"{segment} is not null"
    rules = con.sql(f"""
        with anchored as (
            select {segment} as segment, item as antecedent, count(distinct customer_id) as anchored_customers
            from _seq_frequent where day <= {horizon} and {where_segment} group by all
        ),
        hits as (
            select {segment} as segment, antecedent, consequent, count(distinct customer_id) as customers
            from _seq_pairs where observable and {where_segment} group by all
        ),
        firsts as (
            select customer_id, {segment} as segment, min(day) as first_day
            from _seq_days where {where_segment} group by all having min(day) <= {horizon}
        ),
        baseline as (
            select f.segment, d.item as consequent, count(distinct f.customer_id) as base_customers
            from firsts as f join _seq_frequent as d
                on d.customer_id = f.customer_id and d.day > f.first_day and d.day <= f.first_day + {window}
            group by all
        ),
        first_counts as (select segment, count(*) as first_customers from firsts group by all)
        select hits.segment, hits.antecedent, hits.consequent, anchored.anchored_customers, hits.customers,
            hits.customers / anchored.anchored_customers as probability,
            baseline.base_customers / first_counts.first_customers as baseline_probability
        from hits
        join anchored on anchored.segment = hits.segment and anchored.antecedent = hits.antecedent
        join first_counts on first_counts.segment = hits.segment
        left join baseline on baseline.segment = hits.segment and baseline.consequent = hits.consequent
        where hits.customers >= {int(settings.min_customers)}
            and anchored.anchored_customers >= {int(settings.min_anchored_customers)}
    """).df()
    rules["segment"] = rules["segment"].astype(str)
    # a B no first purchase was followed by has baseline 0: its lift is unbounded, report it as such
    with np.errstate(divide="ignore"):
        rules["lift"] = rules["probability"] / rules["baseline_probability"].fillna(0.0)
    rules = rules[rules["lift"] >= settings.min_lift]
    hist = con.sql(f"""
        select {segment} as segment, antecedent, consequent, cast(round(gap_days / 7.0) as integer) as gap_weeks,
            count(*) as order_pairs, count(distinct customer_id) as customers
        from _seq_pairs where {where_segment} group by all
    """).df()
    hist["segment"] = hist["segment"].astype(str)
    keys = ["segment", "antecedent", "consequent"]
    hist = hist.merge(rules[keys], on=keys)
    return rules, hist


def _with_peaks(rules: pd.DataFrame, hist: pd.DataFrame, settings: SequenceRuleSettings):
    """Add order_pairs, peak_weeks and median_gap_weeks to the rules from their histograms."""
    keys = ["segment_by", "segment", "antecedent", "consequent"]
    if rules.empty:
        return rules.assign(order_pairs=0, peak_weeks=[[] for _ in range(len(rules))], median_gap_weeks=np.nan), hist
    rule_id = rules[keys].reset_index(drop=True).reset_index().rename(columns={"index": "rule_id"})
    hist = hist.merge(rule_id, on=keys)
    dense = np.zeros((len(rule_id), settings.window_weeks + 1))
    dense[hist["rule_id"].to_numpy(), hist["gap_weeks"].to_numpy()] = hist["order_pairs"].to_numpy()
    peaks = peak_weeks(dense, settings.n_peaks, settings.peak_ratio)
    cumulative = dense.cumsum(axis=1)
    total = cumulative[:, -1]
    median = (cumulative >= total[:, None] / 2).argmax(axis=1).astype(float)
    rules = rules.merge(rule_id, on=keys).sort_values("rule_id")
    rules["order_pairs"] = total[rules["rule_id"]].astype(np.int64)
    rules["peak_weeks"] = [peaks[i] for i in rules["rule_id"]]
    rules["median_gap_weeks"] = median[rules["rule_id"]]
    return rules.drop(columns="rule_id"), hist.drop(columns="rule_id")


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
