"""The planted behaviour is visible in the raw data and recorded in the truth tables."""

from __future__ import annotations

import statistics

import pytest

from datagen_testkit import PLANTED_PEOPLE, build, connect, scalar


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(build(tmp_path_factory.mktemp("planted"), people=PLANTED_PEOPLE, chunk_people=2_500))
    con.execute("""create temp table lines as
        select l.order_id, l.sku, p.category, p.brand, p.department, p.target_gender, o.person_id, o.ordered_at,
               l.discount_pct, l.promotion_id
        from order_lines l join products p using (sku) join order_person o using (order_id)""")
    return con


def test_planted_sku_pairs_lift(con):
    n_orders = scalar(con, "select count(*) from orders")
    rows = con.execute("""
        with r as (select antecedent a, consequent b, probability from t_basket_affinities where level = 'sku'),
             has as (select distinct order_id, sku from lines)
        select r.a, r.b, r.probability,
               (select count(*) from has where sku = r.a) n_a,
               (select count(*) from has x join has y using (order_id) where x.sku = r.a and y.sku = r.b) n_ab,
               (select count(*) from has where sku = r.b) n_b
        from r""").fetchall()
    assert 20 <= len(rows) <= 50
    tested = 0
    for a, b, p, n_a, n_ab, n_b in rows:
        assert 0.3 <= p <= 0.6
        if n_a >= 30:
            tested += 1
            p_b_given_a, p_b_without_a = n_ab / n_a, (n_b - n_ab) / (n_orders - n_a)
            assert p_b_given_a > 0.15, (a, b)
            assert p_b_given_a > 5 * p_b_without_a, (a, b)
    assert tested >= 10


def test_planted_pairs_are_top_rules_by_lift(con):
    n_orders = scalar(con, "select count(*) from orders")
    top = con.execute(f"""
        with has as (select distinct order_id, sku from lines),
             n as (select sku, count(*) n from has group by 1),
             pairs as (select x.sku a, y.sku b, count(*) n_ab from has x join has y using (order_id)
                       where x.sku < y.sku group by 1, 2 having count(*) >= 20)
        select a, b, n_ab * {n_orders} / (na.n * nb.n) lift from pairs
        join n na on na.sku = a join n nb on nb.sku = b order by lift desc limit 10""").fetchall()
    planted = {frozenset(r) for r in con.execute(
        "select antecedent, consequent from t_basket_affinities where level = 'sku'").fetchall()}
    assert len(top) == 10
    assert sum(frozenset((a, b)) in planted for a, b, _ in top) >= 8


def test_planted_brand_cross_buying(con):
    rules = con.execute("select antecedent, consequent from t_basket_affinities where level = 'brand'").fetchall()
    assert rules
    n_orders = scalar(con, "select count(*) from orders")
    for ante, cons in rules:
        brand, dept_a = ante.split(" / ")
        brand_b, dept_b = cons.split(" / ")
        assert brand == brand_b and dept_a != dept_b
        n_a, n_ab, n_b = con.execute(f"""
            with a as (select distinct order_id from lines where brand = '{brand}' and department = '{dept_a}'),
                 b as (select distinct order_id from lines where brand = '{brand}' and department = '{dept_b}')
            select (select count(*) from a), (select count(*) from a join b using (order_id)), (select count(*) from b)""").fetchall()[0]
        if n_a >= 50:
            # few brands in a small catalogue: compare with orders without the antecedent
            assert n_ab / n_a - (n_b - n_ab) / (n_orders - n_a) > 0.1, (ante, cons)


def test_planted_sequences_peak_at_16_26_52_weeks(con):
    rules = con.execute("select distinct antecedent_category, consequent_category from t_sequences").fetchall()
    assert 5 <= len(rules) <= 10
    assert sorted(r[0] for r in con.execute("select distinct gap_weeks from t_sequences").fetchall()) == [16, 26, 52]
    hist = dict(con.execute("""
        with s as (select distinct antecedent_category a, consequent_category b from t_sequences),
             ao as (select distinct l.person_id, l.order_id, l.ordered_at, s.b from lines l join s on l.category = s.a),
             bo as (select distinct person_id, order_id, ordered_at, category from lines)
        select round(date_diff('day', ao.ordered_at::date, bo.ordered_at::date) / 7) as wk, count(*)
        from ao join bo on bo.person_id = ao.person_id and bo.category = ao.b and bo.ordered_at > ao.ordered_at
        group by 1""").fetchall())
    for mode in (16, 26, 52):
        peak = max(hist.get(mode + d, 0) for d in (-1, 0, 1))
        local = statistics.median(hist.get(mode + d, 0) for d in (-8, -7, -6, -5, -4, 4, 5, 6, 7, 8))
        assert peak > 2.5 * max(local, 1), (mode, peak, local)
    # no such peak away from the modes
    for week in (10, 21, 40):
        local = statistics.median(hist.get(week + d, 0) for d in (-8, -7, -6, -5, -4, 4, 5, 6, 7, 8))
        assert hist.get(week, 0) < 1.5 * max(local, 1), week


def test_promo_sensitive_people_buy_on_sale(con):
    rows = dict((r[0], r[1:]) for r in con.execute("""
        select p.is_promo_sensitive, avg((l.discount_pct > 0)::int), avg((l.promotion_id is not null)::int)
        from lines l join t_people p using (person_id) group by 1""").fetchall())
    assert rows[True][0] > 0.55 and rows[True][1] > 0.5
    assert rows[False][0] < 0.35
    share = scalar(con, "select avg(is_promo_sensitive::int) from t_people")
    assert 0.15 < share < 0.25


def test_buyers_mostly_buy_their_gender(con):
    rows = dict(con.execute("""
        select p.gender, avg((l.target_gender = case p.gender when 'F' then 'men' else 'women' end)::int)
        from lines l join t_people p using (person_id) group by 1""").fetchall())
    assert rows["F"] < 0.2 and rows["M"] < 0.2
    assert rows["F"] > 0 and rows["M"] > 0  # some cross-buying


def test_seasonality_peaks_in_december(con):
    assert scalar(con, "select month from t_seasonality order by weight desc limit 1") == 12
    per_day = dict(con.execute("""select month(ordered_at), count(*) / count(distinct ordered_at::date)
                                  from orders group by 1""").fetchall())
    assert per_day[12] > max(per_day[m] for m in (2, 6, 8))


def test_people_truth(con):
    n = scalar(con, "select count(*) from t_people")
    assert n == PLANTED_PEOPLE
    in_households = scalar(con, """select count(*) from t_people where household_id in
                                   (select household_id from t_people group by 1 having count(*) between 2 and 4)""") / n
    assert 0.2 < in_households < 0.3
    assert scalar(con, "select max(n) from (select count(*) n from t_people group by household_id)") <= 4
    churned = scalar(con, "select avg((churned_at is not null)::int) from t_people")
    assert 0.22 < churned < 0.33
    assert sorted(r[0] for r in con.execute("select distinct city_size_band from t_people").fetchall()) == ["big", "medium", "small"]
    assert 40 <= scalar(con, "select count(distinct city) from t_people") <= 60
    assert sorted(r[0] for r in con.execute("select distinct gender from t_people").fetchall()) == ["F", "M"]


def test_catalogue_shape(con):
    n_sku, n_cat, n_dept, n_brand = con.execute(
        "select count(*), count(distinct category), count(distinct department), count(distinct brand) from products").fetchall()[0]
    assert n_sku == 300 and n_cat == 24 and n_dept == 8 and 5 <= n_brand <= 200
    # a category belongs to one department; gender consistent with department
    assert scalar(con, "select max(n) from (select count(distinct department) n from products group by category)") == 1
    assert scalar(con, "select count(*) from products where department = 'Women' and target_gender <> 'women'") == 0
    assert scalar(con, "select count(*) from products where department = 'Men' and target_gender <> 'men'") == 0
