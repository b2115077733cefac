"""Identity assets: the probabilistic matcher between the dbt stages, and the identity quality report.

Deterministic matching (shared e-mail, phone, card, account or source key) is SQL in dbt. The
matcher runs between the two warehouse stages: it reads the holder records that ``input_models``
built (restricted schema pii), links the ones that are one person by name, birth date or year,
city and postcode (splink), and writes the links, with pseudonymised node ids only, to
``ml.identity_match_links``, which ``warehouse_models`` takes as edges of the identity graph.
"""


import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    asset,
    asset_check,
)
from dagster_dbt import get_asset_key_for_model

from ml.identity_matching import LINK_COLUMNS, MatchingSettings, probabilistic_links
from orchestration import settings
from orchestration.assets.dbt import input_models, warehouse_models
from orchestration.identity_quality import QUALITY_TARGETS, measure_identity
from orchestration.project import model_relation, source_relation
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource, replace_tables

__all__ = ["MatchingConfig", "identity_match_links", "identity_quality", "identity_quality_targets"]

_PERSON_RECORDS = get_asset_key_for_model([input_models], "int_identity_person_records")
_SCREENED = get_asset_key_for_model([input_models], "int_identifiers_screened")
_RESOLVED = get_asset_key_for_model([warehouse_models], "int_records_resolved")
_SUPPRESSED = get_asset_key_for_model([warehouse_models], "identity_suppressed")
_CUSTOMERS = get_asset_key_for_model([warehouse_models], "dim_customers")

# What the matcher compares; the record's key (its graph node) is its id. An e-mail or phone that
# the guards suppressed (a cashier's 000000000, a household landline) is withheld: it says nothing
# about the person, and pairs sharing it would inflate the prior that two records match.
_MATCH_QUERY = """
select
    person.record_node_id as record_id,
    person.first_name, person.surname, person.dob, person.birth_year, person.gender, person.city, person.postcode,
    person.opened_at, person.record_type as record_kind,
    case when email_screen.is_suppressed then null else person.email end as email,
    case when phone_screen.is_suppressed then null else person.phone end as phone
from {person} as person
left join {screened} as email_screen on email_screen.node_id = person.email_node_id
left join {screened} as phone_screen on phone_screen.node_id = person.phone_node_id
"""


class MatchingConfig(Config):
    """Probabilistic matching settings (the rest of MatchingSettings keeps its defaults)."""

    enabled: bool = True
    match_threshold: float = MatchingSettings.match_threshold
    seed: int = MatchingSettings.seed


@asset(
    name="identity_match_links",
    deps=[_PERSON_RECORDS, _SCREENED],
    group_name="identity",
    kinds={"python", "splink", "duckdb"},
    owners=["team:data-science"],
    description=(
        "Probabilistic links between accounts, cards and customer records that share no key "
        "(splink on names, birth date/year, city, postcode and unsuppressed contacts; ml.identity_match_links)."
    ),
)
def identity_match_links(
    context: AssetExecutionContext, config: MatchingConfig, warehouse: WarehouseResource, cutoff: RunCutoff
) -> MaterializeResult:
    """Link holder records of one person that deterministic matching cannot (no shared key).

    Trains a Fellegi-Sunter model on this run's records (unsupervised, seeded) and keeps the pairs at
    or above ``match_threshold``. With ``enabled: false`` it writes no links, so the identity graph is
    deterministic only (how the gain of the probabilistic step is measured).
    """
    with warehouse.connect(read_only=True) as con:
        query = _MATCH_QUERY.format(
            person=model_relation("int_identity_person_records"), screened=model_relation("int_identifiers_screened")
        )
        records = con.sql(query).df()
    if config.enabled:
        links = probabilistic_links(records, MatchingSettings(match_threshold=config.match_threshold, seed=config.seed))
    else:
        links = pd.DataFrame(columns=list(LINK_COLUMNS))
    table = pd.DataFrame(
        {
            "node_id_l": links["record_id_l"].astype("string"),
            "node_id_r": links["record_id_r"].astype("string"),
            "match_probability": links["match_probability"].astype("float64"),
            "match_weight": links["match_weight"].astype("float64"),
            # the graph takes only links made for its own as_of
            "as_of": pd.Series([cutoff.as_of_date()] * len(links), dtype="datetime64[us]"),
        }
    )
    with warehouse.connect() as con:
        replace_tables(con, {source_relation("ml", "identity_match_links"): table})
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(table),
            "records_compared": len(records),
            "enabled": config.enabled,
            "match_threshold": config.match_threshold,
        }
    )


@asset(
    name="identity_quality",
    deps=[_RESOLVED, _SUPPRESSED, _CUSTOMERS],
    group_name="identity",
    kinds={"python", "duckdb"},
    owners=["team:analytics-engineering"],
    description=(
        "How good the merge is: customers, largest customer, identifiers suppressed by reason, and "
        "pairwise precision, recall and F1 against the demo generator's truth when it exists (ml.identity_quality)."
    ),
)
def identity_quality(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    """Measure the identity graph and write one row to ``ml.identity_quality``."""
    with warehouse.connect(read_only=True) as con:
        quality = measure_identity(con, settings.demo_dir(warehouse.resolved_path))
    with warehouse.connect() as con:
        replace_tables(con, {source_relation("ml", "identity_quality"): pd.DataFrame([quality])})
    return MaterializeResult(metadata={"dagster/row_count": 1, **{k: v for k, v in quality.items() if v is not None}})


@asset_check(
    asset="identity_quality",
    name="identity_quality_targets",
    description=(
        "Pairwise precision and recall against the demo generator's truth meet their targets "
        f"(precision >= {QUALITY_TARGETS['precision']}, recall >= {QUALITY_TARGETS['recall']}). Passes "
        "with a note when there is no truth (your own data)."
    ),
)
def identity_quality_targets(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Fail when the merge misses its precision or recall target on data whose truth is known."""
    with warehouse.connect(read_only=True) as con:
        row = con.sql(f"select * from {source_relation('ml', 'identity_quality')}").df().iloc[0]
    if pd.isna(row["precision"]):
        return AssetCheckResult(passed=True, description="no truth to score against (not demo data)")
    scores = {name: float(row[name]) for name in ("precision", "recall", "f1")}
    misses = [f"{name} {scores[name]:.4f} < {target}" for name, target in QUALITY_TARGETS.items() if scores[name] < target]
    return AssetCheckResult(
        passed=not misses,
        severity=AssetCheckSeverity.WARN,
        description="; ".join(misses) or None,
        metadata={**scores, "largest_customer_holders": int(row["largest_customer_holders"])},
    )
