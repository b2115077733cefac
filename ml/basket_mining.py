"""Basket rules from the warehouse: items of a level read from ``basket_lines``, mined overall and
per customer segment, labelled with readable names.

The warehouse does what it is good at (deriving the items of a level, giving them integer codes,
joining customer segments); numpy mines the integer (basket, item) pairs (:mod:`ml.itemsets`), so
nothing is one-hot encoded and memory follows the number of basket lines.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.association_rules import RULE_MEASURES, RuleThresholds, generate_rules
from ml.basket_levels import exclusive_pairs, level_items_sql
from ml.itemsets import mine_itemsets

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


@dataclass(frozen=True)
class Segmentation:
    """A way to split customers: its name (e.g. 'gender × city_size_band') and SQL giving
    ``customer_id, segment`` rows."""

    name: str
    sql: str


def mine_basket_rules(
    con,
    level: str,
    settings: BasketRuleSettings,
    relation: str,
    segmentations: list[Segmentation] = (),
    mixed=None,
) -> pd.DataFrame:
    """Rules of ``level`` over every basket of ``relation`` and within each segment.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Open warehouse connection (temporary tables are created on it).
    level : str
        A level of :data:`ml.basket_levels.LEVELS`.
    settings : BasketRuleSettings
    relation : str
        The basket_lines relation.
    segmentations : list of Segmentation
        Customer splits to mine within, besides all baskets.

    Returns
    -------
    pandas.DataFrame
        :data:`BASKET_RULE_COLUMNS`, best rules (highest lift) first within each segment.
    """
    seg_columns = "".join(f", s{k}.segment as seg_{k}" for k in range(len(segmentations)))
    seg_joins = "".join(f" left join ({s.sql}) as s{k} on s{k}.customer_id = o.customer_id" for k, s in enumerate(segmentations))
    con.execute(f"create or replace temp table _rule_items as {level_items_sql(level, relation, mixed=mixed)}")
    con.execute(
        "create or replace temp table _rule_item_codes as select item, min(item_name) as item_name, "
        "cast(row_number() over (order by item) - 1 as bigint) as code from _rule_items group by item"
    )
    con.execute(
        "create or replace temp table _rule_orders as "
        f"select o.order_id, cast(row_number() over (order by o.order_id) - 1 as bigint) as code{seg_columns} "
        f"from (select order_id, min(customer_id) as customer_id from {relation} group by order_id) as o{seg_joins}"
    )
    pairs = con.sql(
        "select o.code as basket, c.code as item from _rule_items as i "
        "join _rule_orders as o on o.order_id = i.order_id join _rule_item_codes as c on c.item = i.item"
    ).fetchnumpy()
    codes = con.sql("select item, item_name from _rule_item_codes order by code").df()
    orders = con.sql("select * exclude (order_id) from _rule_orders order by code").df()
    excluded = exclusive_pairs(con, level, relation, pd.Series(codes.index, index=codes["item"]), mixed) or None
    basket, item = np.asarray(pairs["basket"], dtype=np.int64), np.asarray(pairs["item"], dtype=np.int64)

    frames = [_mine(basket, item, len(orders), settings, excluded)
              .assign(segment_by=OVERALL, segment=OVERALL, segment_baskets=len(orders))]
    for k, seg in enumerate(segmentations):
        labels = orders[f"seg_{k}"]
        for value, size in labels.value_counts().items():
            if size < settings.min_segment_baskets:
                continue
            in_segment = (labels == value).to_numpy()
            keep = in_segment[basket]
            frames.append(_mine(basket[keep], item[keep], int(size), settings, excluded)
                          .assign(segment_by=seg.name, segment=str(value), segment_baskets=int(size)))
    rules = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    items, names = codes["item"].to_numpy(), codes["item_name"].to_numpy()
    for side in ("antecedent", "consequent"):
        rules[f"{side}_items"] = [list(items[list(t)]) for t in rules[side]]
        rules[f"{side}_names"] = [" + ".join(names[list(t)]) for t in rules[side]]
        rules[side] = [" + ".join(x) for x in rules[f"{side}_items"]]
    rules["level"] = level
    rules = rules.sort_values(["segment_by", "segment", "lift", "confidence"], ascending=[True, True, False, False])
    rules["rule_rank"] = rules.groupby(["segment_by", "segment"]).cumcount() + 1
    return rules[BASKET_RULE_COLUMNS].reset_index(drop=True)


def _mine(basket, item, n_baskets, settings: BasketRuleSettings, excluded) -> pd.DataFrame:
    itemsets = mine_itemsets(basket, item, n_baskets, settings.min_support, max_len=settings.max_len, exclusive=excluded)
    thresholds = RuleThresholds(settings.min_confidence, settings.min_lift, settings.drop_redundant)
    return generate_rules(itemsets, thresholds)
