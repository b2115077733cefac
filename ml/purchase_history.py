"""Purchase history staged once per asset, and the customer features at any cut-off.

The scores are trained on many earlier cut-offs (labels that end before the run's as_of) and
applied at as_of, so features are computed for a list of cut-offs in one query over compact temp
tables: customers and products coded as integers, one row per customer and purchase day. A
*purchase* is a product sale line (quantity > 0) of a known customer in fct_order_lines; postage,
fees and returns are not purchases, and a purchase invoice is an order with one.
"""

from collections.abc import Sequence
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ml.frames import as_dates, fetch_frame

__all__ = ["stage_history", "customer_features_at", "purchasers_between", "history_span", "FEATURE_COLUMNS", "LAG_WINDOWS"]

#: Purchase-day counts in the last d days.
RECENT_WINDOWS = (7, 14, 30, 60, 90, 180)
#: Purchase days in the 14 days that ended L days before the cut-off: a customer who buys every
#: four weeks or every quarter shows it here.
LAG_WINDOWS = (28, 42, 56, 91)

#: Model features, in order (see customer_features_at).
FEATURE_COLUMNS = [
    "recency_days", "tenure_days", "purchase_days", "orders", "revenue", "lines",
    *(f"days_{d}" for d in RECENT_WINDOWS), "revenue_90", *(f"days_lag_{lag}" for lag in LAG_WINDOWS),
    "mean_gap", "gap_std", "last_gap", "gap_ratio", "days_overdue", "active_window_share", "avg_order_value",
    "return_lines", "return_share",
]


def stage_history(con: duckdb.DuckDBPyConnection, order_lines: str) -> None:
    """Create the temp tables the features, labels and recommendations read.

    ``h_customers`` / ``h_products``: integer codes; ``h_lines``: purchase lines (ckey, pkey, day,
    order_id, quantity, amount, discount); ``h_days``: one row per customer and purchase day with
    its invoices, lines, revenue and the gap in days since the previous purchase day;
    ``h_returns``: returned product lines (ckey, pkey, day).
    """
    # tables derived from an earlier staging on this connection are stale now
    con.execute("drop table if exists h_product_days")
    con.execute("drop table if exists h_stats_cutoffs")
    con.execute(f"""
        create or replace temp table h_purchase_source as
        select customer_id, product_id, cast(event_at as date) as day, order_id,
               quantity, amount, coalesce(discount_pct, 0) as discount
        from {order_lines}
        where event_type = 'sale' and is_product and quantity > 0 and customer_id is not null
    """)
    con.execute("""
        create or replace temp table h_customers as
        select row_number() over (order by customer_id) - 1 as ckey, customer_id
        from (select distinct customer_id from h_purchase_source)
    """)
    con.execute(f"""
        create or replace temp table h_products as
        select row_number() over (order by product_id) - 1 as pkey, product_id
        from (select distinct product_id from {order_lines} where is_product and product_id is not null)
    """)
    con.execute("""
        create or replace temp table h_lines as
        select c.ckey, p.pkey, s.day, s.order_id, s.quantity, s.amount, s.discount
        from h_purchase_source as s
        join h_customers as c using (customer_id)
        join h_products as p using (product_id)
        -- in customer order: a query for a range of customers then reads only their row groups
        order by c.ckey, s.day
    """)
    con.execute("drop table h_purchase_source")
    con.execute("""
        create or replace temp table h_days as
        select ckey, day, orders, lines, revenue,
               day - lag(day) over (partition by ckey order by day) as gap
        from (
            -- revenues rounded here and in the features: a float sum's last bits depend on the order
            -- DuckDB's threads add in, and equal revenues must stay equal (a tree split between 15.0
            -- and 15.000000000007 changed a run as of T when events after T were loaded)
            select ckey, day, count(distinct order_id) as orders, count(*) as lines, round(sum(amount), 6) as revenue
            from h_lines group by ckey, day
        )
    """)
    con.execute(f"""
        create or replace temp table h_returns as
        select c.ckey, p.pkey, cast(r.event_at as date) as day
        from {order_lines} as r
        join h_customers as c using (customer_id)
        join h_products as p using (product_id)
        where r.event_type = 'return' and r.is_product
    """)


def history_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last purchase day staged (None, None when there is no purchase)."""
    first, last = con.execute("select min(day), max(day) from h_days").fetchall()[0]
    return first, last


def _cutoff_table(con, cutoffs: Sequence[date]) -> None:
    con.execute("create or replace temp table h_cutoffs (cutoff date)")
    con.executemany("insert into h_cutoffs values (?)", [[c] for c in cutoffs])


def customer_features_at(
    con: duckdb.DuckDBPyConnection, cutoffs: Sequence[date], sample_share: float = 1.0
) -> pd.DataFrame:
    """Features of every customer with a purchase before each cut-off: one row per (cutoff, ckey).

    Only days strictly before a cut-off count. ``sample_share`` < 1 keeps a fixed pseudo-random
    share of customers (the same ones at every cut-off), which bounds training time at scale.
    """
    _cutoff_table(con, cutoffs)
    recent = ", ".join(f"count(*) filter (where t.cutoff - d.day <= {w}) as days_{w}" for w in RECENT_WINDOWS)
    lags = ", ".join(
        f"count(*) filter (where t.cutoff - d.day > {lag - 14} and t.cutoff - d.day <= {lag}) as days_lag_{lag}"
        for lag in LAG_WINDOWS
    )
    sample = "" if sample_share >= 1 else f"and hash(d.ckey) % 1000000 < {int(sample_share * 1_000_000)}"
    frame = fetch_frame(con, f"""
        with features as (
            select t.cutoff, d.ckey,
                   min(t.cutoff - d.day) as recency_days,
                   max(t.cutoff - d.day) as tenure_days,
                   count(*) as purchase_days,
                   sum(d.orders) as orders,
                   round(sum(d.revenue), 6) as revenue,
                   sum(d.lines) as lines,
                   {recent},
                   round(coalesce(sum(d.revenue) filter (where t.cutoff - d.day <= 90), 0), 6) as revenue_90,
                   {lags},
                   stddev_samp(d.gap) as gap_std,
                   arg_max(d.gap, d.day) as last_gap,
                   count(distinct (t.cutoff - d.day - 1) // 14) as active_windows
            from h_days as d join h_cutoffs as t on d.day < t.cutoff
            where true {sample}
            group by t.cutoff, d.ckey
        ),
        returned as (
            select t.cutoff, r.ckey, count(*) as return_lines
            from h_returns as r join h_cutoffs as t on r.day < t.cutoff
            group by t.cutoff, r.ckey
        )
        select features.*, coalesce(returned.return_lines, 0) as return_lines
        from features left join returned using (cutoff, ckey)
        order by features.cutoff, features.ckey
    """)
    repeat = frame["purchase_days"] > 1
    frame["mean_gap"] = np.where(repeat, (frame["tenure_days"] - frame["recency_days"]) / (frame["purchase_days"] - 1).clip(lower=1), np.nan)
    frame["gap_ratio"] = frame["recency_days"] / frame["mean_gap"]
    frame["days_overdue"] = frame["recency_days"] - frame["mean_gap"]
    frame["active_window_share"] = frame["active_windows"] / ((frame["tenure_days"] - 1) // 14 + 1)
    frame["avg_order_value"] = frame["revenue"] / frame["orders"]
    frame["return_share"] = frame["return_lines"] / (frame["lines"] + frame["return_lines"])
    frame["cutoff"] = as_dates(frame["cutoff"])
    return frame.drop(columns=["active_windows"])


def purchasers_between(con: duckdb.DuckDBPyConnection, start: date, end: date) -> np.ndarray:
    """Customer codes with a purchase day in [start, end)."""
    rows = con.execute("select distinct ckey from h_days where day >= ? and day < ?", [start, end]).fetchnumpy()
    return rows["ckey"]
