"""Returns of order lines."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .catalogue import Catalogue
from .common import SECONDS_PER_DAY, Window
from .orders import Orders
from .reference import RETURN_REASONS
from .strings import take

__all__ = ["make_returns", "RETURN_RATE_BY_DEPARTMENT"]

#: Probability that a line is returned, by department (about 8% overall).
RETURN_RATE_BY_DEPARTMENT = {"Women": 0.12, "Men": 0.095, "Kids": 0.065, "Home": 0.055, "Beauty": 0.035,
                             "Sport": 0.08, "Accessories": 0.065, "Footwear": 0.13}


def make_returns(rng: np.random.Generator, orders: Orders, cat: Catalogue, window: Window,
                 first_return_id: int) -> pa.Table:
    """Return some lines 2-40 days after the order, never after the window.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    orders : Orders
        The chunk's orders and lines.
    cat : Catalogue
        Products (department return rates).
    window : Window
        Event window.
    first_return_id : int
        ``return_id`` of the chunk's first return.

    Returns
    -------
    pyarrow.Table
        Raw ``returns`` rows, ordered by ``returned_at``.
    """
    rate = np.array([RETURN_RATE_BY_DEPARTMENT[d] for d in cat.dept_names])[cat.dept[orders.line_sku]]
    web = orders.web[orders.line_order]
    rate = rate * np.where(web, 1.25, 0.75)
    rows = np.flatnonzero(rng.random(len(rate)) < rate)
    m = len(rows)
    ts = orders.ts[orders.line_order[rows]] + ((2 + rng.random(m) * 38) * SECONDS_PER_DAY).astype(np.int64)
    keep = ts < window.n_seconds
    rows, ts = rows[keep], ts[keep]
    order = np.argsort(ts, kind="stable")
    rows, ts = rows[order], ts[order]
    m = len(rows)
    qty = 1 + (rng.random(m) * orders.line_qty[rows]).astype(np.int64)
    by_web = np.where(web[rows], rng.random(m) < 0.7, rng.random(m) < 0.08)
    reasons = [r for r, _ in RETURN_REASONS]
    p = np.array([w for _, w in RETURN_REASONS])
    return pa.table({
        "return_id": pa.array(first_return_id + np.arange(m, dtype=np.int64)),
        "order_id": pa.array(orders.order_id[orders.line_order[rows]]),
        "line_number": pa.array(orders.line_number[rows].astype(np.int32)),
        "returned_at": window.timestamps(ts),
        "quantity": pa.array(qty.astype(np.int32)),
        "channel": take(["store", "web"], by_web.astype(np.int64)),
        "reason": take(reasons, rng.choice(len(reasons), size=m, p=p / p.sum())),
    })
