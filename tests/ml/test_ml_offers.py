"""Offers respect their bounds whatever the customer and product: discount 0 or on the grid within
the (category's) bounds, margin never below the floor, full-price buyers and customers outside the
offer bands get none, and the discount is the smallest the customer's history suggests."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ml.offers import OfferPolicy, discount_grid, personal_offers

POLICY = OfferPolicy(min_discount=0.05, max_discount=0.30, step=0.05, margin_floor=0.15,
                     category_bounds={"premium": (0.10, 0.20)})


def _offer(policy=POLICY, **customer):
    base = {"customer_id": "c", "purchase_probability": 0.3, "band": "hesitating", "promo_sensitive": False,
            "discount_known": True, "full_price_line_share": 0.5, "mean_discount_taken": None}
    product = {"product_id": "p", "category": customer.pop("category", "toys"), "list_price": customer.pop("price", 100.0),
               "unit_cost": customer.pop("cost", 40.0)}
    base.update(customer)
    return personal_offers(pd.DataFrame({"customer_id": ["c"], "product_id": ["p"]}), pd.DataFrame([base]),
                           pd.DataFrame([product]), policy).iloc[0]


customers = st.fixed_dictionaries({
    "band": st.sampled_from(["unlikely", "hesitating", "likely"]),
    "promo_sensitive": st.booleans(),
    "discount_known": st.booleans(),
    "full_price_line_share": st.floats(0, 1),
    "mean_discount_taken": st.one_of(st.none(), st.floats(0, 0.9)),
    "purchase_probability": st.floats(0, 1),
    "category": st.sampled_from(["toys", "premium"]),
    "price": st.floats(0.5, 500),
    "cost": st.one_of(st.none(), st.floats(0, 450)),
})


@settings(max_examples=300, deadline=None)
@given(customers)
def test_every_offer_is_within_bounds_and_above_the_margin_floor(customer):
    category, price, cost = customer["category"], customer["price"], customer["cost"]
    row = _offer(**customer)
    low, high = POLICY.bounds(category)
    if row["discount"] > 0:
        assert low - 1e-9 <= row["discount"] <= high + 1e-9
        assert np.isclose(discount_grid(low, high, POLICY.step), row["discount"]).any()
        unit_cost = cost if cost is not None else POLICY.assumed_cost_rate * price
        assert row["offer_price"] - unit_cost >= POLICY.margin_floor * row["offer_price"] - 1e-9
        assert customer["promo_sensitive"] or customer["band"] == "hesitating"
        assert not (customer["discount_known"] and customer["full_price_line_share"] >= POLICY.full_price_share)
    assert row["offer_price"] == pytest.approx(price * (1 - row["discount"]))
    unit_cost = cost if cost is not None else POLICY.assumed_cost_rate * price
    assert row["expected_margin"] == pytest.approx(customer["purchase_probability"] * (row["offer_price"] - unit_cost))


def test_full_price_buyers_get_none():
    row = _offer(full_price_line_share=0.95, promo_sensitive=True)
    assert row["discount"] == 0 and "full price" in row["reason"]


def test_without_discount_data_a_hesitating_customer_gets_the_smallest_discount():
    row = _offer(discount_known=False, full_price_line_share=1.0)
    assert row["discount"] == pytest.approx(0.05) and "smallest allowed" in row["reason"]


def test_the_smallest_grid_discount_at_least_what_moved_them_before():
    assert _offer(mean_discount_taken=0.12)["discount"] == pytest.approx(0.15)
    assert _offer(mean_discount_taken=0.15)["discount"] == pytest.approx(0.15)
    assert _offer(mean_discount_taken=0.60)["discount"] == pytest.approx(0.30)  # capped at the maximum
    assert _offer(mean_discount_taken=0.12, category="premium")["discount"] == pytest.approx(0.15)
    assert _offer(mean_discount_taken=0.50, category="premium")["discount"] == pytest.approx(0.20)


def test_the_margin_floor_lowers_or_removes_the_discount():
    # cost 75 of 100: margin >= 15% of the offer price allows at most 1 - 75/85 = 11.8% -> 10%
    assert _offer(mean_discount_taken=0.25, cost=75.0)["discount"] == pytest.approx(0.10)
    row = _offer(cost=84.0)
    assert row["discount"] == 0 and "margin" in row["reason"]


def test_likely_and_unlikely_customers_get_none_unless_promo_sensitive():
    assert _offer(band="likely")["discount"] == 0
    assert _offer(band="unlikely")["discount"] == 0
    assert _offer(band="unlikely", promo_sensitive=True)["discount"] > 0


@pytest.mark.parametrize("kwargs", [{"min_discount": 0.4, "max_discount": 0.3}, {"step": 0}, {"min_discount": 0},
                                    {"category_bounds": {"x": (0.2, 1.0)}}, {"margin_floor": 1.0}])
def test_malformed_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        OfferPolicy(**kwargs)
