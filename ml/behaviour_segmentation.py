"""Behavioural segmentation: k-means over the customer_features mart, not only RFM.

The input is the ``customer_features`` mart as a DataFrame, one row per customer who has bought
(``frequency >= 1``). The features used (:data:`BEHAVIOUR_FEATURES`) cover value and loyalty
(recency, frequency, monetary, tenure, basket value), how a customer buys (discount share, new
products, channel, returns, focus on one department) and how they respond to e-mail. Skewed
amounts and counts enter as ``log1p``; shares as they are. Everything is then standardised, so
each feature weighs the same.

Missing values are part of real data: a customer without a campaign e-mail has no click rate, a
file source has no launch dates. A feature missing for more than half of the training customers
is left out (and reported in ``dropped_features_``); otherwise a missing value is filled with the
training median, so such a customer is "typical" on what we do not know.

Typical use::

    segmenter = BehaviourSegmenter(random_state=0).fit(buyers)
    stability = bootstrap_stability(segmenter, buyers)
    profile = profile_behaviour_segments(buyers, segmenter)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score
from sklearn.utils.validation import check_is_fitted

from ml.rfm_frame import check_int, optional_column, require_columns
from ml.segment_profiles import profile_segments
from ml.segmentation import RFMSegmenter

__all__ = [
    "BEHAVIOUR_FEATURES",
    "BEHAVIOUR_FRAME",
    "BehaviourSegmenter",
    "bootstrap_stability",
    "profile_behaviour_segments",
]

BEHAVIOUR_FRAME = "customer features frame"

#: Feature -> how it enters k-means: "log" (log1p of a non-negative amount or count) or "share".
BEHAVIOUR_FEATURES: dict[str, str] = {
    "recency_days": "log",
    "frequency": "log",
    "monetary": "log",
    "tenure_days": "log",
    "avg_basket_value": "log",
    "discount_line_share": "share",
    "new_product_share": "share",
    "web_share": "share",
    "return_rate": "share",
    "favourite_department_share": "share",
    "campaign_click_rate": "share",
}

# What a segment's most distinctive feature says about it, when the segment mean is far above
# ("high") or below ("low") the mean of all customers. RFM itself is in the base name already.
_TRAITS: dict[str, dict[str, str]] = {
    "discount_line_share": {"high": "deal seekers", "low": "full-price buyers"},
    "new_product_share": {"high": "new-in fans"},
    "web_share": {"high": "online-first", "low": "store-first"},
    "return_rate": {"high": "frequent returners"},
    "avg_basket_value": {"high": "big baskets", "low": "small baskets"},
    "favourite_department_share": {"high": "one-department", "low": "broad shoppers"},
    "campaign_click_rate": {"high": "e-mail responsive"},
    "tenure_days": {"high": "long-standing", "low": "newly acquired"},
}

# A segment mean this many standard deviations from the overall mean sets the segment apart.
_DISTINCT_Z = 0.5
# Selection sample of the bootstrap refits (k is fixed there; their indices are not used).
_REFIT_SELECTION_SAMPLE = 1_000
# A feature missing for more than this share of training customers is left out.
_MAX_MISSING_SHARE = 0.5


class BehaviourSegmenter(RFMSegmenter):
    """K-means over behavioural features, k chosen like :class:`ml.segmentation.RFMSegmenter`.

    Parameters are those of ``RFMSegmenter`` plus ``features``: the columns to use and how each
    enters (default :data:`BEHAVIOUR_FEATURES`). Segment 0 still has the highest mean monetary.

    Attributes (besides those of ``RFMSegmenter``)
    -----------------------------------------------
    features_ : list of str
        The features used, in matrix column order.
    dropped_features_ : list of str
        Requested features left out because more than half of the training rows miss them.
    fill_values_ : dict of str -> float
        Training median of each used feature (after its transform), filled in for missing values.
    """

    def __init__(
        self,
        k: int | None = None,
        k_min: int = 3,
        k_max: int = 10,
        selection_sample: int = 20_000,
        n_init: int = 4,
        random_state: int = 0,
        features: dict[str, str] | None = None,
    ) -> None:
        super().__init__(k=k, k_min=k_min, k_max=k_max, selection_sample=selection_sample,
                         n_init=n_init, random_state=random_state)
        self.features = features

    def _spec(self) -> dict[str, str]:
        spec = dict(BEHAVIOUR_FEATURES if self.features is None else self.features)
        bad = {name: how for name, how in spec.items() if how not in ("log", "share")}
        if bad:
            raise ValueError(f"features: transforms must be 'log' or 'share', got {bad}")
        if not spec:
            raise ValueError("features: give at least one feature")
        return spec

    def _transformed(self, frame: pd.DataFrame, names: Sequence[str]) -> dict[str, np.ndarray]:
        spec = self._spec()
        # monetary orders the segment ids, so it is needed even outside the spec (listed once)
        require_columns(frame, list(dict.fromkeys([*spec, "monetary"])), BEHAVIOUR_FRAME)
        columns = {}
        for name in names:
            values = optional_column(frame, name, BEHAVIOUR_FRAME)
            # net monetary (or a basket) can be negative after returns: worth nothing to us, and
            # log1p is undefined below -1
            columns[name] = np.log1p(np.maximum(values, 0.0)) if spec[name] == "log" else values
        return columns

    def _learn_inputs(self, frame: pd.DataFrame) -> None:
        spec = self._spec()
        columns = self._transformed(frame, list(spec))
        missing = {name: float(np.isnan(values).mean()) for name, values in columns.items()}
        self.features_ = [name for name in spec if missing[name] <= _MAX_MISSING_SHARE]
        self.dropped_features_ = [name for name in spec if missing[name] > _MAX_MISSING_SHARE]
        if not self.features_:
            raise ValueError(
                f"every feature is missing for more than half of the customers in the {BEHAVIOUR_FRAME}: "
                f"{', '.join(spec)}"
            )
        self.fill_values_ = {name: float(np.nanmedian(columns[name])) for name in self.features_}

    def _raw_features(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        columns = self._transformed(frame, self.features_)
        matrix = np.column_stack(
            [np.where(np.isnan(columns[name]), self.fill_values_[name], columns[name]) for name in self.features_]
        )
        monetary = optional_column(frame, "monetary", BEHAVIOUR_FRAME)
        return matrix, np.nan_to_num(monetary, nan=0.0)


def bootstrap_stability(
    segmenter: BehaviourSegmenter, frame: pd.DataFrame, n_boot: int = 10, sample: int = 20_000
) -> pd.DataFrame:
    """Agreement of the segmentation with fits on bootstrap resamples (adjusted Rand index).

    Each round refits the segmenter's settings with its chosen k fixed on a bootstrap resample
    (drawn with replacement) of at most ``sample`` customers, assigns a fixed reference set of
    customers with both models and compares the two assignments with the adjusted Rand index
    (1 = the same partition, about 0 = chance). Stable segments score near 1 in every round.

    Returns
    -------
    pandas.DataFrame
        One row per round: ``round`` and ``adjusted_rand_index``.
    """
    check_is_fitted(segmenter, "kmeans_")
    check_int("n_boot", n_boot, 1)
    check_int("sample", sample, 10)
    n = len(frame)
    rng = np.random.default_rng(segmenter.random_state)
    reference = frame.iloc[np.sort(rng.choice(n, size=min(n, sample), replace=False))]
    expected = segmenter.predict(reference)
    rows = []
    for round_ in range(n_boot):
        resample = frame.iloc[rng.choice(n, size=min(n, sample), replace=True)]
        # the refit must not re-pick k: stability is about the partition at the chosen k
        # ... and its quality indices are not reported, so a small selection sample keeps the
        # quadratic silhouette cheap; the refit itself still uses the whole resample
        refit = clone(segmenter).set_params(
            k=segmenter.k_, random_state=segmenter.random_state + round_ + 1, selection_sample=_REFIT_SELECTION_SAMPLE
        )
        refit.fit(resample)
        rows.append({"round": round_, "adjusted_rand_index": adjusted_rand_score(expected, refit.predict(reference))})
    return pd.DataFrame(rows)


def _trait(feature: str, z: float) -> str | None:
    direction = "high" if z > 0 else "low"
    return _TRAITS.get(feature, {}).get(direction)


def profile_behaviour_segments(frame: pd.DataFrame, segmenter: BehaviourSegmenter) -> pd.DataFrame:
    """Size, value, feature means, what sets each segment apart, and a name from that profile.

    The RFM columns (size, revenue, margin and their shares, mean recency/frequency/monetary)
    come from :func:`ml.segment_profiles.profile_segments`, whose RFM name is the base of the
    segment name. To it is added the trait of the behavioural feature whose segment mean lies
    furthest (in standard deviations of all customers, at least 0.5) from the overall mean, e.g.
    "Champions: deal seekers" or "Hibernating: store-first".

    Returns
    -------
    pandas.DataFrame
        One row per segment: the columns of ``profile_segments`` (``segment_name`` replaced),
        ``mean_<feature>`` for every feature used, and ``sets_apart``: the up to three features
        furthest from the overall mean, as text ("discount_line_share 0.71 vs 0.32 overall").
    """
    check_is_fitted(segmenter, "kmeans_")
    labels = segmenter.predict(frame)
    profile = profile_segments(frame, labels)
    columns = segmenter._transformed(frame, segmenter.features_)
    raw = {name: optional_column(frame, name, BEHAVIOUR_FRAME) for name in segmenter.features_}
    names, apart = [], []
    for position, segment in enumerate(profile["segment_id"]):
        members = labels == segment
        scores = []
        for name in segmenter.features_:
            transformed = columns[name]
            spread = np.nanstd(transformed)
            z = (np.nanmean(transformed[members]) - np.nanmean(transformed)) / spread if spread > 0 else 0.0
            scores.append((abs(z), z, name))
            profile.loc[profile.index[position], f"mean_{name}"] = np.nanmean(raw[name][members])
        scores.sort(reverse=True)
        apart.append("; ".join(
            f"{name} {np.nanmean(raw[name][members]):,.2f} vs {np.nanmean(raw[name]):,.2f} overall"
            for size, _, name in scores[:3] if size >= _DISTINCT_Z
        ))
        trait = next((_trait(name, z) for size, z, name in scores if size >= _DISTINCT_Z and _trait(name, z)), None)
        # the RFM name's " (2)" only told RFM twins apart; the trait may do that better
        base = re.sub(r" \(\d+\)$", "", profile.loc[profile.index[position], "segment_name"])
        names.append(f"{base}: {trait}" if trait else base)
    profile["segment_name"] = _unique(names)
    profile["sets_apart"] = apart
    return profile


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
