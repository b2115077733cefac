"""The basket lines as integer arrays, read from the warehouse once and shared by every rule level.

Every line of ``basket_lines`` becomes (basket, customer, day, attribute tuple): integer codes the
warehouse assigns in one pass. An *attribute tuple* is a distinct combination of the line's item
attributes (product, category, brand, department, gender, price band, discount band): there are
far fewer tuples than lines (about 120,000 for 35 million lines at 2.6M customers), so the items of
any level are worked out once per tuple, and mapped onto the lines with one array lookup.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.basket_levels import SEPARATOR, level_combinations

__all__ = ["LineData", "LevelItems", "load_lines", "level_items", "ATTRIBUTE_COLUMNS"]

#: Line attributes that define items (columns of basket_lines), with product_name for readable SKUs.
ATTRIBUTE_COLUMNS = ["product_id", "product_name", "category", "brand", "department", "target_gender", "price_band",
                     "discount_band"]


@dataclass
class LineData:
    """Basket lines as arrays (one entry per line, lines grouped by basket) and their segments.

    ``basket_segments[k]`` / ``customer_segments[k]`` hold the code of each basket's / customer's
    segment in segmentation ``k`` (-1: none, e.g. an anonymous basket), ``segment_labels[k]`` the
    label of each code.
    """

    basket: np.ndarray
    customer: np.ndarray
    day: np.ndarray
    tuple_id: np.ndarray
    tuples: pd.DataFrame
    n_baskets: int
    n_customers: int
    segmentation_names: list[str] = field(default_factory=list)
    segment_labels: list[list[str]] = field(default_factory=list)
    basket_segments: list[np.ndarray] = field(default_factory=list)
    customer_segments: list[np.ndarray] = field(default_factory=list)


@dataclass
class LevelItems:
    """The items of one level on the lines: ``line`` indexes LineData arrays, ``item`` codes
    ``labels``/``names``; ``exclusive`` pairs an item with its generalisations (mixed level)."""

    line: np.ndarray
    item: np.ndarray
    labels: np.ndarray
    names: np.ndarray
    exclusive: dict[int, np.ndarray]


def load_lines(con, relation: str, segmentations=()) -> LineData:
    """Read ``relation`` (basket_lines) as integer arrays, with each segmentation's codes.

    ``segmentations`` are :class:`ml.basket_mining.Segmentation`: a name and SQL giving
    ``customer_id, segment`` rows.
    """
    attrs = ", ".join(ATTRIBUTE_COLUMNS)
    con.execute(
        "create or replace temp table _rule_tuples as select *, cast(row_number() over () - 1 as integer) as tuple_id "
        f"from (select distinct {attrs} from {relation})"
    )
    con.execute(
        "create or replace temp table _rule_customers as select customer_id, "
        "cast(row_number() over (order by customer_id) - 1 as bigint) as customer "
        f"from (select distinct customer_id from {relation} where customer_id is not null)"
    )
    # baskets numbered in (customer, day) order: lines sorted by basket are then sorted by customer
    # and day too, which both the itemset miner and the sequence counting sort on
    con.execute(
        "create or replace temp table _rule_orders as select o.order_id, o.customer_id, coalesce(c.customer, -1) as customer, "
        "cast(row_number() over (order by coalesce(c.customer, -1), o.order_date, o.order_id) - 1 as bigint) as basket "
        f"from (select order_id, min(customer_id) as customer_id, min(order_date) as order_date from {relation} group by order_id) as o "
        "left join _rule_customers as c on c.customer_id = o.customer_id"
    )
    same = " and ".join(f"t.{c} is not distinct from b.{c}" for c in ATTRIBUTE_COLUMNS)
    # lines come grouped by basket: the miner's sorts then run over nearly sorted data
    arrays = con.sql(
        "select o.basket, o.customer, cast(b.order_date - date '1970-01-01' as bigint) as day, t.tuple_id "
        f"from {relation} as b join _rule_orders as o on o.order_id = b.order_id "
        f"join _rule_tuples as t on {same} order by o.basket"
    ).fetchnumpy()
    tuples = con.sql(f"select {attrs} from _rule_tuples order by tuple_id").df()
    n_baskets = con.sql("select count(*) from _rule_orders").fetchall()[0][0]
    n_customers = con.sql("select count(*) from _rule_customers").fetchall()[0][0]
    data = LineData(
        basket=np.asarray(arrays["basket"], dtype=np.int64), customer=np.asarray(arrays["customer"], dtype=np.int64),
        day=np.asarray(arrays["day"], dtype=np.int64), tuple_id=np.asarray(arrays["tuple_id"], dtype=np.int64),
        tuples=tuples, n_baskets=int(n_baskets), n_customers=int(n_customers),
    )
    if segmentations:
        basket_customer = con.sql("select customer from _rule_orders order by basket").fetchnumpy()["customer"]
        basket_customer = np.asarray(basket_customer, dtype=np.int64)
    for seg in segmentations:
        frame = con.sql(
            f"select c.customer, s.segment from _rule_customers as c join ({seg.sql}) as s on s.customer_id = c.customer_id "
            "where s.segment is not null"
        ).df()
        codes, labels = pd.factorize(frame["segment"].astype(str), sort=True)
        by_customer = np.full(data.n_customers, -1, dtype=np.int64)
        by_customer[frame["customer"].to_numpy(dtype=np.int64)] = codes
        data.segmentation_names.append(seg.name)
        data.segment_labels.append([str(x) for x in labels])
        data.customer_segments.append(by_customer)
        data.basket_segments.append(np.where(basket_customer >= 0, by_customer[np.maximum(basket_customer, 0)], -1))
    return data


def level_items(data: LineData, level: str, mixed=None) -> LevelItems:
    """The items of ``level`` on every line that has them (one per attribute combination)."""
    combos = level_combinations(level, mixed)
    tuples = data.tuples
    per_combo = []
    for combo in combos:
        known = tuples[list(combo)].notna().all(axis=1).to_numpy()
        label = tuples[combo[0]].astype(str)
        for column in combo[1:]:
            label = label + SEPARATOR + tuples[column].astype(str)
        if combo == ("product_id",):
            name = tuples["product_name"].fillna(tuples["product_id"]).astype(str)
        else:
            name = label
        per_combo.append((known, label.to_numpy(dtype=object), name.to_numpy(dtype=object)))
    all_labels = np.concatenate([label[known] for known, label, _ in per_combo])
    all_names = np.concatenate([name[known] for known, _, name in per_combo])
    codes, labels = pd.factorize(pd.Series(all_labels, dtype=object), sort=True)
    names = np.empty(len(labels), dtype=object)
    names[codes] = all_names
    # tuple -> item code, per combination (-1: an attribute is unknown)
    maps, offset = [], 0
    for known, _, _ in per_combo:
        m = np.full(len(tuples), -1, dtype=np.int64)
        m[known] = codes[offset: offset + int(known.sum())]
        offset += int(known.sum())
        maps.append(m)
    lines, items = [], []
    for m in maps:
        item = m[data.tuple_id]
        keep = np.flatnonzero(item >= 0)
        lines.append(keep)
        items.append(item[keep])
    line, item = np.concatenate(lines), np.concatenate(items)
    if len(maps) > 1:
        # keep lines grouped by basket (the combinations were appended one after another)
        order = np.argsort(line, kind="stable")
        line, item = line[order], item[order]
    return LevelItems(line=line, item=item, labels=np.asarray(labels, dtype=object), names=names,
                      exclusive=_exclusive(combos, maps))


def _exclusive(combos, maps) -> dict[int, np.ndarray]:
    """Item pairs where one is the other's generalisation (a combination's attributes a subset)."""
    pairs = []
    for i, a in enumerate(combos):
        for j, b in enumerate(combos):
            if i != j and set(b) < set(a):
                both = (maps[i] >= 0) & (maps[j] >= 0)
                pairs.append(np.column_stack([maps[i][both], maps[j][both]]))
    if not pairs:
        return {}
    pairs = np.unique(np.concatenate(pairs), axis=0)
    pairs = np.concatenate([pairs, pairs[:, ::-1]])
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    keys, starts = np.unique(pairs[:, 0], return_index=True)
    return {int(k): np.unique(part[:, 1]) for k, part in zip(keys, np.split(pairs, starts[1:]))}
