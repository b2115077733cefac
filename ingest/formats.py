"""The load formats: what each one reads, which raw table it feeds, and how its columns map.

A *target* is the name a user maps a file column to (``--map customer=cust_id``); each target is
one column of the format's raw table (``raw.transaction_lines`` or ``raw.customer_records``). The
demo format has no targets: it loads the generator's own tables as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.errors import LoadError
from ingest.raw_schema import CUSTOMER_TABLE, MAPPED_TABLES, TRANSACTION_TABLE

__all__ = [
    "FormatSpec",
    "FORMATS",
    "FORMAT_NAMES",
    "TARGET_COLUMNS",
    "REQUIRED_TARGETS",
    "OPTIONAL_TARGETS",
    "CUSTOMER_TARGETS",
    "CUSTOMER_ATTRIBUTES",
    "get_format",
    "normalise_name",
]

#: Order-line target -> column of raw.transaction_lines. The order is the order of messages and docs.
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

#: What a customer record may say about its person, each in the raw column of the same name.
CUSTOMER_ATTRIBUTES = ("full_name", "first_name", "surname", "dob", "email", "phone", "street", "city", "postcode")
#: Customer-record target -> column of raw.customer_records: the record's key, then its attributes.
CUSTOMER_TARGETS: dict[str, str] = {"key": "record_key", **{name: name for name in CUSTOMER_ATTRIBUTES}}


def normalise_name(name: str) -> str:
    """A header name as compared: lower case, without spaces and underscores (``Customer ID`` = ``customerid``)."""
    return "".join(ch for ch in str(name).lower() if ch not in " _\t")


@dataclass(frozen=True)
class FormatSpec:
    """One ``--format``: its raw table, default source name, targets and built-in column names.

    ``targets`` maps each target to its column of ``table``; a format without targets (demo) takes
    no mapping. ``aliases`` maps a target to the header names (any case, spaces and underscores
    ignored) that fill it without a ``--map``; the first one present in the file wins. ``required``
    targets must be filled, by an alias or a mapping, and at least one of ``requires_any`` (when
    given), or the load is refused.

    ``key_target`` holds the source system's key of a customer: it loses the float artefact
    (``17850.0`` -> ``17850``). With ``unique_key`` it must also be filled on every row and differ
    between the rows of a file (a record's identity). ``timestamp_target`` is parsed with the
    file's timestamp format.
    """

    name: str
    table: str
    default_source: str
    description: str
    targets: dict[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    key_target: str | None = None
    unique_key: bool = False
    timestamp_target: str | None = None

    @property
    def takes_mapping(self) -> bool:
        """Whether ``--map`` and ``--mapping`` apply (the format has targets)."""
        return bool(self.targets)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the format's raw table after the lineage columns (``source`` first)."""
        return MAPPED_TABLES[self.table]

    def optional_targets(self) -> tuple[str, ...]:
        """The targets that are not required, in the order of ``targets``."""
        return tuple(t for t in self.targets if t not in self.required)

    def targets_list(self) -> str:
        """Every target and what is required, as listed in an unknown-target message."""
        required = ", ".join(self.required)
        if self.requires_any:
            required += " and one or more of the others"
        return f"{', '.join(self.targets)} (required: {required})"

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
            targets=TARGET_COLUMNS,
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
            key_target="customer",
            timestamp_target="timestamp",
        ),
        FormatSpec(
            name="transactions",
            table=TRANSACTION_TABLE,
            default_source="transactions",
            description="any order-line file (CSV, XLSX or Parquet) with a column mapping",
            targets=TARGET_COLUMNS,
            required=REQUIRED_TARGETS,
            key_target="customer",
            timestamp_target="timestamp",
        ),
        FormatSpec(
            name="customers",
            table=CUSTOMER_TABLE,
            default_source="customers",
            description="customer records of a CRM or loyalty system (CSV, XLSX or Parquet) with a column mapping",
            targets=CUSTOMER_TARGETS,
            required=("key",),
            requires_any=CUSTOMER_ATTRIBUTES,
            key_target="key",
            unique_key=True,
        ),
        FormatSpec(
            name="demo",
            table="",
            default_source="demo",
            description="the demo generator's output folder (all ten raw tables, one batch)",
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
