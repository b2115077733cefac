"""Rule levels: what an "item" is when mining baskets and sequences.

A level is one or more attribute combinations of a basket line (columns of ``marts.basket_lines``).
A line yields one item per combination whose attributes are all known, labelled with the values
joined by " / ". ``sku`` has one combination (the product); ``mixed`` has several, so a basket holds
both "women / Caki / Dresses / over 300" and its generalisation "Caki / Dresses / over 300", and a
rule may mix them. An item and its own generalisation always come together, so itemsets holding
both are excluded (:func:`ml.line_data.level_items` lists them), as in generalised association rules (Srikant and
Agrawal, 1995).
"""

__all__ = [
    "LEVELS", "DEFAULT_MIXED", "SEPARATOR", "level_combinations",
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
