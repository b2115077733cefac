"""The customer RFM frame (the ``customer_rfm`` mart as a DataFrame): its columns and validation.

Shared by the segmentation estimator and the segment profiles, so both reject bad input with the
same messages (which column, how many rows, how to fix).
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

__all__ = [
    "FEATURE_COLUMNS",
    "PROFILE_COLUMNS",
    "optional_column",
    "CUSTOMER_COLUMNS",
    "RFM_FRAME",
    "require_columns",
    "finite_column",
    "rfm_values",
    "check_int",
]

FEATURE_COLUMNS: tuple[str, ...] = ("recency_days", "frequency", "monetary")
PROFILE_COLUMNS: tuple[str, ...] = (*FEATURE_COLUMNS, "margin")
CUSTOMER_COLUMNS: tuple[str, ...] = ("customer_id", *PROFILE_COLUMNS)
RFM_FRAME = "customer RFM frame"

def require_columns(frame: object, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Return ``frame`` if it is a non-empty DataFrame with ``columns``; else say what is missing."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        noun = "column" if len(missing) == 1 else "columns"
        names = ", ".join(repr(c) for c in missing)
        raise ValueError(
            f"missing {noun} {names} in {what}; expected columns: {', '.join(columns)}"
        )
    if len(frame) == 0:
        raise ValueError(f"{what} is empty; it needs at least one row per customer")
    return frame


def finite_column(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """``frame[column]`` as float64, refusing non-numeric, missing or infinite values."""
    series = frame[column]
    if not is_numeric_dtype(series.dtype) or is_bool_dtype(series.dtype):
        raise TypeError(
            f"column {column!r} in {what} must be numeric, got dtype {series.dtype}; "
            f"convert it with pd.to_numeric"
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        first = frame.index[int(np.argmax(bad))]
        raise ValueError(
            f"column {column!r} in {what} has {int(bad.sum())} missing or infinite values "
            f"(first at index {first!r}); drop or fill those rows first"
        )
    return values


def optional_column(frame: pd.DataFrame, column: str, what: str) -> np.ndarray:
    """``frame[column]`` as float64 where a missing value means "unknown" (e.g. margin without costs).

    Refuses non-numeric and infinite values like :func:`finite_column`, but keeps NaN.
    """
    series = frame[column]
    if not is_numeric_dtype(series.dtype) or is_bool_dtype(series.dtype):
        raise TypeError(f"column {column!r} in {what} must be numeric, got dtype {series.dtype}")
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(values).any():
        raise ValueError(f"column {column!r} in {what} has infinite values")
    return values


def rfm_values(rfm: object, columns: Sequence[str]) -> dict[str, np.ndarray]:
    """Validate ``rfm`` and return the requested numeric columns as float64 arrays."""
    frame = require_columns(rfm, columns, RFM_FRAME)
    values = {c: finite_column(frame, c, RFM_FRAME) for c in columns if c != "customer_id"}
    if "recency_days" in values and (values["recency_days"] < 0).any():
        count = int((values["recency_days"] < 0).sum())
        raise ValueError(
            f"column 'recency_days' in {RFM_FRAME} has {count} negative values; recency is "
            f"days since the last order and must be >= 0 (check the reference date)"
        )
    if "frequency" in values and (values["frequency"] < 1).any():
        count = int((values["frequency"] < 1).sum())
        raise ValueError(
            f"column 'frequency' in {RFM_FRAME} has {count} values below 1; the RFM frame "
            f"should hold only customers with at least one order"
        )
    return values


def check_int(name: str, value: object, minimum: int) -> None:
    """Refuse a parameter that is not an int of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
