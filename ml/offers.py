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

import duckdb
import numpy as np
import pandas as pd

from ml.frames import fetch_frame

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


def _percent(values) -> np.ndarray:
    """Shares as whole percentages (half to even, as pandas rounds)."""
    return np.rint(np.clip(np.asarray(values, dtype=float), 0, 1) * 100).astype(np.int64)


def _joined(recommended: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Each recommended pair with its customer's and product's columns, in the order recommended.
    DuckDB joins the string keys in a fraction of pandas' time at millions of rows."""
    con = duckdb.connect()
    try:
        con.register("recommended", recommended[["customer_id", "product_id"]])
        con.register("customers", customers)
        con.register("products", products)
        return fetch_frame(con, """
            with pairs as (select *, row_number() over () as position from recommended)
            select pairs.customer_id, pairs.product_id, c.* exclude (customer_id), p.* exclude (product_id)
            from pairs
            left join customers as c using (customer_id)
            left join products as p using (product_id)
            order by pairs.position
        """)
    finally:
        con.close()


def _reasons(case: np.ndarray, promo: np.ndarray, band: pd.Series, probability, discount, has_taken: np.ndarray,
             taken, share, margin_floor: float) -> np.ndarray:
    """The reason text of each offer. Millions of rows share a few hundred distinct reasons, so each
    distinct one is written once: rows are keyed by the parts their case uses, the rest zeroed."""
    offering = np.isin(case, (_NO_MARGIN, _OFFERED))
    promo = promo & offering
    parts = pd.DataFrame({
        "case": case,
        "promo": promo,
        "band": np.where((case == _OTHER) | (offering & ~promo), band.astype(str).to_numpy(), ""),
        "probability": np.where(offering & ~promo, _percent(probability), 0),
        "discount": np.where(case == _OFFERED, _percent(discount), 0),
        "taken": np.where((case == _OFFERED) & has_taken, _percent(taken), -1),
        "share": np.where(case == _FULL_PRICE, _percent(share), 0),
    })
    key = parts.groupby(list(parts.columns), sort=False).ngroup().to_numpy()
    texts = []
    for row in parts.drop_duplicates().itertuples(index=False):
        who = "promo-sensitive" if row.promo else f"{row.band} ({row.probability}%)"
        texts.append({
            _UNPRICED: "no discount: the product has no list price",
            _FULL_PRICE: f"no discount: buys at full price ({row.share}% of lines)",
            _NO_MARGIN: f"{who}, but no discount keeps the margin at {margin_floor:.0%}",
            _OFFERED: f"{who}: {row.discount}%, " + (f"took {row.taken}% on average before" if row.taken >= 0
                                                      else "smallest allowed discount"),
            _LIKELY: "no discount: likely to buy without one",
            _OTHER: f"no discount: {row.band} and not promo-sensitive",
        }[row.case])
    return np.array(texts, dtype=object)[key]


# why an offer is what it is, in the order the rules apply
_UNPRICED, _FULL_PRICE, _NO_MARGIN, _OFFERED, _LIKELY, _OTHER = range(6)


def personal_offers(recommended: pd.DataFrame, customers: pd.DataFrame, products: pd.DataFrame, policy: OfferPolicy) -> pd.DataFrame:
    """One offer per recommended (customer_id, product_id), vectorised (millions of rows).

    ``customers``: customer_id, purchase_probability, band, promo_sensitive (bool),
    discount_known (bool: the data records discounts for them), full_price_line_share,
    mean_discount_taken (nullable). ``products``: product_id, category, list_price, unit_cost
    (nullable). Returns customer_id, product_id, discount, list_price, offer_price,
    expected_margin, reason.
    """
    rows = _joined(recommended, customers, products)
    price = rows["list_price"].astype(float)
    cost = rows["unit_cost"].astype(float).fillna(policy.assumed_cost_rate * price)
    probability = rows["purchase_probability"].astype(float).fillna(0.0)
    # bounds per distinct category, not per row
    codes, categories = pd.factorize(rows["category"], use_na_sentinel=False)
    bounds = np.array([policy.bounds(c) for c in categories], dtype=float).reshape(-1, 2)
    low, high = bounds[codes, 0], bounds[codes, 1]
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

    case = np.select([~priced, full_price, offered & (discount == 0), offered, rows["band"].to_numpy() == "likely"],
                     [_UNPRICED, _FULL_PRICE, _NO_MARGIN, _OFFERED, _LIKELY], _OTHER)
    reason = _reasons(case, promo, rows["band"], probability, discount, has_taken, taken.fillna(0), share, policy.margin_floor)
    offer_price = price * (1.0 - discount)
    return pd.DataFrame({
        "customer_id": rows["customer_id"], "product_id": rows["product_id"], "discount": discount,
        "list_price": price, "offer_price": offer_price, "expected_margin": probability * (offer_price - cost), "reason": reason,
    })
