"""Basket rules, sequence rules and product suggestions over the basket_lines mart, written back
as warehouse tables (ml.basket_rules, ml.sequence_rules, ml.sequence_gap_histogram,
ml.product_suggestions) with their plots as PNG files and Dagster metadata."""


import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, Config, MaterializeResult, MetadataValue, asset, multi_asset
from dagster_dbt import get_asset_key_for_model

from ml.basket_levels import LEVELS
from ml.basket_mining import OVERALL, BasketRuleSettings, Segmentation, mine_basket_rules
from ml.line_data import load_lines
from ml.plots import gap_histogram_figure, top_rules_figure
from ml.product_suggestions import suggestions_sql
from ml.sequence_rules import SequenceRuleSettings, mine_sequence_rules
from orchestration.assets.dbt import warehouse_models
from orchestration.assets.segmentation import png_metadata
from orchestration.project import model_relation, source_relation
from orchestration.warehouse import WarehouseResource, replace_tables

__all__ = ["BasketRulesConfig", "SequenceRulesConfig", "basket_rules", "sequence_rules", "product_suggestions", "segmentations"]

_BASKETS = get_asset_key_for_model([warehouse_models], "basket_lines")
_FEATURES = get_asset_key_for_model([warehouse_models], "customer_features")
_RFM_SEGMENTS = get_asset_key_for_model([warehouse_models], "customer_rfm_segments")
_PRODUCTS = get_asset_key_for_model([warehouse_models], "dim_products")
_SEGMENT_DEPS = [_FEATURES, _RFM_SEGMENTS, "customer_segments", "customer_promo_segments"]


class _RulesConfig(Config):
    """What basket and sequence rules share: the customer splits and the mixed level's items.

    Each entry of ``segment_by`` is a comma-separated list of customer attributes (columns of
    customer_features, customer_rfm_segments, customer_segments or customer_promo_segments);
    ``mixed_items`` lists attribute combinations ('brand,category'); empty = the default ones.
    """

    segment_by: list[str] = ["gender,city_size_band"]
    mixed_items: list[str] = []


class BasketRulesConfig(_RulesConfig):
    """Levels, thresholds and customer splits of the basket rules.

    ``min_support`` is a share of the (segment's) baskets; ``level_min_support`` overrides it per
    level (a SKU is rarer than a category). ``max_len`` 0 means itemsets of any length.
    """

    levels: list[str] = list(LEVELS)
    min_support: float = 0.005
    # a SKU is far rarer than a category: 0.5% of baskets would leave only the very top sellers
    level_min_support: dict[str, float] = {"sku": 0.002}
    max_len: int = 3
    min_confidence: float = 0.1
    min_lift: float = 1.0
    keep_redundant: bool = False
    min_segment_baskets: int = 500
    max_rules_per_segment: int = 10_000


class SequenceRulesConfig(_RulesConfig):
    """Levels, window, thresholds and customer splits of the sequence rules (see BasketRulesConfig)."""

    # SKU and mixed-item sequences are thin and costly at scale (tens of thousands of items squared)
    levels: list[str] = [level for level in LEVELS if level not in ("sku", "mixed")]
    window_weeks: int = 56
    min_customers: int = 20
    min_anchored_customers: int = 50
    min_lift: float = 1.0
    n_peaks: int = 3
    min_segment_customers: int = 500
    max_rules_per_segment: int = 1000


def segmentations(con, specs: list[str]) -> list[Segmentation]:
    """Turn ``segment_by`` entries into SQL over the customer tables that hold their columns."""
    relations = [
        model_relation("customer_features"), model_relation("customer_rfm_segments"),
        source_relation("ml", "customer_segments"), source_relation("ml", "customer_promo_segments"),
    ]
    available: dict[str, str] = {}
    for relation in relations:
        schema, table = relation.split(".")
        columns = con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?", [schema, table]
        ).fetchall()
        for (column,) in columns:
            available.setdefault(column, relation)
    out = []
    for spec in specs:
        columns = [c.strip() for c in spec.split(",") if c.strip()]
        unknown = [c for c in columns if c not in available or c == "customer_id"]
        if not columns or unknown:
            raise ValueError(
                f"segment_by {spec!r}: unknown customer attribute(s) {unknown or '(none given)'}; "
                f"choose from {', '.join(sorted(c for c in available if c != 'customer_id'))}"
            )
        tables = list(dict.fromkeys(available[c] for c in columns))
        joins = "".join(f" join {t} as t{i} using (customer_id)" for i, t in enumerate(tables[1:], start=1))
        alias = {t: f"t{i}" for i, t in enumerate(tables)}
        label = " || ' × ' || ".join(f"cast({alias[available[c]]}.{c} as varchar)" for c in columns)
        out.append(Segmentation(" × ".join(columns), f"select customer_id, {label} as segment from {tables[0]} as t0{joins}"))
    return out


def _mixed(items: list[str]):
    """``mixed_items`` config ('gender,brand', ...) as attribute combinations; None = the default."""
    return tuple(tuple(c.strip() for c in spec.split(",")) for spec in items) or None


def _check_levels(levels: list[str]) -> None:
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise ValueError(f"unknown rule level(s) {unknown}; choose from {', '.join(LEVELS)}")


def _read_lines(con, config: _RulesConfig):
    """basket_lines as integer arrays, with the configured customer splits."""
    return load_lines(con, model_relation("basket_lines"), segmentations(con, config.segment_by))


def _summary(rules: pd.DataFrame) -> str:
    counts = rules.groupby(["level", "segment_by"]).size().rename("rules").reset_index()
    return counts.to_markdown(index=False)


@asset(
    deps=[_BASKETS, *_SEGMENT_DEPS],
    group_name="rules",
    kinds={"python", "numpy", "duckdb"},
    owners=["team:data-science"],
)
def basket_rules(context: AssetExecutionContext, config: BasketRulesConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """Basket rules "bought A, also buys B" at every configured level, overall and per segment
    (ml.basket_rules).

    Frequent itemsets are mined from the integer-coded (basket, item) pairs of basket_lines
    (ml.itemsets, depth-first over projected baskets, no one-hot matrix); every split of an itemset
    is a candidate rule with support, confidence, lift, leverage and conviction; rules below the
    thresholds and redundant rules (a shorter antecedent has at least the lift) are dropped.
    """
    _check_levels(config.levels)
    unknown = sorted(set(config.level_min_support) - set(LEVELS))
    if unknown:
        raise ValueError(f"level_min_support names unknown level(s) {unknown}; choose from {', '.join(LEVELS)}")
    frames = []
    with warehouse.connect() as con:
        data = _read_lines(con, config)
        for level in config.levels:
            settings = BasketRuleSettings(
                min_support=config.level_min_support.get(level, config.min_support),
                max_len=config.max_len or None,
                min_confidence=config.min_confidence,
                min_lift=config.min_lift,
                drop_redundant=not config.keep_redundant,
                min_segment_baskets=config.min_segment_baskets,
                max_rules_per_segment=config.max_rules_per_segment,
            )
            frames.append(mine_basket_rules(data, level, settings, mixed=_mixed(config.mixed_items)))
            context.log.info(f"basket rules, level {level}: {len(frames[-1])} rules")
        rules = pd.concat(frames, ignore_index=True)
        replace_tables(con, {source_relation("ml", "basket_rules"): rules})
    overall = rules[rules["segment_by"] == OVERALL]
    shown = ["level", "antecedent_names", "consequent_names", "support", "confidence", "lift"]
    top = overall.sort_values("lift", ascending=False).groupby("level").head(3)
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(rules),
            "rules_by_level": MetadataValue.md(_summary(rules) if len(rules) else "no rules"),
            "top_rules": MetadataValue.md(top[shown].to_markdown(index=False, floatfmt=".3f") if len(top) else "no rules"),
            **png_metadata(top_rules_figure(overall[overall["level"] == "sku"] if (overall["level"] == "sku").any() else overall),
                           "top_basket_rules", warehouse),
        }
    )


@multi_asset(
    specs=[
        AssetSpec(
            "sequence_rules",
            deps=[_BASKETS, *_SEGMENT_DEPS],
            group_name="rules",
            kinds={"python", "duckdb"},
            owners=["team:data-science"],
            description="Sequence rules 'bought A, buys B within W weeks' with their peak weeks (ml.sequence_rules).",
        ),
        AssetSpec(
            "sequence_gap_histogram",
            deps=[_BASKETS, *_SEGMENT_DEPS],
            group_name="rules",
            kinds={"python", "duckdb"},
            owners=["team:data-science"],
            description="Gap in weeks from buying A to buying B for every kept sequence rule (ml.sequence_gap_histogram).",
        ),
    ],
    name="sequence_rules",
)
def sequence_rules(context: AssetExecutionContext, config: SequenceRulesConfig, warehouse: WarehouseResource):
    """Sequence rules and their gap histograms at every configured level, overall and per segment.

    Counts, in the warehouse, pairs of a customer's shopping days with A and later with B within
    the window (ml.sequence_rules); the probability is taken over customers observable for the
    whole window after buying A, so recent buyers do not look disloyal.
    """
    _check_levels(config.levels)
    settings = SequenceRuleSettings(
        window_weeks=config.window_weeks, min_customers=config.min_customers,
        min_anchored_customers=config.min_anchored_customers, min_lift=config.min_lift, n_peaks=config.n_peaks,
        min_segment_customers=config.min_segment_customers, max_rules_per_segment=config.max_rules_per_segment,
    )
    rule_frames, hist_frames = [], []
    with warehouse.connect() as con:
        data = _read_lines(con, config)
        for level in config.levels:
            rules, hist = mine_sequence_rules(data, level, settings, mixed=_mixed(config.mixed_items))
            rule_frames.append(rules)
            hist_frames.append(hist)
            context.log.info(f"sequence rules, level {level}: {len(rules)} rules")
        rules, hist = pd.concat(rule_frames, ignore_index=True), pd.concat(hist_frames, ignore_index=True)
        replace_tables(con, {source_relation("ml", "sequence_rules"): rules,
                             source_relation("ml", "sequence_gap_histogram"): hist})
    overall = rules[rules["segment_by"] == OVERALL]
    shown = ["level", "antecedent", "consequent", "customers", "probability", "lift", "peak_weeks"]
    top = overall.sort_values("lift", ascending=False).groupby("level").head(3)
    yield MaterializeResult(
        asset_key="sequence_rules",
        metadata={
            "dagster/row_count": len(rules),
            "rules_by_level": MetadataValue.md(_summary(rules) if len(rules) else "no rules"),
            "top_rules": MetadataValue.md(top[shown].to_markdown(index=False, floatfmt=".3f") if len(top) else "no rules"),
        },
    )
    first = overall[overall["level"] == config.levels[0]] if len(config.levels) else overall
    yield MaterializeResult(
        asset_key="sequence_gap_histogram",
        metadata={
            "dagster/row_count": len(hist),
            **png_metadata(gap_histogram_figure(hist[hist["segment_by"] == OVERALL], first), "sequence_gaps", warehouse),
        },
    )


class SuggestionsConfig(Config):
    """How many suggestions to keep per product."""

    per_product: int = 5


@asset(
    deps=["basket_rules", _PRODUCTS],
    group_name="rules",
    kinds={"python", "duckdb"},
    owners=["team:data-science"],
)
def product_suggestions(context: AssetExecutionContext, config: SuggestionsConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """For each product, what to suggest beside it (ml.product_suggestions): products bought with it,
    then what its category and its brand are bought with (ml.product_suggestions)."""
    products = f"(select * from {model_relation('dim_products')} where is_product)"
    with warehouse.connect() as con:
        frame = con.sql(suggestions_sql(source_relation("ml", "basket_rules"), products, config.per_product)).df()
        replace_tables(con, {source_relation("ml", "product_suggestions"): frame})
    return MaterializeResult(
        metadata={
            "dagster/row_count": len(frame),
            "products_with_suggestions": int(frame["product_id"].nunique()),
            "by_source": MetadataValue.md(frame["suggestion_level"].value_counts().rename("suggestions").to_frame().to_markdown()),
        }
    )
