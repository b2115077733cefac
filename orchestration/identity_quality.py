"""Identity quality figures: how many customers, how big, what was suppressed, and (on the demo)
pairwise precision and recall against the generator's truth."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ml.identity_eval import pairwise_scores
from orchestration.project import model_relation, source_relation
from orchestration.warehouse import table_exists

__all__ = ["QUALITY_TARGETS", "HOLDER_RECORD_TYPES", "measure_identity", "demo_truth_scores", "file_truth_scores"]

#: Targets of the identity_quality_targets check on the demo (issue 4).
QUALITY_TARGETS = {"precision": 0.995, "recall": 0.98}

#: Records that hold an identity: the ones pairwise quality is measured over.
HOLDER_RECORD_TYPES = ("web_account", "loyalty_card", "source_customer", "customer_record")

_SUPPRESSION_REASONS = ("too_many_holders", "conflicting_holders", "type_not_linking", "component_over_size_cap")


def demo_truth_scores(con: duckdb.DuckDBPyConnection, demo_folder: Path) -> dict | None:
    """Pairwise precision/recall/F1 of the merged customers against the demo generator's truth.

    Evaluated over web accounts and loyalty cards, the records that carry an identity (an anonymous
    receipt has a true person too, but nothing a resolver could use). None when the warehouse was
    not built from demo data (no truth files).
    """
    truth_files = sorted((demo_folder / "truth" / "identity_records").glob("*.parquet"))
    resolved = model_relation("int_records_resolved")
    if not truth_files or not table_exists(con, resolved):
        return None
    pairs = con.execute(
        f"""
        select truth.record_type || ':' || truth.record_key as record, truth.person_id, resolved.customer_id
        from read_parquet(?) as truth
        left join {resolved} as resolved
            on resolved.record_type = truth.record_type and resolved.record_key = truth.record_key
        where truth.record_type in ('web_account', 'loyalty_card')
        """,
        [[str(f) for f in truth_files]],
    ).df().set_index("record")
    return pairwise_scores(pairs["customer_id"], pairs["person_id"])


def measure_identity(con: duckdb.DuckDBPyConnection, demo_folder: Path) -> dict:
    """One row of identity figures (see the identity_quality asset); scores are None without truth."""
    resolved, clusters = model_relation("int_records_resolved"), model_relation("int_identity_clusters")
    suppressed, links = model_relation("identity_suppressed"), source_relation("ml", "identity_match_links")
    holder_types = ", ".join(f"'{t}'" for t in HOLDER_RECORD_TYPES)
    customers, holder_records, largest_customer = con.execute(
        f"""
        select count(*), coalesce(sum(holders), 0), coalesce(max(holders), 0)
        from (select customer_id, count(*) as holders from {resolved}
              where record_type in ({holder_types}) group by customer_id) as per_customer
        """
    ).fetchall()[0]
    largest_component = con.execute(f"select coalesce(max(component_holders), 0) from {clusters}").fetchall()[0][0]
    by_reason = dict(con.execute(f"select reason, count(*) from {suppressed} group by reason").fetchall())
    link_count = con.execute(f"select count(*) from {links}").fetchall()[0][0] if table_exists(con, links) else 0
    scores = demo_truth_scores(con, demo_folder) or {}
    return {
        "customers_with_records": int(customers),
        "holder_records": int(holder_records),
        "largest_customer_holders": int(largest_customer),
        "largest_component_holders": int(largest_component),
        "probabilistic_links": int(link_count),
        **{f"suppressed_{reason}": int(by_reason.get(reason, 0)) for reason in _SUPPRESSION_REASONS},
        "truth_records": scores.get("records"),
        "precision": scores.get("precision"),
        "recall": scores.get("recall"),
        "f1": scores.get("f1"),
    }


def file_truth_scores(
    con: duckdb.DuckDBPyConnection, truth_file: Path, key_column: str, cluster_column: str, source: str
) -> dict:
    """Pairwise precision/recall/F1 of a loaded customer file against a truth column of that file.

    ``dim_customer_keys`` gives the merged customer of every record key loaded under ``source``; the
    file's ``cluster_column`` is the true entity of each ``key_column`` (e.g. splink's fake_1000:
    ``unique_id`` and ``cluster``). Every key of the file must have been loaded.
    """
    keys = model_relation("dim_customer_keys")
    pairs = con.execute(
        f"""
        with truth as (
            select cast("{key_column}" as varchar) as record_key, cast("{cluster_column}" as varchar) as entity
            from read_parquet(?)
        )
        select truth.record_key, truth.entity, keys.customer_id
        from truth
        left join {keys} as keys on keys.source = ? and keys.source_customer_key = truth.record_key
        """,
        [str(truth_file), source],
    ).df()
    missing = pairs[pairs["customer_id"].isna()]
    if len(missing):
        raise ValueError(
            f"{len(missing)} keys of {truth_file} have no customer under source {source!r} "
            f"(e.g. {missing['record_key'].iloc[0]!r}): load the file with that --source and run first"
        )
    pairs = pairs.set_index("record_key")
    return pairwise_scores(pairs["customer_id"], pairs["entity"])
