"""Every table's columns and types equal the contract in docs/demo-data.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from datagen_testkit import build, connect

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo-data.md"


def _contract() -> tuple[dict[str, list[tuple[str, str]]], dict[str, list[str]]]:
    """Parse the raw (name, type) table and the truth column lists out of the markdown."""
    text = DOC.read_text()
    raw_part, truth_part = text.split("## Truth tables")
    raw: dict[str, list[tuple[str, str]]] = {}
    table = None
    for line in raw_part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] == "table" or set(cells[0]) <= {"-"} and cells[1].startswith("-"):
            continue
        table = cells[0] or table
        names = [n.strip() for n in cells[1].split(",")]
        types = [t.strip() for t in cells[2].split(",")]
        if len(types) == 1:
            types = types * len(names)
        raw.setdefault(table, []).extend(zip(names, types))
    truth: dict[str, list[str]] = {}
    for line in truth_part.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] not in ("table", "") and not cells[0].startswith("-"):
            truth[cells[0]] = [c.strip() for c in cells[1].split(",")]
    return raw, truth


RAW, TRUTH = _contract()


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    return connect(build(tmp_path_factory.mktemp("schema"), people=1_500))


def test_contract_parsed():
    assert len(RAW) == 10 and len(TRUTH) == 6
    assert ("order_id", "BIGINT") in RAW["returns"] and ("line_number", "INTEGER") in RAW["returns"]


@pytest.mark.parametrize("table", sorted(RAW))
def test_raw_schema_equals_contract(con, table):
    got = [(r[0], r[1]) for r in con.execute(f"describe {table}").fetchall()]
    assert got == RAW[table]


@pytest.mark.parametrize("table", sorted(TRUTH))
def test_truth_columns_equal_contract(con, table):
    got = [r[0] for r in con.execute(f"describe t_{table}").fetchall()]
    assert got == TRUTH[table]


def test_id_formats(con):
    assert con.execute(r"select count(*) from products where not regexp_full_match(sku, 'SKU\d{6}')").fetchall()[0][0] == 0
    assert con.execute(r"select count(*) from stores where not regexp_full_match(store_id, 'ST\d{3}')").fetchall()[0][0] == 0
    assert con.execute(r"select count(*) from web_accounts where not regexp_full_match(account_id, 'A\d{9}')").fetchall()[0][0] == 0
    assert con.execute(r"select count(*) from loyalty_cards where not regexp_full_match(card_number, '\d{13}')").fetchall()[0][0] == 0
    assert con.execute("select count(*) from products where target_gender not in ('women', 'men', 'unisex')").fetchall()[0][0] == 0
    assert con.execute("select count(*) from orders where channel not in ('web', 'store')").fetchall()[0][0] == 0
