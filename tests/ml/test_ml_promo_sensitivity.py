"""Tests of ml.promo_sensitivity on a simulated two-class binomial mixture with known parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from ml.promo_sensitivity import PROMO_SEGMENTS, PromoModel, fit_promo_model, promo_segments

# Planted parameters: (regular, promo-sensitive).
PRIOR = 0.2
SALE_DAY_RATE = (0.20, 0.67)
NEW_FULL_PRICE_RATE = (0.03, 0.01)

SENSITIVE = PROMO_SEGMENTS["sensitive"]
NEW_IN = PROMO_SEGMENTS["new_in"]
REGULAR = PROMO_SEGMENTS["regular"]
TOO_LITTLE = PROMO_SEGMENTS["too_little"]
UNKNOWN = PROMO_SEGMENTS["unknown"]


def simulate(customers: int, seed: int) -> pd.DataFrame:
    """Customers of the planted mixture: 1..15 orders, about three lines per order.

    Column ``sensitive`` holds the simulated truth.
    """
    rng = np.random.default_rng(seed)
    sensitive = rng.random(customers) < PRIOR
    orders = rng.integers(1, 16, customers)
    lines = 3 * orders + rng.integers(0, 3, customers)
    sale_rate = np.where(sensitive, SALE_DAY_RATE[1], SALE_DAY_RATE[0])
    new_rate = np.where(sensitive, NEW_FULL_PRICE_RATE[1], NEW_FULL_PRICE_RATE[0])
    return pd.DataFrame(
        {
            "customer_id": [f"P{i:05d}" for i in range(customers)],
            "frequency": orders,
            "promotion_day_orders": rng.binomial(orders, sale_rate),
            "product_lines": lines,
            "full_price_new_lines": rng.binomial(lines, new_rate),
            "sensitive": sensitive,
        }
    )


def counts(frame: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(
        frame[c].to_numpy(dtype=np.float64)
        for c in ("promotion_day_orders", "frequency", "full_price_new_lines", "product_lines")
    )


def bayes(model: PromoModel, k: float, n: float, j: float, m: float) -> float:
    """P(sensitive | counts) written out with binomial probabilities."""
    sensitive = model.prior * binom.pmf(k, n, model.sale_day_rate[1]) * binom.pmf(j, m, model.new_full_price_rate[1])
    regular = (1 - model.prior) * binom.pmf(k, n, model.sale_day_rate[0]) * binom.pmf(j, m, model.new_full_price_rate[0])
    return float(sensitive / (sensitive + regular))


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return simulate(5000, seed=17)


@pytest.fixture(scope="module")
def model(customers: pd.DataFrame) -> PromoModel:
    return fit_promo_model(*counts(customers))


# ------------------------------------------------------------------------------------------
# fit_promo_model
# ------------------------------------------------------------------------------------------


def test_recovers_the_planted_parameters(model: PromoModel) -> None:
    assert model.converged
    assert 1 < model.iterations < 500
    assert model.prior == pytest.approx(PRIOR, abs=0.03)
    assert model.sale_day_rate[0] == pytest.approx(SALE_DAY_RATE[0], abs=0.03)
    assert model.sale_day_rate[1] == pytest.approx(SALE_DAY_RATE[1], abs=0.03)
    # About 95,000 regular and 20,000 sensitive lines: the new-in rates are pinned far tighter.
    assert model.new_full_price_rate[0] == pytest.approx(NEW_FULL_PRICE_RATE[0], abs=0.005)
    assert model.new_full_price_rate[1] == pytest.approx(NEW_FULL_PRICE_RATE[1], abs=0.005)


def test_posterior_is_bayes_rule(customers: pd.DataFrame, model: PromoModel) -> None:
    k, n, j, m = counts(customers)
    posterior = model.posterior(k, n, j, m)
    assert posterior.shape == (len(customers),)
    for row in (0, 1, 2, 100, 4999):
        assert posterior[row] == pytest.approx(bayes(model, k[row], n[row], j[row], m[row]), rel=1e-9)
    # A hand-made customer: 6 of 8 orders on sale days, 0 of 24 lines new at full price.
    assert model.posterior(np.array([6.0]), np.array([8.0]), np.array([0.0]), np.array([24.0]))[0] == pytest.approx(
        bayes(model, 6, 8, 0, 24), rel=1e-9
    )


def test_sensitive_class_is_the_higher_sale_day_rate_even_when_em_starts_the_other_way() -> None:
    # Group L: many orders, sale-day rate 0.20, few new lines at full price.
    # Group H: one order each, sale-day rate 0.25, half its lines new at full price.
    rng = np.random.default_rng(1)
    low, high = 2000, 3000
    n = np.r_[np.full(low, 20.0), np.full(high, 1.0)]
    m = np.full(low + high, 30.0)
    k = np.r_[rng.binomial(20, 0.20, low), rng.binomial(1, 0.25, high)].astype(float)
    j = np.r_[rng.binomial(30, 0.02, low), rng.binomial(30, 0.50, high)].astype(float)
    # Precondition: the initial split ("sale-day share above the overall share") puts more of
    # group L than of group H in the starting promo-sensitive class, so EM ends with the classes
    # the wrong way round and the fit must relabel them (prior and both rates together).
    start = k / n > k.sum() / n.sum()
    assert start[:low].mean() > start[low:].mean() + 0.05

    model = fit_promo_model(k, n, j, m)
    assert model.sale_day_rate[1] > model.sale_day_rate[0]
    assert model.sale_day_rate[1] == pytest.approx(0.25, abs=0.03)
    assert model.sale_day_rate[0] == pytest.approx(0.20, abs=0.01)
    assert model.new_full_price_rate[1] == pytest.approx(0.50, abs=0.02)
    assert model.new_full_price_rate[0] == pytest.approx(0.02, abs=0.01)
    assert model.prior == pytest.approx(high / (low + high), abs=0.02)
    posterior = model.posterior(k, n, j, m)
    assert (posterior[low:] >= 0.5).mean() > 0.95
    assert (posterior[:low] < 0.5).mean() > 0.95


def test_iteration_cap_is_reported_as_not_converged(customers: pd.DataFrame) -> None:
    capped = fit_promo_model(*counts(customers), max_iterations=2)
    assert capped.iterations == 2
    assert not capped.converged


def test_fit_needs_orders() -> None:
    with pytest.raises(ValueError, match="needs customers with orders"):
        fit_promo_model(np.array([]), np.array([]), np.array([]), np.array([]))
    with pytest.raises(ValueError, match="needs customers with orders"):
        fit_promo_model(np.zeros(3), np.zeros(3), np.zeros(3), np.ones(3))


# ------------------------------------------------------------------------------------------
# promo_segments
# ------------------------------------------------------------------------------------------


def test_segments_follow_the_rules(customers: pd.DataFrame) -> None:
    out, model = promo_segments(customers, min_orders=5)
    assert list(out.columns) == ["customer_id", "orders", "promo_probability", "promo_segment"]
    assert out["customer_id"].tolist() == customers["customer_id"].tolist()
    assert out["orders"].tolist() == customers["frequency"].tolist()
    assert model is not None
    np.testing.assert_allclose(out["promo_probability"], model.posterior(*counts(customers)), rtol=1e-12)

    p = out["promo_probability"].to_numpy()
    orders = customers["frequency"].to_numpy()
    new_lines = customers["full_price_new_lines"].to_numpy()
    segment = out["promo_segment"].to_numpy()
    few = orders < 5
    assert (segment[few] == TOO_LITTLE).all()
    assert np.isfinite(p[few]).all()  # the posterior is still given
    classified = ~few
    assert (segment[classified & (p >= 0.5)] == SENSITIVE).all()
    assert (segment[classified & (p < 0.5) & (new_lines >= 2)] == NEW_IN).all()
    assert (segment[classified & (p < 0.5) & (new_lines < 2)] == REGULAR).all()
    # Every rule is used on this data.
    assert {SENSITIVE, NEW_IN, REGULAR, TOO_LITTLE} == set(segment)


def test_promo_sensitive_matches_the_simulated_truth(customers: pd.DataFrame) -> None:
    out, _ = promo_segments(customers, min_orders=5)
    classified = customers["frequency"].to_numpy() >= 5
    predicted = out["promo_segment"].to_numpy()[classified] == SENSITIVE
    truth = customers["sensitive"].to_numpy()[classified]
    true_positives = (predicted & truth).sum()
    assert true_positives / predicted.sum() >= 0.8  # precision
    assert true_positives / truth.sum() >= 0.8  # recall


def test_hand_made_customers_get_their_segment(customers: pd.DataFrame) -> None:
    extra = pd.DataFrame(
        {
            "customer_id": ["all_sale", "just_enough", "too_few", "new_in", "new_in_edge", "one_new", "plain"],
            "frequency": [15, 5, 4, 15, 15, 15, 15],
            "promotion_day_orders": [15, 5, 4, 0, 0, 0, 0],
            "product_lines": [45, 15, 12, 45, 45, 45, 45],
            "full_price_new_lines": [0, 0, 0, 6, 2, 1, 0],
        }
    )
    frame = pd.concat([customers.drop(columns="sensitive"), extra], ignore_index=True)
    out, model = promo_segments(frame, min_orders=5)
    got = out.set_index("customer_id").loc[extra["customer_id"]]
    assert got["promo_segment"].tolist() == [SENSITIVE, SENSITIVE, TOO_LITTLE, NEW_IN, NEW_IN, REGULAR, REGULAR]
    for row in extra.itertuples():
        expected = bayes(model, row.promotion_day_orders, row.frequency, row.full_price_new_lines, row.product_lines)
        assert got.loc[row.customer_id, "promo_probability"] == pytest.approx(expected, rel=1e-9)
    # Four of four on sale days is as telling as it gets, yet below min_orders it is not classified.
    assert got.loc["too_few", "promo_probability"] >= 0.5


def test_min_orders_moves_the_history_cut(customers: pd.DataFrame) -> None:
    for min_orders in (1, 8):
        out, _ = promo_segments(customers, min_orders=min_orders)
        too_little = out["promo_segment"] == TOO_LITTLE
        assert too_little.sum() == (customers["frequency"] < min_orders).sum()


def test_no_promotion_data() -> None:
    frame = simulate(200, seed=2).drop(columns="sensitive")
    frame["promotion_day_orders"] = np.nan
    out, model = promo_segments(frame)
    assert model is None
    assert (out["promo_segment"] == UNKNOWN).all()
    assert out["promo_probability"].isna().all()
    assert out["orders"].tolist() == frame["frequency"].tolist()
    assert out["customer_id"].tolist() == frame["customer_id"].tolist()


def test_no_launch_dates_leaves_the_new_in_signal_out(customers: pd.DataFrame) -> None:
    frame = customers.assign(full_price_new_lines=np.nan)
    out, model = promo_segments(frame, min_orders=5)
    assert model is not None
    assert model.sale_day_rate[0] == pytest.approx(SALE_DAY_RATE[0], abs=0.03)
    assert model.sale_day_rate[1] == pytest.approx(SALE_DAY_RATE[1], abs=0.03)
    assert model.prior == pytest.approx(PRIOR, abs=0.03)
    # Posterior from the sale-day counts alone.
    for row in (0, 7, 123):
        k, n = customers.loc[row, ["promotion_day_orders", "frequency"]]
        sensitive = model.prior * binom.pmf(k, n, model.sale_day_rate[1])
        regular = (1 - model.prior) * binom.pmf(k, n, model.sale_day_rate[0])
        assert out.loc[row, "promo_probability"] == pytest.approx(sensitive / (sensitive + regular), rel=1e-9)
    assert NEW_IN not in set(out["promo_segment"])
    assert {SENSITIVE, REGULAR, TOO_LITTLE} == set(out["promo_segment"])


def test_unknown_launch_dates_for_some_customers(customers: pd.DataFrame) -> None:
    frame = customers.copy()
    frame["full_price_new_lines"] = frame["full_price_new_lines"].astype("float64")
    frame.loc[[3, 4], "full_price_new_lines"] = np.nan
    out, model = promo_segments(frame)
    for row in (3, 4):
        k, n = frame.loc[row, ["promotion_day_orders", "frequency"]]
        sensitive = model.prior * binom.pmf(k, n, model.sale_day_rate[1])
        regular = (1 - model.prior) * binom.pmf(k, n, model.sale_day_rate[0])
        assert out.loc[row, "promo_probability"] == pytest.approx(sensitive / (sensitive + regular), rel=1e-9)
    known = frame.loc[5]
    assert out.loc[5, "promo_probability"] == pytest.approx(
        bayes(model, known["promotion_day_orders"], known["frequency"], known["full_price_new_lines"],
              known["product_lines"]),
        rel=1e-9,
    )


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "column", ["customer_id", "frequency", "promotion_day_orders", "product_lines", "full_price_new_lines"]
)
def test_missing_column_is_named(customers: pd.DataFrame, column: str) -> None:
    with pytest.raises(ValueError, match=f"missing column '{column}' in customer features frame"):
        promo_segments(customers.drop(columns=column))


def test_customers_without_orders_are_refused(customers: pd.DataFrame) -> None:
    frame = customers.copy()
    frame.loc[0, "frequency"] = 0
    with pytest.raises(ValueError, match="column 'frequency' .* every row must be a customer with an order"):
        promo_segments(frame)
    frame["frequency"] = frame["frequency"].astype("float64")
    frame.loc[0, "frequency"] = np.nan
    with pytest.raises(ValueError, match="column 'frequency'"):
        promo_segments(frame)


@pytest.mark.parametrize(("min_orders", "error"), [(0, ValueError), (-1, ValueError), (2.0, TypeError)])
def test_bad_min_orders_is_refused(customers: pd.DataFrame, min_orders: object, error: type) -> None:
    with pytest.raises(error, match="min_orders must be"):
        promo_segments(customers, min_orders=min_orders)  # type: ignore[arg-type]
