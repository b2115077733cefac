"""Customer segmentation: behavioural k-means and promo sensitivity over the customer_features mart,
written back as warehouse tables, with their plots as PNG files and Dagster metadata."""


import base64
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, Config, MaterializeResult, MetadataValue, asset, multi_asset
from dagster_dbt import get_asset_key_for_model

from ml.behaviour_segmentation import BehaviourSegmenter, bootstrap_stability, profile_behaviour_segments
from ml.plots import k_selection_figure, save_png, segment_value_figure
from ml.promo_sensitivity import PROMO_SEGMENTS, promo_segments
from orchestration import settings
from orchestration.assets.dbt import warehouse_models
from orchestration.project import model_relation, source_relation
from orchestration.promo_quality import demo_promo_scores
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource, replace_tables

__all__ = ["SegmentationConfig", "PromoConfig", "segmentation", "promo_sensitivity", "read_buyers", "png_metadata"]

_FEATURES = get_asset_key_for_model([warehouse_models], "customer_features")


class SegmentationConfig(Config):
    """k-means settings: a fixed ``k`` or the range searched, and the bootstrap stability rounds."""

    k: int | None = None
    k_min: int = 3
    k_max: int = 10
    random_state: int = 0
    bootstrap_rounds: int = 10


class PromoConfig(Config):
    """Orders a customer needs before the promo-sensitivity model classifies them."""

    min_orders: int = 5


def read_buyers(warehouse: WarehouseResource, cutoff: RunCutoff) -> pd.DataFrame:
    """Rows of customer_features for customers with an order, refusing a mart of another as_of."""
    with warehouse.connect(read_only=True) as con:
        buyers = con.sql(f"select * from {model_relation('customer_features')} where frequency > 0").df()
    if buyers.empty:
        raise ValueError("customer_features has no customer with an order before as_of; check the as_of date")
    as_of = pd.Timestamp(buyers["as_of"].iloc[0]).date()
    wanted = cutoff.as_of_date()
    if wanted is not None and wanted != as_of:
        raise ValueError(
            f"customer_features was built as of {as_of} but this run is cut at {wanted}: "
            "materialise warehouse_models in the same run (loyalist run --as-of) first"
        )
    # pandas turns the DATE into a timestamp; written back as a date so serving can join on it
    return buyers.assign(as_of=as_of)


def png_metadata(figure, name: str, warehouse: WarehouseResource) -> dict:
    """Write ``figure`` to the plots folder; metadata with its path and the picture inline."""
    path = settings.plots_dir(warehouse.resolved_path) / f"{name}.png"
    data = base64.b64encode(save_png(figure, path)).decode()
    return {f"{name}_png": MetadataValue.path(str(path)), f"{name}_plot": MetadataValue.md(f"![{name}](data:image/png;base64,{data})")}


@multi_asset(
    specs=[
        AssetSpec(
            "customer_segments",
            deps=[_FEATURES],
            group_name="segmentation",
            kinds={"python", "scikit-learn", "duckdb"},
            owners=["team:data-science"],
            description="The behavioural k-means segment of every customer with an order (ml.customer_segments).",
        ),
        AssetSpec(
            "segment_profiles",
            deps=[_FEATURES],
            group_name="segmentation",
            kinds={"python", "duckdb"},
            owners=["team:data-science"],
            description="Size, revenue, margin, feature means, what sets it apart and a name per segment (ml.segment_profiles).",
        ),
    ],
    name="segmentation",
)
def segmentation(
    context: AssetExecutionContext, config: SegmentationConfig, warehouse: WarehouseResource, cutoff: RunCutoff
):
    """Segment customers by k-means over their behaviour (ml.behaviour_segmentation).

    k is chosen over [k_min, k_max] by silhouette, Davies-Bouldin and Calinski-Harabasz unless a
    fixed k is configured; the partition's stability is the adjusted Rand index between it and
    refits on bootstrap resamples. Writes ``customer_segments`` and ``segment_profiles`` in one
    transaction, and the plots of segment value and of the k selection.
    """
    buyers = read_buyers(warehouse, cutoff)
    segmenter = BehaviourSegmenter(k=config.k, k_min=config.k_min, k_max=config.k_max, random_state=config.random_state)
    segmenter.fit(buyers)
    stability = bootstrap_stability(segmenter, buyers, n_boot=config.bootstrap_rounds)
    profile = profile_behaviour_segments(buyers, segmenter).assign(as_of=buyers["as_of"].iloc[0])
    names = dict(zip(profile["segment_id"], profile["segment_name"]))
    segments = pd.DataFrame(
        {"customer_id": buyers["customer_id"], "segment_id": segmenter.labels_.astype("int32")}
    ).assign(segment_name=lambda f: f["segment_id"].map(names), as_of=buyers["as_of"])

    with warehouse.connect() as con:
        replace_tables(
            con,
            {
                source_relation("ml", "customer_segments"): segments,
                source_relation("ml", "segment_profiles"): profile,
            },
        )

    chosen = segmenter.selection_[segmenter.selection_["chosen"]].iloc[0]
    quality = {
        "k": int(segmenter.k_),
        "silhouette": float(chosen["silhouette"]),
        "davies_bouldin": float(chosen["davies_bouldin"]),
        "calinski_harabasz": float(chosen["calinski_harabasz"]),
        "bootstrap_ari_mean": float(stability["adjusted_rand_index"].mean()),
        "bootstrap_ari_min": float(stability["adjusted_rand_index"].min()),
        "features": MetadataValue.text(", ".join(segmenter.features_)),
        "features_left_out": MetadataValue.text(", ".join(segmenter.dropped_features_) or "none"),
    }
    yield MaterializeResult(
        asset_key="customer_segments",
        metadata={
            "dagster/row_count": len(segments),
            **quality,
            "k_selection": MetadataValue.md(segmenter.selection_.to_markdown(index=False, floatfmt=".3f")),
            **png_metadata(k_selection_figure(segmenter.selection_), "k_selection", warehouse),
        },
    )
    shown = ["segment_id", "segment_name", "customers", "customer_share", "revenue_share", "margin_share", "sets_apart"]
    yield MaterializeResult(
        asset_key="segment_profiles",
        metadata={
            "dagster/row_count": len(profile),
            **quality,
            "profiles": MetadataValue.md(profile[shown].to_markdown(index=False, floatfmt=",.2f")),
            **png_metadata(segment_value_figure(profile), "segment_value", warehouse),
        },
    )


@asset(
    key="customer_promo_segments",
    deps=[_FEATURES],
    group_name="segmentation",
    kinds={"python", "duckdb"},
    owners=["team:data-science"],
)
def promo_sensitivity(context: AssetExecutionContext, config: PromoConfig, warehouse: WarehouseResource, cutoff: RunCutoff):
    """Promo-sensitivity segment of every customer with an order (ml.customer_promo_segments).

    A two-class model fitted without labels (ml.promo_sensitivity) from when customers buy
    (orders on sale days) and what (new products at full price). On the demo the result is
    scored against the generator's planted promo-sensitive people.
    """
    buyers = read_buyers(warehouse, cutoff)
    segments, model = promo_segments(buyers, min_orders=config.min_orders)
    segments = segments.assign(as_of=buyers["as_of"].iloc[0])
    with warehouse.connect() as con:
        replace_tables(con, {source_relation("ml", "customer_promo_segments"): segments})
        scores = demo_promo_scores(con, settings.demo_dir(warehouse.resolved_path), config.min_orders)
    counts = segments["promo_segment"].value_counts()
    metadata = {
        "dagster/row_count": len(segments),
        **{f"customers_{key}": int(counts.get(name, 0)) for key, name in PROMO_SEGMENTS.items()},
        "min_orders": config.min_orders,
    }
    if model is not None:
        metadata |= {
            "share_promo_sensitive": model.prior,
            "sale_day_order_rate_regular": model.sale_day_rate[0],
            "sale_day_order_rate_sensitive": model.sale_day_rate[1],
            "em_iterations": model.iterations,
        }
    if scores is not None:
        metadata |= {f"truth_{key}": value for key, value in scores.items()}
    return MaterializeResult(metadata=metadata)
