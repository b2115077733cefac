"""Segment profiles and readable names: what each segment is worth and what to call it.

Works on any segmentation: it takes the customer RFM frame and a segment id per customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.rfm_frame import FEATURE_COLUMNS, PROFILE_COLUMNS, RFM_FRAME, finite_column, optional_column, require_columns, rfm_values

__all__ = ["profile_segments", "name_segments"]

_NAMING_COLUMNS: tuple[str, ...] = (
    "segment_id",
    "recency_percentile",
    "frequency_percentile",
    "monetary_percentile",
)

# Bounds of the percentile bands used to name segments: a segment mean below the first third of
# customers is "low", from the last third on it is "high".
_LOW_BAND = 1.0 / 3.0
_HIGH_BAND = 2.0 / 3.0


def _segment_ids(rfm: pd.DataFrame, segment_id: np.ndarray | pd.Series) -> np.ndarray:
    if isinstance(segment_id, pd.Series):
        if not segment_id.index.equals(rfm.index):
            same_rows = (
                segment_id.index.is_unique
                and rfm.index.is_unique
                and len(segment_id) == len(rfm)
                and rfm.index.isin(segment_id.index).all()
            )
            if not same_rows:
                raise ValueError(
                    "segment_id is a Series whose index does not match the rows of rfm; align "
                    "it first or pass segment_id.to_numpy() to match rows by position"
                )
            segment_id = segment_id.reindex(rfm.index)
        raw = segment_id.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        raw = np.asarray(segment_id)
        if raw.dtype.kind not in "iuf":
            raise TypeError(f"segment_id must hold integers, got dtype {raw.dtype}")
        raw = raw.astype(np.float64)
    if raw.ndim != 1 or raw.shape[0] != len(rfm):
        raise ValueError(
            f"segment_id must be one-dimensional with one entry per row of rfm "
            f"({len(rfm)}), got shape {raw.shape}"
        )
    if not np.isfinite(raw).all():
        raise ValueError(
            f"segment_id has {int((~np.isfinite(raw)).sum())} missing values; every customer "
            f"needs a segment"
        )
    if (raw < 0).any() or (raw != np.round(raw)).any():
        raise ValueError("segment_id must hold non-negative integers")
    return raw.astype(np.int64)


def _mid_percentile(sorted_values: np.ndarray, points: np.ndarray) -> np.ndarray:
    # Mid-rank, so a value shared by many customers (frequency 1 is typical) sits in the middle
    # of its tie; a relative tolerance keeps a segment mean that differs from that value only by
    # rounding inside the tie.
    tolerance = 1e-9 * np.maximum(1.0, np.abs(points))
    below = np.searchsorted(sorted_values, points - tolerance, side="left")
    upto = np.searchsorted(sorted_values, points + tolerance, side="right")
    return (below + upto) / (2.0 * sorted_values.size)


def profile_segments(rfm: pd.DataFrame, segment_id: np.ndarray | pd.Series) -> pd.DataFrame:
    """Size, value and RFM profile of each segment, with a readable name.

    Parameters
    ----------
    rfm : pandas.DataFrame
        Customer RFM frame with ``recency_days``, ``frequency``, ``monetary`` and ``margin``.
    segment_id : numpy.ndarray or pandas.Series
        Segment id of each row of ``rfm`` (non-negative integers). An array is matched by
        position; a Series by index, which must hold exactly the index labels of ``rfm``.

    Returns
    -------
    pandas.DataFrame
        One row per segment present, sorted by ``segment_id``, with columns ``segment_id``,
        ``segment_name``, ``customers``, ``customer_share``, ``revenue`` (sum of monetary),
        ``revenue_share``, ``margin`` (sum), ``margin_share``, ``mean_recency_days``,
        ``mean_frequency``, ``mean_monetary``, ``median_monetary``, and the inputs of the names:
        ``recency_percentile``, ``frequency_percentile`` and ``monetary_percentile``, the
        mid-rank percentile (0 to 1) of the segment mean among all customers of ``rfm``.
        A share is NaN when its total over all customers is 0.
    """
    values = rfm_values(rfm, FEATURE_COLUMNS)
    # margin is unknown (NaN) where the source has no unit costs: such a segment's margin stays NaN
    values["margin"] = optional_column(require_columns(rfm, PROFILE_COLUMNS, RFM_FRAME), "margin", RFM_FRAME)
    segments = _segment_ids(rfm, segment_id)
    ids, inverse = np.unique(segments, return_inverse=True)
    customers = np.bincount(inverse)
    n = segments.size

    def total(column: str) -> np.ndarray:
        return np.bincount(inverse, weights=values[column], minlength=ids.size)

    def share(sums: np.ndarray) -> np.ndarray:
        whole = sums.sum()
        return sums / whole if whole != 0 else np.full(sums.size, np.nan)

    revenue = total("monetary")
    margin = total("margin")
    means = {c: total(c) / customers for c in FEATURE_COLUMNS}
    median_monetary = (
        pd.Series(values["monetary"]).groupby(inverse, sort=True).median().to_numpy()
    )
    profile = pd.DataFrame(
        {
            "segment_id": ids,
            "customers": customers.astype(np.int64),
            "customer_share": customers / n,
            "revenue": revenue,
            "revenue_share": share(revenue),
            "margin": margin,
            "margin_share": share(margin),
            "mean_recency_days": means["recency_days"],
            "mean_frequency": means["frequency"],
            "mean_monetary": means["monetary"],
            "median_monetary": median_monetary,
        }
    )
    for column in FEATURE_COLUMNS:
        name = "recency" if column == "recency_days" else column
        profile[f"{name}_percentile"] = _mid_percentile(
            np.sort(values[column]), means[column]
        )
    profile.insert(1, "segment_name", name_segments(profile))
    return profile


def _band(percentile: float) -> str:
    if percentile < _LOW_BAND:
        return "low"
    if percentile >= _HIGH_BAND:
        return "high"
    return "mid"


def _rule_name(recent: str, frequent: str, spend: str) -> str:
    # `recent` is the band of recency *goodness*: "high" means bought lately.
    if recent == "high":
        if frequent == "high" and spend == "high":
            return "Champions"
        if frequent == "high":
            return "Loyal regulars"
        if spend == "high":
            return "Recent big spenders"
        if frequent == "low":
            return "Promising newcomers"
        return "Potential loyalists"
    if recent == "mid":
        if frequent == "high" and spend == "high":
            return "Loyal big spenders"
        if frequent == "high":
            return "Steady regulars"
        if spend == "high":
            return "Big spenders cooling off"
        if frequent == "low" and spend == "low":
            return "About to sleep"
        return "Needs attention"
    if frequent == "high" and spend == "high":
        return "Can't lose them"
    if spend == "high":
        return "Big spenders at risk"
    if frequent == "high":
        return "Regulars at risk"
    if frequent == "low" and spend == "low":
        return "Lost low-value"
    return "Hibernating"


def name_segments(profile: pd.DataFrame) -> pd.Series:
    """Readable, unique marketing names for segments, from where they sit among customers.

    Each of recency, frequency and monetary is put in a band from the percentile of the segment
    mean among all customers: low (below 1/3), mid, or high (2/3 and up); recency is reversed so
    that "high" means a recent purchase. The bands map to the usual RFM vocabulary, e.g. high on
    all three is "Champions", recent but with few orders is "Promising newcomers", long gone but
    high-spending is "Big spenders at risk", long gone and low on both is "Lost low-value".
    Because it uses percentiles, not amounts, the naming works on any currency and scale.

    Parameters
    ----------
    profile : pandas.DataFrame
        Segment profile as built by :func:`profile_segments`; needs ``segment_id``,
        ``recency_percentile``, ``frequency_percentile`` and ``monetary_percentile`` (0 to 1).

    Returns
    -------
    pandas.Series of str, named ``segment_name``
        Indexed like ``profile``. When two segments get the same name, the ones after the first
        (in ``segment_id`` order, i.e. by decreasing value) get a suffix " (2)", " (3)", ...
    """
    frame = require_columns(profile, _NAMING_COLUMNS, "segment profile")
    percentiles = {
        c: finite_column(frame, c, "segment profile") for c in _NAMING_COLUMNS[1:]
    }
    for column, p in percentiles.items():
        if ((p < 0) | (p > 1)).any():
            raise ValueError(
                f"column {column!r} in segment profile must lie in [0, 1]; build the profile "
                f"with profile_segments"
            )
    if frame["segment_id"].duplicated().any():
        raise ValueError("segment profile has duplicate segment_id values; expected one row each")

    base = [
        _rule_name(_band(1.0 - r), _band(f), _band(m))
        for r, f, m in zip(
            percentiles["recency_percentile"],
            percentiles["frequency_percentile"],
            percentiles["monetary_percentile"],
        )
    ]
    names = [""] * len(base)
    seen: dict[str, int] = {}
    for position in np.argsort(frame["segment_id"].to_numpy(), kind="stable"):
        name = base[position]
        seen[name] = seen.get(name, 0) + 1
        names[position] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return pd.Series(names, index=frame.index, name="segment_name")
