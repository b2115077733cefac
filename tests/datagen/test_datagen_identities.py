"""Messy identifiers: junk values, several identities per person, varying phone formats."""

from __future__ import annotations

import pytest

from datagen_testkit import build, connect, scalar

#: digits of a phone without country code (the last 9 digits)
NORMAL = "right(regexp_replace({c}, '[^0-9]', '', 'g'), 9)"


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = connect(build(tmp_path_factory.mktemp("identities")))
    con.execute("""create view card_person as select c.*, r.person_id from loyalty_cards c
                   join t_identity_records r on r.record_type = 'loyalty_card' and r.record_key = c.card_number""")
    con.execute("""create view account_person as select a.*, r.person_id from web_accounts a
                   join t_identity_records r on r.record_type = 'web_account' and r.record_key = a.account_id""")
    return con


def test_junk_identifiers_shared_by_many_people(con):
    cards, people = con.execute("select count(*), count(distinct person_id) from card_person where phone = '000000000'").fetchall()[0]
    assert people >= 10 and cards >= 10
    assert scalar(con, "select count(distinct person_id) from card_person where email = 'noemail@store.pl'") >= 10


def test_identity_shares(con):
    n = scalar(con, "select count(*) from t_people")
    with_account = scalar(con, "select count(distinct person_id) from account_person") / n
    with_card = scalar(con, "select count(distinct person_id) from card_person") / n
    assert 0.5 < with_account < 0.7
    assert 0.45 < with_card < 0.65
    anonymous = scalar(con, "select avg((card_number is null)::int) from orders where channel = 'store'")
    assert 0.3 < anonymous < 0.5


def test_people_with_two_cards_are_linkable(con):
    rows = con.execute(f"""
        select person_id, count(*) n,
               count(distinct {NORMAL.format(c='phone')}) filter (where phone <> '000000000') phones,
               count(*) filter (where phone is not null and phone <> '000000000') with_phone,
               count(distinct lower(trim(email))) filter (where email <> 'noemail@store.pl') emails,
               count(*) filter (where email is not null and email <> 'noemail@store.pl') with_email
        from card_person group by 1 having count(*) = 2""").fetchall()
    assert len(rows) >= 5
    for _, _, phones, with_phone, emails, with_email in rows:
        assert (with_phone == 2 and phones == 1) or (with_email == 2 and emails == 1)


def test_people_with_two_accounts_mostly_share_phone(con):
    rows = con.execute(f"""
        select person_id, count(distinct {NORMAL.format(c='phone')}) phones, count(phone) with_phone
        from account_person group by 1 having count(*) = 2""").fetchall()
    assert len(rows) >= 5
    shared = sum(1 for _, phones, with_phone in rows if with_phone == 2 and phones == 1)
    assert shared / len(rows) >= 0.6


def test_phone_formats_vary_for_the_same_number(con):
    con.execute(f"""create temp table phones as
        select phone raw, {NORMAL.format(c='phone')} number from web_accounts where phone is not null
        union all select phone, {NORMAL.format(c='phone')} from loyalty_cards where phone is not null and phone <> '000000000'
        union all select phone, {NORMAL.format(c='phone')} from callcenter_contacts""")
    assert scalar(con, "select count(*) from phones where length(number) <> 9") == 0
    assert scalar(con, "select max(n) from (select number, count(distinct raw) n from phones group by 1)") >= 3
    shapes = [r[0] for r in con.execute("select distinct regexp_replace(raw, '[0-9]', '9', 'g') from phones").fetchall()]
    # digits masked as 9: +48 502 133 360, 502133360, 0048502133360, 502-133-360, +48502133360
    for shape in ["+99 999 999 999", "999999999", "9999999999999", "999-999-999", "+99999999999"]:
        assert shape in shapes


def test_households_share_a_landline(con):
    # a landline typed on cards of two different people of the same household
    shared = scalar(con, f"""
        select count(*) from (
            select {NORMAL.format(c='c.phone')} number, count(distinct c.person_id) people, count(distinct p.household_id) households
            from card_person c join t_people p using (person_id)
            where c.phone is not null and c.phone <> '000000000' group by 1)
        where people >= 2 and households = 1""")
    assert shared >= 3


def test_emails_are_messy_but_normalise_to_one_person(con):
    assert scalar(con, "select count(*) from web_accounts where email <> trim(email)") > 0
    assert scalar(con, "select count(*) from web_accounts where email <> lower(email)") > 0
    # a normalised account e-mail belongs to one person
    assert scalar(con, "select max(n) from (select lower(trim(email)), count(distinct person_id) n from account_person group by 1)") == 1
    # guest checkouts use e-mails of the person, some equal to their account e-mail
    reused = scalar(con, """select count(*) from order_person o join account_person a
                            on a.person_id = o.person_id and lower(trim(a.email)) = lower(trim(o.guest_email))""")
    assert reused > 0
    assert scalar(con, "select count(*) from orders where guest_email is not null") > reused
