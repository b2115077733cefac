"""Seasonality and promotions: the retailer's calendar and daily order intensity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from .common import Window

__all__ = ["SEASONALITY", "Calendar", "build_calendar"]

#: Relative order intensity per calendar month (December peak, summer dip).
SEASONALITY: dict[int, float] = {
    1: 0.85, 2: 0.80, 3: 0.90, 4: 0.95, 5: 1.00, 6: 0.85,
    7: 0.70, 8: 0.75, 9: 0.95, 10: 1.00, 11: 1.25, 12: 1.80,
}

#: Extra intensity on sale days for ordinary and for promo-sensitive customers.
SALE_LIFT_REGULAR = 1.3
SALE_LIFT_SENSITIVE = 5.0
OFF_SALE_SENSITIVE = 0.35


def _black_friday(year: int) -> date:
    """Friday after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=22)


def _yearly_promotions(year: int) -> list[tuple[str, date, date, float]]:
    bf = _black_friday(year)
    return [
        (f"PR{year}-JAN", date(year, 1, 2), date(year, 1, 20), 0.30),
        (f"PR{year}-SPRING", date(year, 3, 20), date(year, 3, 27), 0.15),
        (f"PR{year}-MIDSEASON", date(year, 5, 15), date(year, 5, 21), 0.20),
        (f"PR{year}-JUL", date(year, 7, 1), date(year, 7, 21), 0.40),
        (f"PR{year}-SCHOOL", date(year, 8, 25), date(year, 9, 3), 0.15),
        (f"PR{year}-BF", bf - timedelta(days=4), bf + timedelta(days=3), 0.25),
    ]


@dataclass(frozen=True)
class Calendar:
    """Daily calendar arrays over the window.

    Attributes
    ----------
    promo_ids, promo_start, promo_end, promo_pct : numpy.ndarray
        Promotions overlapping the window (start/end as day offsets, inclusive).
    promo_of_day : numpy.ndarray
        Index into the promotion arrays for every window day, -1 when no sale.
    cum_regular, cum_sensitive : numpy.ndarray
        Cumulative order intensity (length ``n_days + 1``, starting at 0), scaled so that
        one unit of rate over 365 average days adds 1.0.
    """

    window: Window
    promo_ids: np.ndarray
    promo_start: np.ndarray
    promo_end: np.ndarray
    promo_pct: np.ndarray
    promo_of_day: np.ndarray
    cum_regular: np.ndarray
    cum_sensitive: np.ndarray

    def promotions_table(self) -> pa.Table:
        """Truth table ``promotions``."""
        return pa.table({
            "promotion_id": pa.array(self.promo_ids.tolist(), type=pa.string()),
            "starts_on": self.window.dates(self.promo_start),
            "ends_on": self.window.dates(self.promo_end),
            "discount_pct": pa.array(self.promo_pct, type=pa.float64()),
        })

    @staticmethod
    def seasonality_table() -> pa.Table:
        """Truth table ``seasonality``."""
        return pa.table({
            "month": pa.array(list(SEASONALITY), type=pa.int32()),
            "weight": pa.array(list(SEASONALITY.values()), type=pa.float64()),
        })


def build_calendar(window: Window) -> Calendar:
    """Promotions and daily intensities for ``window``.

    Parameters
    ----------
    window : Window
        The event window.

    Returns
    -------
    Calendar
        Deterministic (no randomness) calendar.
    """
    promos = [
        p
        for y in range(window.start.year, window.end.year + 1)
        for p in _yearly_promotions(y)
        if p[2] >= window.start and p[1] <= window.end
    ]
    ids = np.array([p[0] for p in promos], dtype=object)
    start = np.array([window.day_of(p[1]) for p in promos], dtype=np.int64)
    end = np.array([window.day_of(p[2]) for p in promos], dtype=np.int64)
    pct = np.array([p[3] for p in promos], dtype=np.float64)

    n = window.n_days
    promo_of_day = np.full(n, -1, dtype=np.int64)
    for i in range(len(promos)):
        promo_of_day[max(start[i], 0): min(end[i], n - 1) + 1] = i

    _, months, _ = window.calendar()
    season = np.array([SEASONALITY[m] for m in range(1, 13)])[months - 1]
    on_sale = promo_of_day >= 0
    regular = season * np.where(on_sale, SALE_LIFT_REGULAR, 1.0)
    sensitive = season * np.where(on_sale, SALE_LIFT_SENSITIVE, OFF_SALE_SENSITIVE)

    def cumulative(intensity: np.ndarray) -> np.ndarray:
        scaled = intensity / intensity.mean() / 365.0
        return np.r_[0.0, np.cumsum(scaled)]

    return Calendar(window, ids, start, end, pct, promo_of_day, cumulative(regular), cumulative(sensitive))
