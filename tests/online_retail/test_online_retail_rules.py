"""Basket rules on Online Retail as the pipeline builds them: the baskets are the invoices' purchase
lines, and the SKU rules are the miner's (itself checked against mlxtend in tests/ml) on them."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from or_testkit import ONLINE_RETAIL

from ml.association_rules import RuleThresholds, generate_rules
from ml.basket_mining import BasketRuleSettings
from ml.itemsets import mine_itemsets

NON_PRODUCT = ("POST", "DOT", "M", "D", "C2", "S", "B", "CRUK", "PADS", "AMAZONFEE", "BANK CHARGES")


@pytest.fixture(scope="module")
def raw_baskets() -> pd.DataFrame:
    """(invoice, stock code) of every purchase line, straight from the file: not cancelled,
    quantity > 0, a product code."""
    codes = ", ".join(f"'{c}'" for c in NON_PRODUCT)
    return duckdb.sql(f"""
        select distinct InvoiceNo as invoice, StockCode as product_id from read_parquet('{ONLINE_RETAIL}')
        where InvoiceNo not like 'C%' and Quantity > 0 and StockCode not in ({codes}) and StockCode not like 'gift%'
    """).df()


def test_baskets_are_the_invoices_purchase_lines(or_con, raw_baskets):
    got = or_con.sql("select order_id, product_id from marts.basket_lines").df()
    got["invoice"] = got["order_id"].str.split(":").str[-1]
    assert len(got) == len(raw_baskets)
    assert set(zip(got["invoice"], got["product_id"])) == set(zip(raw_baskets["invoice"], raw_baskets["product_id"]))
    # 20,538 invoices hold at least one product
    assert got["order_id"].nunique() == raw_baskets["invoice"].nunique() == 20_538


def test_sku_rules_are_the_miners_on_those_baskets(or_con, raw_baskets):
    defaults = BasketRuleSettings()
    basket = pd.factorize(raw_baskets["invoice"])[0]
    item, labels = pd.factorize(raw_baskets["product_id"])
    itemsets = mine_itemsets(basket, item, int(basket.max()) + 1, defaults.min_support, max_len=defaults.max_len)
    expected = generate_rules(itemsets, RuleThresholds(defaults.min_confidence, defaults.min_lift, defaults.drop_redundant))
    expected_keys = {
        (tuple(sorted(labels[list(a)])), tuple(sorted(labels[list(c)]))): lift
        for a, c, lift in zip(expected["antecedent"], expected["consequent"], expected["lift"])
    }
    got = or_con.sql("select * from ml.basket_rules where level = 'sku' and segment_by = 'all'").df()
    got_keys = {
        (tuple(sorted(a)), tuple(sorted(c))): lift
        for a, c, lift in zip(got["antecedent_items"], got["consequent_items"], got["lift"])
    }
    assert len(got_keys) == len(expected_keys) > 1000
    assert got_keys.keys() == expected_keys.keys()
    assert np.allclose([got_keys[k] for k in expected_keys], list(expected_keys.values()))
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
