"""The whole pipeline on real data no one here wrote: UCI Online Retail.

Counts come from the dataset's SOURCE.md and are recomputed from the raw file where possible. The
duplicate rule (written down in docs/loading.md): a row whose every loaded value equals an earlier
row's is quarantined as duplicate_event; the first copy is kept.
"""

import pytest
from or_testkit import ONLINE_RETAIL


def _one(con, sql):
    return con.execute(sql).fetchall()[0][0]


def test_the_run_succeeds_and_the_reconciliation_check_passes(online_retail_run):
    result = online_retail_run["result"]
    assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["load_batches_reconcile"].passed
    # the dbt test of the same rule ran as a check too
    assert checks["assert_load_batches_reconcile"].passed


def test_every_raw_row_is_staged_or_quarantined(or_con):
    row = or_con.execute(
        "select declared_rows, raw_rows, staged_rows, quarantined_rows, is_reconciled from audit.load_reconciliation"
    ).fetchall()
    assert row == [(541_909, 541_909, 541_909 - 5_270, 5_270, True)]


def test_quarantine_holds_the_duplicates_and_the_negative_prices(or_con):
    reasons = dict(or_con.execute("select reason, count(*) from audit.quarantined_rows group by reason").fetchall())
    # 5,268 extra copies of exact duplicates (SOURCE.md); two "Adjust bad debt" rows with a negative price
    assert reasons == {"duplicate_event": 5_268, "negative_price": 2}
    exact_copies = _one(
        or_con,
        f"select count(*) - (select count(*) from (select distinct * from read_parquet('{ONLINE_RETAIL}'))) "
        f"from read_parquet('{ONLINE_RETAIL}')",
    )
    assert reasons["duplicate_event"] == exact_copies
    # every quarantined row names its batch and its row in the file
    assert _one(or_con, "select count(*) from audit.quarantined_rows where load_batch_id is null or source_row is null") == 0


def test_customers_and_their_source_keys(or_con):
    assert _one(or_con, "select count(*) from marts.dim_customer_keys where source = 'online_retail'") == 4_372
    assert _one(or_con, "select count(*) from marts.dim_customers") == 4_372
    assert _one(or_con, "select count(*) from marts.dim_customer_keys where source_customer_key = '17850'") == 1
    # the way back: 17850's merged customer has its orders
    orders = _one(
        or_con,
        """
        select count(*) from marts.fct_orders
        where customer_id = (select customer_id from marts.dim_customer_keys where source_customer_key = '17850')
            and document_type = 'order'
        """,
    )
    assert orders > 0
    # 4,339 customers have at least one non-cancelled line (SOURCE.md)
    assert _one(or_con, "select count(*) from marts.customer_rfm") == 4_339


def test_invoices_and_cancellations(or_con):
    documents = dict(or_con.execute("select document_type, count(*) from marts.fct_orders group by 1").fetchall())
    cancelled = _one(or_con, f"select count(distinct InvoiceNo) from read_parquet('{ONLINE_RETAIL}') where InvoiceNo like 'C%'")
    assert documents["return"] == cancelled == 3_836
    # every one of the 25,900 invoices is a document in fct_orders, a write-off only, or quarantined only
    accounted = _one(
        or_con,
        """
        select count(distinct source_order_id) from (
            select source_order_id from marts.fct_orders
            union all select source_order_id from staging.stg_transactions__lines
            union all select order_id from audit.quarantined_rows
        )
        """,
    )
    assert accounted == 25_900
    # a cancellation is a return of the customer's product, negative quantity and amount
    returns = or_con.execute(
        """
        select count(*), max(quantity), max(amount), count(customer_id)
        from marts.fct_order_lines where event_type = 'return'
        """
    ).fetchall()[0]
    c_lines = _one(or_con, f"select count(*) from read_parquet('{ONLINE_RETAIL}') where InvoiceNo like 'C%'")
    c_with_customer = _one(
        or_con, f"select count(*) from read_parquet('{ONLINE_RETAIL}') where InvoiceNo like 'C%' and CustomerID is not null"
    )
    duplicate_c = _one(or_con, "select count(*) from audit.quarantined_rows where order_id like 'C%'")
    assert returns[0] == c_lines - duplicate_c
    assert returns[1] < 0 and returns[2] <= 0
    assert returns[3] == c_with_customer - _one(
        or_con, "select count(*) from audit.quarantined_rows where order_id like 'C%' and customer_key is not null"
    )


def test_write_offs_are_counted_and_kept_out_of_customer_marts(or_con):
    assert _one(or_con, "select write_off_rows from audit.load_reconciliation") == 1_336
    leaked = _one(
        or_con,
        """
        select count(*) from marts.fct_order_lines
        where line_event_id in (select line_id from staging.stg_transactions__lines where line_type = 'write_off')
        """,
    )
    assert leaked == 0


def test_non_product_lines_stay_in_revenue_but_out_of_products(or_con):
    kinds = dict(or_con.execute("select product_id, line_kind from marts.dim_products where not is_product").fetchall())
    assert kinds["POST"] == "postage" and kinds["AMAZONFEE"] == "fee" and kinds["M"] == "manual_adjustment"
    assert _one(or_con, "select count(*) from marts.dim_products where product_id = '85123A' and is_product") == 1
    postage = _one(or_con, "select count(*) from marts.fct_order_lines where product_id = 'POST' and not is_product")
    assert postage > 0
    # revenue reconciles: staged sales and returns = line events = documents
    staged, lines, documents = or_con.execute(
        """
        select
            (select sum(quantity * unit_price) from staging.stg_transactions__lines where line_type <> 'write_off'),
            (select sum(amount) from marts.fct_order_lines),
            (select sum(net_amount) from marts.fct_orders)
        """
    ).fetchall()[0]
    assert staged == pytest.approx(lines, abs=0.01) and lines == pytest.approx(documents, abs=0.01)


def test_every_customer_with_an_order_has_a_segment(or_con):
    missing = _one(
        or_con,
        """
        select count(*) from marts.customer_rfm
        left join ml.customer_segments using (customer_id)
        where customer_segments.segment_id is null
        """,
    )
    assert missing == 0
    assert _one(or_con, "select count(*) from serving.customer_360") == 4_372
    assert _one(or_con, "select count(distinct segment_name) from serving.customer_360") >= 4
