"""The only changes a load makes to values, as SQL expressions over the text columns.

Values land as read, so that staging can quarantine a bad one with its reason; three things are
normalised because they are artefacts of the file, not of the data:

* an empty string is NULL (CSV cannot tell the two apart; DuckDB reads an empty field as NULL);
* a timestamp that parses with the file's timestamp format is rewritten ``YYYY-MM-DD HH:MM:SS``
  (one text form for every file); one that does not parse stays as it was;
* a customer key like ``17850.0`` (an integer id that went through a float column, as in the UCI
  file) becomes ``17850``.
"""

from __future__ import annotations

import duckdb

from ingest.errors import LoadError, first_line
from ingest.readers import ISO_SECONDS

__all__ = [
    "TIMESTAMP_CANDIDATES",
    "TimestampFormat",
    "choose_timestamp_format",
    "text_sql",
    "customer_key_sql",
    "timestamp_sql",
]

#: A timestamp format: its label (recorded in the batch's options) and its strptime patterns.
TimestampFormat = tuple[str, tuple[str, ...]]

#: Tried in this order; the one that parses the most values wins, the earlier one on a tie (so a
#: file whose days are all <= 12 reads as US month/day: pass --timestamp-format otherwise).
TIMESTAMP_CANDIDATES: tuple[TimestampFormat, ...] = (
    ("%Y-%m-%d %H:%M[:%S]", ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")),
    ("%m/%d/%Y %H:%M", ("%m/%d/%Y %H:%M",)),
    ("%d/%m/%Y %H:%M", ("%d/%m/%Y %H:%M",)),
    ("%m/%d/%Y %H:%M:%S", ("%m/%d/%Y %H:%M:%S",)),
    ("%d/%m/%Y %H:%M:%S", ("%d/%m/%Y %H:%M:%S",)),
    ("%Y-%m-%dT%H:%M:%S", ("%Y-%m-%dT%H:%M:%S",)),
)

# Only ASCII digits: RE2's \d would be too, but say it; the fraction must be all zeros.
_FLOAT_ARTEFACT = r"^(-?[0-9]+)\.0+$"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _patterns_sql(patterns: tuple[str, ...]) -> str:
    if len(patterns) == 1:
        return _literal(patterns[0])
    return "[" + ", ".join(_literal(p) for p in patterns) + "]"


def text_sql(column: str) -> str:
    """A text column as loaded: verbatim, '' as NULL."""
    return f"nullif({column}, '')"


def customer_key_sql(column: str) -> str:
    """A customer key as loaded: ``17850.0`` -> ``17850``, otherwise verbatim; '' as NULL."""
    return f"nullif(regexp_replace({column}, {_literal(_FLOAT_ARTEFACT)}, '\\1'), '')"


def timestamp_sql(column: str, fmt: TimestampFormat | None) -> str:
    """A timestamp as loaded: ISO text if it parses with ``fmt``, otherwise verbatim; '' as NULL."""
    if fmt is None:
        return text_sql(column)
    parsed = f"try_strptime({column}, {_patterns_sql(fmt[1])})"
    return f"coalesce(strftime({parsed}, {_literal(ISO_SECONDS)}), {text_sql(column)})"


def choose_timestamp_format(
    con: duckdb.DuckDBPyConnection, relation: str, column: str, given: str | None = None, file: str | None = None
) -> TimestampFormat | None:
    """The format of ``relation.column``'s timestamps: ``given`` if set, else the best candidate.

    Returns None when no candidate parses a single value (every value then stays as it is).
    Counts are taken over distinct values weighted by their frequency: a file has far fewer
    distinct timestamps than rows, and each candidate is tried on each of them.
    """
    if given is not None:
        fmt: TimestampFormat = (given, (given,))
        try:
            con.execute(f"select try_strptime('2000-01-01', {_patterns_sql(fmt[1])})").fetchall()
        except duckdb.Error as exc:
            raise LoadError(f"invalid timestamp format {given!r}: {first_line(exc)}", file=file) from None
        return fmt
    counts = ", ".join(
        f"coalesce(sum(n) filter (where try_strptime(v, {_patterns_sql(patterns)}) is not null), 0)"
        for _, patterns in TIMESTAMP_CANDIDATES
    )
    query = (
        f"with d as (select {column} as v, count(*) as n from {relation} where {column} <> '' group by {column}) "
        f"select {counts} from d"
    )
    parsed = con.execute(query).fetchall()[0]
    best = max(range(len(TIMESTAMP_CANDIDATES)), key=lambda i: (parsed[i], -i))
    return TIMESTAMP_CANDIDATES[best] if parsed[best] else None
