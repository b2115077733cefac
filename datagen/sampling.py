"""Vectorised weighted samplers over item sets and over groups of items."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["WeightedSampler", "GroupSampler"]


@dataclass(frozen=True)
class WeightedSampler:
    """Sample item ids with fixed weights by inverse CDF.

    Parameters
    ----------
    ids : numpy.ndarray
        Item ids (int64).
    cdf : numpy.ndarray
        Cumulative weights of ``ids`` (same length, increasing, last > 0).
    """

    ids: np.ndarray
    cdf: np.ndarray

    @classmethod
    def from_weights(cls, ids: np.ndarray, weights: np.ndarray) -> "WeightedSampler":
        """Build from items and non-negative weights (zero-weight items are dropped)."""
        keep = weights > 0
        if not keep.any():
            raise ValueError("sampler needs at least one positive weight")
        return cls(np.asarray(ids, dtype=np.int64)[keep], np.cumsum(weights[keep], dtype=np.float64))

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Map uniforms ``u`` in [0, 1) to item ids."""
        pos = np.searchsorted(self.cdf, u * self.cdf[-1], side="right")
        return self.ids[np.minimum(pos, len(self.ids) - 1)]


@dataclass(frozen=True)
class GroupSampler:
    """Sample an item from a given group, weighted within the group.

    Parameters
    ----------
    ids : numpy.ndarray
        Item ids ordered by group.
    cum : numpy.ndarray
        Global cumulative weights of ``ids``.
    lo, hi : numpy.ndarray
        Per group: cumulative weight before its first item, and after its last.
    first, last : numpy.ndarray
        Per group: positions of its first and last item (last < first when empty).
    """

    ids: np.ndarray
    cum: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    first: np.ndarray
    last: np.ndarray

    @classmethod
    def from_groups(cls, ids: np.ndarray, groups: np.ndarray, weights: np.ndarray, n_groups: int) -> "GroupSampler":
        """Build from item ids, their group (0..n_groups-1) and weights (zero-weight items dropped)."""
        keep = weights > 0
        ids, groups, weights = ids[keep], groups[keep], weights[keep]
        order = np.lexsort((ids, groups))
        ids, groups, weights = ids[order], groups[order], weights[order].astype(np.float64)
        cum = np.cumsum(weights)
        counts = np.bincount(groups, minlength=n_groups)
        first = np.r_[0, np.cumsum(counts)[:-1]]
        last = first + counts - 1
        lo = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
        lo[first == 0] = 0.0
        hi = np.where(counts > 0, cum[np.clip(last, 0, max(len(cum) - 1, 0))] if len(cum) else 0.0, lo)
        return cls(ids.astype(np.int64), cum, lo, hi, first, last)

    def has(self, group: np.ndarray) -> np.ndarray:
        """True where ``group`` has at least one item."""
        return self.last[group] >= self.first[group]

    def sample(self, group: np.ndarray, u: np.ndarray) -> np.ndarray:
        """One item per row from ``group[i]`` (groups must be non-empty)."""
        target = self.lo[group] + u * (self.hi[group] - self.lo[group])
        pos = np.searchsorted(self.cum, target, side="right")
        pos = np.clip(pos, self.first[group], self.last[group])
        return self.ids[pos]
