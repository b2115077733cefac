"""Promo sensitivity: who buys when it is on sale, and who buys new products at full price.

A two-class latent model, fitted without labels by expectation-maximisation. Each customer is
promo-sensitive or not; a class buys a share ``a`` of its orders on sale days and a share ``b``
of its product lines as new products at full price. Given a customer's counts (``k`` of ``n``
orders on sale days, ``j`` of ``m`` lines new at full price), the classes' binomial likelihoods
give the posterior probability of being promo-sensitive. Many orders make a confident posterior;
one order cannot tell, which is why a customer needs ``min_orders`` orders to be classified.

Input: the ``customer_features`` mart, with ``frequency`` (orders), ``promotion_day_orders``,
``product_lines`` and ``full_price_new_lines`` (null where launch dates are unknown).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.rfm_frame import check_int, optional_column, require_columns

__all__ = ["PROMO_SEGMENTS", "PromoModel", "fit_promo_model", "promo_segments"]

PROMO_FRAME = "customer features frame"
PROMO_COLUMNS = ("customer_id", "frequency", "promotion_day_orders", "product_lines", "full_price_new_lines")

#: Segment names, in the order of the table.
PROMO_SEGMENTS = {
    "sensitive": "Promo-sensitive",
    "new_in": "New-in at full price",
    "regular": "Regular",
    "too_little": "Too little history",
    "unknown": "No promotion data",
}

# Rates are kept away from 0 and 1 so a log-likelihood stays finite.
_EPS = 1e-6


@dataclass(frozen=True)
class PromoModel:
    """Fitted class parameters: share promo-sensitive, and each class's two rates."""

    prior: float
    sale_day_rate: tuple[float, float]  # (regular, promo-sensitive)
    new_full_price_rate: tuple[float, float]
    iterations: int
    converged: bool

    def posterior(self, k: np.ndarray, n: np.ndarray, j: np.ndarray, m: np.ndarray) -> np.ndarray:
        """P(promo-sensitive | counts) for each customer."""
        return _posterior(self.prior, self.sale_day_rate, self.new_full_price_rate, k, n, j, m)


def _loglik(rate: float, hits: np.ndarray, trials: np.ndarray) -> np.ndarray:
    rate = min(max(rate, _EPS), 1 - _EPS)
    return hits * np.log(rate) + (trials - hits) * np.log1p(-rate)


def _posterior(prior, a, b, k, n, j, m) -> np.ndarray:
    prior = min(max(prior, _EPS), 1 - _EPS)
    log_odds = (
        np.log(prior) - np.log1p(-prior)
        + _loglik(a[1], k, n) - _loglik(a[0], k, n)
        + _loglik(b[1], j, m) - _loglik(b[0], j, m)
    )
    return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))


def fit_promo_model(
    k: np.ndarray, n: np.ndarray, j: np.ndarray, m: np.ndarray, max_iterations: int = 500, tolerance: float = 1e-9
) -> PromoModel:
    """Fit the two-class binomial mixture by EM.

    Starts from the split "sale-day share above / below the overall share" and labels the class
    with the higher sale-day rate promo-sensitive. Stops when no parameter moves by more than
    ``tolerance`` or after ``max_iterations``.
    """
    k, n, j, m = (np.asarray(x, dtype=np.float64) for x in (k, n, j, m))
    if not len(n) or n.sum() == 0:
        raise ValueError("promo sensitivity needs customers with orders; got none")
    overall = k.sum() / n.sum()
    weight = np.where(k / np.maximum(n, 1) > overall, 0.9, 0.1)  # initial P(sensitive)
    params = None
    for iteration in range(1, max_iterations + 1):
        # M-step: weighted rates for each class
        w1, w0 = weight, 1.0 - weight
        prior = float(w1.mean())
        a = (_rate(w0, k, n), _rate(w1, k, n))
        b = (_rate(w0, j, m), _rate(w1, j, m))
        new = np.array([prior, *a, *b])
        # E-step
        weight = _posterior(prior, a, b, k, n, j, m)
        if params is not None and np.max(np.abs(new - params)) < tolerance:
            break
        params = new
    converged = iteration < max_iterations
    if a[1] < a[0]:  # the sensitive class is the one that buys on sale days more
        prior, a, b = 1.0 - prior, a[::-1], b[::-1]
    return PromoModel(prior, a, b, iteration, converged)


def _rate(weight: np.ndarray, hits: np.ndarray, trials: np.ndarray) -> float:
    total = float((weight * trials).sum())
    return float((weight * hits).sum()) / total if total > 0 else 0.5


def promo_segments(features: pd.DataFrame, min_orders: int = 4) -> tuple[pd.DataFrame, PromoModel | None]:
    """Promo-sensitivity segment and posterior of every customer with an order.

    Parameters
    ----------
    features : pandas.DataFrame
        Rows of ``customer_features`` (customers with ``frequency >= 1``).
    min_orders : int
        Orders needed to be classified; customers with fewer are "Too little history" (their
        posterior is still given).

    Returns
    -------
    (pandas.DataFrame, PromoModel or None)
        Columns ``customer_id``, ``promo_probability`` (null without promotion data),
        ``promo_segment`` and ``orders``; the fitted model, None when the data has no promotions
        (then every customer is "No promotion data").
        Among classified customers: promo-sensitive when the posterior is at least 0.5;
        otherwise "New-in at full price" when at least two lines were new products bought at
        full price, else "Regular".
    """
    check_int("min_orders", min_orders, 1)
    frame = require_columns(features, PROMO_COLUMNS, PROMO_FRAME)
    n = optional_column(frame, "frequency", PROMO_FRAME)
    k = optional_column(frame, "promotion_day_orders", PROMO_FRAME)
    m = optional_column(frame, "product_lines", PROMO_FRAME)
    j = optional_column(frame, "full_price_new_lines", PROMO_FRAME)
    if (n < 1).any() or np.isnan(n).any():
        raise ValueError(f"column 'frequency' in {PROMO_FRAME}: every row must be a customer with an order")
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy(), "orders": n.astype(np.int64)})
    if np.isnan(k).all():
        out["promo_probability"] = np.nan
        out["promo_segment"] = PROMO_SEGMENTS["unknown"]
        return out, None
    # without launch dates the second signal is absent: zero trials leave it out of the likelihood
    j, m = np.where(np.isnan(j), 0.0, j), np.where(np.isnan(j), 0.0, m)
    k = np.nan_to_num(k)
    model = fit_promo_model(k, n, j, m)
    probability = model.posterior(k, n, j, m)
    segment = np.where(probability >= 0.5, PROMO_SEGMENTS["sensitive"],
                       np.where(j >= 2, PROMO_SEGMENTS["new_in"], PROMO_SEGMENTS["regular"]))
    out["promo_probability"] = probability
    out["promo_segment"] = np.where(n >= min_orders, segment, PROMO_SEGMENTS["too_little"])
    return out, model
