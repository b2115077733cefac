"""The purchase baskets of the UCI Online Retail file, read straight from the file.

The independent side of the checks on the rule miner (tests against mlxtend, the benchmark, the
Online Retail pipeline test): one line per (invoice, stock code) bought, by the warehouse's own rule
for what is a product, the dbt seed ``non_product_codes``, so that every check mines the same
baskets as ``marts.basket_lines``.
"""

from pathlib import Path

import duckdb
import pandas as pd

from orchestration.settings import DBT_PROJECT_DIR

__all__ = ["NON_PRODUCT_CODES", "purchase_lines"]

#: The warehouse's rule for postage, fees and adjustments (exact codes and prefixes).
NON_PRODUCT_CODES = DBT_PROJECT_DIR / "seeds" / "non_product_codes.csv"


def purchase_lines(path: Path) -> pd.DataFrame:
    """Distinct (invoice, product_id) of the file's purchases: not a cancellation (``C...``),
    quantity > 0, and a product code (not matched by the seed non_product_codes)."""
    if not Path(path).exists():
        raise FileNotFoundError(f"Online Retail not found at {path} (../shared must sit beside the repo)")
    return duckdb.sql(f"""
        with codes as (select * from read_csv('{NON_PRODUCT_CODES}', all_varchar = true))
        select distinct InvoiceNo as invoice, StockCode as product_id from read_parquet('{path}') as r
        where InvoiceNo not like 'C%' and Quantity > 0 and StockCode is not null
            and not exists (select 1 from codes where (match_type = 'exact' and r.StockCode = code)
                                                   or (match_type = 'prefix' and starts_with(r.StockCode, code)))
        order by invoice, product_id
    """).df()
