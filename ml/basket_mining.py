"""Basket rules of one level, mined over every basket and per customer segment, labelled with
readable names.

The warehouse gives baskets, customers and attribute tuples integer codes once
(:mod:`ml.line_data`); numpy mines the integer (basket, item) pairs (:mod:`ml.itemsets`), so
nothing is one-hot encoded and memory follows the number of basket lines.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.association_rules import RULE_MEASURES, RuleThresholds, generate_rules
from ml.itemsets import mine_itemsets
from ml.line_data import LineData, level_items

__all__ = ["BasketRuleSettings", "Segmentation", "BASKET_RULE_COLUMNS", "mine_basket_rules", "OVERALL"]

#: segment_by and segment of the rules mined over every basket.
OVERALL = "all"

BASKET_RULE_COLUMNS = [
    "level", "segment_by", "segment", "rule_rank", "antecedent", "consequent", "antecedent_names", "consequent_names",
    "antecedent_items", "consequent_items", "antecedent_len", "consequent_len", "baskets", "segment_baskets",
    *RULE_MEASURES,
]


@dataclass(frozen=True)
class BasketRuleSettings:
    """Thresholds of one mining run (support is a share of the segment's baskets)."""

    min_support: float = 0.005
    max_len: int | None = 3
    min_confidence: float = 0.1
    min_lift: float = 1.0
    drop_redundant: bool = True
    #: a segment with fewer baskets than this is not mined on its own (its rules would be noise)
    min_segment_baskets: int = 500
    #: the highest-lift rules kept per level, segment and rule shape (antecedent and consequent
    #: lengths): a dense catalogue yields millions
    max_rules_per_segment: int = 10_000


@dataclass(frozen=True)
class Segmentation:
    """A way to split customers: its name (e.g. 'gender × city_size_band') and SQL giving
    ``customer_id, segment`` rows."""

    name: str
    sql: str


def mine_basket_rules(data: LineData, level: str, settings: BasketRuleSettings, mixed=None) -> pd.DataFrame:
    """Rules of ``level`` over every basket of ``data`` and within each of its segments.

    Parameters
    ----------
    data : LineData
        The basket lines as arrays (:func:`ml.line_data.load_lines`), with their segmentations.
    level : str
        A level of :data:`ml.basket_levels.LEVELS`.
    settings : BasketRuleSettings
    mixed : tuple of tuple of str, optional
        The mixed level's attribute combinations (default :data:`ml.basket_levels.DEFAULT_MIXED`).

    Returns
    -------
    pandas.DataFrame
        :data:`BASKET_RULE_COLUMNS`, best rules (highest lift) first within each segment.
    """
    items = level_items(data, level, mixed)
    basket = data.basket[items.line]
    excluded = items.exclusive or None
    frames = [_mine(basket, items.item, data.n_baskets, settings, excluded)
              .assign(segment_by=OVERALL, segment=OVERALL, segment_baskets=data.n_baskets)]
    for name, labels, codes in zip(data.segmentation_names, data.segment_labels, data.basket_segments):
        sizes = np.bincount(codes[codes >= 0], minlength=len(labels))
        line_segment = codes[basket]
        for code, size in enumerate(sizes):
            if size < settings.min_segment_baskets:
                continue
            keep = line_segment == code
            frames.append(_mine(basket[keep], items.item[keep], int(size), settings, excluded)
                          .assign(segment_by=name, segment=labels[code], segment_baskets=int(size)))
    rules = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    rules = rules.sort_values(["segment_by", "segment", "lift", "confidence"], ascending=[True, True, False, False])
    # the cap applies per rule shape, so that long rules (which reach the highest lifts on a dense
    # catalogue) never crowd out the one-to-one rules product suggestions are made of
    shape = rules.groupby(["segment_by", "segment", "antecedent_len", "consequent_len"]).cumcount()
    rules = rules[(shape < settings.max_rules_per_segment).to_numpy()].copy()
    rules["rule_rank"] = rules.groupby(["segment_by", "segment"]).cumcount() + 1
    for side in ("antecedent", "consequent"):
        rules[f"{side}_items"] = [list(items.labels[list(t)]) for t in rules[side]]
        rules[f"{side}_names"] = [" + ".join(items.names[list(t)]) for t in rules[side]]
        rules[side] = [" + ".join(x) for x in rules[f"{side}_items"]]
    rules["level"] = level
    return rules[BASKET_RULE_COLUMNS].reset_index(drop=True)


def _mine(basket, item, n_baskets, settings: BasketRuleSettings, excluded) -> pd.DataFrame:
    itemsets = mine_itemsets(basket, item, n_baskets, settings.min_support, max_len=settings.max_len, exclusive=excluded)
    thresholds = RuleThresholds(settings.min_confidence, settings.min_lift, settings.drop_redundant)
    return generate_rules(itemsets, thresholds)
