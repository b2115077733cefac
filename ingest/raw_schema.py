"""The raw schema: an append-only event log, written only by the loaders in this package.

Every raw table carries ``_batch_id`` (the load batch that brought the row, see ``load_batches``)
and ``_source_row`` (1-based position of the row in its file, the header not counted). Rows are
only ever inserted, never updated or deleted: the dbt staging models type and validate them, and
anything unusable goes to a quarantine table rather than away.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from datagen.schemas import RAW_SCHEMAS

__all__ = [
    "RAW_SCHEMA",
    "BATCH_TABLE",
    "TRANSACTION_TABLE",
    "TRANSACTION_COLUMNS",
    "CUSTOMER_TABLE",
    "CUSTOMER_COLUMNS",
    "MAPPED_TABLES",
    "DEMO_TABLES",
    "LINEAGE_COLUMNS",
    "raw_table_ddl",
    "ensure_raw_schema",
    "RawSchemaError",
]

RAW_SCHEMA = "raw"
BATCH_TABLE = "load_batches"
TRANSACTION_TABLE = "transaction_lines"
CUSTOMER_TABLE = "customer_records"

#: The two columns every raw table (except ``load_batches``) starts with.
LINEAGE_COLUMNS = ("_batch_id", "_source_row")

#: Canonical order-line columns of ``raw.transaction_lines``. Every value is kept as text exactly as
#: read (a typed Parquet column is cast to text), so that a bad value is quarantined by staging
#: with its reason instead of failing the load. ``source`` is the source system's name.
TRANSACTION_COLUMNS = (
    "source",
    "customer_key",
    "order_id",
    "ordered_at",
    "product_id",
    "quantity",
    "unit_price",
    "channel",
    "discount",
    "store_id",
    "product_name",
    "category",
    "brand",
    "country",
)

#: Customer record columns of ``raw.customer_records`` (a CRM's or loyalty system's people), text as
#: read like the order lines: names, dates of birth and addresses are typed and folded in staging.
CUSTOMER_COLUMNS = (
    "source",
    "record_key",
    "full_name",
    "first_name",
    "surname",
    "dob",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
)

#: The tables the mapped formats append to, with their columns after the lineage columns: all text.
MAPPED_TABLES: dict[str, tuple[str, ...]] = {
    TRANSACTION_TABLE: TRANSACTION_COLUMNS,
    CUSTOMER_TABLE: CUSTOMER_COLUMNS,
}

#: The demo generator's tables keep the generator's own column types.
DEMO_TABLES = tuple(RAW_SCHEMAS)

_DUCKDB_TYPES = {
    pa.string(): "varchar",
    pa.timestamp("us"): "timestamp",
    pa.float64(): "double",
    pa.int32(): "integer",
    pa.int64(): "bigint",
    pa.date32(): "date",
    pa.bool_(): "boolean",
}

_BATCH_COLUMNS = (
    ("batch_id", "bigint primary key"),
    ("format", "varchar not null"),
    ("source", "varchar not null"),
    ("file_name", "varchar not null"),
    ("file_path", "varchar not null"),
    ("file_hash", "varchar not null"),
    ("row_count", "bigint not null"),
    ("loaded_at", "timestamp not null"),
    ("options", "varchar"),
)


def raw_table_ddl() -> dict[str, str]:
    """``create table if not exists`` statements for every raw table, keyed by table name."""
    lineage = ["_batch_id bigint not null", "_source_row bigint not null"]
    tables: dict[str, list[str]] = {BATCH_TABLE: [f"{name} {typ}" for name, typ in _BATCH_COLUMNS]}
    for table, columns in MAPPED_TABLES.items():
        tables[table] = lineage + [f"{name} varchar" for name in columns]
    for table, schema in RAW_SCHEMAS.items():
        tables[table] = lineage + [f"{field.name} {_DUCKDB_TYPES[field.type]}" for field in schema]
    return {
        table: f"create table if not exists {RAW_SCHEMA}.{table} ({', '.join(columns)})"
        for table, columns in tables.items()
    }


class RawSchemaError(RuntimeError):
    """The warehouse's raw tables are not the layout this version of Loyalist writes."""


def _check_existing_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse raw tables without the lineage columns (a warehouse from before load batches).

    Appending to them would fail deep inside a load or a dbt build; say what to do instead.
    """
    rows = con.execute(
        "select table_name, list(column_name) from information_schema.columns "
        "where table_schema = ? and table_catalog = current_database() group by table_name",
        [RAW_SCHEMA],
    ).fetchall()
    stale = sorted(table for table, columns in rows if table != BATCH_TABLE and "_batch_id" not in columns)
    if stale:
        path = con.execute("select path from duckdb_databases() where database_name = current_database()").fetchall()
        where = path[0][0] if path and path[0][0] else "this warehouse"
        names = ", ".join(f"{RAW_SCHEMA}.{table}" for table in stale)
        verb = "has" if len(stale) == 1 else "have"
        raise RawSchemaError(
            f"{names} {verb} no _batch_id column: {where} was written by an older Loyalist, before the "
            "append-only raw log. Start a new warehouse, with `make clean` or by pointing LOYALIST_WAREHOUSE at a new "
            "file, and load the data again."
        )


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schema and any missing raw table (empty); never touches existing rows.

    Raises RawSchemaError when existing raw tables predate the load-batch layout.
    """
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    _check_existing_layout(con)
    for ddl in raw_table_ddl().values():
        con.execute(ddl)
