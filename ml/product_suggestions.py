""""For this product, what to suggest": a lookup built from the basket rules.

Suggestions come from the rules over all baskets with one item on each side, in this order:
products bought with the product itself (``sku`` rules), then categories bought with its category,
then brands (within a department) bought with its brand. Within each source the highest lift comes
first. A product with no SKU rule of its own (new, or rare) still gets its category's and brand's.
"""

import pandas as pd

__all__ = ["SUGGESTION_SOURCES", "suggestions_sql", "suggest"]

#: Rule level -> (how a product matches the antecedent, priority, reason template).
SUGGESTION_SOURCES = {
    "sku": ("p.product_id", 1, "often bought with this product"),
    "category": ("p.category", 2, "its category is often bought with"),
    "brand_department": ("concat_ws(' / ', p.brand, p.department)", 3, "its brand is often bought with"),
}


def suggestions_sql(rules: str, products: str, per_product: int) -> str:
    """SQL for the suggestions table: up to ``per_product`` rows per product of ``products``."""
    if per_product < 1:
        raise ValueError(f"per_product must be at least 1, got {per_product}")
    parts = []
    for level, (key, priority, reason) in SUGGESTION_SOURCES.items():
        parts.append(f"""
        select p.product_id, '{level}' as suggestion_level, r.consequent as suggestion,
            r.consequent_names as suggestion_name, r.confidence, r.lift, r.support, {priority} as priority,
            '{reason}: ' || r.consequent_names || ' (in ' || cast(round(100 * r.confidence) as integer) || '% of its baskets, lift '
                || cast(round(r.lift, 1) as varchar) || ')' as reason
        from {products} as p
        join {rules} as r on r.antecedent = {key}
        where r.level = '{level}' and r.segment_by = 'all' and r.antecedent_len = 1 and r.consequent_len = 1
            -- never suggest the product itself
            and r.consequent <> p.product_id""")
    return f"""
        with candidates as ({" union all ".join(parts)}),
        ranked as (
            select *, row_number() over (partition by product_id order by priority, lift desc, suggestion) as suggestion_rank
            from candidates
        )
        select product_id, cast(suggestion_rank as integer) as suggestion_rank, suggestion_level, suggestion,
            suggestion_name, confidence, lift, support, reason
        from ranked where suggestion_rank <= {int(per_product)}
        order by product_id, suggestion_rank
    """


def suggest(con, table: str, product_id: str, n: int = 5) -> pd.DataFrame:
    """The top ``n`` suggestions for ``product_id`` from the suggestions ``table`` (empty if none)."""
    return con.execute(
        f"select * from {table} where product_id = ? and suggestion_rank <= ? order by suggestion_rank", [product_id, n]
    ).df()
