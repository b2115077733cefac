"""What a run produced, for people: stage times, rows per mart, segments, identity quality."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import DagsterEventType, DagsterInstance

from orchestration.project import model_relation, source_relation
from orchestration.warehouse import row_count, table_exists

__all__ = [
    "step_durations",
    "mart_row_counts",
    "segment_table",
    "segmentation_quality",
    "load_summary",
    "identity_summary",
    "format_summary",
]

# Columns of the printed segment table (the full profile is in the warehouse).
SEGMENT_SUMMARY_COLUMNS = [
    "segment_id", "segment_name", "customers", "customer_share", "revenue", "revenue_share",
    "margin", "margin_share", "mean_recency_days", "mean_frequency", "mean_monetary",
]

# Marts a user looks at first, in lineage order.
SUMMARY_MODELS = [
    "dim_customers", "dim_customer_keys", "dim_products", "fct_orders", "fct_order_lines", "customer_rfm", "customer_360",
]

# Columns of the printed load table: where each batch's rows went.
LOAD_SUMMARY_COLUMNS = [
    "batch_id", "load_format", "source", "file_name", "raw_rows", "staged_rows", "quarantined_rows", "superseded_rows",
    "write_off_rows", "non_product_rows", "is_reconciled",
]


def step_durations(instance: DagsterInstance, run_id: str) -> dict[str, float]:
    """Seconds from start to end of each step of a run, from the run's event log."""
    started: dict[str, float] = {}
    durations: dict[str, float] = {}
    for record in instance.all_logs(run_id):
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[event.step_key] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            durations[event.step_key] = record.timestamp - started.get(event.step_key, record.timestamp)
    return durations


def mart_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of each summary mart that exists."""
    counts = {}
    for model in SUMMARY_MODELS:
        relation = model_relation(model)
        if table_exists(con, relation):
            counts[relation] = row_count(con, relation)
    return counts


def segment_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame | None:
    """The segment profiles written by the segmentation asset, or None before the first run."""
    relation = source_relation("ml", "segment_profiles")
    if not table_exists(con, relation):
        return None
    return con.sql(f"select {', '.join(SEGMENT_SUMMARY_COLUMNS)} from {relation} order by segment_id").df()


def load_summary(con: duckdb.DuckDBPyConnection) -> dict | None:
    """Each load batch's reconciliation and the quarantine by reason, or None before the first build."""
    batches, quarantine = model_relation("load_reconciliation"), model_relation("quarantined_rows")
    if not table_exists(con, batches):
        return None
    return {
        "batches": con.sql(f"select {', '.join(LOAD_SUMMARY_COLUMNS)} from {batches} order by batch_id").df(),
        "reasons": dict(con.execute(f"select reason, count(*) from {quarantine} group by 1 order by 2 desc").fetchall()),
    }


def identity_summary(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The identity figures the identity_quality asset wrote, or None before the first run."""
    relation = source_relation("ml", "identity_quality")
    if not table_exists(con, relation):
        return None
    # records, not iloc: a row Series would turn every count into a float
    row = con.sql(f"select * from {relation}").df().to_dict("records")[0]
    return {name: (None if pd.isna(value) else value) for name, value in row.items()}


def format_summary(
    durations: dict[str, float],
    counts: dict[str, int],
    segments: pd.DataFrame | None,
    quality: dict | None,
    identity: dict | None,
    loads: dict | None = None,
) -> str:
    """The short text summary printed after ``loyalist run``."""
    lines = ["", "Stage times"]
    # asset checks run as steps named after their asset: size the column to the longest name
    width = max([28, *(len(step) + 2 for step in durations)])
    for step, seconds in durations.items():
        lines.append(f"  {step:<{width}}{seconds:>8.1f} s")
    lines.append(f"  {'all stages':<{width}}{sum(durations.values()):>8.1f} s")
    if loads is not None:
        lines += ["", "Load batches (raw rows = staged + quarantined)", loads["batches"].to_string(index=False)]
        reasons = ", ".join(f"{reason} {rows:,}" for reason, rows in loads["reasons"].items())
        lines.append(f"  quarantined by reason: {reasons or 'none'}")
    if counts:
        lines += ["", "Rows per mart"]
        lines += [f"  {name:<28}{rows:>12,}" for name, rows in counts.items()]
    if identity is not None:
        suppressed = ", ".join(
            f"{name.removeprefix('suppressed_')} {count:,}" for name, count in identity.items() if name.startswith("suppressed_")
        )
        lines += [
            "",
            "Identity",
            f"  {identity['customers_with_records']:,} customers from {identity['holder_records']:,} accounts/cards/customer"
            f" records; largest customer {identity['largest_customer_holders']} records;"
            f" {identity['probabilistic_links']:,} probabilistic links",
            f"  suppressed: {suppressed}",
        ]
        if identity["precision"] is not None:
            lines.append(
                f"  vs the demo's truth (accounts and cards, pairwise): precision {identity['precision']:.4f}"
                f"  recall {identity['recall']:.4f}  f1 {identity['f1']:.4f}  ({int(identity['truth_records']):,} records)"
            )
    if quality:
        lines += [
            "",
            f"Segmentation: k = {quality['k']}, silhouette {quality['silhouette']:.3f}, "
            f"Davies-Bouldin {quality['davies_bouldin']:.3f}, Calinski-Harabasz {quality['calinski_harabasz']:,.0f}",
        ]
    if segments is not None:
        lines += ["", "Segments", segments.to_string(index=False, float_format=lambda v: f"{v:,.2f}")]
    return "\n".join(lines)


def segmentation_quality(instance: DagsterInstance, run_id: str | None = None) -> dict | None:
    """k and its three quality indices from the latest customer_segments materialisation (of ``run_id``, if given)."""
    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey("customer_segments"))
    if event is None or event.asset_materialization is None or (run_id and event.run_id != run_id):
        return None
    metadata = event.asset_materialization.metadata
    names = ("k", "silhouette", "davies_bouldin", "calinski_harabasz")
    return {name: metadata[name].value for name in names if name in metadata}


def scores_summary(con: duckdb.DuckDBPyConnection) -> str | None:
    """Next-best-offer lines: bands, and each model beside its best baseline on the held-out window."""
    from orchestration.project import source_relation
    from orchestration.warehouse import table_exists

    scores, evaluation = source_relation("ml", "customer_scores"), source_relation("ml", "score_evaluation")
    ranking, offers = source_relation("ml", "recommendation_evaluation"), source_relation("ml", "customer_offers")
    if not all(table_exists(con, t) for t in (scores, evaluation, ranking, offers)):
        return None
    bands = con.sql(f"select band, count(*) as n from {scores} group by band order by min(purchase_probability)").fetchall()
    lines = ["", "Next best offer (held-out window before as_of: model vs best baseline)",
             "  bands: " + ", ".join(f"{band} {n:,}" for band, n in bands)]
    held = con.sql(f"select task, model, roc_auc, pr_auc from {evaluation}").df()
    for task, part in held.groupby("task", sort=False):
        model = part[part["model"] == "model"].iloc[0]
        best = part[part["model"] != "model"].sort_values("roc_auc").iloc[-1]
        lines.append(f"  {task}: ROC AUC {model['roc_auc']:.3f} (best baseline {best['model']} {best['roc_auc']:.3f}), "
                     f"PR AUC {model['pr_auc']:.3f}")
    hits = con.sql(f"select model, top_n, hit_rate from {ranking}").df()
    model = hits[hits["model"] == "model"].iloc[0]
    best = hits[hits["model"] != "model"].sort_values("hit_rate").iloc[-1]
    lines.append(f"  recommendations: hit@{int(model['top_n'])} {model['hit_rate']:.3f} "
                 f"(best baseline {best['model']} {best['hit_rate']:.3f})")
    given, total = con.sql(f"select count(*) filter (where discount > 0), count(*) from {offers}").fetchall()[0]
    lines.append(f"  offers: {given:,} of {total:,} recommended products with a discount")
    return "\n".join(lines)
