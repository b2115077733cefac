"""RFM segmentation of customers: k-means on scaled log-RFM features, with k chosen by consensus.

The input is the ``customer_rfm`` mart as a DataFrame, one row per customer:

========================  =====  ==========================================================
column                    type   meaning
========================  =====  ==========================================================
``customer_id``           str    merged customer key
``recency_days``          int    days since the last order, >= 0
``frequency``             int    number of orders, >= 1
``monetary``              float  net revenue; <= 0 when returns cancel the purchases
``margin``                float  net margin
========================  =====  ==========================================================

Extra columns are ignored. Typical use::

    segmenter = RFMSegmenter(random_state=0).fit(rfm)
    profile = ml.segment_profiles.profile_segments(rfm, segmenter.labels_)
    customers = segment_customers(rfm, segmenter)

Segment ids are ordered by value: segment 0 has the highest mean monetary, so ids do not depend on
k-means' arbitrary label order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import KMeans
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from ml.rfm_frame import CUSTOMER_COLUMNS, FEATURE_COLUMNS, RFM_FRAME, check_int, require_columns, rfm_values
from ml.segment_profiles import profile_segments

__all__ = [
    "RFMSegmenter",
    "rfm_feature_matrix",
    "segment_customers",
]

# Distance block size (elements) for the silhouette: 2e6 float64 = 16 MB per block, small enough
# for any worker yet large enough that BLAS, not Python, dominates.
_SILHOUETTE_BLOCK = 2_000_000


# --------------------------------------------------------------------------------------------
# Features
# --------------------------------------------------------------------------------------------


def _log_features(values: dict[str, np.ndarray]) -> np.ndarray:
    # Net monetary can be negative after returns; such customers are worth nothing to us, and
    # log1p of a negative number would be undefined below -1.
    return np.column_stack(
        [
            np.log1p(values["recency_days"]),
            np.log1p(values["frequency"]),
            np.log1p(np.maximum(values["monetary"], 0.0)),
        ]
    )


def _fit_scaler(features: np.ndarray) -> StandardScaler:
    scaler = StandardScaler().fit(features)
    # StandardScaler leaves a constant column at (x - mean) with mean off by an ulp, i.e. tiny
    # non-zero noise; pinning the mean to the constant makes that column exactly 0.
    constant = np.ptp(features, axis=0) == 0
    if constant.any():
        scaler.mean_ = np.where(constant, features[0], scaler.mean_)
    return scaler


def rfm_feature_matrix(rfm: pd.DataFrame) -> np.ndarray:
    """Scaled log-RFM features, one row per customer.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Customer RFM frame with columns ``recency_days`` (>= 0), ``frequency`` (>= 1) and
        ``monetary``; other columns are ignored.

    Returns
    -------
    numpy.ndarray of shape (n_customers, 3)
        Columns ``log1p(recency_days)``, ``log1p(frequency)`` and ``log1p(max(monetary, 0))``,
        each standardised to mean 0 and unit variance (population standard deviation, as
        :class:`sklearn.preprocessing.StandardScaler`). A constant column becomes exactly 0.

    Raises
    ------
    ValueError
        If a column is missing, holds missing/infinite values, or violates its range.
    """
    features = _log_features(rfm_values(rfm, FEATURE_COLUMNS))
    return _fit_scaler(features).transform(features)


# --------------------------------------------------------------------------------------------
# Choosing k
# --------------------------------------------------------------------------------------------


def _silhouette_scores(features: np.ndarray, labelings: Sequence[np.ndarray]) -> np.ndarray:
    """Mean silhouette (Euclidean) of several labelings of the same points.

    Same definition as :func:`sklearn.metrics.silhouette_score` (a point alone in its cluster
    scores 0), but the pairwise distances, which dominate the cost, are computed once for all
    labelings instead of once per k: each block of distances is multiplied by the stacked one-hot
    encodings to get every point's distance sum to every cluster of every labeling.
    """
    n = features.shape[0]
    encoded = []
    offset = 0
    for labels in labelings:
        _, codes = np.unique(labels, return_inverse=True)
        k = int(codes.max()) + 1
        encoded.append((offset, k, codes, np.bincount(codes, minlength=k).astype(np.float64)))
        offset += k
    onehot = np.zeros((n, offset))
    rows = np.arange(n)
    for start, _, codes, _ in encoded:
        onehot[rows, start + codes] = 1.0

    totals = np.zeros(len(encoded))
    block = max(1, _SILHOUETTE_BLOCK // n)
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        cluster_sums = cdist(features[lo:hi], features) @ onehot
        local = np.arange(hi - lo)
        for j, (start, k, codes, sizes) in enumerate(encoded):
            if k < 2:
                totals[j] = np.nan
                continue
            sums = cluster_sums[:, start : start + k]
            own = codes[lo:hi]
            own_size = sizes[own]
            intra = sums[local, own] / np.maximum(own_size - 1.0, 1.0)
            mean_to = sums / sizes
            mean_to[local, own] = np.inf
            nearest = mean_to.min(axis=1)
            denom = np.maximum(intra, nearest)
            ok = (own_size > 1) & (denom > 0)
            score = np.where(ok, (nearest - intra) / np.where(ok, denom, 1.0), 0.0)
            totals[j] += score.sum()
    return totals / n


def _selection_table(
    ks: Sequence[int],
    silhouette: Sequence[float],
    davies_bouldin: Sequence[float],
    calinski_harabasz: Sequence[float],
) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "k": np.asarray(ks, dtype=np.int64),
            "silhouette": np.asarray(silhouette, dtype=np.float64),
            "davies_bouldin": np.asarray(davies_bouldin, dtype=np.float64),
            "calinski_harabasz": np.asarray(calinski_harabasz, dtype=np.float64),
        }
    )
    # Rank 1 is best for every metric; an undefined metric ranks last rather than winning.
    ranks = pd.concat(
        [
            table["silhouette"].rank(ascending=False, na_option="bottom"),
            table["davies_bouldin"].rank(ascending=True, na_option="bottom"),
            table["calinski_harabasz"].rank(ascending=False, na_option="bottom"),
        ],
        axis=1,
    )
    table["mean_rank"] = ranks.sum(axis=1) / 3.0
    best = table.sort_values(["mean_rank", "k"], kind="stable").index[0]
    table["chosen"] = table.index == best
    return table


def _cluster_metrics(features: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    if np.unique(labels).size < 2:
        return np.nan, np.nan
    return davies_bouldin_score(features, labels), calinski_harabasz_score(features, labels)


# --------------------------------------------------------------------------------------------
# Estimator
# --------------------------------------------------------------------------------------------


def _canonical_order(rfm: pd.DataFrame) -> np.ndarray:
    """Row positions sorted by ``customer_id`` (by the RFM values when there is no id column)."""
    if "customer_id" in rfm.columns:
        return rfm["customer_id"].argsort(kind="stable").to_numpy()
    return np.lexsort([rfm[c].to_numpy() for c in reversed(FEATURE_COLUMNS)])


class RFMSegmenter(ClusterMixin, BaseEstimator):
    """K-means segmentation of customers on scaled log-RFM features.

    k is chosen over ``[k_min, k_max]`` by three internal validity indices computed on the same
    random sample of customers: silhouette (higher is better), Davies-Bouldin (lower is better)
    and Calinski-Harabasz (higher is better). Each k gets its rank under each index (1 = best);
    the k with the best mean rank wins, ties going to the smaller k. The final k-means is then
    fitted on all customers.

    Parameters
    ----------
    k : int or None, default=None
        Fixed number of segments. When set, no search is done, but the three indices are still
        computed for that k and reported in ``selection_``.
    k_min, k_max : int, default=3, 10
        Search range for k, inclusive. Both are clipped so that k is below the number of
        distinct feature rows in the selection sample.
    selection_sample : int, default=20_000
        Number of customers sampled without replacement to choose k and compute the indices.
        The silhouette is quadratic in this number; all customers are used when there are fewer.
    n_init : int, default=4
        Number of k-means initialisations, for the search and for the final fit.
    random_state : int, default=0
        Seed of the sample and of k-means. Equal seeds on equal data give equal results.

    Attributes
    ----------
    k_ : int
        Number of segments fitted.
    selection_ : pandas.DataFrame
        One row per k tried: ``k``, ``silhouette``, ``davies_bouldin``, ``calinski_harabasz``,
        ``mean_rank`` and ``chosen`` (bool, True on exactly one row).
    scaler_ : sklearn.preprocessing.StandardScaler
        Standardisation of the log-RFM features learnt on the training customers.
    kmeans_ : sklearn.cluster.KMeans
        The k-means fitted on all training customers. Its labels are k-means' own; use
        ``label_map_`` to turn them into segment ids.
    label_map_ : numpy.ndarray of shape (k_,)
        ``label_map_[kmeans_label]`` is the segment id.
    cluster_centers_ : numpy.ndarray of shape (k_, 3)
        Centres in scaled feature space, row i being segment i.
    labels_ : numpy.ndarray of shape (n_customers,)
        Segment id of every training customer; segment 0 has the highest mean monetary.
    n_selection_rows_ : int
        Number of customers the indices were computed on.

    Examples
    --------
    >>> segmenter = RFMSegmenter(random_state=0).fit(rfm)  # doctest: +SKIP
    >>> segmenter.selection_  # doctest: +SKIP
    """

    def __init__(
        self,
        k: int | None = None,
        k_min: int = 3,
        k_max: int = 10,
        selection_sample: int = 20_000,
        n_init: int = 4,
        random_state: int = 0,
    ) -> None:
        self.k = k
        self.k_min = k_min
        self.k_max = k_max
        self.selection_sample = selection_sample
        self.n_init = n_init
        self.random_state = random_state

    def _check_params(self) -> None:
        if self.k is not None:
            check_int("k", self.k, 2)
        check_int("k_min", self.k_min, 2)
        check_int("k_max", self.k_max, 2)
        if self.k_max < self.k_min:
            raise ValueError(f"k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        check_int("selection_sample", self.selection_sample, 3)
        check_int("n_init", self.n_init, 1)
        check_int("random_state", self.random_state, 0)

    def _kmeans(self, k: int) -> KMeans:
        return KMeans(n_clusters=k, n_init=self.n_init, random_state=self.random_state)

    def fit(self, rfm: pd.DataFrame, y: None = None) -> RFMSegmenter:
        """Choose k (unless fixed), fit k-means on all customers and order the segments.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Customer RFM frame with ``recency_days``, ``frequency`` and ``monetary``.
        y : None
            Ignored; present for scikit-learn compatibility.

        Returns
        -------
        RFMSegmenter
            The fitted estimator.

        Raises
        ------
        ValueError
            On invalid parameters or input, or when the sample has fewer than 3 distinct
            customers (or not more than a fixed ``k``).
        """
        self._check_params()
        self._learn_inputs(rfm)
        # k-means' sampling and seeding go by row position, and a warehouse returns rows in no
        # fixed order: fit in a canonical order so the same customers give the same segments.
        canonical = _canonical_order(rfm)
        raw_features, monetary = self._raw_features(rfm)
        raw_features, monetary = raw_features[canonical], monetary[canonical]
        scaler = _fit_scaler(raw_features)
        features = scaler.transform(raw_features)

        n = features.shape[0]
        subsampled = n > self.selection_sample
        if subsampled:
            rng = np.random.default_rng(self.random_state)
            rows = np.sort(rng.choice(n, size=self.selection_sample, replace=False))
            sample = features[rows]
        else:
            sample = features

        # k-means cannot place k centres on fewer than k distinct points, and the silhouette
        # needs at least one cluster to hold two points; both hold when k < distinct rows.
        distinct = np.unique(sample, axis=0).shape[0]
        k_cap = distinct - 1
        if self.k is not None:
            if self.k > k_cap:
                raise ValueError(
                    f"k={self.k} needs more than {self.k} distinct customers (in RFM terms) in "
                    f"the selection sample, got {distinct}; lower k or pass more customers"
                )
            ks = [self.k]
        else:
            if k_cap < 2:
                raise ValueError(
                    f"segmentation needs at least 3 distinct customers (in RFM terms) in the "
                    f"selection sample, got {distinct}; pass more customers"
                )
            k_hi = min(self.k_max, k_cap)
            ks = list(range(min(self.k_min, k_hi), k_hi + 1))

        models = {k: self._kmeans(k).fit(sample) for k in ks}
        labelings = [models[k].labels_ for k in ks]
        silhouette = _silhouette_scores(sample, labelings)
        metrics = [_cluster_metrics(sample, labels) for labels in labelings]
        selection = _selection_table(
            ks, silhouette, [m[0] for m in metrics], [m[1] for m in metrics]
        )
        k = int(selection.loc[selection["chosen"], "k"].iloc[0])

        # Without subsampling the search already fitted this exact model on these exact rows.
        kmeans = self._kmeans(k).fit(features) if subsampled else models[k]
        raw = kmeans.labels_
        counts = np.bincount(raw, minlength=k)
        revenue = np.bincount(raw, weights=monetary, minlength=k)
        mean_monetary = np.divide(
            revenue, counts, out=np.full(k, -np.inf), where=counts > 0
        )
        centers = kmeans.cluster_centers_
        # Order by mean monetary, then by the centre itself, so the ids are a function of the
        # partition alone and not of the order k-means happened to number its clusters.
        order = np.lexsort((*centers.T[::-1], -mean_monetary))
        label_map = np.empty(k, dtype=np.int64)
        label_map[order] = np.arange(k, dtype=np.int64)

        self.k_ = k
        self.selection_ = selection
        self.scaler_ = scaler
        self.kmeans_ = kmeans
        self.label_map_ = label_map
        self.cluster_centers_ = centers[order]
        labels = np.empty(n, dtype=np.int64)
        labels[canonical] = label_map[raw]  # back to the caller's row order
        self.labels_ = labels
        self.n_selection_rows_ = sample.shape[0]
        return self

    def predict(self, rfm: pd.DataFrame) -> np.ndarray:
        """Segment id of each customer.

        Parameters
        ----------
        rfm : pandas.DataFrame
            Customer RFM frame with ``recency_days``, ``frequency`` and ``monetary``.

        Returns
        -------
        numpy.ndarray of int64, shape (n_customers,)
            Segment ids in ``0 .. k_ - 1``, in the row order of ``rfm``.
        """
        check_is_fitted(self, "kmeans_")
        features = self.scaler_.transform(self._raw_features(rfm)[0])
        return self.label_map_[self.kmeans_.predict(features)]

    # Hooks for segmenters over other features (ml.behaviour_segmentation): what is learnt from the
    # training frame before scaling, and the unscaled feature matrix with each row's net monetary.
    def _learn_inputs(self, frame: pd.DataFrame) -> None:
        """Learn what the feature matrix needs from the training frame (nothing for RFM)."""

    def _raw_features(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Unscaled features and net monetary of each row: log-RFM here."""
        values = rfm_values(frame, FEATURE_COLUMNS)
        return _log_features(values), values["monetary"]


def segment_customers(rfm: pd.DataFrame, segmenter: RFMSegmenter) -> pd.DataFrame:
    """Segment id and name of every customer.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Customer RFM frame with ``customer_id``, ``recency_days``, ``frequency``, ``monetary``
        and ``margin``.
    segmenter : RFMSegmenter
        A fitted segmenter. Names come from profiling ``rfm`` itself.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``segment_id`` and ``segment_name``, one row per row of
        ``rfm``, in its order and with its index.
    """
    if not isinstance(segmenter, RFMSegmenter):
        raise TypeError(f"segmenter must be an RFMSegmenter, got {type(segmenter).__name__}")
    require_columns(rfm, CUSTOMER_COLUMNS, RFM_FRAME)
    check_is_fitted(segmenter, "kmeans_")
    ids = segmenter.predict(rfm)
    profile = profile_segments(rfm, ids)
    names = profile["segment_name"].to_numpy(dtype=object)
    position = np.searchsorted(profile["segment_id"].to_numpy(), ids)
    return pd.DataFrame(
        {
            "customer_id": rfm["customer_id"].to_numpy(),
            "segment_id": ids,
            "segment_name": names[position],
        },
        index=rfm.index,
    )
