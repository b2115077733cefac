"""Shared primitives: the event window, seeded random generators and time conversion."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

__all__ = ["GENERATOR_VERSION", "SECONDS_PER_DAY", "Window", "rng_for", "cumcount"]

#: Bumped whenever the generated content changes for a given (people, seed, dates, chunk_people).
GENERATOR_VERSION = "1.1.0"
SECONDS_PER_DAY = 86_400
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Window:
    """The event window, ``start`` to ``end`` inclusive.

    Internally times are int64 seconds since ``start`` midnight and days are int
    offsets from ``start`` (negative before the window).

    Parameters
    ----------
    start : datetime.date
        First day of the window.
    end : datetime.date
        Last day of the window (inclusive).
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"end_date {self.end} must be after start_date {self.start}")

    @property
    def n_days(self) -> int:
        """Number of days in the window."""
        return (self.end - self.start).days + 1

    @property
    def n_seconds(self) -> int:
        """Number of seconds in the window; every event time is below this."""
        return self.n_days * SECONDS_PER_DAY

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to ``start``."""
        return (self.start - _EPOCH).days

    def day_of(self, d: date) -> int:
        """Day offset of calendar date ``d`` from ``start``."""
        return (d - self.start).days

    def timestamps(self, seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        """Convert seconds since ``start`` to an Arrow ``timestamp[us]`` array.

        Parameters
        ----------
        seconds : numpy.ndarray
            int64 seconds since ``start`` midnight.
        mask : numpy.ndarray, optional
            Boolean array, True where the value is null.

        Returns
        -------
        pyarrow.Array
            ``timestamp('us')`` values.
        """
        us = (np.asarray(seconds, dtype=np.int64) + self.epoch_day * SECONDS_PER_DAY) * 1_000_000
        return pa.array(us, type=pa.timestamp("us"), mask=mask)

    def dates(self, days: np.ndarray) -> pa.Array:
        """Convert day offsets from ``start`` to an Arrow ``date32`` array."""
        return pa.array((np.asarray(days, dtype=np.int64) + self.epoch_day).astype(np.int32), type=pa.date32())

    def calendar(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Year, month (1-12) and ISO weekday (0=Monday) of every window day."""
        d = np.arange(self.n_days, dtype=np.int64) + self.epoch_day
        dt = d.astype("datetime64[D]")
        years = dt.astype("datetime64[Y]").astype(np.int64) + 1970
        months = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
        weekday = (d + 3) % 7  # 1970-01-01 was a Thursday
        return years, months, weekday


def rng_for(seed: int, chunk: int, purpose: str) -> np.random.Generator:
    """A numpy Generator seeded from ``(seed, chunk, purpose)``.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    chunk : int
        Chunk index, or -1 for run-level draws (catalogue, calendar).
    purpose : str
        What the stream is used for; each purpose gets an independent stream.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator.
    """
    return np.random.default_rng([int(seed), int(chunk) + 1, zlib.crc32(purpose.encode())])


def cumcount(groups: np.ndarray) -> np.ndarray:
    """Position of every element within its run of equal values.

    Parameters
    ----------
    groups : numpy.ndarray
        Array whose equal values are contiguous (e.g. sorted).

    Returns
    -------
    numpy.ndarray
        int64 array, 0 for the first element of each run, 1 for the next, ...
    """
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    run_len = np.diff(np.r_[starts, n])
    return np.arange(n, dtype=np.int64) - np.repeat(starts, run_len)
