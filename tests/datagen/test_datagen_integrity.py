"""Keys, references, value rules and time bounds of the raw and truth tables."""

from __future__ import annotations

import pytest

from datagen_testkit import build, connect, scalar

START, AFTER_END = "TIMESTAMP '2023-11-01'", "TIMESTAMP '2026-11-01'"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    return connect(build(tmp_path_factory.mktemp("integrity")))


@pytest.mark.parametrize("table, key", [
    ("orders", "order_id"), ("order_lines", "order_id, line_number"), ("web_accounts", "account_id"),
    ("loyalty_cards", "card_number"), ("products", "sku"), ("stores", "store_id"), ("returns", "return_id"),
    ("returns", "order_id, line_number"), ("web_views", "view_id"), ("campaign_contacts", "contact_id"),
    ("callcenter_contacts", "contact_id"), ("t_people", "person_id"), ("t_promotions", "promotion_id"),
])
def test_keys_unique_and_not_null(con, table, key):
    n, distinct, nulls = con.execute(
        f"select count(*), count(distinct ({key})), count(*) filter (where ({key}) is null) from {table}").fetchall()[0]
    assert n > 0
    assert distinct == n
    assert nulls == 0


def test_line_numbers_are_one_to_n(con):
    bad = scalar(con, "select count(*) from (select order_id, min(line_number) lo, max(line_number) hi, count(*) n "
                      "from order_lines group by 1) where lo <> 1 or hi <> n")
    assert bad == 0
    assert scalar(con, "select count(*) from orders where order_id not in (select order_id from order_lines)") == 0
    assert scalar(con, "select count(*) from order_lines where order_id not in (select order_id from orders)") == 0


def test_references(con):
    assert scalar(con, "select count(*) from order_lines where sku not in (select sku from products)") == 0
    assert scalar(con, "select count(*) from web_views where sku not in (select sku from products)") == 0
    assert scalar(con, "select count(*) from orders where account_id not in (select account_id from web_accounts)") == 0
    assert scalar(con, "select count(*) from orders where card_number not in (select card_number from loyalty_cards)") == 0
    assert scalar(con, "select count(*) from orders where store_id not in (select store_id from stores)") == 0
    assert scalar(con, "select count(*) from web_views where account_id not in (select account_id from web_accounts)") == 0
    assert scalar(con, "select count(*) from order_lines where promotion_id not in (select promotion_id from t_promotions)") == 0


def test_order_channel_columns(con):
    assert scalar(con, "select count(*) from orders where channel = 'web' and (store_id is not null or card_number is not null)") == 0
    assert scalar(con, "select count(*) from orders where channel = 'store' and (store_id is null or account_id is not null or guest_email is not null)") == 0
    assert scalar(con, "select count(*) from orders where channel = 'web' and (account_id is null) = (guest_email is null)") == 0
    # identities are used only after they exist
    assert scalar(con, "select count(*) from orders o join web_accounts a using (account_id) where a.created_at > o.ordered_at") == 0
    assert scalar(con, "select count(*) from orders o join loyalty_cards c using (card_number) where c.issued_at > o.ordered_at") == 0


def test_returns_reference_lines(con):
    assert scalar(con, "select count(*) from returns") > 0
    missing = scalar(con, "select count(*) from returns r anti join order_lines l using (order_id, line_number)")
    assert missing == 0
    bad = scalar(con, """
        select count(*) from returns r join order_lines l using (order_id, line_number) join orders o using (order_id)
        where r.quantity < 1 or r.quantity > l.quantity
           or r.returned_at <= o.ordered_at + interval 2 day - interval 1 second
           or r.returned_at > o.ordered_at + interval 40 day""")
    assert bad == 0
    rate = scalar(con, "select (select count(*) from returns) / (select count(*) from order_lines)")
    assert 0.05 < rate < 0.11


@pytest.mark.parametrize("table, column", [
    ("orders", "ordered_at"), ("returns", "returned_at"), ("web_views", "viewed_at"),
    ("campaign_contacts", "sent_at"), ("campaign_contacts", "opened_at"), ("campaign_contacts", "clicked_at"),
    ("callcenter_contacts", "contacted_at"),
])
def test_events_inside_window(con, table, column):
    n, outside = con.execute(f"select count({column}), count(*) filter (where {column} < {START} or {column} >= {AFTER_END}) from {table}").fetchall()[0]
    assert n > 0
    assert outside == 0


def test_identity_timestamps_not_after_window(con):
    assert scalar(con, f"select count(*) from web_accounts where created_at >= {AFTER_END}") == 0
    assert scalar(con, f"select count(*) from loyalty_cards where issued_at >= {AFTER_END}") == 0


def test_campaign_clicks_only_when_opened(con):
    bad = scalar(con, "select count(*) from campaign_contacts where clicked_at is not null and (opened_at is null or clicked_at < opened_at) or opened_at < sent_at")
    assert bad == 0
    opened, clicked = con.execute("select avg((opened_at is not null)::int), avg((clicked_at is not null)::int) from campaign_contacts").fetchall()[0]
    assert 0.12 < opened < 0.3 and 0.01 < clicked < 0.06


def test_prices(con):
    assert scalar(con, "select count(*) from order_lines where unit_price <> round(unit_list_price * (1 - discount_pct), 2)") == 0
    assert scalar(con, "select count(*) from order_lines where discount_pct < 0 or discount_pct >= 1 or quantity < 1") == 0
    assert scalar(con, "select count(*) from order_lines l join products p using (sku) where l.unit_list_price <> p.list_price") == 0
    assert scalar(con, "select count(*) from order_lines where promotion_id is not null and discount_pct = 0") == 0
    assert scalar(con, "select count(*) from products where not (0 < unit_cost and unit_cost < list_price) or list_price <= 0") == 0
    # off-sale markdowns exist: discounted lines without a promotion
    assert scalar(con, "select count(*) from order_lines where promotion_id is null and discount_pct > 0") > 0
    # promotion lines fall inside their promotion window
    assert scalar(con, """select count(*) from order_lines l join orders o using (order_id) join t_promotions p using (promotion_id)
                          where o.ordered_at::date not between p.starts_on and p.ends_on""") == 0


def test_products_are_not_sold_or_viewed_before_launch(con):
    assert scalar(con, "select count(*) from order_lines l join orders o using (order_id) join products p using (sku) where o.ordered_at::date < p.launched_on") == 0
    assert scalar(con, "select count(*) from web_views v join products p using (sku) where v.viewed_at::date < p.launched_on") == 0
    assert scalar(con, "select count(*) from products where launched_on >= DATE '2023-11-01'") > 0
    assert scalar(con, "select count(*) from products where launched_on < DATE '2023-11-01'") > 0


def test_identity_records_cover_everything_once(con):
    for record_type, table, key in [("web_account", "web_accounts", "account_id"),
                                    ("loyalty_card", "loyalty_cards", "card_number"),
                                    ("order", "orders", "order_id::varchar")]:
        n_source = scalar(con, f"select count(*) from {table}")
        n_truth, n_keys = con.execute(f"select count(*), count(distinct record_key) from t_identity_records where record_type = '{record_type}'").fetchall()[0]
        matched = scalar(con, f"select count(*) from {table} s join t_identity_records r on r.record_type = '{record_type}' and r.record_key = s.{key}")
        assert n_source > 0
        assert n_truth == n_keys == n_source == matched, record_type
    assert scalar(con, "select count(*) from t_identity_records where person_id not in (select person_id from t_people)") == 0
    assert scalar(con, "select count(*) from t_identity_records where record_type not in ('web_account', 'loyalty_card', 'order')") == 0


def test_no_orders_after_churn(con):
    churned, with_orders_before = con.execute("""
        select count(*), count(*) filter (where exists (select 1 from order_person o where o.person_id = p.person_id and o.ordered_at < p.churned_at))
        from t_people p where churned_at is not null""").fetchall()[0]
    assert churned > 0 and with_orders_before > 0
    late = scalar(con, "select count(*) from order_person o join t_people p using (person_id) where o.ordered_at >= p.churned_at")
    assert late == 0
