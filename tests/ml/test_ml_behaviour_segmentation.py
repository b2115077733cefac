"""Tests of ml.behaviour_segmentation on planted behavioural groups and hand-computed frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import adjusted_rand_score

from ml.behaviour_segmentation import (
    BEHAVIOUR_FEATURES,
    BehaviourSegmenter,
    _unique,
    bootstrap_stability,
    profile_behaviour_segments,
)

LOG_FEATURES = [name for name, how in BEHAVIOUR_FEATURES.items() if how == "log"]
SHARE_FEATURES = [name for name, how in BEHAVIOUR_FEATURES.items() if how == "share"]

# Planted groups: a centre on every feature, so every feature separates them. Group 0 is the
# deal seekers: its discount_line_share is the feature furthest from the overall mean (about
# 1.6 standard deviations, every other feature of group 0 below 0.7).
GROUPS = [
    {  # 0: deal seekers
        "recency_days": 20, "frequency": 10, "monetary": 800.0, "tenure_days": 700,
        "avg_basket_value": 80.0, "discount_line_share": 0.80, "new_product_share": 0.25,
        "web_share": 0.30, "return_rate": 0.05, "favourite_department_share": 0.40,
        "campaign_click_rate": 0.30,
    },
    {  # 1: online, full price, high value
        "recency_days": 10, "frequency": 15, "monetary": 3000.0, "tenure_days": 1000,
        "avg_basket_value": 200.0, "discount_line_share": 0.05, "new_product_share": 0.50,
        "web_share": 0.90, "return_rate": 0.25, "favourite_department_share": 0.70,
        "campaign_click_rate": 0.60,
    },
    {  # 2: store, low value, lapsed
        "recency_days": 400, "frequency": 2, "monetary": 100.0, "tenure_days": 200,
        "avg_basket_value": 50.0, "discount_line_share": 0.20, "new_product_share": 0.20,
        "web_share": 0.05, "return_rate": 0.02, "favourite_department_share": 0.90,
        "campaign_click_rate": 0.02,
    },
    {  # 3: long-standing, broad, middling
        "recency_days": 90, "frequency": 5, "monetary": 400.0, "tenure_days": 2000,
        "avg_basket_value": 120.0, "discount_line_share": 0.40, "new_product_share": 0.30,
        "web_share": 0.50, "return_rate": 0.10, "favourite_department_share": 0.20,
        "campaign_click_rate": 0.10,
    },
]


def planted_behaviour(size: int, seed: int, groups: list[dict[str, float]] = GROUPS) -> pd.DataFrame:
    """Tight groups around ``groups``' centres; column ``group`` holds the planted group."""
    rng = np.random.default_rng(seed)
    frames = []
    for group, centre in enumerate(groups):
        columns: dict[str, np.ndarray] = {}
        for name in LOG_FEATURES:
            values = np.expm1(np.log1p(centre[name]) + rng.normal(0.0, 0.08, size))
            columns[name] = np.round(values, 2)
        for name in SHARE_FEATURES:
            columns[name] = np.clip(centre[name] + rng.normal(0.0, 0.02, size), 0.0, 1.0)
        frame = pd.DataFrame(columns)
        frame["group"] = group
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    data["recency_days"] = data["recency_days"].round().astype("int64")
    data["frequency"] = np.maximum(1, data["frequency"].round()).astype("int64")
    data["tenure_days"] = data["tenure_days"].round().astype("int64")
    data.insert(0, "customer_id", [f"C{i:05d}" for i in range(len(data))])
    data["margin"] = (data["monetary"] * 0.4).round(2)
    # Shuffle so the planted groups are not contiguous blocks of rows.
    return data.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def uniform_noise(size: int, seed: int) -> pd.DataFrame:
    """Structureless customers: every feature uniform and independent of the others."""
    rng = np.random.default_rng(seed)
    data = pd.DataFrame({name: np.expm1(rng.uniform(0.0, 6.0, size)) for name in LOG_FEATURES})
    for name in SHARE_FEATURES:
        data[name] = rng.uniform(0.0, 1.0, size)
    data["frequency"] = np.maximum(1.0, data["frequency"])
    data.insert(0, "customer_id", [f"N{i:05d}" for i in range(size)])
    data["margin"] = data["monetary"] * 0.4
    return data


@pytest.fixture(scope="module")
def groups() -> pd.DataFrame:
    return planted_behaviour(size=120, seed=3)


@pytest.fixture(scope="module")
def fitted(groups: pd.DataFrame) -> BehaviourSegmenter:
    return BehaviourSegmenter(random_state=0).fit(groups)


# ------------------------------------------------------------------------------------------
# Recovering planted groups
# ------------------------------------------------------------------------------------------


def test_recovers_planted_groups_and_k(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    assert fitted.k_ == len(GROUPS)
    assert adjusted_rand_score(groups["group"], fitted.labels_) >= 0.95
    assert fitted.features_ == list(BEHAVIOUR_FEATURES)
    assert fitted.dropped_features_ == []
    assert fitted.cluster_centers_.shape == (len(GROUPS), len(BEHAVIOUR_FEATURES))
    assert fitted.selection_["k"].tolist() == list(range(3, 11))
    np.testing.assert_array_equal(fitted.predict(groups), fitted.labels_)


def test_segment_zero_has_the_highest_mean_monetary(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    means = groups.groupby(fitted.labels_)["monetary"].mean()
    assert means.index.tolist() == list(range(fitted.k_))
    assert means.is_monotonic_decreasing
    # Planted group 1 (monetary ~3000) is the richest.
    assert set(fitted.labels_[groups["group"].to_numpy() == 1]) == {0}


def test_recovers_groups_from_a_selection_subsample() -> None:
    data = planted_behaviour(size=300, seed=8)
    segmenter = BehaviourSegmenter(selection_sample=300, random_state=2).fit(data)
    assert segmenter.n_selection_rows_ == 300
    assert segmenter.k_ == len(GROUPS)
    assert adjusted_rand_score(data["group"], segmenter.labels_) >= 0.95


def test_ids_do_not_depend_on_row_order(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    shuffled = groups.sample(frac=1.0, random_state=41).reset_index(drop=True)
    second = BehaviourSegmenter(random_state=0).fit(shuffled)
    by_customer = pd.Series(second.labels_, index=shuffled["customer_id"])
    np.testing.assert_array_equal(by_customer[groups["customer_id"]].to_numpy(), fitted.labels_)


def test_custom_feature_spec_is_used(groups: pd.DataFrame) -> None:
    spec = {"monetary": "log", "discount_line_share": "share"}
    segmenter = BehaviourSegmenter(k=4, random_state=0, features=spec).fit(groups)
    assert segmenter.features_ == ["monetary", "discount_line_share"]
    assert segmenter.cluster_centers_.shape == (4, 2)
    # Columns outside the spec are not needed, not even the other behaviour features.
    slim = groups[["customer_id", "monetary", "discount_line_share"]]
    np.testing.assert_array_equal(segmenter.predict(slim), segmenter.labels_)
    # Every planted group has its own (monetary, discount) pair, so two features suffice.
    assert adjusted_rand_score(groups["group"], segmenter.labels_) >= 0.95


# ------------------------------------------------------------------------------------------
# Missing values
# ------------------------------------------------------------------------------------------


def test_feature_missing_for_most_customers_is_dropped(groups: pd.DataFrame) -> None:
    data = groups.copy()
    n = len(data)
    data.loc[: n // 2, "campaign_click_rate"] = np.nan  # n // 2 + 1 rows: just over half
    data.loc[: n // 2 - 1, "new_product_share"] = np.nan  # exactly half: kept
    segmenter = BehaviourSegmenter(k=4, random_state=0).fit(data)
    assert segmenter.dropped_features_ == ["campaign_click_rate"]
    assert "campaign_click_rate" not in segmenter.features_
    assert "campaign_click_rate" not in segmenter.fill_values_
    assert segmenter.features_ == [f for f in BEHAVIOUR_FEATURES if f != "campaign_click_rate"]
    assert segmenter.cluster_centers_.shape == (4, len(BEHAVIOUR_FEATURES) - 1)
    expected = float(np.median(data["new_product_share"].dropna()))
    assert segmenter.fill_values_["new_product_share"] == pytest.approx(expected, rel=1e-12)
    assert not np.isnan(segmenter.cluster_centers_).any()


def test_feature_missing_for_few_customers_is_filled_with_the_training_median(
    groups: pd.DataFrame,
) -> None:
    data = groups.copy()
    data["avg_basket_value"] = data["avg_basket_value"].astype("float64")
    data.loc[[2, 5, 7], "avg_basket_value"] = np.nan
    data.loc[[1, 5], "web_share"] = np.nan
    segmenter = BehaviourSegmenter(k=4, random_state=0).fit(data)
    assert segmenter.dropped_features_ == []
    # A log feature's fill value is the median of log1p of the known values ...
    known_basket = data["avg_basket_value"].dropna().to_numpy()
    assert segmenter.fill_values_["avg_basket_value"] == pytest.approx(
        np.median(np.log1p(known_basket)), rel=1e-12
    )
    # ... a share's the median of the share itself.
    assert segmenter.fill_values_["web_share"] == pytest.approx(
        np.median(data["web_share"].dropna()), rel=1e-12
    )
    assert segmenter.fill_values_["monetary"] == pytest.approx(
        np.median(np.log1p(data["monetary"].clip(lower=0))), rel=1e-12
    )
    assert not np.isnan(segmenter.cluster_centers_).any()

    # predict on rows with gaps: each gap acts exactly like the training median.
    with_gaps = data.loc[[1, 2, 5, 7]].copy()
    labels = segmenter.predict(with_gaps)
    assert labels.shape == (4,) and set(labels) <= set(range(4))
    filled = with_gaps.copy()
    filled["avg_basket_value"] = filled["avg_basket_value"].fillna(
        float(np.expm1(segmenter.fill_values_["avg_basket_value"]))
    )
    filled["web_share"] = filled["web_share"].fillna(segmenter.fill_values_["web_share"])
    np.testing.assert_array_equal(labels, segmenter.predict(filled))
    # A gap on a prediction row (not in training) is filled the same way.
    fresh = data.loc[[10, 11]].copy()
    fresh["return_rate"] = np.nan
    filled_fresh = fresh.assign(return_rate=segmenter.fill_values_["return_rate"])
    np.testing.assert_array_equal(segmenter.predict(fresh), segmenter.predict(filled_fresh))


def test_every_feature_missing_is_refused(groups: pd.DataFrame) -> None:
    data = groups.copy()
    data[["web_share", "return_rate"]] = np.nan
    spec = {"web_share": "share", "return_rate": "share"}
    with pytest.raises(ValueError, match="every feature is missing .*web_share, return_rate"):
        BehaviourSegmenter(k=3, features=spec).fit(data)


def test_negative_monetary_counts_as_zero(groups: pd.DataFrame) -> None:
    # Net monetary below 0 (returns exceed purchases) enters as log1p(0), not as NaN.
    data = groups.copy()
    data.loc[[0, 1], "monetary"] = [-50.0, 0.0]
    segmenter = BehaviourSegmenter(k=4, random_state=0).fit(data)
    assert not np.isnan(segmenter.cluster_centers_).any()
    row0 = data.loc[[0]]
    as_zero = row0.assign(monetary=0.0)
    np.testing.assert_array_equal(segmenter.predict(row0), segmenter.predict(as_zero))


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


def test_bad_transform_spec_names_the_column(groups: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"transforms must be 'log' or 'share', got \{'web_share': 'sqrt'\}"):
        BehaviourSegmenter(features={"monetary": "log", "web_share": "sqrt"}).fit(groups)
    with pytest.raises(ValueError, match="give at least one feature"):
        BehaviourSegmenter(features={}).fit(groups)


@pytest.mark.parametrize("column", ["return_rate", "tenure_days", "monetary"])
def test_missing_column_is_named(groups: pd.DataFrame, column: str) -> None:
    with pytest.raises(ValueError, match=f"missing column '{column}' in customer features frame"):
        BehaviourSegmenter(k=3).fit(groups.drop(columns=column))


def test_missing_column_at_predict_is_named(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    with pytest.raises(ValueError, match="missing column 'web_share' in customer features frame"):
        fitted.predict(groups.drop(columns="web_share"))


def test_monetary_is_required_even_outside_the_spec(groups: pd.DataFrame) -> None:
    # Segment ids are ordered by mean monetary, so it is needed whatever the features.
    with pytest.raises(ValueError, match="missing column 'monetary'"):
        BehaviourSegmenter(k=3, features={"web_share": "share"}).fit(groups.drop(columns="monetary"))


def test_text_feature_and_infinite_values_are_refused(groups: pd.DataFrame) -> None:
    with pytest.raises(TypeError, match="'web_share' .* must be numeric"):
        BehaviourSegmenter(k=3).fit(groups.astype({"web_share": str}))
    data = groups.copy()
    data.loc[0, "return_rate"] = np.inf
    with pytest.raises(ValueError, match="'return_rate' .* infinite values"):
        BehaviourSegmenter(k=3).fit(data)


# ------------------------------------------------------------------------------------------
# Bootstrap stability
# ------------------------------------------------------------------------------------------


def test_bootstrap_stability_separates_structure_from_noise(
    groups: pd.DataFrame, fitted: BehaviourSegmenter
) -> None:
    stable = bootstrap_stability(fitted, groups, n_boot=5)
    assert list(stable.columns) == ["round", "adjusted_rand_index"]
    assert stable["round"].tolist() == list(range(5))
    assert stable["adjusted_rand_index"].between(-1.0, 1.0).all()
    assert stable["adjusted_rand_index"].mean() >= 0.9

    noise = uniform_noise(size=480, seed=5)
    on_noise = BehaviourSegmenter(k=4, random_state=0).fit(noise)
    unstable = bootstrap_stability(on_noise, noise, n_boot=5)
    assert len(unstable) == 5
    # k-means cuts structureless data differently on every resample.
    assert unstable["adjusted_rand_index"].mean() < 0.6
    assert unstable["adjusted_rand_index"].mean() < stable["adjusted_rand_index"].mean() - 0.2


def test_bootstrap_stability_uses_a_capped_sample(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    stable = bootstrap_stability(fitted, groups, n_boot=3, sample=100)
    assert stable["round"].tolist() == [0, 1, 2]
    assert stable["adjusted_rand_index"].mean() >= 0.9
    # Equal seeds give equal rounds.
    pd.testing.assert_frame_equal(stable, bootstrap_stability(fitted, groups, n_boot=3, sample=100))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_boot": 0}, ValueError, "n_boot must be >= 1, got 0"),
        ({"n_boot": -3}, ValueError, "n_boot must be >= 1"),
        ({"n_boot": 2.5}, TypeError, "n_boot must be an int"),
        ({"sample": 9}, ValueError, "sample must be >= 10"),
    ],
)
def test_bootstrap_stability_refuses_bad_parameters(
    groups: pd.DataFrame, fitted: BehaviourSegmenter, kwargs: dict[str, object], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        bootstrap_stability(fitted, groups, **kwargs)  # type: ignore[arg-type]


def test_bootstrap_stability_needs_a_fitted_segmenter(groups: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError):
        bootstrap_stability(BehaviourSegmenter(), groups)


# ------------------------------------------------------------------------------------------
# Profiles
# ------------------------------------------------------------------------------------------


def test_profile_totals_and_feature_means(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    profile = profile_behaviour_segments(groups, fitted)
    labels = fitted.labels_
    assert profile["segment_id"].tolist() == list(range(fitted.k_))
    assert profile["customers"].sum() == len(groups)
    assert profile["customers"].tolist() == np.bincount(labels).tolist()
    assert profile["revenue_share"].sum() == pytest.approx(1.0)
    assert profile["revenue"].sum() == pytest.approx(groups["monetary"].sum())
    means = groups.groupby(labels)[list(fitted.features_)].mean()
    for name in fitted.features_:
        np.testing.assert_allclose(profile[f"mean_{name}"].to_numpy(), means[name].to_numpy(), rtol=1e-12)
    assert profile["segment_name"].is_unique
    assert "sets_apart" in profile.columns


def test_profile_names_the_deal_seekers(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    profile = profile_behaviour_segments(groups, fitted).set_index("segment_id")
    members = groups["group"].to_numpy() == 0
    (segment,) = set(fitted.labels_[members])
    assert (fitted.labels_ == segment).sum() == members.sum()
    name = profile.loc[segment, "segment_name"]
    assert name.endswith(": deal seekers")
    group_mean = groups.loc[members, "discount_line_share"].mean()
    overall = groups["discount_line_share"].mean()
    apart = profile.loc[segment, "sets_apart"]
    assert apart.split("; ")[0] == f"discount_line_share {group_mean:,.2f} vs {overall:,.2f} overall"
    assert len(apart.split("; ")) <= 3
    # No other segment is the deal seekers: their discount share is at or below the mean.
    others = profile.drop(index=segment)
    assert not others["segment_name"].str.contains("deal seekers").any()


def test_profile_with_a_dropped_feature_and_gaps(groups: pd.DataFrame) -> None:
    data = groups.copy()
    data.loc[: len(data) * 3 // 4, "campaign_click_rate"] = np.nan
    data.loc[[0, 3], "web_share"] = np.nan
    segmenter = BehaviourSegmenter(k=4, random_state=0).fit(data)
    profile = profile_behaviour_segments(data, segmenter)
    assert "mean_campaign_click_rate" not in profile.columns
    # The mean of a feature with gaps is over the known values (as pandas skips NaN).
    expected = data.groupby(segmenter.labels_)["web_share"].mean()
    np.testing.assert_allclose(profile["mean_web_share"].to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_profile_needs_margin_and_a_fitted_segmenter(groups: pd.DataFrame, fitted: BehaviourSegmenter) -> None:
    with pytest.raises(ValueError, match="missing column 'margin'"):
        profile_behaviour_segments(groups.drop(columns="margin"), fitted)
    with pytest.raises(NotFittedError):
        profile_behaviour_segments(groups, BehaviourSegmenter())


def test_unique_suffixes_repeated_names() -> None:
    assert _unique(["A: deal seekers", "B", "A: deal seekers", "A: deal seekers"]) == [
        "A: deal seekers",
        "B",
        "A: deal seekers (2)",
        "A: deal seekers (3)",
    ]
