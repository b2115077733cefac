"""A purchase history in an in-memory DuckDB, shaped like marts.fct_order_lines, for the score modules."""

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from ml.purchase_history import stage_history

COLUMNS = ["event_type", "is_product", "customer_id", "product_id", "order_id", "event_at", "quantity", "amount", "discount_pct"]


def line(customer, product, day: date, order=None, event="sale", quantity=1, amount=10.0, discount=None, is_product=True):
    """One fct_order_lines row (a return has event 'return' and a negative quantity)."""
    order = order or f"{customer}-{day.isoformat()}"
    return (event, is_product, customer, product, order, pd.Timestamp(day), quantity, amount, discount)


def staged(rows) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the rows as table fct_order_lines and stage_history's temp tables."""
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    con.register("source_frame", frame)
    con.execute("create table fct_order_lines as select * from source_frame")
    con.unregister("source_frame")
    stage_history(con, "fct_order_lines")
    return con


def regulars_and_lapsed(start: date, days: int, seed: int = 0, customers: int = 400):
    """Half the customers buy every 7-10 days all along; the other half stop after a random day.

    Each purchase is one of 30 products, with product 'P0' bought by the regulars every time.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        regular = c % 2 == 0
        stop = days if regular else int(rng.integers(30, days))
        day = int(rng.integers(0, 10))
        while day < stop:
            when = start + timedelta(days=day)
            rows.append(line(f"c{c}", "P0" if regular else f"P{int(rng.integers(1, 30))}", when))
            rows.append(line(f"c{c}", f"P{int(rng.integers(1, 30))}", when))
            day += int(rng.integers(7, 11)) if regular else int(rng.integers(5, 40))
    return rows
