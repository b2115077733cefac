"""Arrow schemas of every output table, matching ``docs/demo-data.md``."""

from __future__ import annotations

import pyarrow as pa

__all__ = ["RAW_SCHEMAS", "TRUTH_SCHEMAS"]

_S, _TS, _F, _I32, _I64 = pa.string(), pa.timestamp("us"), pa.float64(), pa.int32(), pa.int64()


def _schema(*fields: tuple[str, pa.DataType]) -> pa.Schema:
    return pa.schema([pa.field(name, typ) for name, typ in fields])


_PROFILE = (("first_name", _S), ("last_name", _S), ("gender", _S), ("birth_year", _I32), ("city", _S))

#: Raw tables: what the retailer's systems export (the pipeline reads these).
RAW_SCHEMAS: dict[str, pa.Schema] = {
    "products": _schema(("sku", _S), ("product_name", _S), ("department", _S), ("category", _S), ("brand", _S),
                        ("target_gender", _S), ("list_price", _F), ("unit_cost", _F), ("launched_on", pa.date32())),
    "stores": _schema(("store_id", _S), ("city", _S)),
    "web_accounts": _schema(("account_id", _S), ("created_at", _TS), ("email", _S), ("phone", _S), *_PROFILE),
    "loyalty_cards": _schema(("card_number", _S), ("issued_at", _TS), ("store_id", _S), ("phone", _S),
                             ("email", _S), *_PROFILE),
    "orders": _schema(("order_id", _I64), ("ordered_at", _TS), ("channel", _S), ("account_id", _S),
                      ("guest_email", _S), ("card_number", _S), ("store_id", _S)),
    "order_lines": _schema(("order_id", _I64), ("line_number", _I32), ("sku", _S), ("quantity", _I32),
                           ("unit_list_price", _F), ("unit_price", _F), ("discount_pct", _F), ("promotion_id", _S)),
    "returns": _schema(("return_id", _I64), ("order_id", _I64), ("line_number", _I32), ("returned_at", _TS),
                       ("quantity", _I32), ("channel", _S), ("reason", _S)),
    "web_views": _schema(("view_id", _I64), ("viewed_at", _TS), ("account_id", _S), ("sku", _S)),
    "campaign_contacts": _schema(("contact_id", _I64), ("campaign_id", _S), ("email", _S), ("offer", _S),
                                 ("sent_at", _TS), ("opened_at", _TS), ("clicked_at", _TS)),
    "callcenter_contacts": _schema(("contact_id", _I64), ("contacted_at", _TS), ("phone", _S),
                                   ("card_number", _S), ("reason", _S)),
}

#: Truth tables: what the generator planted (the pipeline never reads these).
TRUTH_SCHEMAS: dict[str, pa.Schema] = {
    "people": _schema(("person_id", _I64), ("gender", _S), ("birth_year", _I32), ("city", _S),
                      ("city_size_band", _S), ("household_id", _I64), ("is_promo_sensitive", pa.bool_()),
                      ("churned_at", _TS)),
    "identity_records": _schema(("record_type", _S), ("record_key", _S), ("person_id", _I64)),
    "basket_affinities": _schema(("level", _S), ("antecedent", _S), ("consequent", _S), ("probability", _F)),
    "sequences": _schema(("antecedent_category", _S), ("consequent_category", _S), ("gap_weeks", _I32),
                         ("probability", _F)),
    "seasonality": _schema(("month", _I32), ("weight", _F)),
    "promotions": _schema(("promotion_id", _S), ("starts_on", pa.date32()), ("ends_on", pa.date32()),
                          ("discount_pct", _F)),
}
