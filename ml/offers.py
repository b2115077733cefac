"""Personal discounts on the recommended products, within the retailer's bounds.

The rules, in order, for one (customer, product):
1. A customer who buys at full price (at least ``full_price_share`` of their lines undiscounted,
   where the data records discounts) gets none: a discount would only give margin away.
2. A promo-sensitive customer, or one in a band worth a discount (default: "hesitating", 15-50%),
   gets the smallest discount their history suggests moves them: the mean discount they took
   when they bought on discount, or the minimum discount when there is no such history; rounded
   up to the discount grid (min, min + step, ... max; per category if configured).
3. The margin after the discount never goes below ``margin_floor`` of the discounted price: the
   discount is lowered to the largest grid value that keeps it, and dropped if none does.
4. Everyone else gets none.
Expected margin = P(purchase) x (list price x (1 - discount) - unit cost), per unit; a product
without a recorded cost is costed at ``assumed_cost_rate`` of its list price.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["OfferPolicy", "personal_offers", "discount_grid"]


@dataclass(frozen=True)
class OfferPolicy:
    """Allowed discounts and who gets one. Discounts are shares of the list price (0.10 = 10%)."""

    min_discount: float = 0.05
    max_discount: float = 0.30
    step: float = 0.05
    margin_floor: float = 0.15
    assumed_cost_rate: float = 0.6
    full_price_share: float = 0.9
    offer_bands: tuple[str, ...] = ("hesitating",)
    category_bounds: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self):
        for name, (low, high) in {"": (self.min_discount, self.max_discount), **self.category_bounds}.items():
            where = f" for category {name!r}" if name else ""
            if not 0 < low <= high < 1:
                raise ValueError(f"discount bounds{where} must satisfy 0 < min <= max < 1, got {low}..{high}")
        if not 0 < self.step < 1:
            raise ValueError(f"discount step must be in (0, 1), got {self.step}")
        if not 0 <= self.margin_floor < 1 or not 0 <= self.assumed_cost_rate < 1:
            raise ValueError("margin_floor and assumed_cost_rate must be in [0, 1)")

    def bounds(self, category) -> tuple[float, float]:
        """(min, max) discount for a category: its own bounds if configured, else the global ones."""
        return self.category_bounds.get(category, (self.min_discount, self.max_discount))


def discount_grid(low: float, high: float, step: float) -> np.ndarray:
    """The allowed discounts low, low + step, ... up to high (rounded to 1e-9 against float drift)."""
    count = int(np.floor((high - low) / step + 1e-9)) + 1
    return np.round(low + step * np.arange(count), 9)


_PERCENT = {k: f"{k}%" for k in range(0, 101)}


def _pct(values: pd.Series) -> pd.Series:
    """Whole percentages as text; a lookup, since millions of rows share a hundred values."""
    return (values.clip(0, 1) * 100).round().astype(int).map(_PERCENT)


def personal_offers(recommended: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame, policy: OfferPolicy) -> pd.DataFrame:
    """One offer per recommended (customer_id, product_id), vectorised (millions of rows).

    ``customers``: customer_id, purchase_probability, band, promo_sensitive (bool),
    discount_known (bool: the data records discounts for them), full_price_line_share,
    mean_discount_taken (nullable). ``products``: product_id, category, list_price, unit_cost
    (nullable). Returns customer_id, product_id, discount, list_price, offer_price,
    expected_margin, reason.
    """
    rows = recommended[["customer_id", "product_id"]].merge(customers, on="customer_id", how="left").merge(
        products, on="product_id", how="left")
    price = rows["list_price"].astype(float)
    cost = rows["unit_cost"].astype(float).fillna(policy.assumed_cost_rate * price)
    probability = rows["purchase_probability"].astype(float).fillna(0.0)
    bounds = rows["category"].map(lambda c: policy.bounds(c))
    low = np.array([b[0] for b in bounds], dtype=float)
    high = np.array([b[1] for b in bounds], dtype=float)
    step = policy.step
    top = low + np.floor((high - low) / step + 1e-9) * step

    taken = rows["mean_discount_taken"].astype(float)
    has_taken = (taken > 0).fillna(False).to_numpy()
    wanted = np.where(has_taken, np.maximum(low, taken.fillna(0).to_numpy()), low)
    # the smallest grid value >= wanted, at most the top of the grid
    chosen = np.minimum(low + np.ceil((wanted - low) / step - 1e-9) * step, top)
    # margin after discount >= floor x discounted price  <=>  discount <= 1 - cost / (price x (1 - floor))
    with np.errstate(divide="ignore", invalid="ignore"):
        ceiling = (1.0 - cost / (price * (1.0 - policy.margin_floor))).to_numpy()
    below = low + np.floor((ceiling - low) / step + 1e-9) * step
    chosen = np.where(chosen > ceiling + 1e-9, np.where(below >= low - 1e-9, below, 0.0), chosen)
    chosen = np.round(chosen, 9)

    priced = (price > 0).fillna(False).to_numpy()
    share = rows["full_price_line_share"].astype(float).fillna(0.0)
    full_price = rows["discount_known"].fillna(False).astype(bool).to_numpy() & (share >= policy.full_price_share).to_numpy()
    promo = rows["promo_sensitive"].fillna(False).astype(bool).to_numpy()
    wants = promo | rows["band"].isin(policy.offer_bands).to_numpy()
    offered = priced & ~full_price & wants
    discount = np.where(offered, chosen, 0.0)

    who = pd.Series(np.where(promo, "promo-sensitive", rows["band"].astype(str) + " (" + _pct(probability) + ")"), index=rows.index)
    why = pd.Series(np.where(has_taken, "took " + _pct(taken.fillna(0)) + " on average before", "smallest allowed discount"), index=rows.index)
    reason = pd.Series(np.where(rows["band"].to_numpy() == "likely", "no discount: likely to buy without one",
                                "no discount: " + rows["band"].astype(str) + " and not promo-sensitive"), index=rows.index)
    reason = reason.where(~offered, who + ": " + _pct(pd.Series(discount, index=rows.index)) + ", " + why)
    reason = reason.where(~(offered & (discount == 0)), who + ", but no discount keeps the margin at " + f"{policy.margin_floor:.0%}")
    reason = reason.where(~(priced & full_price), "no discount: buys at full price (" + _pct(share) + " of lines)")
    reason = reason.where(priced, "no discount: the product has no list price")
    offer_price = price * (1.0 - discount)
    return pd.DataFrame({
        "customer_id": rows["customer_id"], "product_id": rows["product_id"], "discount": discount,
        "list_price": price, "offer_price": offer_price, "expected_margin": probability * (offer_price - cost), "reason": reason,
    })
