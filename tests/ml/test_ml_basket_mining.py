"""Basket rules read from a basket_lines-like table in a real DuckDB: levels, names, segments,
mixed attribute items and their generalisations, against brute-force counts."""

from itertools import combinations

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.basket_levels import level_combinations
from ml.basket_mining import BASKET_RULE_COLUMNS, BasketRuleSettings, Segmentation, mine_basket_rules as _mine_data
from ml.line_data import level_items, load_lines


def mine_basket_rules(con, level, settings, relation, segmentations=()):
    return _mine_data(load_lines(con, relation, segmentations), level, settings)

ALL_RULES = BasketRuleSettings(min_support=0.01, max_len=None, min_confidence=0.0, min_lift=0.0, drop_redundant=False,
                               min_segment_baskets=1)


@pytest.fixture()
def con():
    """Random baskets over 6 products in 2 categories, 2 brands and 2 price bands, 40 customers."""
    rng = np.random.default_rng(11)
    products = pd.DataFrame({
        "product_id": [f"P{i}" for i in range(6)],
        "product_name": [f"Product {i}" for i in range(6)],
        "category": ["Shirts", "Shirts", "Shirts", "Shoes", "Shoes", "Shoes"],
        "brand": ["Aura", "Boro", "Aura", "Boro", "Aura", "Boro"],
        "target_gender": ["women", "men", "women", "men", "unisex", "women"],
        "price_band": ["under 50", "50-100", "under 50", "over 300", "50-100", "under 50"],
    })
    rows = []
    for order in range(300):
        customer = f"c{rng.integers(0, 40)}" if order % 10 else None  # some anonymous baskets
        for p in rng.choice(6, size=rng.integers(1, 4), replace=False):
            rows.append((f"o{order:03d}", customer, p))
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "p"])
    lines = lines.join(products, on="p").drop(columns="p")
    lines["order_date"] = pd.Timestamp("2025-01-01").date()
    lines["department"] = "Clothing"
    lines["discount_band"] = "full price"
    connection = duckdb.connect()
    connection.register("frame", lines)
    connection.execute("create table lines as select * from frame")
    connection.execute(
        "create table seg as select distinct customer_id, case when hash(customer_id) % 2 = 0 then 'even' else 'odd' end "
        "as segment from lines where customer_id is not null"
    )
    yield connection
    connection.close()


def _brute_force(baskets: list[set], min_support: float) -> dict[frozenset, float]:
    n = len(baskets)
    items = sorted(set().union(*baskets))
    out = {}
    for k in range(1, len(items) + 1):
        for combo in combinations(items, k):
            s = sum(set(combo) <= b for b in baskets) / n
            if s >= min_support:
                out[frozenset(combo)] = s
    return out


def _check_against_brute_force(rules: pd.DataFrame, baskets: list[set], min_support: float):
    support = _brute_force(baskets, min_support)
    expected = {
        (frozenset(a), frozenset(s - set(a)))
        for s in support if len(s) > 1 for k in range(1, len(s)) for a in combinations(sorted(s), k)
    }
    got = {(frozenset(a), frozenset(c)): row for a, c, row in
           zip(rules["antecedent_items"], rules["consequent_items"], rules.itertuples(index=False))}
    assert set(got) == expected
    for (a, c), row in got.items():
        assert row.support == pytest.approx(support[a | c])
        assert row.confidence == pytest.approx(support[a | c] / support[a])
        assert row.lift == pytest.approx(support[a | c] / support[a] / support[c])


def test_sku_rules_equal_a_brute_force_count_over_all_baskets(con):
    rules = mine_basket_rules(con, "sku", ALL_RULES, "lines")
    baskets = con.sql("select list(distinct product_id) from lines group by order_id").fetchall()
    _check_against_brute_force(rules, [set(b[0]) for b in baskets], ALL_RULES.min_support)
    assert list(rules.columns) == BASKET_RULE_COLUMNS
    # readable names for SKUs: the product's name
    first = rules.iloc[0]
    assert first["antecedent_names"] == " + ".join(f"Product {p[1:]}" for p in first["antecedent_items"])


def test_category_rules_count_every_basket_in_the_denominator(con):
    rules = mine_basket_rules(con, "category", ALL_RULES, "lines")
    baskets = [set(b[0]) for b in con.sql("select list(distinct category) from lines group by order_id").fetchall()]
    _check_against_brute_force(rules, baskets, ALL_RULES.min_support)
    assert (rules["segment_baskets"] == 300).all()


def test_segment_rules_use_only_the_segments_baskets(con):
    rules = mine_basket_rules(con, "sku", ALL_RULES, "lines", [Segmentation("parity", "select * from seg")])
    assert set(rules["segment_by"]) == {"all", "parity"}
    for segment in ("even", "odd"):
        baskets = con.sql(
            "select list(distinct product_id) from lines join seg using (customer_id) "
            f"where segment = '{segment}' group by order_id"
        ).fetchall()
        part = rules[(rules["segment_by"] == "parity") & (rules["segment"] == segment)]
        assert (part["segment_baskets"] == len(baskets)).all()
        _check_against_brute_force(part, [set(b[0]) for b in baskets], ALL_RULES.min_support)


def test_small_segments_are_not_mined(con):
    settings = BasketRuleSettings(min_support=0.01, min_confidence=0.0, min_lift=0.0, min_segment_baskets=10_000)
    rules = mine_basket_rules(con, "sku", settings, "lines", [Segmentation("parity", "select * from seg")])
    assert set(rules["segment"]) == {"all"}


def test_mixed_items_never_pair_an_item_with_its_own_generalisation(con):
    rules = mine_basket_rules(con, "mixed", ALL_RULES, "lines")
    assert len(rules)
    for a, c in zip(rules["antecedent_items"], rules["consequent_items"]):
        items = list(a) + list(c)
        for x in items:
            for y in items:
                # "women / Aura / Shirts / under 50" generalises to "Aura / Shirts / under 50"
                assert not (x != y and x.endswith(" / " + y)), (x, y)
    # both granularities are there, so rules do mix them
    lengths = {len(item.split(" / ")) for a in rules["antecedent_items"] for item in a}
    assert lengths == {3, 4}


def test_mixed_items_know_their_generalisations(con):
    items = level_items(load_lines(con, "lines"), "mixed")
    code = {label: i for i, label in enumerate(items.labels)}
    full, general = code["women / Aura / Shirts / under 50"], code["Aura / Shirts / under 50"]
    assert general in items.exclusive[full] and full in items.exclusive[general]
    # an item of another brand is not its generalisation
    assert code["Boro / Shirts / 50-100"] not in items.exclusive[full]
    assert level_items(load_lines(con, "lines"), "sku").exclusive == {}


def test_unknown_levels_and_attributes_are_refused():
    with pytest.raises(ValueError, match="unknown rule level 'colour'"):
        level_combinations("colour")
    with pytest.raises(ValueError, match="mixed items use the attributes"):
        level_combinations("mixed", (("brand", "size"),))
