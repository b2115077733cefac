"""Tests of ml.itemsets and ml.association_rules.

Two oracles:

* brute force on small random baskets (hypothesis): every subset of every basket is counted with
  ``itertools``, rules and their measures are worked out in exact fractions;
* mlxtend (``TransactionEncoder`` + ``fpgrowth`` + ``association_rules``) on the real Online Retail
  and Groceries baskets, at min support 0.01 and 0.005, every itemset length and every rule.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.online_retail_baskets import purchase_lines
from ml.association_rules import RULE_MEASURES, RuleThresholds, generate_rules
from ml.itemsets import FrequentItemsets, mine_itemsets, min_count_for
from orchestration.settings import REPO_ROOT

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "uci_online_retail" / "online_retail.parquet"
GROCERIES = SHARED_DATA / "groceries" / "groceries_long.parquet"
TOLERANCE = 1e-9

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------
# brute force
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transactions:
    """Small random baskets, as the miner takes them and as plain lists."""

    baskets: list[list[int]]  # items per basket, repeats allowed; empty baskets included
    basket: np.ndarray  # one entry per (basket, item) line, shuffled, basket ids arbitrary
    item: np.ndarray
    min_support: float

    @property
    def n_baskets(self) -> int:
        return len(self.baskets)


@st.composite
def transactions(draw, max_items: int = 7, max_baskets: int = 14) -> Transactions:
    """Baskets over a few sparse item codes, with repeated lines, empty baskets and odd basket ids."""
    codes = draw(st.lists(st.integers(0, 40), min_size=1, max_size=max_items, unique=True))
    baskets = draw(st.lists(st.lists(st.sampled_from(codes), max_size=9), min_size=1, max_size=max_baskets))
    ids = draw(st.lists(st.integers(0, 10_000), min_size=len(baskets), max_size=len(baskets), unique=True))
    lines = draw(st.permutations([(ids[b], i) for b, items in enumerate(baskets) for i in items]))
    n = len(baskets)
    # thresholds exactly on a count (k / n) are the interesting ones; any other share too
    min_support = draw(st.one_of(st.integers(1, n).map(lambda k: k / n),
                                 st.floats(0, 1, exclude_min=True, allow_subnormal=False)))
    basket = np.array([b for b, _ in lines], dtype=np.int64)
    item = np.array([i for _, i in lines], dtype=np.int64)
    return Transactions(baskets, basket, item, min_support)


def brute_counts(baskets: list[list[int]]) -> Counter:
    """Number of baskets containing each itemset (sorted tuple), over every subset of every basket."""
    counts: Counter = Counter()
    for items in baskets:
        distinct = sorted(set(items))
        for k in range(1, len(distinct) + 1):
            counts.update(combinations(distinct, k))
    return counts


def brute_itemsets(baskets, min_support, max_len=None, excluded_pairs=frozenset()) -> dict[tuple, int]:
    """Frequent itemsets by the textbook (and mlxtend) rule: share of baskets >= min_support."""
    n = len(baskets)
    return {
        s: c
        for s, c in brute_counts(baskets).items()
        if c / n >= min_support
        and (max_len is None or len(s) <= max_len)
        and not any(pair in excluded_pairs for pair in combinations(s, 2))
    }


@dataclass(frozen=True)
class BruteRule:
    count: int  # baskets holding antecedent and consequent
    count_a: int
    count_c: int
    n: int

    @property
    def confidence(self) -> Fraction:
        return Fraction(self.count, self.count_a)

    @property
    def lift(self) -> Fraction:
        return Fraction(self.count * self.n, self.count_a * self.count_c)

    def measures(self) -> dict[str, float]:
        n = self.n
        conviction = (math.inf if self.count == self.count_a
                      else float(Fraction((n - self.count_c) * self.count_a, n * (self.count_a - self.count))))
        return {
            "antecedent_support": float(Fraction(self.count_a, n)),
            "consequent_support": float(Fraction(self.count_c, n)),
            "support": float(Fraction(self.count, n)),
            "confidence": float(self.confidence),
            "lift": float(self.lift),
            "leverage": float(Fraction(self.count * n - self.count_a * self.count_c, n * n)),
            "conviction": conviction,
        }


def brute_rules(itemsets: dict[tuple, int], n: int) -> dict[tuple[tuple, tuple], BruteRule]:
    """Every rule ``A -> S \\ A`` of every frequent itemset ``S`` (two or more items)."""
    rules = {}
    for s, count in itemsets.items():
        for k in range(1, len(s)):
            for ante in combinations(s, k):
                cons = tuple(x for x in s if x not in ante)
                rules[(ante, cons)] = BruteRule(count, itemsets[ante], itemsets[cons], n)
    return rules


def brute_redundant(rules: dict[tuple[tuple, tuple], BruteRule]) -> dict[tuple[tuple, tuple], bool]:
    """Redundant: some rule with the same consequent and a proper non-empty sub-antecedent has >= lift (exact)."""
    return {
        (ante, cons): any(
            rules[(sub, cons)].lift >= rule.lift
            for k in range(1, len(ante))
            for sub in combinations(ante, k)
        )
        for (ante, cons), rule in rules.items()
    }


def rules_by_key(table: pd.DataFrame) -> dict[tuple[tuple, tuple], dict]:
    keys = list(zip(table["antecedent"], table["consequent"]))
    assert len(set(keys)) == len(keys), "a rule is reported twice"
    return dict(zip(keys, table.to_dict("records")))


# --------------------------------------------------------------------------------------------
# properties of the miner
# --------------------------------------------------------------------------------------------


def check_structure(found: FrequentItemsets, n_baskets: int, min_support: float) -> None:
    assert found.n_baskets == n_baskets
    assert found.min_count == min_count_for(min_support, n_baskets)
    for k, (items, counts) in found.by_length.items():
        assert items.ndim == 2 and items.shape == (len(counts), k) and len(counts) > 0
        assert np.issubdtype(items.dtype, np.integer) and np.issubdtype(counts.dtype, np.integer)
        assert (np.diff(items, axis=1) > 0).all(), "rows must be strictly ascending (no repeated item)"
    assert len(found) == sum(len(c) for _, c in found.by_length.values())
    assert found.max_length == max(found.by_length, default=0)


def records(found: FrequentItemsets) -> dict[tuple, int]:
    rows = found.to_records()
    as_dict = dict(rows)
    assert len(as_dict) == len(rows), "an itemset is reported twice"
    return as_dict


@PROPERTY
@given(transactions())
def test_itemsets_and_counts_match_brute_force(data: Transactions) -> None:
    found = mine_itemsets(data.basket, data.item, data.n_baskets, data.min_support)
    check_structure(found, data.n_baskets, data.min_support)
    assert records(found) == brute_itemsets(data.baskets, data.min_support)


@PROPERTY
@given(transactions(), st.integers(1, 4))
def test_max_len_reports_exactly_the_short_frequent_itemsets(data: Transactions, max_len: int) -> None:
    found = mine_itemsets(data.basket, data.item, data.n_baskets, data.min_support, max_len=max_len)
    check_structure(found, data.n_baskets, data.min_support)
    assert found.max_length <= max_len
    assert records(found) == brute_itemsets(data.baskets, data.min_support, max_len=max_len)


@PROPERTY
@given(transactions(), st.data())
def test_exclusive_pairs_are_never_reported_together(data: Transactions, draw) -> None:
    codes = sorted(set(data.item.tolist()) | {41, 99})  # also pairs with codes never seen
    pairs = draw.draw(st.lists(st.tuples(st.sampled_from(codes), st.sampled_from(codes)).filter(lambda p: p[0] != p[1]),
                               max_size=6))
    max_len = draw.draw(st.none() | st.integers(1, 4))
    exclusive: dict[int, list[int]] = {}
    for a, b in pairs:  # both directions, as the miner asks
        exclusive.setdefault(a, []).append(b)
        exclusive.setdefault(b, []).append(a)
    excluded = {tuple(sorted(p)) for p in pairs}
    found = mine_itemsets(data.basket, data.item, data.n_baskets, data.min_support, max_len=max_len,
                          exclusive={k: np.array(v) for k, v in exclusive.items()})
    check_structure(found, data.n_baskets, data.min_support)
    got = records(found)
    for itemset in got:
        assert not any(p in excluded for p in combinations(itemset, 2)), f"{itemset} holds an excluded pair"
    assert got == brute_itemsets(data.baskets, data.min_support, max_len=max_len, excluded_pairs=excluded)


def test_repeated_lines_count_once() -> None:
    # basket 7 holds item 3 three times and item 5 twice; basket 2 holds item 3 once
    basket = np.array([7, 7, 2, 7, 7, 7])
    item = np.array([3, 3, 3, 5, 3, 5])
    found = mine_itemsets(basket, item, n_baskets=2, min_support=0.5)
    assert records(found) == {(3,): 2, (5,): 1, (3, 5): 1}


def test_empty_baskets_count_in_the_denominator() -> None:
    # 2 of 4 baskets hold {1, 2}; the other two are empty (no line at all)
    basket = np.array([0, 0, 1, 1])
    item = np.array([1, 2, 1, 2])
    assert records(mine_itemsets(basket, item, n_baskets=4, min_support=0.5)) == {(1,): 2, (2,): 2, (1, 2): 2}
    assert len(mine_itemsets(basket, item, n_baskets=5, min_support=0.5)) == 0
    rules = generate_rules(mine_itemsets(basket, item, n_baskets=4, min_support=0.5))
    assert rules["support"].tolist() == [0.5, 0.5]
    assert rules["lift"].tolist() == [2.0, 2.0]


@PROPERTY
@given(st.integers(1, 10**6).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n))),
       st.sampled_from([-2, -1, 0, 1, 2]))
def test_min_count_for_is_the_smallest_count_reaching_the_share(n_k: tuple[int, int], nudge: int) -> None:
    # thresholds on a count (k / n) and the floats just either side of it; the share of a count is
    # computed as count / n, as mlxtend (and the brute force above) compute it
    n, k = n_k
    share = k / n
    for _ in range(abs(nudge)):
        share = float(np.nextafter(share, 2.0 if nudge > 0 else -1.0))
    if not 0 < share <= 1:
        return
    count = min_count_for(share, n)
    assert count / n >= share, "this count does not reach the share"
    assert count == 1 or (count - 1) / n < share, "a smaller count reaches the share"


def test_min_count_for_round_thresholds() -> None:
    assert min_count_for(0.005, 20_000) == 100  # 0.005 * 20000 is 100.00000000000001 in floats
    assert min_count_for(0.1, 10) == 1 and min_count_for(0.3, 10) == 3 and min_count_for(1.0, 7) == 7
    assert min_count_for(1e-12, 10) == 1


# --------------------------------------------------------------------------------------------
# properties of the rule generator
# --------------------------------------------------------------------------------------------


def rules_and_truth(data: Transactions) -> tuple[pd.DataFrame, dict]:
    found = mine_itemsets(data.basket, data.item, data.n_baskets, data.min_support)
    return generate_rules(found), brute_rules(brute_itemsets(data.baskets, data.min_support), data.n_baskets)


@PROPERTY
@given(transactions())
def test_rules_and_measures_match_brute_force(data: Transactions) -> None:
    table, truth = rules_and_truth(data)
    got = rules_by_key(table)
    assert set(got) == set(truth)
    for key, row in got.items():
        rule = truth[key]
        assert row["antecedent_len"] == len(key[0]) and row["consequent_len"] == len(key[1])
        assert row["baskets"] == rule.count
        for name, value in rule.measures().items():
            assert row[name] == pytest.approx(value, rel=1e-12, abs=0), (key, name)
            assert math.isinf(row[name]) == math.isinf(value), (key, name)


@PROPERTY
@given(transactions())
def test_redundant_flag_matches_brute_force(data: Transactions) -> None:
    table, truth = rules_and_truth(data)
    expected = brute_redundant(truth)
    got = {key: bool(row["redundant"]) for key, row in rules_by_key(table).items()}
    assert got == expected


def threshold(most: int) -> st.SearchStrategy:
    """Ratios of small counts up to ``most`` (the ties that matter) and any other value in [0, most]."""
    ratios = st.integers(1, 20).flatmap(lambda d: st.integers(0, most * d).map(lambda k: k / d))
    return st.one_of(ratios, st.floats(0, most))


@PROPERTY
@given(transactions(), threshold(1), threshold(4), st.booleans())
def test_thresholds_keep_exactly_the_rules_reaching_them(data, min_confidence, min_lift, drop_redundant) -> None:
    found = mine_itemsets(data.basket, data.item, data.n_baskets, data.min_support)
    table = generate_rules(found, RuleThresholds(min_confidence, min_lift, drop_redundant))
    everything = generate_rules(found)
    truth = brute_rules(brute_itemsets(data.baskets, data.min_support), data.n_baskets)
    redundant = brute_redundant(truth)
    # a measure reaches a threshold when its value, rounded once to a float, does (so a rule of
    # confidence exactly 3/4 is kept at min_confidence 0.75)
    expected = {
        key for key, rule in truth.items()
        if float(rule.confidence) >= min_confidence and float(rule.lift) >= min_lift
        and not (drop_redundant and redundant[key])
    }
    got = rules_by_key(table)
    assert set(got) == expected
    # the kept rows are the unfiltered rows, unchanged (redundancy is judged before filtering)
    kept = np.array([(a, c) in got for a, c in zip(everything["antecedent"], everything["consequent"])], dtype=bool)
    # (dtypes of an empty table are checked in test_empty_table_has_the_same_columns_and_dtypes)
    pd.testing.assert_frame_equal(table.reset_index(drop=True), everything[kept].reset_index(drop=True),
                                  check_dtype=False)


def lines(*baskets: list[int]) -> tuple[np.ndarray, np.ndarray, int]:
    """(basket, item, n_baskets) of these baskets, in order."""
    basket = np.repeat(np.arange(len(baskets)), [len(b) for b in baskets])
    return basket, np.array([i for b in baskets for i in b], dtype=np.int64), len(baskets)


@pytest.mark.parametrize("thresholds", [RuleThresholds(min_confidence=0.75), RuleThresholds(min_lift=1.25)])
def test_rule_exactly_at_a_threshold_is_kept(thresholds: RuleThresholds) -> None:
    # 5 baskets: {0, 1} three times, {0}, and an empty one: 0 -> 1 has confidence 3/4 and lift 5/4
    found = mine_itemsets(*lines([0, 1], [0, 1], [0, 1], [0], []), min_support=0.2)
    kept = rules_by_key(generate_rules(found, thresholds))
    assert ((0,), (1,)) in kept


def test_rule_of_independent_items_is_kept_at_min_lift_one() -> None:
    # 20 baskets: item 0 in 4, item 1 in 15, both in 3: lift 3 * 20 / (4 * 15) = 1 exactly
    baskets = [[0, 1]] * 3 + [[0]] + [[1]] * 12 + [[]] * 4
    found = mine_itemsets(*lines(*baskets), min_support=0.05)
    kept = rules_by_key(generate_rules(found, RuleThresholds(min_lift=1.0)))
    assert set(kept) == {((0,), (1,)), ((1,), (0,))}


def test_redundancy_ties_are_decided_exactly() -> None:
    # 10 baskets: {0,1,2}, {0,1} x2, {0,2} x2, {0} x4, {1}.
    # {0} -> {2} and {0,1} -> {2} both have confidence 1/3 and lift 10/9: the longer rule is redundant.
    baskets = [[0, 1, 2], [0, 1], [0, 1], [0, 2], [0, 2], [0], [0], [0], [0], [1]]
    table = rules_by_key(generate_rules(mine_itemsets(*lines(*baskets), min_support=0.1)))
    assert table[((0,), (2,))]["lift"] == pytest.approx(10 / 9)
    assert table[((0, 1), (2,))]["lift"] == pytest.approx(10 / 9)
    assert table[((0, 1), (2,))]["redundant"]


COLUMNS = ["antecedent", "consequent", "antecedent_len", "consequent_len", "baskets", *RULE_MEASURES, "redundant"]
# basket 0 holds {4, 5}, basket 1 holds {4, 5, 6}
PAIRS = mine_itemsets(np.array([0, 0, 1, 1, 1]), np.array([4, 5, 4, 5, 6]), n_baskets=2, min_support=0.5)


def test_table_columns_and_tuples() -> None:
    table = generate_rules(PAIRS)
    assert list(table.columns) == COLUMNS
    assert len(table) == 12  # {4,5,6}: 6 rules; each of its three pairs: 2 rules
    assert all(isinstance(a, tuple) and list(a) == sorted(a) for a in table["antecedent"])
    assert all(isinstance(c, tuple) and list(c) == sorted(c) for c in table["consequent"])
    assert table["redundant"].dtype == bool
    assert all(np.issubdtype(table[name].dtype, np.integer) for name in ("antecedent_len", "consequent_len", "baskets"))


@pytest.mark.parametrize("case", ["no itemset of two items", "every rule filtered out"])
def test_empty_table_has_the_same_columns_and_dtypes(case: str) -> None:
    if case == "no itemset of two items":
        empty = generate_rules(mine_itemsets(np.array([0, 1]), np.array([4, 5]), n_baskets=2, min_support=0.5))
    else:
        empty = generate_rules(PAIRS, RuleThresholds(min_lift=1.5))  # every lift is 1
    assert len(empty) == 0 and list(empty.columns) == COLUMNS
    # so that e.g. ``table[~table.redundant]`` means the same with and without rules
    assert empty.dtypes.to_dict() == generate_rules(PAIRS).dtypes.to_dict()


# --------------------------------------------------------------------------------------------
# clear errors
# --------------------------------------------------------------------------------------------

BASKET, ITEM = np.array([0, 0, 1]), np.array([1, 2, 1])
NO_LINE = np.array([], dtype=np.int64)
# the arguments are checked with and without data (an empty window must not hide a bad setting)
WITH_AND_WITHOUT_DATA = pytest.mark.parametrize("basket, item, n_baskets", [(BASKET, ITEM, 2), (NO_LINE, NO_LINE, 0)],
                                                ids=["with data", "no basket"])


@pytest.mark.parametrize("min_support", [0.0, -0.1, 1.0000001, 2.0, float("nan"), float("inf")])
@WITH_AND_WITHOUT_DATA
def test_min_support_outside_zero_one_is_refused(basket, item, n_baskets: int, min_support: float) -> None:
    with pytest.raises(ValueError, match="min_support"):
        mine_itemsets(basket, item, n_baskets, min_support)
    with pytest.raises(ValueError, match="min_support"):
        min_count_for(min_support, 10)


@pytest.mark.parametrize("n_baskets", [2, 0])
@pytest.mark.parametrize("basket, item", [([0, -1, 1], [1, 2, 1]), ([0, 0, 1], [1, -2, 1])])
def test_negative_codes_are_refused(basket, item, n_baskets: int) -> None:
    with pytest.raises(ValueError, match="non-negative" if n_baskets else None):
        mine_itemsets(np.array(basket), np.array(item), n_baskets, 0.5)


@pytest.mark.parametrize("basket, item, n_baskets", [(BASKET, ITEM, 0), (BASKET, ITEM, -1), (NO_LINE, NO_LINE, -1)])
def test_lines_without_baskets_or_negative_n_baskets_are_refused(basket, item, n_baskets: int) -> None:
    with pytest.raises(ValueError):
        mine_itemsets(basket, item, n_baskets, 0.5)


@pytest.mark.parametrize("exclusive", [{0: [-1]}, {-1: [0]}])
def test_negative_codes_in_exclusive_are_refused(exclusive: dict) -> None:
    # -1 must not silently stand for the highest item code (here 5, so {0, 5} would vanish)
    basket, item = np.array([0, 0, 1, 1]), np.array([0, 5, 0, 5])
    with pytest.raises(ValueError, match="non-negative"):
        mine_itemsets(basket, item, 2, 0.5, exclusive={k: np.array(v) for k, v in exclusive.items()})


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        mine_itemsets(np.array([0, 0, 1]), np.array([1, 2]), 2, 0.5)


@pytest.mark.parametrize("max_len", [0, -1])
@WITH_AND_WITHOUT_DATA
def test_max_len_below_one_is_refused(basket, item, n_baskets: int, max_len: int) -> None:
    with pytest.raises(ValueError, match="max_len"):
        mine_itemsets(basket, item, n_baskets, 0.5, max_len=max_len)


def test_max_len_one_and_no_baskets_are_fine() -> None:
    assert records(mine_itemsets(BASKET, ITEM, 2, 0.5, max_len=1)) == {(1,): 2, (2,): 1}
    for n_baskets in (3, 0):
        nothing = mine_itemsets(NO_LINE, NO_LINE, n_baskets, 0.5)
        assert len(nothing) == 0 and nothing.n_baskets == n_baskets
        assert len(generate_rules(nothing)) == 0


@pytest.mark.parametrize("kwargs", [{"min_confidence": -0.1}, {"min_confidence": 1.1}, {"min_confidence": float("nan")},
                                    {"min_lift": -1.0}, {"min_lift": float("nan")}])
def test_rule_thresholds_out_of_range_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RuleThresholds(**kwargs)


# --------------------------------------------------------------------------------------------
# exactness against mlxtend on real baskets
# --------------------------------------------------------------------------------------------


def _require(path) -> None:
    if not path.exists():
        pytest.fail(f"shared data file missing: {path} (the itemset tests read it from the shared data folder)")


def online_retail_lines() -> tuple[np.ndarray, np.ndarray]:
    """(invoice, stock code) per product line of a sale, by the warehouse's own product rule."""
    lines = purchase_lines(ONLINE_RETAIL)
    return lines["invoice"].to_numpy(object), lines["product_id"].to_numpy(object)


def groceries_lines() -> tuple[np.ndarray, np.ndarray]:
    _require(GROCERIES)
    df = pd.read_parquet(GROCERIES, columns=["transaction_id", "item"])
    return df["transaction_id"].to_numpy(), df["item"].astype(str).to_numpy(object)


DATASETS = {"online_retail": online_retail_lines, "groceries": groceries_lines}
CASES = [(name, support) for name in DATASETS for support in (0.01, 0.005)]


@pytest.fixture(scope="module")
def baskets_of():
    """Per data set, loaded once: ours as codes, mlxtend's as a list of label lists."""
    cache: dict[str, dict] = {}

    def get(name: str) -> dict:
        if name not in cache:
            baskets, labels = DATASETS[name]()
            basket_codes, basket_ids = pd.factorize(baskets)
            item_codes, item_labels = pd.factorize(labels)
            order = np.argsort(basket_codes, kind="stable")
            split = np.cumsum(np.bincount(basket_codes))[:-1]
            as_lists = [list(item_labels[c]) for c in np.split(item_codes[order], split)]
            cache[name] = {"basket": basket_codes, "item": item_codes, "labels": np.asarray(item_labels, dtype=object),
                           "n": len(basket_ids), "lists": as_lists}
        return cache[name]

    return get


@pytest.fixture(scope="module", params=CASES, ids=[f"{n}-{s}" for n, s in CASES])
def mined(request, baskets_of) -> dict:
    """Ours and mlxtend's itemsets and rules (all of them, min confidence 0) for one case, computed once."""
    try:
        from mlxtend.frequent_patterns import association_rules, fpgrowth
        from mlxtend.preprocessing import TransactionEncoder
    except ImportError:
        pytest.fail("mlxtend is the oracle of these tests: pip install 'mlxtend>=0.23'")
    name, support = request.param
    data = baskets_of(name)

    ours = mine_itemsets(data["basket"], data["item"], data["n"], support)
    our_rules = generate_rules(ours)

    encoder = TransactionEncoder()
    onehot = pd.DataFrame(encoder.fit(data["lists"]).transform(data["lists"]), columns=encoder.columns_)
    assert len(onehot) == data["n"]
    theirs = fpgrowth(onehot, min_support=support, use_colnames=True)
    their_rules = association_rules(theirs, len(onehot), metric="confidence", min_threshold=0.0)
    return {"n": data["n"], "labels": data["labels"], "ours": ours, "our_rules": our_rules,
            "theirs": theirs, "their_rules": their_rules}


def test_same_itemsets_and_supports_as_mlxtend(mined: dict) -> None:
    labels, n = mined["labels"], mined["n"]
    ours = {frozenset(labels[list(s)]): c / n for s, c in mined["ours"].to_records()}
    theirs = dict(zip(mined["theirs"]["itemsets"], mined["theirs"]["support"]))
    assert len(ours) == len(mined["ours"])
    assert ours.keys() == theirs.keys(), (
        f"only ours: {list(ours.keys() - theirs.keys())[:5]}, only mlxtend's: {list(theirs.keys() - ours.keys())[:5]}")
    assert max(abs(ours[k] - theirs[k]) for k in theirs) <= TOLERANCE
    assert mined["ours"].max_length == max(map(len, theirs)) >= 2


MEASURE_PAIRS = [("antecedent_support", "antecedent support"), ("consequent_support", "consequent support"),
                 ("support", "support"), ("confidence", "confidence"), ("lift", "lift"),
                 ("leverage", "leverage"), ("conviction", "conviction")]


def test_same_rules_and_measures_as_mlxtend(mined: dict) -> None:
    labels, table, theirs = mined["labels"], mined["our_rules"], mined["their_rules"]
    assert len(table) > 0

    def label(codes: tuple) -> frozenset:
        return frozenset(labels[list(codes)])

    ours = {(label(a), label(c)): i for i, (a, c) in enumerate(zip(table["antecedent"], table["consequent"]))}
    keys = {(a, c): i for i, (a, c) in enumerate(zip(theirs["antecedents"], theirs["consequents"]))}
    assert len(ours) == len(table) and len(keys) == len(theirs)
    assert ours.keys() == keys.keys(), (
        f"{len(ours)} rules vs mlxtend's {len(keys)}; only ours: {list(ours.keys() - keys.keys())[:3]}, "
        f"only mlxtend's: {list(keys.keys() - ours.keys())[:3]}")
    order = [keys[k] for k in ours]  # mlxtend's rows in our row order
    for mine, their in MEASURE_PAIRS:
        a = table[mine].to_numpy(float)
        b = theirs[their].to_numpy(float)[order]
        assert np.array_equal(np.isinf(a), np.isinf(b)), f"{mine}: infinite in one table only"
        finite = np.isfinite(a)
        assert np.isfinite(b[finite]).all()
        worst = np.abs(a[finite] - b[finite]).max(initial=0.0)
        assert worst <= TOLERANCE, f"{mine} differs from mlxtend by up to {worst}"
