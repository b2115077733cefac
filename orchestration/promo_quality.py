"""Promo-sensitivity quality on the demo: the model's segments against the planted truth."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ml.promo_sensitivity import PROMO_SEGMENTS
from orchestration.project import model_relation, source_relation
from orchestration.warehouse import table_exists

__all__ = ["PROMO_TARGETS", "demo_promo_scores"]

#: Targets on the demo (issue 5): precision and recall of "Promo-sensitive" vs the planted people.
PROMO_TARGETS = {"precision": 0.8, "recall": 0.8}


def _precision_recall(predicted, actual) -> tuple[float, float]:
    hits = int((predicted & actual).sum())
    return hits / max(int(predicted.sum()), 1), hits / max(int(actual.sum()), 1)


def demo_promo_scores(con: duckdb.DuckDBPyConnection, demo_folder: Path, min_orders: int) -> dict | None:
    """Precision and recall of the promo-sensitive segment against the demo's planted people.

    A merged customer is the person behind most of its orders (generator truth). Scored twice:
    over the customers the model classifies (``min_orders`` orders or more), and over every
    customer with an order, counting a posterior of at least 0.5 as promo-sensitive. None when the
    warehouse was not built from demo data.
    """
    truth = demo_folder / "truth"
    people, records = sorted((truth / "people").glob("*.parquet")), sorted((truth / "identity_records").glob("*.parquet"))
    segments = source_relation("ml", "customer_promo_segments")
    if not people or not records or not table_exists(con, segments):
        return None
    frame = con.execute(
        f"""
        with customer_person as (
            select orders.customer_id, mode(truth.person_id) as person_id
            from {model_relation('fct_orders')} as orders
            inner join read_parquet(?) as truth
                on truth.record_type = 'order' and truth.record_key = cast(orders.source_order_id as varchar)
            where orders.customer_id is not null and orders.source = 'demo'
            group by orders.customer_id
        )
        select segments.orders, segments.promo_probability, segments.promo_segment, people.is_promo_sensitive
        from {segments} as segments
        inner join customer_person using (customer_id)
        inner join read_parquet(?) as people using (person_id)
        where segments.promo_probability is not null
        """,
        [[str(f) for f in records], [str(f) for f in people]],
    ).df()
    if frame.empty:
        return None
    actual = frame["is_promo_sensitive"].to_numpy(dtype=bool)
    classified = (frame["orders"] >= min_orders).to_numpy()
    predicted = (frame["promo_segment"] == PROMO_SEGMENTS["sensitive"]).to_numpy()
    precision, recall = _precision_recall(predicted[classified], actual[classified])
    precision_all, recall_all = _precision_recall((frame["promo_probability"] >= 0.5).to_numpy(), actual)
    return {
        "customers_classified": int(classified.sum()),
        "precision": precision,
        "recall": recall,
        "customers_with_orders": len(frame),
        "precision_all_buyers": precision_all,
        "recall_all_buyers": recall_all,
    }
