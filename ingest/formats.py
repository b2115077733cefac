"""The load formats: what each one reads, which raw table it feeds, and how its columns map.

A *target* is the name a user maps a file column to (``--map customer=cust_id``); each target is
one column of ``raw.transaction_lines``. The demo format has no targets: it loads the generator's
own tables as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.errors import LoadError
from ingest.raw_schema import TRANSACTION_TABLE

__all__ = [
    "FormatSpec",
    "FORMATS",
    "FORMAT_NAMES",
    "TARGET_COLUMNS",
    "REQUIRED_TARGETS",
    "OPTIONAL_TARGETS",
    "get_format",
    "normalise_name",
]

#: Target -> column of raw.transaction_lines. The order is the order of messages and docs.
TARGET_COLUMNS: dict[str, str] = {
    "customer": "customer_key",
    "order": "order_id",
    "timestamp": "ordered_at",
    "product": "product_id",
    "quantity": "quantity",
    "price": "unit_price",
    "channel": "channel",
    "discount": "discount",
    "store": "store_id",
    "product_name": "product_name",
    "category": "category",
    "brand": "brand",
    "country": "country",
}
REQUIRED_TARGETS = ("customer", "order", "timestamp", "product", "quantity", "price")
OPTIONAL_TARGETS = tuple(t for t in TARGET_COLUMNS if t not in REQUIRED_TARGETS)


def normalise_name(name: str) -> str:
    """A header name as compared: lower case, without spaces and underscores (``Customer ID`` = ``customerid``)."""
    return "".join(ch for ch in str(name).lower() if ch not in " _\t")


@dataclass(frozen=True)
class FormatSpec:
    """One ``--format``: its raw table, default source name and built-in column names.

    ``aliases`` maps a target to the header names (any case, spaces and underscores ignored) that
    fill it without a ``--map``; the first one present in the file wins. ``required`` targets
    must be filled, by an alias or a mapping, or the load is refused.
    """

    name: str
    table: str
    default_source: str
    description: str
    required: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    takes_mapping: bool = True

    def expected_columns(self) -> str:
        """The built-in header names, as listed in a missing-columns message."""
        if not self.aliases:
            return ", ".join(f"{t}=COLUMN" for t in self.required)
        return ", ".join(" or ".join(names) for names in self.aliases.values())


FORMATS: dict[str, FormatSpec] = {
    spec.name: spec
    for spec in (
        FormatSpec(
            name="online-retail",
            table=TRANSACTION_TABLE,
            default_source="online_retail",
            description="UCI Online Retail / Online Retail II invoice lines (CSV, XLSX or Parquet)",
            required=("order", "product", "product_name", "quantity", "timestamp", "price", "customer", "country"),
            # Online Retail (2011) spells InvoiceNo/UnitPrice/CustomerID, Online Retail II (2019)
            # Invoice/Price/"Customer ID": both are in circulation, with local re-spellings.
            aliases={
                "order": ("InvoiceNo", "Invoice"),
                "product": ("StockCode",),
                "product_name": ("Description",),
                "quantity": ("Quantity",),
                "timestamp": ("InvoiceDate",),
                "price": ("UnitPrice", "Price"),
                "customer": ("CustomerID", "Customer ID"),
                "country": ("Country",),
            },
        ),
        FormatSpec(
            name="transactions",
            table=TRANSACTION_TABLE,
            default_source="transactions",
            description="any order-line file (CSV, XLSX or Parquet) with a column mapping",
            required=REQUIRED_TARGETS,
        ),
        FormatSpec(
            name="demo",
            table="",
            default_source="demo",
            description="the demo generator's output folder (all ten raw tables, one batch)",
            takes_mapping=False,
        ),
    )
}
FORMAT_NAMES = tuple(FORMATS)


def get_format(name: str) -> FormatSpec:
    """The spec of format ``name``; a :class:`LoadError` listing the formats if there is none."""
    try:
        return FORMATS[name]
    except KeyError:
        raise LoadError(f"unknown format {name!r}; formats: {', '.join(FORMAT_NAMES)}") from None
