"""Tests of ml.segmentation on hand-computed frames and planted RFM blobs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
    silhouette_score,
)

from ml.segment_profiles import name_segments, profile_segments
from ml.segmentation import (
    RFMSegmenter,
    _selection_table,
    _silhouette_scores,
    rfm_feature_matrix,
    segment_customers,
)

# Planted groups as (recency_days, frequency, monetary) centres, far apart in log space.
CENTRES = [
    (3, 40, 8000.0),  # champions
    (300, 1, 30.0),  # lost, low value
    (30, 8, 600.0),  # recent regulars
    (700, 15, 3000.0),  # big spenders gone quiet
]


def planted_rfm(centres: list[tuple[int, int, float]], size: int, seed: int) -> pd.DataFrame:
    """Tight log-normal blobs around ``centres``; column ``group`` holds the planted group."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, (recency, frequency, monetary) in enumerate(centres):
        noise = rng.normal(0.0, 0.08, size=(size, 3))
        frames.append(
            pd.DataFrame(
                {
                    "recency_days": np.round(np.expm1(np.log1p(recency) + noise[:, 0])),
                    "frequency": np.maximum(
                        1, np.round(np.expm1(np.log1p(frequency) + noise[:, 1]))
                    ),
                    "monetary": np.round(np.expm1(np.log1p(monetary) + noise[:, 2]), 2),
                    "group": group,
                }
            )
        )
    rfm = pd.concat(frames, ignore_index=True)
    rfm = rfm.astype({"recency_days": "int64", "frequency": "int64"})
    rfm.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(rfm))])
    rfm["margin"] = (rfm["monetary"] * 0.4).round(2)
    # Shuffle so the planted groups are not contiguous blocks of rows.
    return rfm.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture
def blobs() -> pd.DataFrame:
    return planted_rfm(CENTRES, size=150, seed=11)


@pytest.fixture
def tiny_rfm() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "recency_days": [10, 20, 200, 300, 400],
            "frequency": [5, 3, 1, 1, 2],
            "monetary": [100.0, 300.0, 10.0, -20.0, 30.0],
            "margin": [40.0, 100.0, 2.0, -8.0, 6.0],
            "ignored": ["x", "y", "z", "w", "v"],
        }
    )


# ------------------------------------------------------------------------------------------
# rfm_feature_matrix
# ------------------------------------------------------------------------------------------


def test_feature_matrix_is_standardised_log_rfm(tiny_rfm: pd.DataFrame) -> None:
    raw = np.column_stack(
        [
            np.log1p([10, 20, 200, 300, 400]),
            np.log1p([5, 3, 1, 1, 2]),
            np.log1p([100.0, 300.0, 10.0, 0.0, 30.0]),  # -20 is clipped to 0
        ]
    )
    expected = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    np.testing.assert_allclose(rfm_feature_matrix(tiny_rfm), expected, rtol=1e-12)


def test_non_positive_monetary_is_treated_as_zero(tiny_rfm: pd.DataFrame) -> None:
    tiny_rfm.loc[4, ["recency_days", "frequency", "monetary"]] = [300, 1, 0.0]
    features = rfm_feature_matrix(tiny_rfm)
    # Rows 3 (monetary -20) and 4 (monetary 0) now differ only in the sign of monetary.
    np.testing.assert_array_equal(features[3], features[4])


def test_constant_column_becomes_zero_not_nan(tiny_rfm: pd.DataFrame) -> None:
    tiny_rfm["frequency"] = 3
    tiny_rfm["monetary"] = 0.1
    features = rfm_feature_matrix(tiny_rfm)
    assert not np.isnan(features).any()
    np.testing.assert_array_equal(features[:, 1:], 0.0)
    assert np.abs(features[:, 0]).max() > 0.5


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["recency_days", "frequency", "monetary"])
def test_missing_feature_column_is_named(tiny_rfm: pd.DataFrame, column: str) -> None:
    frame = tiny_rfm.drop(columns=column)
    message = f"missing column '{column}' in customer RFM frame; expected columns: "
    with pytest.raises(ValueError, match=message):
        rfm_feature_matrix(frame)
    with pytest.raises(ValueError, match=message):
        RFMSegmenter().fit(frame)


def test_missing_margin_and_customer_id_are_named(
    tiny_rfm: pd.DataFrame, blobs: pd.DataFrame
) -> None:
    with pytest.raises(ValueError, match="missing column 'margin' in customer RFM frame"):
        profile_segments(tiny_rfm.drop(columns="margin"), np.zeros(5, dtype=int))
    segmenter = RFMSegmenter(k=4).fit(blobs)
    with pytest.raises(
        ValueError,
        match="missing column 'customer_id' in customer RFM frame; expected columns: "
        "customer_id, recency_days, frequency, monetary, margin",
    ):
        segment_customers(blobs.drop(columns="customer_id"), segmenter)
    with pytest.raises(ValueError, match="missing column 'monetary'"):
        segmenter.predict(blobs.drop(columns="monetary"))


def test_invalid_values_are_rejected(tiny_rfm: pd.DataFrame) -> None:
    with_nan = tiny_rfm.astype({"monetary": "float64"})
    with_nan.loc[2, "monetary"] = np.nan
    with pytest.raises(ValueError, match=r"'monetary' .* 1 missing or infinite values"):
        rfm_feature_matrix(with_nan)
    negative = tiny_rfm.copy()
    negative.loc[0, "recency_days"] = -1
    with pytest.raises(ValueError, match="'recency_days' .* 1 negative values"):
        rfm_feature_matrix(negative)
    zero = tiny_rfm.copy()
    zero.loc[0, "frequency"] = 0
    with pytest.raises(ValueError, match="'frequency' .* 1 values below 1"):
        rfm_feature_matrix(zero)
    text = tiny_rfm.astype({"monetary": str})
    with pytest.raises(TypeError, match="'monetary' .* must be numeric"):
        rfm_feature_matrix(text)
    with pytest.raises(ValueError, match="customer RFM frame is empty"):
        rfm_feature_matrix(tiny_rfm.iloc[:0])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        rfm_feature_matrix(tiny_rfm.to_numpy())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"k_min": 5, "k_max": 4}, r"k_max \(4\) must be >= k_min \(5\)"),
        ({"k": 1}, "k must be >= 2"),
        ({"n_init": 0}, "n_init must be >= 1"),
        ({"k_min": 2.5}, "k_min must be an int"),
    ],
)
def test_invalid_parameters_are_rejected(
    blobs: pd.DataFrame, params: dict[str, object], message: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        RFMSegmenter(**params).fit(blobs)  # type: ignore[arg-type]


def test_predict_before_fit_raises(blobs: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        RFMSegmenter().predict(blobs)


# ------------------------------------------------------------------------------------------
# RFMSegmenter
# ------------------------------------------------------------------------------------------


def test_recovers_planted_groups_and_k(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(random_state=0).fit(blobs)
    assert segmenter.k_ == 4
    assert adjusted_rand_score(blobs["group"], segmenter.labels_) > 0.99
    selection = segmenter.selection_
    assert list(selection.columns) == [
        "k",
        "silhouette",
        "davies_bouldin",
        "calinski_harabasz",
        "mean_rank",
        "chosen",
    ]
    assert selection["k"].tolist() == list(range(3, 11))
    assert selection["chosen"].sum() == 1
    chosen = selection.loc[selection["chosen"]].iloc[0]
    assert chosen["k"] == 4
    assert chosen["mean_rank"] == selection["mean_rank"].min()


def test_recovers_planted_groups_from_a_subsample() -> None:
    rfm = planted_rfm(CENTRES[:3] + [(60, 2, 90.0), (15, 25, 20000.0)], size=120, seed=5)
    segmenter = RFMSegmenter(selection_sample=200, random_state=1).fit(rfm)
    assert segmenter.n_selection_rows_ == 200
    assert segmenter.k_ == 5
    assert segmenter.labels_.shape == (len(rfm),)
    assert adjusted_rand_score(rfm["group"], segmenter.labels_) > 0.99


def test_fixed_k_is_honoured_and_its_metrics_reported(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(k=6, random_state=0).fit(blobs)
    assert segmenter.k_ == 6
    assert sorted(np.unique(segmenter.labels_)) == list(range(6))
    assert segmenter.cluster_centers_.shape == (6, 3)
    selection = segmenter.selection_
    assert selection["k"].tolist() == [6]
    assert selection["chosen"].tolist() == [True]
    assert selection["mean_rank"].tolist() == [1.0]
    # All rows fit in the selection sample here, so the metrics describe the final labels.
    features = rfm_feature_matrix(blobs)
    row = selection.iloc[0]
    assert row["silhouette"] == pytest.approx(silhouette_score(features, segmenter.labels_))
    assert row["davies_bouldin"] == pytest.approx(
        davies_bouldin_score(features, segmenter.labels_)
    )
    assert row["calinski_harabasz"] == pytest.approx(
        calinski_harabasz_score(features, segmenter.labels_)
    )


def test_segment_zero_has_highest_mean_monetary(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(k=5, random_state=3).fit(blobs)
    means = blobs.groupby(segmenter.labels_)["monetary"].mean()
    assert means.index.tolist() == list(range(5))
    assert means.is_monotonic_decreasing
    # Planted group 0 (monetary ~8000) is the richest and must be segment 0 exactly.
    assert set(segmenter.labels_[blobs["group"].to_numpy() == 0]) == {0}


def test_ids_do_not_depend_on_row_order(blobs: pd.DataFrame) -> None:
    first = RFMSegmenter(random_state=0).fit(blobs)
    shuffled = blobs.sample(frac=1.0, random_state=99)
    second = RFMSegmenter(random_state=0).fit(shuffled)
    by_customer = pd.Series(second.labels_, index=shuffled["customer_id"])
    np.testing.assert_array_equal(by_customer[blobs["customer_id"]].to_numpy(), first.labels_)


def test_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(0)
    n = 3000
    rfm = pd.DataFrame(
        {
            "recency_days": rng.integers(0, 1000, n),
            "frequency": rng.geometric(0.4, n),
            "monetary": rng.lognormal(4, 1, n),
        }
    )
    first = RFMSegmenter(selection_sample=1000, random_state=4).fit(rfm)
    second = RFMSegmenter(selection_sample=1000, random_state=4).fit(rfm.copy())
    np.testing.assert_array_equal(first.labels_, second.labels_)
    pd.testing.assert_frame_equal(first.selection_, second.selection_)
    np.testing.assert_array_equal(first.cluster_centers_, second.cluster_centers_)


def test_predict_on_training_rows_matches_labels(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(random_state=0).fit(blobs)
    np.testing.assert_array_equal(segmenter.predict(blobs), segmenter.labels_)
    np.testing.assert_array_equal(segmenter.fit_predict(blobs), segmenter.labels_)


def test_constant_frequency_fits_without_nan(blobs: pd.DataFrame) -> None:
    blobs["frequency"] = 1
    segmenter = RFMSegmenter(random_state=0).fit(blobs)
    assert np.isfinite(segmenter.cluster_centers_).all()
    np.testing.assert_array_equal(segmenter.cluster_centers_[:, 1], 0.0)
    metrics = segmenter.selection_[["silhouette", "davies_bouldin", "calinski_harabasz"]]
    assert np.isfinite(metrics.to_numpy()).all()


def test_k_range_is_clipped_below_distinct_rows(tiny_rfm: pd.DataFrame) -> None:
    # 4 distinct customers, each repeated: only k = 3 leaves a cluster with two points.
    rfm = pd.concat([tiny_rfm.iloc[:4]] * 5, ignore_index=True)
    segmenter = RFMSegmenter(random_state=0).fit(rfm)
    assert segmenter.selection_["k"].tolist() == [3]
    assert segmenter.k_ == 3
    with pytest.raises(ValueError, match="k=4 needs more than 4 distinct customers"):
        RFMSegmenter(k=4).fit(rfm)
    with pytest.raises(ValueError, match="at least 3 distinct customers"):
        RFMSegmenter().fit(pd.concat([tiny_rfm.iloc[:2]] * 5, ignore_index=True))


def test_silhouette_matches_scikit_learn() -> None:
    rng = np.random.default_rng(2)
    features = rng.normal(size=(400, 3))
    labelings = [rng.integers(0, k, 400) for k in (2, 4, 7)]
    labelings.append(np.r_[0, np.ones(399, dtype=int)])  # a singleton cluster scores 0
    expected = [silhouette_score(features, labels) for labels in labelings]
    np.testing.assert_allclose(_silhouette_scores(features, labelings), expected, atol=1e-12)


def test_selection_uses_mean_rank_and_breaks_ties_by_smaller_k() -> None:
    table = _selection_table([3, 4, 5], [0.5, 0.6, 0.4], [0.5, 0.6, 0.7], [10.0, 20.0, 5.0])
    np.testing.assert_allclose(table["mean_rank"], [5 / 3, 4 / 3, 3.0])
    assert table["chosen"].tolist() == [False, True, False]
    # k=4 wins silhouette, k=3 wins Davies-Bouldin, both tie on Calinski-Harabasz.
    tied = _selection_table([4, 3], [0.5, 0.6], [0.5, 0.6], [10.0, 10.0])
    assert tied["mean_rank"].tolist() == [1.5, 1.5]
    assert tied["chosen"].tolist() == [False, True]


# ------------------------------------------------------------------------------------------
# Profiles and names
# ------------------------------------------------------------------------------------------


def test_profile_hand_computed(tiny_rfm: pd.DataFrame) -> None:
    profile = profile_segments(tiny_rfm, np.array([0, 0, 1, 1, 1]))
    expected = pd.DataFrame(
        {
            "segment_id": [0, 1],
            "segment_name": ["Champions", "Hibernating"],
            "customers": [2, 3],
            "customer_share": [0.4, 0.6],
            "revenue": [400.0, 20.0],
            "revenue_share": [400 / 420, 20 / 420],
            "margin": [140.0, 0.0],
            "margin_share": [1.0, 0.0],
            "mean_recency_days": [15.0, 300.0],
            "mean_frequency": [4.0, 4 / 3],
            "mean_monetary": [200.0, 20 / 3],
            "median_monetary": [200.0, 10.0],
            # Mid-rank percentiles of the segment means among the 5 customers.
            "recency_percentile": [0.2, 0.7],
            "frequency_percentile": [0.8, 0.4],
            "monetary_percentile": [0.8, 0.2],
        }
    )
    pd.testing.assert_frame_equal(
        profile, expected, check_dtype=False, check_exact=False, rtol=1e-12
    )


def test_profile_aligns_series_by_index_and_keeps_sparse_ids(tiny_rfm: pd.DataFrame) -> None:
    ids = pd.Series([0, 0, 7, 7, 7], index=tiny_rfm.index).iloc[::-1]
    profile = profile_segments(tiny_rfm, ids)
    assert profile["segment_id"].tolist() == [0, 7]
    assert profile["customers"].tolist() == [2, 3]
    assert profile["revenue"].tolist() == [400.0, 20.0]
    with pytest.raises(ValueError, match="index does not match the rows of rfm"):
        profile_segments(tiny_rfm, pd.Series([0, 0, 1, 1, 1], index=list("vwxyz")))
    with pytest.raises(ValueError, match="one entry per row of rfm"):
        profile_segments(tiny_rfm, np.array([0, 1]))
    with pytest.raises(ValueError, match="1 missing values"):
        profile_segments(tiny_rfm, np.array([0, 1, np.nan, 1, 0]))


def test_profile_totals_on_fitted_segments(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(random_state=0).fit(blobs)
    profile = profile_segments(blobs, segmenter.labels_)
    assert profile["segment_id"].tolist() == list(range(segmenter.k_))
    assert profile["customers"].sum() == len(blobs)
    for share in ("customer_share", "revenue_share", "margin_share"):
        assert profile[share].sum() == pytest.approx(1.0)
    assert profile["revenue"].sum() == pytest.approx(blobs["monetary"].sum())
    assert profile["margin"].sum() == pytest.approx(blobs["margin"].sum())
    assert profile["segment_name"].is_unique
    assert profile.loc[0, "segment_name"] == "Champions"


def _named_profile(rows: list[tuple[int, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["segment_id", "recency_percentile", "frequency_percentile",
                 "monetary_percentile"],
        index=[f"row{i}" for i in range(len(rows))],
    )


def test_names_follow_rfm_vocabulary_and_are_unique() -> None:
    profile = _named_profile(
        [
            (4, 0.1, 0.9, 0.95),  # a second set of champions, lower value
            (0, 0.1, 0.9, 0.9),
            (1, 0.9, 0.1, 0.1),
            (2, 0.1, 0.1, 0.5),
            (3, 0.9, 0.5, 0.9),
            (5, 0.5, 0.9, 0.2),
        ]
    )
    names = name_segments(profile)
    expected = pd.Series(
        [
            "Champions (2)",
            "Champions",
            "Lost low-value",
            "Promising newcomers",
            "Big spenders at risk",
            "Steady regulars",
        ],
        index=profile.index,
        name="segment_name",
    )
    pd.testing.assert_series_equal(names, expected, check_dtype=False)
    assert names.is_unique


def test_names_depend_on_percentiles_not_amounts(blobs: pd.DataFrame) -> None:
    segmenter = RFMSegmenter(k=4, random_state=0).fit(blobs)
    scaled = blobs.assign(monetary=blobs["monetary"] * 1000, margin=blobs["margin"] * 1000)
    before = profile_segments(blobs, segmenter.labels_)["segment_name"]
    after = profile_segments(scaled, segmenter.labels_)["segment_name"]
    pd.testing.assert_series_equal(before, after)


def test_name_segments_validates_profile() -> None:
    profile = _named_profile([(0, 0.1, 0.9, 0.9)])
    with pytest.raises(ValueError, match="missing column 'monetary_percentile' in segment profile"):
        name_segments(profile.drop(columns="monetary_percentile"))
    profile.loc["row0", "frequency_percentile"] = 90.0
    with pytest.raises(ValueError, match=r"'frequency_percentile' .* must lie in \[0, 1\]"):
        name_segments(profile)


def test_segment_customers_joins_names(blobs: pd.DataFrame) -> None:
    blobs.index = blobs.index + 1000
    segmenter = RFMSegmenter(random_state=0).fit(blobs)
    customers = segment_customers(blobs, segmenter)
    assert list(customers.columns) == ["customer_id", "segment_id", "segment_name"]
    pd.testing.assert_index_equal(customers.index, blobs.index)
    assert customers["customer_id"].tolist() == blobs["customer_id"].tolist()
    np.testing.assert_array_equal(customers["segment_id"].to_numpy(), segmenter.labels_)
    profile = profile_segments(blobs, segmenter.labels_)
    names = dict(zip(profile["segment_id"], profile["segment_name"]))
    assert customers["segment_name"].tolist() == [names[i] for i in segmenter.labels_]
    assert customers.groupby("segment_id")["segment_name"].nunique().eq(1).all()
    with pytest.raises(TypeError, match="segmenter must be an RFMSegmenter"):
        segment_customers(blobs, object())  # type: ignore[arg-type]


def test_segments_do_not_depend_on_the_row_order_of_overlapping_real_like_data():
    """Unlike separated blobs, overlapping clusters expose k-means' dependence on row position."""
    rng = np.random.default_rng(11)
    n = 30_000
    rfm = pd.DataFrame(
        {
            "customer_id": [f"c{i:06d}" for i in range(n)],
            "recency_days": rng.integers(1, 900, n),
            "frequency": rng.geometric(0.35, n),
            "monetary": rng.lognormal(6, 1.1, n),
            "margin": rng.lognormal(5, 1.1, n),
        }
    )
    first = RFMSegmenter(random_state=0, selection_sample=5_000).fit(rfm)
    shuffled = rfm.sample(frac=1.0, random_state=3)
    second = RFMSegmenter(random_state=0, selection_sample=5_000).fit(shuffled)
    by_id_first = pd.Series(first.labels_, index=rfm["customer_id"])
    by_id_second = pd.Series(second.labels_, index=shuffled["customer_id"]).reindex(by_id_first.index)
    assert first.k_ == second.k_
    assert (by_id_first == by_id_second).all()


def test_unknown_margin_stays_unknown_without_breaking_the_profile(tiny_rfm: pd.DataFrame) -> None:
    """A source without unit costs (Online Retail) has NaN margins: profiled, reported as NaN."""
    frame = tiny_rfm.assign(margin=np.nan)
    profile = profile_segments(frame, np.zeros(len(frame), dtype=int))
    assert np.isnan(profile["margin"]).all()
    assert profile["revenue"].iloc[0] == pytest.approx(frame["monetary"].sum())
