"""Identity guards, the suppressed list and PII separation, on the demo warehouse built end to end."""

import re

import pandas as pd

from orchestration.identity_quality import QUALITY_TARGETS

# Schemas BI reads, and the pseudonymised identity graph: none may carry personal data.
OPEN_SCHEMAS = ("marts", "serving", "identity", "ml", "audit", "reference")
PII_COLUMN = r"(?:^|_)(?:e_?mail|phone|first_name|last_name|surname|full_name|dob|street|postcode)(?:$|_)"
EMAIL_VALUE = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
# a phone as staged (country code + 9 digits) or typed; card numbers (13 digits) are keys, not contacts
PHONE_VALUE = re.compile(r"^\+?\d{9,11}$")


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, computed here rather than by the warehouse the guard runs in."""
    previous = list(range(len(b) + 1))
    for i, left in enumerate(a, 1):
        current = [i]
        for j, right in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (left != right)))
        previous = current
    return previous[-1]


def _scalar(con, sql):
    return con.execute(sql).fetchall()[0][0]


def test_household_phones_with_conflicting_holders_link_nothing(con):
    conflicting = con.sql(
        "select node_id, holders, conflicting_name_pairs from identity.int_identifiers_screened "
        "where suppression_reason = 'conflicting_holders'"
    ).df()
    assert len(conflicting) > 0  # the demo plants household landlines on several people's cards
    assert (conflicting["conflicting_name_pairs"] > 0).all()
    # recomputed from the restricted tables: each suppressed phone has holders named far apart
    names = con.sql("""
        select distinct ids.node_id, person.first_name
        from pii.int_record_identifiers_unioned as ids
        inner join pii.int_identity_person_records as person
            on person.record_type = ids.record_type and person.record_key = ids.record_key
        where ids.identifier_type = 'phone' and person.first_name is not null
    """).df().groupby("node_id")["first_name"].apply(list)
    for node in conflicting["node_id"]:
        held = names[node]
        assert any(_edit_distance(a, b) > 2 for a in held for b in held), (node, held)
    leaked = _scalar(con, """select count(*) from identity.int_identifier_edges_built as edges
        inner join identity.int_identifiers_screened as screened using (node_id) where screened.is_suppressed""")
    assert leaked == 0


def test_every_suppressed_identifier_is_listed_with_its_reason(con):
    listed = con.sql(
        "select reason, count(*) as n from identity.identity_suppressed where suppressed_kind = 'identifier' group by 1"
    ).df().set_index("reason")["n"]
    screened = con.sql(
        "select suppression_reason as reason, count(*) as n from identity.int_identifiers_screened "
        "where is_suppressed group by 1"
    ).df().set_index("reason")["n"]
    pd.testing.assert_series_equal(listed.sort_index(), screened.sort_index(), check_names=False)
    assert listed.get("too_many_holders", 0) >= 1  # the cashier's 000000000


def test_no_customer_exceeds_the_component_size_cap(con):
    from orchestration.project import dbt_project
    import yaml

    cap = yaml.safe_load((dbt_project.project_dir / "dbt_project.yml").read_text())["vars"]["identity_max_component_holders"]
    largest = _scalar(con, """select max(n) from (select customer_id, count(*) as n from identity.int_records_resolved
        where record_type in ('web_account', 'loyalty_card', 'customer_record', 'source_customer') group by 1)""")
    assert 1 < largest <= cap


def test_bi_schemas_carry_no_personal_data(con):
    columns = con.sql(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        f"where table_schema in {OPEN_SCHEMAS}"
    ).df()
    assert {"marts", "serving", "identity"} <= set(columns["table_schema"])
    named = columns[columns["column_name"].str.lower().str.contains(PII_COLUMN)]
    assert named.empty, named
    for (schema, table), group in columns[columns["data_type"] == "VARCHAR"].groupby(["table_schema", "table_name"]):
        for column in group["column_name"]:
            values = con.sql(f'select distinct "{column}" as v from {schema}.{table} where "{column}" is not null limit 2000').df()["v"]
            leaked = values[values.str.contains(EMAIL_VALUE) | values.str.fullmatch(PHONE_VALUE)]
            assert leaked.empty, f"{schema}.{table}.{column} holds e-mails or phones: {list(leaked[:3])}"


def test_personal_data_lives_in_the_restricted_schema(con):
    pii_tables = {row[0] for row in con.execute(
        "select table_name from information_schema.tables where table_schema = 'pii'").fetchall()}
    assert {"stg_retail__web_accounts", "stg_retail__loyalty_cards", "int_record_identifiers_unioned",
            "int_identity_person_records"} <= pii_tables
    assert _scalar(con, "select count(*) from pii.int_record_identifiers_unioned where identifier_type = 'email'") > 0


def test_identity_quality_is_measured_against_the_truth(con, pipeline_run):
    quality = con.sql("select * from ml.identity_quality").df().iloc[0]
    assert quality["truth_records"] > 1000
    assert quality["customers_with_records"] > 0 and quality["largest_customer_holders"] >= 2
    assert 0 < quality["recall"] <= 1 and 0 < quality["precision"] <= 1
    checks = [e for e in pipeline_run["result"].get_asset_check_evaluations() if e.check_name == "identity_quality_targets"]
    assert len(checks) == 1
    passed = quality["precision"] >= QUALITY_TARGETS["precision"] and quality["recall"] >= QUALITY_TARGETS["recall"]
    assert checks[0].passed == passed


def test_person_records_carry_when_each_record_was_opened(con):
    # the matcher weighs the days between openings: an account's creation, a card's issue
    opened = con.sql("""
        select person.record_type, person.opened_at,
            coalesce(accounts.created_at, cards.issued_at) as stated_at
        from pii.int_identity_person_records as person
        left join pii.stg_retail__web_accounts as accounts
            on person.record_type = 'web_account' and accounts.account_id = person.record_key
        left join pii.stg_retail__loyalty_cards as cards
            on person.record_type = 'loyalty_card' and cards.card_number = person.record_key
    """).df()
    holders = opened[opened["record_type"].isin(["web_account", "loyalty_card"])]
    assert set(holders["record_type"]) == {"web_account", "loyalty_card"}
    assert holders["opened_at"].notna().all()
    assert (holders["opened_at"] == holders["stated_at"]).all()
