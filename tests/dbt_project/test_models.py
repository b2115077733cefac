"""The dbt models on the small generated warehouse: normalisation, identity guards, facts, RFM cut-off."""

import re


def test_phones_are_normalised_to_digits_with_country_code(con):
    phones = con.sql(
        """
        select phone from pii.stg_retail__loyalty_cards where phone is not null
        union all
        select phone from pii.stg_retail__web_accounts where phone is not null
        """
    ).df()["phone"]
    assert len(phones) > 100
    assert all(re.fullmatch(r"48\d{9}", p) for p in phones), phones[~phones.str.fullmatch(r"48\d{9}")].head()


def test_the_same_phone_typed_differently_normalises_to_one_value(con):
    # the generator types one number in several formats; after staging they must coincide
    raw_formats = con.sql(
        """
        select stg.phone, count(distinct raw.phone) as formats
        from raw.loyalty_cards as raw
        inner join pii.stg_retail__loyalty_cards as stg using (card_number)
        where stg.phone is not null
        group by stg.phone
        having count(distinct raw.phone) > 1
        """
    ).df()
    assert len(raw_formats) > 0


def test_emails_are_trimmed_and_lower_cased(con):
    bad = con.execute(
        "select count(*) from pii.stg_retail__web_accounts where email <> lower(trim(email))"
    ).fetchall()[0][0]
    raw_messy = con.execute("select count(*) from raw.web_accounts where email <> lower(trim(email))").fetchall()[0][0]
    assert raw_messy > 0  # the test data really has messy e-mails
    assert bad == 0


def test_junk_identifiers_are_suppressed_and_link_nothing(con):
    junk = con.execute(
        "select holders, is_suppressed from identity.int_identifiers_screened where node_id = 'phone:' || substr(md5('48000000000'), 1, 16)"
    ).fetchall()[0]
    assert junk is not None and junk[0] > 3 and junk[1]
    linked = con.execute(
        "select count(*) from identity.int_identifier_edges_built where node_id = 'phone:' || substr(md5('48000000000'), 1, 16)"
    ).fetchall()[0][0]
    assert linked == 0


def test_no_suppressed_identifier_links(con):
    suppressed, leaked = con.execute(
        """
        select
            (select count(*) from identity.int_identifiers_screened where is_suppressed),
            (select count(*) from identity.int_identifier_edges_built as edges
             inner join identity.int_identifiers_screened as screened using (node_id)
             where screened.is_suppressed)
        """
    ).fetchall()[0]
    assert suppressed > 0
    assert leaked == 0


def test_the_guard_follows_the_configured_limit(con):
    from orchestration.project import dbt_project
    import yaml

    limit = yaml.safe_load((dbt_project.project_dir / "dbt_project.yml").read_text())["vars"][
        "identity_max_holders_per_identifier"
    ]
    wrong = con.execute(
        f"""select count(*) from identity.int_identifiers_screened
            where coalesce(suppression_reason = 'too_many_holders', false) <> (holders > {limit})"""
    ).fetchall()[0][0]
    assert wrong == 0


def test_a_phone_on_calls_quoting_many_cards_is_suppressed(con):
    """Holders are counted on every record: a phone typed on calls that quote many cards links none."""
    counted = con.execute(
        """
        with call_cards as (
            select phone.node_id, count(distinct card.node_id) as cards
            from pii.int_record_identifiers_unioned as phone
            inner join pii.int_record_identifiers_unioned as card
                using (record_type, record_key)
            where phone.record_type = 'callcenter_contact'
              and phone.identifier_type = 'phone' and card.identifier_type = 'card'
            group by phone.node_id
        )
        select count(*) from call_cards
        inner join identity.int_identifiers_screened as screened using (node_id)
        where screened.holders < call_cards.cards
        """
    ).fetchall()[0][0]
    assert counted == 0


def test_returns_are_negative_facts_that_net_out(con):
    returns = con.execute(
        "select count(*), max(quantity), max(amount) from marts.fct_order_lines where event_type = 'return'"
    ).fetchall()[0]
    assert returns[0] == con.execute("select count(*) from raw.returns").fetchall()[0][0] > 0
    assert returns[1] < 0 and returns[2] < 0
    lines_total = con.execute("select sum(amount) from marts.fct_order_lines").fetchall()[0][0]
    orders_total = con.execute("select sum(net_amount) from marts.fct_orders").fetchall()[0][0]
    assert abs(lines_total - orders_total) < 1e-6 * abs(lines_total)


def test_orders_resolve_to_customers_except_anonymous_receipts(con):
    counts = con.execute(
        """
        select
            count(*) filter (where customer_id is null and (account_id is not null or card_number is not null)),
            count(*) filter (where customer_id is null and channel = 'store' and card_number is null),
            count(*) filter (where customer_id is not null)
        from marts.fct_orders
        inner join pii.stg_retail__orders using (order_id, channel)
        """
    ).fetchall()[0]
    assert counts[0] == 0  # an order with an account or a card always has a customer
    assert counts[1] > 0  # receipts without a card stay anonymous
    assert counts[2] > 0


def test_rfm_uses_only_events_before_as_of(con):
    as_of, last_event = con.execute(
        "select (select max(as_of) from marts.customer_rfm), (select cast(max(event_at) as date) from marts.fct_order_lines)"
    ).fetchall()[0]
    # uncut run: everything loaded counts, recency measured to the day after the latest event
    assert (as_of - last_event).days == 1
    mismatched = con.execute(
        """
        with expected as (
            select customer_id, count(distinct order_id) as frequency
            from marts.fct_order_lines
            where event_type = 'sale' and customer_id is not null and event_at < (select max(as_of) from marts.customer_rfm)
            group by customer_id
        )
        select count(*) from expected full join marts.customer_rfm as rfm using (customer_id)
        where expected.frequency is distinct from rfm.frequency
        """
    ).fetchall()[0][0]
    assert mismatched == 0
    assert con.execute("select min(recency_days) from marts.customer_rfm").fetchall()[0][0] >= 1


def test_rfm_scores_are_quintiles(con):
    shares = con.sql("select r_score, count(*) as n from marts.customer_rfm group by r_score order by r_score").df()
    assert list(shares["r_score"]) == [1, 2, 3, 4, 5]
    # rank-based quintiles: each score holds about a fifth of customers (ties may shift a few)
    assert (shares["n"] / shares["n"].sum()).between(0.1, 0.3).all()
