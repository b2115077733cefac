"""Customer segmentation: k-means on the RFM mart, written back as warehouse tables."""


import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, Config, MaterializeResult, MetadataValue, multi_asset
from dagster_dbt import get_asset_key_for_model

from ml.segment_profiles import profile_segments
from ml.segmentation import RFMSegmenter, segment_customers
from orchestration.assets.dbt import warehouse_models
from orchestration.project import model_relation, source_relation
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource, replace_tables

__all__ = ["SegmentationConfig", "segmentation"]

_RFM = get_asset_key_for_model([warehouse_models], "customer_rfm")


class SegmentationConfig(Config):
    """k-means settings: a fixed ``k``, or the range searched by the three quality indices."""

    k: int | None = None
    k_min: int = 3
    k_max: int = 10
    random_state: int = 0


@multi_asset(
    specs=[
        AssetSpec(
            "customer_segments",
            deps=[_RFM],
            group_name="segmentation",
            kinds={"python", "scikit-learn", "duckdb"},
            owners=["team:data-science"],
            description="The k-means RFM segment of every customer in customer_rfm (ml.customer_segments).",
        ),
        AssetSpec(
            "segment_profiles",
            deps=[_RFM],
            group_name="segmentation",
            kinds={"python", "duckdb"},
            owners=["team:data-science"],
            description="Size, revenue, margin, mean RFM and a readable name per segment (ml.segment_profiles).",
        ),
    ],
    name="segmentation",
)
def segmentation(
    context: AssetExecutionContext, config: SegmentationConfig, warehouse: WarehouseResource, cutoff: RunCutoff
):
    """Segment customers by k-means on scaled log-RFM features.

    k is chosen over [k_min, k_max] by silhouette, Davies-Bouldin and Calinski-Harabasz (all three
    reported as metadata) unless a fixed k is configured. Writes ``customer_segments`` and
    ``segment_profiles`` back to the warehouse in one transaction. Refuses an RFM mart built as of
    another date than the run's cut-off, so scores never mix two as_of dates.
    """
    with warehouse.connect(read_only=True) as con:
        rfm = con.sql(
            f"select customer_id, as_of, recency_days, frequency, monetary, margin from {model_relation('customer_rfm')}"
        ).df()
    if rfm.empty:
        raise ValueError("customer_rfm is empty: no customer has an order before as_of; check the as_of date")

    segmenter = RFMSegmenter(k=config.k, k_min=config.k_min, k_max=config.k_max, random_state=config.random_state)
    segmenter.fit(rfm)
    # pandas turns the DATE into a timestamp; write it back as a date so serving can join on it
    as_of = pd.Timestamp(rfm["as_of"].iloc[0]).date()
    wanted = cutoff.as_of_date()
    if wanted is not None and wanted != as_of:
        raise ValueError(
            f"customer_rfm was built as of {as_of} but this run is cut at {wanted}: "
            "materialise warehouse_models in the same run (loyalist run --as-of) first"
        )
    profile = profile_segments(rfm, segmenter.labels_).assign(as_of=as_of)
    segments = segment_customers(rfm, segmenter).astype({"segment_id": "int32"}).assign(as_of=as_of)

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
    }
    yield MaterializeResult(
        asset_key="customer_segments",
        metadata={
            "dagster/row_count": len(segments),
            **quality,
            "k_selection": MetadataValue.md(segmenter.selection_.to_markdown(index=False, floatfmt=".3f")),
        },
    )
    yield MaterializeResult(
        asset_key="segment_profiles",
        metadata={
            "dagster/row_count": len(profile),
            **quality,
            "profiles": MetadataValue.md(profile.to_markdown(index=False, floatfmt=",.2f")),
        },
    )
