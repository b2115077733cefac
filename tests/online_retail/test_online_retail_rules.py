"""Basket rules on Online Retail as the pipeline builds them: the baskets are the invoices' purchase
lines, and the SKU rules are the miner's (itself checked against mlxtend in tests/ml) on them."""

import numpy as np
import pandas as pd
import pytest
from or_testkit import ONLINE_RETAIL

from ml.association_rules import RuleThresholds, generate_rules
from ml.basket_mining import BasketRuleSettings
from ingest.online_retail_baskets import purchase_lines
from ml.itemsets import mine_itemsets
from orchestration.assets.rules import BasketRulesConfig



@pytest.fixture(scope="module")
def raw_baskets() -> pd.DataFrame:
    """(invoice, stock code) of every purchase line, straight from the file."""
    return purchase_lines(ONLINE_RETAIL)


def test_baskets_are_the_invoices_purchase_lines(or_con, raw_baskets):
    got = or_con.sql("select order_id, product_id from marts.basket_lines").df()
    got["invoice"] = got["order_id"].str.split(":").str[-1]
    assert len(got) == len(raw_baskets)
    assert set(zip(got["invoice"], got["product_id"])) == set(zip(raw_baskets["invoice"], raw_baskets["product_id"]))
    # 20,538 invoices hold at least one product
    assert got["order_id"].nunique() == raw_baskets["invoice"].nunique() == 20_538


def test_sku_rules_are_the_miners_on_those_baskets(or_con, raw_baskets):
    defaults = BasketRuleSettings()
    sku_support = BasketRulesConfig().level_min_support["sku"]  # the asset's default for SKUs
    basket = pd.factorize(raw_baskets["invoice"])[0]
    item, labels = pd.factorize(raw_baskets["product_id"])
    itemsets = mine_itemsets(basket, item, int(basket.max()) + 1, sku_support, max_len=defaults.max_len)
    expected = generate_rules(itemsets, RuleThresholds(defaults.min_confidence, defaults.min_lift, defaults.drop_redundant))
    expected = expected[(expected["antecedent_len"] == 1) & (expected["consequent_len"] == 1)]
    expected_lift = {(labels[a[0]], labels[c[0]]): lift for a, c, lift in
                     zip(expected["antecedent"], expected["consequent"], expected["lift"])}
    got = or_con.sql("select * from ml.basket_rules where level = 'sku' and segment_by = 'all'").df()
    single = got[(got["antecedent_len"] == 1) & (got["consequent_len"] == 1)]
    got_lift = {(a[0], c[0]): lift for a, c, lift in zip(single["antecedent_items"], single["consequent_items"], single["lift"])}
    # the table keeps each rule shape's highest-lift rules, up to the cap; each is the miner's, with its lift
    assert len(got_lift) == min(len(expected_lift), defaults.max_rules_per_segment) > 1000
    assert got_lift.keys() <= expected_lift.keys()
    assert np.allclose([expected_lift[k] for k in got_lift], list(got_lift.values()))
    left_out = [lift for k, lift in expected_lift.items() if k not in got_lift]
    assert not left_out or min(got_lift.values()) >= max(left_out) - 1e-9
    # readable names: the product description, not the code
    top = got.sort_values("rule_rank").iloc[0]
    assert top["antecedent_names"] != top["antecedent"]


def test_product_suggestions_cover_the_products_with_rules(or_con):
    with_rules = or_con.sql("""
        select count(distinct antecedent) from ml.basket_rules
        where level = 'sku' and segment_by = 'all' and antecedent_len = 1 and consequent_len = 1
    """).fetchall()[0][0]
    suggested = or_con.sql("select count(distinct product_id) from ml.product_suggestions").fetchall()[0][0]
    assert suggested == with_rules > 500
