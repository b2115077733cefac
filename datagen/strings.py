"""Vectorised string builders: lookups, zero padding, phones, e-mails and card numbers.

All functions work on whole arrays with ``pyarrow.compute``; none loops over rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "take",
    "concat",
    "padded",
    "choose",
    "phone_strings",
    "messy_email",
    "messy_name",
    "card_numbers",
    "N_PHONE_FORMATS",
]

#: Number of phone formats produced by :func:`phone_strings`.
N_PHONE_FORMATS = 6


def take(values: list[str] | pa.Array, idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Look up strings by index.

    Parameters
    ----------
    values : list of str or pyarrow.Array
        The dictionary.
    idx : numpy.ndarray
        Integer positions into ``values``.
    null : numpy.ndarray, optional
        Boolean mask, True where the result is null.

    Returns
    -------
    pyarrow.Array
        ``string`` array.
    """
    dictionary = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    indices = pa.array(np.asarray(idx, dtype=np.int64), mask=null)
    return dictionary.take(indices)


def concat(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays and literals element-wise (nulls propagate)."""
    return pc.binary_join_element_wise(*parts, "")


def padded(numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal strings of non-negative integers."""
    s = pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(s, width=width, padding="0")


def choose(codes: np.ndarray, options: list[pa.Array | str], null: np.ndarray | None = None) -> pa.Array:
    """Pick ``options[codes[i]][i]`` for every row (options may be literals)."""
    n = len(codes)
    arrays = [pa.repeat(pa.scalar(o, pa.string()), n) if isinstance(o, str) else o for o in options]
    return pc.choose(pa.array(np.asarray(codes, dtype=np.int8), mask=null), *arrays)


def phone_strings(national: np.ndarray, fmt: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Format 9-digit Polish national numbers the way people type them.

    Parameters
    ----------
    national : numpy.ndarray
        int64 9-digit national numbers.
    fmt : numpy.ndarray
        Format code per row, ``0..N_PHONE_FORMATS-1``: ``+48 502 133 360``, ``502133360``,
        ``0048502133360``, ``502-133-360``, ``+48502133360``, ``502 133 360``.
    null : numpy.ndarray, optional
        True where the phone is null.

    Returns
    -------
    pyarrow.Array
        ``string`` array.
    """
    s = padded(national, 9)
    a = pc.utf8_slice_codeunits(s, 0, 3)
    b = pc.utf8_slice_codeunits(s, 3, 6)
    c = pc.utf8_slice_codeunits(s, 6, 9)
    options = [
        concat("+48 ", a, " ", b, " ", c),
        s,
        concat("0048", s),
        concat(a, "-", b, "-", c),
        concat("+48", s),
        concat(a, " ", b, " ", c),
    ]
    return choose(fmt, options, null)


def messy_email(canonical: pa.Array, rng: np.random.Generator, p_messy: float = 0.25) -> pa.Array:
    """Add stray case and whitespace to lower-case e-mails, as users type them.

    Parameters
    ----------
    canonical : pyarrow.Array
        Lower-case e-mails.
    rng : numpy.random.Generator
        Random source.
    p_messy : float
        Share of rows that get any distortion.

    Returns
    -------
    pyarrow.Array
        E-mails such as `` Anna.Kowalska12@Example.com `` for some rows.
    """
    n = len(canonical)
    case = np.where(rng.random(n) < p_messy, rng.choice(3, size=n, p=[0.6, 0.3, 0.1]) + 1, 0)
    cased = choose(case, [canonical, pc.utf8_capitalize(canonical), pc.utf8_title(canonical), pc.utf8_upper(canonical)])
    space = np.where(rng.random(n) < p_messy * 0.4, rng.integers(1, 4, size=n), 0)
    return choose(space, [cased, concat(" ", cased), concat(cased, " "), concat(" ", cased, " ")])


def messy_name(proper: pa.Array, folded: pa.Array, rng: np.random.Generator, null: np.ndarray | None = None) -> pa.Array:
    """Names as typed: mostly proper case, some upper-case, some without diacritics.

    Parameters
    ----------
    proper : pyarrow.Array
        Names with diacritics, proper case.
    folded : pyarrow.Array
        Same names folded to ASCII.
    rng : numpy.random.Generator
        Random source.
    null : numpy.ndarray, optional
        True where the result is null.

    Returns
    -------
    pyarrow.Array
        ``string`` array.
    """
    code = rng.choice(3, size=len(proper), p=[0.8, 0.08, 0.12])
    return choose(code, [proper, pc.utf8_upper(proper), folded], null)


def card_numbers(serials: np.ndarray) -> pa.Array:
    """13-digit EAN-13 style loyalty card numbers: ``290`` + 9-digit serial + check digit.

    Parameters
    ----------
    serials : numpy.ndarray
        Unique non-negative integers below 10**9.

    Returns
    -------
    pyarrow.Array
        ``string`` array of 13 digits.
    """
    serials = np.asarray(serials, dtype=np.int64)
    body = 290 * 10**9 + serials  # 12 digits
    digits = (body[:, None] // (10 ** np.arange(11, -1, -1, dtype=np.int64))) % 10
    weights = np.tile([1, 3], 6)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return padded(body * 10 + check, 13)
