"""Rule levels: what an "item" is when mining baskets and sequences.

A level is one or more attribute combinations of a basket line (columns of ``marts.basket_lines``).
A line yields one item per combination whose attributes are all known, labelled with the values
joined by " / ". ``sku`` has one combination (the product); ``mixed`` has several, so a basket holds
both "women / Caki / Dresses / over 300" and its generalisation "Caki / Dresses / over 300", and a
rule may mix them. An item and its own generalisation always come together, so itemsets holding
both are excluded (:func:`exclusive_pairs`), as in generalised association rules (Srikant and
Agrawal, 1995).
"""

import numpy as np
import pandas as pd

__all__ = [
    "LEVELS", "DEFAULT_MIXED", "SEPARATOR", "level_combinations", "level_items_sql", "exclusive_pairs", "segment_label_sql",
]

SEPARATOR = " / "

#: The mixed level's combinations: gender x brand x category x price band, and the same without gender.
DEFAULT_MIXED: tuple[tuple[str, ...], ...] = (
    ("target_gender", "brand", "category", "price_band"),
    ("brand", "category", "price_band"),
)

#: Level name -> attribute combinations (columns of basket_lines).
LEVELS: dict[str, tuple[tuple[str, ...], ...]] = {
    "sku": (("product_id",),),
    "category": (("category",),),
    "brand": (("brand",),),
    "department": (("department",),),
    # a brand within a department: "Caki / Sport" -> "Caki / Women" is cross-department brand loyalty
    "brand_department": (("brand", "department"),),
    "price_band": (("price_band",),),
    "target_gender": (("target_gender",),),
    "discount_level": (("discount_band",),),
    "mixed": DEFAULT_MIXED,
}

_ATTRIBUTES = {"product_id", "category", "brand", "department", "price_band", "target_gender", "discount_band"}


def level_combinations(level: str, mixed: tuple[tuple[str, ...], ...] | None = None) -> tuple[tuple[str, ...], ...]:
    """The attribute combinations of ``level`` (``mixed`` overrides the mixed level's)."""
    if level not in LEVELS:
        raise ValueError(f"unknown rule level {level!r}; choose from {', '.join(LEVELS)}")
    combos = tuple(tuple(c) for c in mixed) if (level == "mixed" and mixed) else LEVELS[level]
    for combo in combos:
        unknown = set(combo) - _ATTRIBUTES
        if unknown or not combo:
            raise ValueError(f"mixed items use the attributes {sorted(_ATTRIBUTES)}; got {list(combo)}")
    return combos


def _label(columns: tuple[str, ...], table: str) -> str:
    parts = [f"{table}.{c}" for c in columns]
    return parts[0] if len(parts) == 1 else f"concat_ws('{SEPARATOR}', {', '.join(parts)})"


def level_items_sql(level: str, relation: str, extra_columns: str = "", mixed=None, table: str = "b") -> str:
    """SQL with one row per basket line and item of ``level``: order_id, customer_id, order_date,
    item, item_name, plus ``extra_columns`` (expressions over alias ``table``, comma-led)."""
    selects = []
    for combo in level_combinations(level, mixed):
        known = " and ".join(f"{table}.{c} is not null" for c in combo)
        item = _label(combo, table)
        # a SKU reads better by its name; every other item is its own name
        name = f"coalesce({table}.product_name, {table}.product_id)" if combo == ("product_id",) else item
        selects.append(
            f"select {table}.order_id, {table}.customer_id, {table}.order_date, {item} as item, {name} as item_name"
            f"{extra_columns} from {relation} as {table} where {known}"
        )
    return "\nunion all\n".join(selects)


def exclusive_pairs(con, level: str, relation: str, item_codes: pd.Series, mixed=None) -> dict[int, np.ndarray]:
    """Item-code pairs of ``level`` that may not form an itemset: an item and its generalisation.

    ``item_codes`` maps item label -> code. Only a level with nested combinations has any.
    """
    combos = level_combinations(level, mixed)
    nested = [(i, j) for i, a in enumerate(combos) for j, b in enumerate(combos) if i != j and set(b) < set(a)]
    if not nested:
        return {}
    columns = sorted({c for combo in combos for c in combo})
    tuples = con.sql(f"select distinct {', '.join(columns)} from {relation}").df()
    pairs = set()
    for i, j in nested:
        full, general = combos[i], combos[j]
        rows = tuples.dropna(subset=list(full))
        for values in rows[list(full)].itertuples(index=False):
            by_column = dict(zip(full, values))
            a = item_codes.get(SEPARATOR.join(str(by_column[c]) for c in full) if len(full) > 1 else str(values[0]))
            b = item_codes.get(SEPARATOR.join(str(by_column[c]) for c in general) if len(general) > 1 else str(by_column[general[0]]))
            if a is not None and b is not None:
                pairs.add((int(a), int(b)))
    out: dict[int, list[int]] = {}
    for a, b in pairs:
        out.setdefault(a, []).append(b)
        out.setdefault(b, []).append(a)
    return {k: np.array(sorted(v), dtype=np.int64) for k, v in out.items()}


def segment_label_sql(columns: list[str], table: str) -> str:
    """SQL for a segment label from customer attribute columns, e.g. 'F × big' (null if any is null)."""
    parts = [f"cast({table}.{c} as varchar)" for c in columns]
    return parts[0] if len(parts) == 1 else " || ' × ' || ".join(parts)

