"""Property: any CSV the csv module writes loads with every row exactly once, in place, verbatim.

"Verbatim" modulo the documented normalisations: '' is NULL, a customer key like ``12.0`` is
``12``, a timestamp that parses with the detected format is ``YYYY-MM-DD HH:MM:SS``.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_testkit import transaction_rows, write_csv

from ingest.load import load_file
from ingest.normalise import TIMESTAMP_CANDIDATES

HEADER = ["cust", "order", "ts", "sku", "qty", "price", "name", "country"]
MAPPING = {"customer": "cust", "order": "order", "timestamp": "ts", "product": "sku", "quantity": "qty",
           "price": "price", "product_name": "name", "country": "country"}
PATTERNS = [p for _, patterns in TIMESTAMP_CANDIDATES for p in patterns]

# Any text a spreadsheet could hold: commas, quotes, newlines, spaces, accents, emoji (no NUL or
# lone surrogates, which no UTF-8 file holds).
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
numbers = st.one_of(st.integers(-10**6, 10**6).map(str), st.floats().map(repr),
                    st.sampled_from(["1,5", "1e3", "-", "."]), text)
customers = st.one_of(st.integers(-10**9, 10**9).map(str), st.integers(0, 10**9).map(lambda i: f"{i}.0"),
                      st.integers(0, 99).map(lambda i: f"{i}.000"), st.just("12.50"), text)
junk_dates = st.one_of(st.text("abcxyz -/:T", max_size=10),
                       st.sampled_from(["2024-13-45 10:00", "31/02/2024 10:00", "2024-02-30 23:00:00", "soon"]))
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2040, 12, 31))


@st.composite
def files(draw):
    """Rows whose timestamps are written in one candidate format, with junk and blanks mixed in."""
    pattern = draw(st.sampled_from(PATTERNS))
    stamp = st.one_of(moments.map(lambda m: m.strftime(pattern)), junk_dates, st.just(""))
    row = st.tuples(customers, text, stamp, text, numbers, numbers, text, text).map(list)
    return draw(st.lists(row, min_size=1, max_size=25))


def _expected_timestamps(values: list[str]) -> list[str | None]:
    """The documented rule: the candidate parsing most values (earliest on a tie) rewrites them."""
    def parses(value: str, patterns: tuple[str, ...]) -> datetime | None:
        for pattern in patterns:
            try:
                return datetime.strptime(value, pattern)
            except ValueError:
                continue
        return None

    present = [v for v in values if v]
    counts = [sum(parses(v, patterns) is not None for v in present) for _, patterns in TIMESTAMP_CANDIDATES]
    best = max(range(len(counts)), key=lambda i: (counts[i], -i))
    expected = []
    for value in values:
        parsed = parses(value, TIMESTAMP_CANDIDATES[best][1]) if value and counts[best] else None
        expected.append(parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else (value or None))
    return expected


def _expected_customer(value: str) -> str | None:
    if re.fullmatch(r"-?[0-9]+\.0+", value):
        return value.split(".")[0]
    return value or None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=files())
def test_every_row_lands_once_in_place_and_verbatim(rows):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "random.csv", HEADER, rows)
        con = duckdb.connect(str(Path(tmp) / "warehouse.duckdb"))
        try:
            result = load_file(con, "transactions", path, mapping=MAPPING)
            loaded = transaction_rows(con)
        finally:
            con.close()

    assert result.rows == len(rows) == len(loaded)
    assert [r["_source_row"] for r in loaded] == list(range(1, len(rows) + 1))
    timestamps = _expected_timestamps([r[2] for r in rows])
    for row, got, when in zip(rows, loaded, timestamps):
        cust, order, _, sku, qty, price, name, country = row
        assert got["customer_key"] == _expected_customer(cust)
        assert got["ordered_at"] == when
        assert (got["order_id"], got["product_id"], got["quantity"], got["unit_price"], got["product_name"],
                got["country"]) == tuple(v or None for v in (order, sku, qty, price, name, country))
        assert (got["channel"], got["discount"], got["store_id"], got["source"]) == (None, None, None, "transactions")
