"""customer_features on the small generated warehouse, recomputed in pandas from the facts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def features(pipeline_run):
    import duckdb

    with duckdb.connect(str(pipeline_run["warehouse"]), read_only=True) as con:
        return con.sql("select * from marts.customer_features").df().set_index("customer_id")


@pytest.fixture(scope="module")
def facts(pipeline_run):
    import duckdb

    with duckdb.connect(str(pipeline_run["warehouse"]), read_only=True) as con:
        lines = con.sql(
            """
            select lines.*, products.department, products.launched_on
            from marts.fct_order_lines as lines
            left join marts.dim_products as products using (product_id)
            where lines.customer_id is not null and lines.is_product
            """
        ).df()
        orders = con.sql(
            "select * from marts.fct_orders where customer_id is not null and document_type = 'order'"
        ).df()
        customers = con.sql("select customer_id from marts.dim_customers").df()
        windows = con.sql(
            """
            select promotion_id, min(cast(event_at as date)) as starts_on, max(cast(event_at as date)) as ends_on
            from marts.fct_order_lines where event_type = 'sale' and promotion_id is not null group by promotion_id
            """
        ).df()
    return {"lines": lines, "orders": orders, "customers": customers, "windows": windows}


def _close(actual: pd.Series, expected: pd.Series) -> None:
    joined = pd.concat([actual.rename("actual"), expected.rename("expected")], axis=1, join="inner")
    assert len(joined) == len(expected) > 0
    np.testing.assert_allclose(joined["actual"].astype(float), joined["expected"].astype(float), rtol=1e-9, atol=1e-9)


def test_one_row_per_merged_customer(features, facts):
    assert features.index.is_unique
    assert set(features.index) == set(facts["customers"]["customer_id"])
    assert (features["frequency"] == 0).sum() > 0, "customers without an order keep a row"


def test_discount_and_new_product_shares_match_the_lines(features, facts):
    sales = facts["lines"][facts["lines"]["event_type"] == "sale"].copy()
    _close(features["discount_line_share"], sales.groupby("customer_id")["discount_pct"].apply(lambda d: (d > 0).mean()))
    age_days = (sales["event_at"].dt.normalize() - pd.to_datetime(sales["launched_on"])).dt.days
    sales["is_new"] = (age_days < 60).astype(float)
    _close(features["new_product_share"], sales.groupby("customer_id")["is_new"].mean())
    full_price_new = sales.assign(hit=(sales["is_new"] == 1) & (sales["discount_pct"] == 0)).groupby("customer_id")["hit"].sum()
    _close(features["full_price_new_lines"], full_price_new)


def test_return_rate_is_returned_over_bought_units(features, facts):
    lines = facts["lines"]
    sold = lines[lines["event_type"] == "sale"].groupby("customer_id")["quantity"].sum()
    returned = -lines[lines["event_type"] == "return"].groupby("customer_id")["quantity"].sum()
    expected = (returned.reindex(sold.index, fill_value=0) / sold).clip(upper=1.0)
    assert (expected > 0).sum() > 50, "the test data has returns"
    _close(features["return_rate"], expected)


def test_favourite_department_has_the_most_spend_ties_by_name(features, facts):
    sales = facts["lines"][facts["lines"]["event_type"] == "sale"]
    spend = sales.groupby(["customer_id", "department"])["amount"].sum().reset_index()
    spend = spend.sort_values(["customer_id", "amount", "department"], ascending=[True, False, True])
    top = spend.groupby("customer_id").first()
    share = top["amount"] / spend.groupby("customer_id")["amount"].sum()
    assert (features.loc[top.index, "favourite_department"] == top["department"]).all()
    _close(features["favourite_department_share"], share)


def test_gaps_between_shopping_days(features, facts):
    days = facts["orders"][["customer_id", "order_date"]].drop_duplicates().sort_values(["customer_id", "order_date"])
    days["gap"] = days.groupby("customer_id")["order_date"].diff().dt.days
    gaps = days.dropna(subset=["gap"]).groupby("customer_id")["gap"]
    _close(features["mean_days_between_orders"], gaps.mean())
    _close(features["median_days_between_orders"], gaps.median())
    single = features[features["frequency"] == 1]
    assert single["mean_days_between_orders"].isna().all()


def test_channel_mix_adds_up_to_one(features):
    touched = features.dropna(subset=["web_share"])
    assert len(touched) > 100
    total = touched["web_share"] + touched["store_share"] + touched["callcenter_share"]
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_promotion_day_orders_fall_inside_the_sale_windows_the_lines_show(features, facts):
    starts, ends = pd.to_datetime(facts["windows"]["starts_on"]), pd.to_datetime(facts["windows"]["ends_on"])
    assert len(starts) > 3
    orders = facts["orders"].copy()
    day = pd.to_datetime(orders["order_date"])
    orders["on_sale"] = np.zeros(len(orders), dtype=bool)
    for start, end in zip(starts, ends):
        orders["on_sale"] |= (day >= start) & (day <= end)
    _close(features["promotion_day_orders"], orders.groupby("customer_id")["on_sale"].sum())


def test_shares_lie_in_the_unit_interval_and_counts_are_not_negative(features):
    shares = [c for c in features.columns if c.endswith("_share") or c.endswith("_rate") and c != "margin_rate"]
    assert len(shares) >= 12
    for column in shares:
        values = features[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
    for column in ("frequency", "product_lines", "web_views", "campaign_emails", "callcenter_contacts", "tenure_days"):
        assert (features[column].dropna() >= 0).all(), column


def test_demographic_bands(features):
    assert set(features["age_band"].dropna()) <= {"under 25", "25-34", "35-44", "45-54", "55-64", "65 and over"}
    assert features["age_band"].notna().sum() > 100
    banded = features.dropna(subset=["city_size_band"])
    assert set(banded["city_size_band"]) == {"big", "medium", "small"}
    assert (banded.loc[banded["city"] == "Warszawa", "city_size_band"] == "big").all()
