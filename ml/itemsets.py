"""Frequent itemsets of any length, mined depth-first over projected baskets with numpy.

The miner is of the Eclat / FP-growth family: items are ranked from the rarest to the most
frequent, and each frequent itemset ``P`` owns a *conditional database*, the baskets that contain
``P`` cut down to the items ranked after ``P``'s last item and still frequent alongside ``P``.
Counting the extensions of ``P`` is one ``bincount`` over that database, and the database of a
child is gathered from the parent's with array slicing, so Python does a constant amount of work
per frequent itemset and numpy does the rest. Nothing is one-hot encoded: memory follows the
number of (basket, item) pairs, not baskets x items.

The support rule is the textbook one and mlxtend's: an itemset is frequent when the share of
baskets containing it is at least ``min_support``.
"""

from dataclasses import dataclass, field
import math

import numpy as np

__all__ = ["FrequentItemsets", "mine_itemsets", "min_count_for"]


@dataclass(frozen=True)
class FrequentItemsets:
    """Frequent itemsets grouped by length.

    ``by_length[k]`` is ``(items, counts)``: an ``(n, k)`` int array of item codes, each row sorted
    ascending, and the number of baskets containing each row.
    """

    n_baskets: int
    min_count: int
    by_length: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(counts) for _, counts in self.by_length.values())

    @property
    def max_length(self) -> int:
        """Length of the longest frequent itemset (0 when there is none)."""
        return max(self.by_length, default=0)

    def to_records(self) -> list[tuple[tuple[int, ...], int]]:
        """Every itemset as ``(item codes, basket count)``, shortest first (for tests and small data)."""
        return [
            (tuple(int(x) for x in row), int(count))
            for k in sorted(self.by_length)
            for row, count in zip(*self.by_length[k])
        ]


def min_count_for(min_support: float, n_baskets: int) -> int:
    """Smallest basket count whose share of ``n_baskets`` reaches ``min_support`` (at least 1)."""
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support}")
    # min_support * n_baskets is rounded (0.005 * 20000 = 100.00000000000001): step to the smallest
    # count whose share, computed as count / n_baskets like mlxtend does, reaches min_support
    count = max(1, math.ceil(min_support * n_baskets))
    while count > 1 and (count - 1) / n_baskets >= min_support:
        count -= 1
    while count / n_baskets < min_support:
        count += 1
    return count


def mine_itemsets(
    basket: np.ndarray,
    item: np.ndarray,
    n_baskets: int,
    min_support: float,
    max_len: int | None = None,
    exclusive: dict[int, np.ndarray] | None = None,
) -> FrequentItemsets:
    """Find every itemset contained in at least ``min_support`` of the baskets.

    Parameters
    ----------
    basket, item : array of int
        One (basket, item) pair per basket line; codes are non-negative. Repeated pairs count once.
    n_baskets : int
        Number of baskets, the denominator of support (baskets without a frequent item count too).
    min_support : float
        Minimum share of baskets, in (0, 1].
    max_len : int, optional
        Longest itemset to report (default: no limit).
    exclusive : dict of int to array of int, optional
        Items that may not appear together, e.g. an item and its generalisation (``women's CK suit
        over 300`` and ``CK suit over 300`` always co-occur, so their rules say nothing). Give both
        directions; itemsets holding such a pair are not reported.

    Returns
    -------
    FrequentItemsets
    """
    basket = np.asarray(basket, dtype=np.int64)
    item = np.asarray(item, dtype=np.int64)
    if basket.shape != item.shape:
        raise ValueError("basket and item must have the same length")
    if len(item) and (item.min() < 0 or basket.min() < 0):
        raise ValueError("basket and item codes must be non-negative")
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    if exclusive and any(code < 0 or np.min(others, initial=0) < 0 for code, others in exclusive.items()):
        raise ValueError("exclusive item codes must be non-negative")
    min_count = min_count_for(min_support, max(n_baskets, 1))
    if n_baskets < 0 or (n_baskets == 0 and len(item)):
        raise ValueError(f"n_baskets must count the baskets of the lines, got {n_baskets}")
    if n_baskets == 0:
        return FrequentItemsets(n_baskets=0, min_count=min_count)
    result = FrequentItemsets(n_baskets=int(n_baskets), min_count=min_count)
    if not len(item):
        return result

    # one pair per (basket, item): sort the combined key once, drop repeats
    n_items = int(item.max()) + 1
    # stable (timsort) is near linear on lines already grouped by basket, as the warehouse gives them
    pairs = np.sort(basket * n_items + item, kind="stable")
    pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]
    basket, item = pairs // n_items, pairs % n_items

    counts = np.bincount(item, minlength=n_items)
    frequent = np.flatnonzero(counts >= min_count)
    if not len(frequent):
        return result
    # rank 0 is the rarest frequent item: a rare prefix has few baskets, so databases stay small
    order = frequent[np.argsort(counts[frequent], kind="stable")]
    rank_of = np.full(n_items, -1, dtype=np.int64)
    rank_of[order] = np.arange(len(order))
    chunks: dict[int, list[tuple[tuple[int, ...], np.ndarray, np.ndarray]]] = {}
    chunks.setdefault(1, []).append(((), np.arange(len(order)), counts[order]))

    if max_len != 1:
        ranks = rank_of[item]
        keep = ranks >= 0
        # the basket order is kept; only the items inside each basket are put in rank order
        keyed = np.sort(basket[keep] * len(order) + ranks[keep], kind="stable")
        rows, ranks = keyed // len(order), keyed % len(order)
        starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        ptr = np.append(starts, len(rows))
        excluded = _ranked_exclusions(exclusive, rank_of) if exclusive else None
        _Search(len(order), min_count, max_len, excluded, chunks).expand_root(ptr, ranks)

    by_length = {}
    for k, parts in sorted(chunks.items()):
        sets = np.concatenate([
            np.column_stack([np.broadcast_to(np.asarray(prefix, dtype=np.int64), (len(ext), k - 1)), ext])
            for prefix, ext, _ in parts
        ])
        # back from ranks to the caller's codes, each row sorted so an itemset has one spelling
        sets = np.sort(order[sets], axis=1)
        by_length[k] = (sets, np.concatenate([c for _, _, c in parts]).astype(np.int64))
    return FrequentItemsets(n_baskets=int(n_baskets), min_count=min_count, by_length=by_length)


def _ranked_exclusions(exclusive: dict[int, np.ndarray], rank_of: np.ndarray) -> dict[int, np.ndarray]:
    """Translate the caller's exclusive pairs into ranks, dropping infrequent items."""
    out = {}
    for code, others in exclusive.items():
        if code >= len(rank_of) or rank_of[code] < 0:
            continue
        others = np.asarray(others, dtype=np.int64)
        others = others[others < len(rank_of)]
        ranked = rank_of[others]
        ranked = ranked[ranked >= 0]
        if len(ranked):
            out[int(rank_of[code])] = np.unique(ranked)
    return out


class _Search:
    """Depth-first expansion of conditional databases (CSR: row pointers and sorted item ranks)."""

    def __init__(self, n_ranks, min_count, max_len, excluded, chunks):
        self.n_ranks = n_ranks
        self.min_count = min_count
        self.max_len = max_len
        self.excluded = excluded
        self.chunks = chunks
        self.sort_dtype = np.int16 if n_ranks <= np.iinfo(np.int16).max else np.int64

    def expand_root(self, ptr: np.ndarray, items: np.ndarray) -> None:
        """Expand every frequent single item over the whole (frequent-items-only) database."""
        self._expand((), ptr, items, prune=False)

    def _expand(self, prefix: tuple[int, ...], ptr: np.ndarray, items: np.ndarray, prune: bool = True) -> None:
        min_count = self.min_count
        lengths = ptr[1:] - ptr[:-1]
        row_of = np.repeat(np.arange(len(lengths)), lengths)
        counts = np.bincount(items, minlength=self.n_ranks)
        ext = np.flatnonzero(counts >= min_count)
        if prune:
            if not len(ext):
                return
            self.chunks.setdefault(len(prefix) + 1, []).append((prefix, ext, counts[ext]))
            if self.max_len is not None and len(prefix) + 1 >= self.max_len:
                return
            keep = counts[items] >= min_count
            if not keep.all():
                # items no longer frequent together with the prefix cannot extend it: drop them once here
                items, row_of = items[keep], row_of[keep]
                ptr = _pointers(np.bincount(row_of, minlength=len(lengths)))
        # positions of each extension item, grouped by item in one stable sort
        # a stable sort of 16-bit integers is a radix sort: linear, however big the database
        by_item = np.argsort(items.astype(self.sort_dtype, copy=False), kind="stable")
        bounds = np.searchsorted(items[by_item], np.append(ext, self.n_ranks))
        for j, e in enumerate(ext.tolist()):
            pos = by_item[bounds[j]:bounds[j + 1]]
            # the child keeps, in each basket holding e, the items ranked after e
            begin = pos + 1
            size = ptr[row_of[pos] + 1] - begin
            nonempty = size > 0
            n_rows = np.count_nonzero(nonempty)
            if n_rows < min_count:
                continue
            if n_rows < len(size):
                begin, size = begin[nonempty], size[nonempty]
            child_ptr = _pointers(size)
            gather = np.repeat(begin - child_ptr[:-1], size) + np.arange(child_ptr[-1])
            child_items = items[gather]
            if self.excluded is not None and e in self.excluded:
                banned = np.isin(child_items, self.excluded[e])
                if banned.any():
                    child_rows = np.repeat(np.arange(len(size)), size)[~banned]
                    child_items = child_items[~banned]
                    child_ptr = _pointers(np.bincount(child_rows, minlength=len(size)))
            self._expand(prefix + (e,), child_ptr, child_items)


def _pointers(sizes: np.ndarray) -> np.ndarray:
    """CSR row pointers (0, cumulative sizes) of rows with these sizes."""
    ptr = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    return ptr
