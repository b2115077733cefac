"""Probabilistic record linkage of customer records (Fellegi-Sunter, with splink on DuckDB).

Deterministic matching (a shared e-mail, phone or card number) is done in SQL elsewhere; this
module finds the records of one person that share no such key, e.g. a loyalty card and a web
account with the same (possibly misspelt) name, birth year and city.

The model
---------
Fellegi-Sunter scores a *pair* of records. Each field is compared at a few *levels* of
agreement (exact, one typo, similar, different, unknown). For each level the model holds

* ``m`` = P(level | the records are the same person), and
* ``u`` = P(level | they are different people),

and a level adds ``log2(m / u)`` bits of evidence (its *match weight*): an exact match on a rare
surname adds many bits, a different date of birth removes many, an unknown field adds none.
Exact matches on names, city, postcode and e-mail are *term-frequency adjusted*: agreeing on
"smith" is worth less than agreeing on "featherstonehaugh". The prior odds of a match
(``lambda``, the probability that two random records match) plus the summed evidence give the
pair's ``match_weight`` and its ``match_probability``.

Compared fields (only those present and not entirely NULL): first name and surname (exact,
swapped with the other name field, Levenshtein <= 1, Jaro-Winkler >= 0.9 / >= 0.7),
date of birth (exact, one typo, within a year) falling back to the birth year when a date is
unknown, city (exact, Jaro-Winkler >= 0.88), postcode, e-mail (exact, same user name, one typo
in the user name), phone (exact, one typo), gender (only when a first name is missing: a first
name already tells it), and the record kinds (``record_kind``) with the days between the
records' openings (``opened_at``: an account created, a card issued) as one comparison, since
the dates mean different things by pair kind. Two records of a kind whose e-mails are all
distinct (a shop's logins) with different user names count as e-mail unknown: one person's two
accounts must differ there too.

Training (unsupervised, on every run, seeded)
---------------------------------------------
* ``lambda``: pairs found by strict deterministic rules (same e-mail, same phone, same name and
  date of birth) divided by all pairs, scaled up by the share of true matches those rules are
  assumed to find (``deterministic_recall``).
* ``u``: from a seeded random sample of record pairs, which are almost all non-matches.
* ``m``: by expectation maximisation on the pairs of a few training rules (same e-mail, same
  phone, same date of birth, same name and birth year). Each rule estimates the fields it does
  not use; pairs sharing a personal key are nearly all matches, so they show how one person's
  records differ. A deterministic hash sample caps the pairs per rule.

Inputs too small to train on (fewer than ``min_records_to_train`` records) are scored with rough
prior ``m`` / ``u`` values set on each level below (no term-frequency adjustment, a default
``lambda``). The same priors are EM's starting values and stay in place for any level that
training never observes.

Scoring
-------
Only candidate pairs that satisfy at least one *blocking rule* (e.g. same first name, surname and
birth year) are scored, which keeps a million records to a few million pairs instead of
5 * 10**11. Pairs with ``match_probability >= match_threshold`` are returned as links; the
threshold is a posterior probability under the trained model, so the default 0.92 accepts a
pair when the evidence makes it at least 11.5:1 that the two records are the same person.

DuckDB runs in memory inside the call: the function is pure, a DataFrame in and a DataFrame out.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.blocking_analysis import count_comparisons_from_blocking_rules
from splink.comparison_library import CustomComparison

if TYPE_CHECKING:
    from splink.internals.comparison_level_creator import ComparisonLevelCreator
    from splink.internals.splink_dataframe import SplinkDataFrame

__all__ = ["LINK_COLUMNS", "MatchingSettings", "probabilistic_links"]

#: Columns of the frame returned by :func:`probabilistic_links`.
LINK_COLUMNS = ("record_id_l", "record_id_r", "match_probability", "match_weight")

_ID = "record_id"
#: Text columns the model knows how to compare.
_TEXT_COLUMNS = (
    "first_name", "surname", "city", "postcode", "email", "phone", "gender", "record_kind"
)
#: More kinds of record than this and the kinds are not compared (a level per kind).
_MAX_RECORD_KINDS = 6
_RECORDS_TABLE = "records"
#: Pseudo-column in the usable-column set: some record has a birth year but no date of birth.
_YEAR_WITHOUT_DOB = "birth_year_without_dob"
#: Width in days of the windows ``opened_window`` / ``opened_window_shifted`` cut the record
#: creation dates into (the second is shifted by half a width), for blocking on the date.
_OPENED_WINDOW_DAYS = 60
#: lambda when it cannot be estimated: input too small, or no deterministic rule applies
#: (splink's own default).
_PRIOR_MATCH_PROBABILITY = 1e-4
#: EM on fewer pairs than this would fit noise; such a training rule is skipped.
_MIN_EM_PAIRS = 100


@dataclass(frozen=True)
class MatchingSettings:
    """Settings of :func:`probabilistic_links`; the defaults suit both small and 1M-row inputs.

    Blocking and training rules use splink's SQL syntax (``l.`` / ``r.`` for the two records of a
    pair). ``birth_year`` is always available when either ``dob`` or ``birth_year`` is given
    (it is derived from the date). A rule naming a column that is absent or entirely NULL is
    skipped, so one set of rules serves every source.
    """

    #: Keep pairs whose match probability is at least this (0.92: odds 11.5:1). One false link
    #: merges two whole customers, so the threshold is set for precision: on the demo (seed 42)
    #: it gives pairwise precision 0.9965 and recall 0.9825 (0.9995 / 0.9755 at 0.98), on
    #: splink's fake_1000 F1 0.918 at precision 1 (0.887 at 0.98).
    match_threshold: float = 0.92
    #: Candidate pairs to score: a pair is scored when it satisfies any rule. Each rule pairs
    #: a million records into at most a few million pairs, even with few distinct names.
    blocking_rules: tuple[str, ...] = (
        "l.first_name = r.first_name and l.surname = r.surname and l.birth_year = r.birth_year",
        "l.first_name = r.first_name and l.surname = r.surname and l.city = r.city",
        # a typo in one name: the other name, the birth year and the initial still agree
        "l.first_name = r.first_name and l.birth_year = r.birth_year"
        " and left(l.surname, 1) = left(r.surname, 1)",
        "l.surname = r.surname and l.birth_year = r.birth_year"
        " and left(l.first_name, 1) = left(r.first_name, 1)",
        # swapped first name and surname, a common data-entry slip
        "l.first_name = r.surname and l.surname = r.first_name",
        "l.dob = r.dob and left(l.first_name, 1) = left(r.first_name, 1)",
        "l.dob = r.dob and left(l.surname, 1) = left(r.surname, 1)",
        "l.dob = r.dob and l.city = r.city",
        "l.postcode = r.postcode and l.surname = r.surname",
        # the same full name on records opened within weeks of each other (an account and a card
        # a new customer signs up for), when nothing else is stated: half-overlapping windows
        "l.first_name = r.first_name and l.surname = r.surname"
        " and l.opened_window = r.opened_window",
        "l.first_name = r.first_name and l.surname = r.surname"
        " and l.opened_window_shifted = r.opened_window_shifted",
        # same mailbox name at another (or misspelt) domain
        "split_part(l.email, '@', 1) = split_part(r.email, '@', 1)",
    )
    #: Expectation-maximisation passes that estimate ``m``; each estimates the fields it does
    #: not use, so together they should cover every field. Pairs sharing a personal key are
    #: nearly all matches, which makes them the best evidence of how matching records differ.
    training_rules: tuple[str, ...] = (
        "l.email = r.email",
        "l.phone = r.phone",
        "l.dob = r.dob",
        "l.first_name = r.first_name and l.surname = r.surname and l.birth_year = r.birth_year",
    )
    #: Near-certain rules whose pair count estimates lambda (see ``deterministic_recall``).
    deterministic_rules: tuple[str, ...] = (
        "l.email = r.email",
        "l.phone = r.phone",
        "l.first_name = r.first_name and l.surname = r.surname and l.dob = r.dob",
    )
    #: Assumed share of all true matching pairs that ``deterministic_rules`` find.
    deterministic_recall: float = 0.7
    #: Random record pairs sampled to estimate ``u`` (more is more precise, and slower); 2e6
    #: takes ~2 s on a million records.
    max_pairs_for_u: float = 2e6
    #: Cap on the record pairs of each EM training pass (a deterministic hash sample).
    max_pairs_for_em: float = 1e6
    #: Below this many records the model is not trained: the prior m/u values score the pairs.
    min_records_to_train: int = 200
    #: Seed of the random sampling, so the same input gives the same links.
    seed: int = 42


def probabilistic_links(
    records: pd.DataFrame, settings: MatchingSettings = MatchingSettings()
) -> pd.DataFrame:
    """Link records of the same person that share no key, with a Fellegi-Sunter model.

    Parameters
    ----------
    records : pandas.DataFrame
        ``record_id`` (unique, str) and any of ``first_name``, ``surname``, ``dob`` (date),
        ``birth_year`` (int), ``city``, ``postcode``, ``email``, ``phone``, ``gender``,
        ``record_kind`` (str, e.g. ``web_account``; compared when 2 to 6 kinds occur) and
        ``opened_at`` (date or timestamp the record was opened), already normalised (lower-case,
        trimmed, diacritics folded; NULL when unknown). Other columns are ignored.
    settings : MatchingSettings
        Threshold, blocking and training rules, sample sizes and seed.

    Returns
    -------
    pandas.DataFrame
        One row per linked pair, ``record_id_l < record_id_r``: ``record_id_l``,
        ``record_id_r``, ``match_probability`` and ``match_weight`` (log2 of the posterior odds
        of a match, prior included), sorted by the two ids. Empty, with the same columns, when
        there are fewer than two records, no comparable column or no candidate pair.

    Raises
    ------
    ValueError
        If ``record_id`` is missing, NULL or duplicated.
    """
    _check_record_ids(records)
    no_links = _tidy_links(pd.DataFrame(columns=list(LINK_COLUMNS)))
    if len(records) < 2:
        return no_links
    train = len(records) >= settings.min_records_to_train
    with _quiet_splink(), contextlib.closing(duckdb.connect()) as con:
        columns = _load_records(con, records)
        comparisons = _comparisons(columns, train, *_record_kinds(con, columns))
        blocking_rules = _usable_rules(settings.blocking_rules, columns)
        if not comparisons or not blocking_rules:
            return no_links
        model = SettingsCreator(
            link_type="dedupe_only",
            comparisons=comparisons,
            blocking_rules_to_generate_predictions=blocking_rules,
            unique_id_column_name=_ID,
            retain_matching_columns=False,
            retain_intermediate_calculation_columns=False,
        )
        links = _predict(con, model, columns, settings, train)
    return _tidy_links(links)


def _check_record_ids(records: pd.DataFrame) -> None:
    """Raise ValueError unless ``record_id`` is present, never NULL and unique."""
    if _ID not in records.columns:
        raise ValueError(f"records need a {_ID!r} column, got {list(records.columns)}")
    ids = records[_ID]
    if ids.isna().any():
        raise ValueError(f"{_ID} has {int(ids.isna().sum())} NULL values")
    duplicated = ids.astype(str).duplicated()
    if duplicated.any():
        raise ValueError(
            f"{_ID} has {int(duplicated.sum())} duplicates (e.g. {ids[duplicated].iloc[0]!r})"
        )


@contextlib.contextmanager
def _quiet_splink() -> Iterator[None]:
    """Raise the ``splink`` logger to WARNING for the duration, then restore its level.

    splink logs every training step at INFO. Its warnings still reach the caller's handlers:
    the Linker is made with ``log_level=None``, so splink installs no handler of its own.
    """
    splink_logger = logging.getLogger("splink")
    previous = splink_logger.level
    splink_logger.setLevel(max(previous, logging.WARNING))
    try:
        yield
    finally:
        splink_logger.setLevel(previous)


def _load_records(con: duckdb.DuckDBPyConnection, records: pd.DataFrame) -> set[str]:
    """Write the typed, id-sorted records to the ``records`` table; return the usable columns.

    A column is usable when present and not entirely NULL; the set also holds the flag
    ``_YEAR_WITHOUT_DOB`` when some record has a birth year but no date of birth.
    """
    typed = _typed_columns(set(records.columns))
    con.register("input_records", records[[c for c in records.columns if c in typed]])
    selected = ", ".join(f"{sql} AS {name}" for name, sql in typed.items())
    # Sorting by id makes the result independent of the input row order.
    con.sql(
        f"CREATE TABLE {_RECORDS_TABLE} AS "
        f"SELECT {selected} FROM input_records ORDER BY {_ID}"
    )
    con.unregister("input_records")
    counts = {name: f"count({name})" for name in typed if name != _ID}
    if "birth_year" in records.columns:
        # here birth_year is the given year wherever dob is NULL
        counts[_YEAR_WITHOUT_DOB] = "count(birth_year)" + (
            " FILTER (WHERE dob IS NULL)" if "dob" in typed else ""
        )
    if not counts:
        return set()
    # fetchall, not fetchone: DuckDB keeps an unfinished result from blocking the connection.
    (row,) = con.sql(f"SELECT {', '.join(counts.values())} FROM {_RECORDS_TABLE}").fetchall()
    return {name for name, count in zip(counts, row) if count}


def _typed_columns(present: set[str]) -> dict[str, str]:
    """Column name -> SQL casting the input to the type the comparisons expect.

    ``birth_year`` is the given year, else the year of ``dob``, so a source with only dates
    can still block on the year.
    """
    typed = {_ID: f"CAST({_ID} AS VARCHAR)"}
    typed |= {c: f"CAST({c} AS VARCHAR)" for c in _TEXT_COLUMNS if c in present}
    if "dob" in present:
        typed["dob"] = "TRY_CAST(dob AS DATE)"
    if "opened_at" in present:
        # the day the record was opened, and two overlapping windows of it to block on: two dates
        # at most half a window apart share at least one window
        opened = "TRY_CAST(opened_at AS DATE)"
        day = f"date_diff('day', DATE '1970-01-01', {opened})"
        typed["opened_at"] = opened
        typed["opened_window"] = f"CAST(floor({day} / {_OPENED_WINDOW_DAYS}) AS INTEGER)"
        typed["opened_window_shifted"] = (
            f"CAST(floor(({day} + {_OPENED_WINDOW_DAYS // 2}) / {_OPENED_WINDOW_DAYS}) AS INTEGER)"
        )
    years = [
        sql
        for column, sql in (
            ("birth_year", "TRY_CAST(birth_year AS INTEGER)"),
            ("dob", "year(TRY_CAST(dob AS DATE))"),
        )
        if column in present
    ]
    if years:
        typed["birth_year"] = f"CAST(coalesce({', '.join(years)}) AS INTEGER)"
    return typed


def _usable_rules(rules: tuple[str, ...], columns: set[str]) -> list[str]:
    """The rules whose every ``l.``/``r.`` column is usable."""
    return [rule for rule in rules if set(re.findall(r"\b[lr]\.(\w+)", rule)) <= columns]


def _prior(level: ComparisonLevelCreator, m: float, u: float) -> ComparisonLevelCreator:
    """Attach prior m/u: the scores of an untrained model and EM's starting values."""
    return level.configure(m_probability=m, u_probability=u)


def _name_levels(column: str, other: str | None, tf: bool) -> list[ComparisonLevelCreator]:
    """Levels of a name; ``other`` is the other name field, to catch swapped names."""
    levels = [cll.NullLevel(column), _prior(cll.ExactMatchLevel(column, tf), 0.80, 0.02)]
    if other is not None:
        swapped = f"{column}_l = {other}_r OR {other}_l = {column}_r"
        label = f"{column} swapped with {other}"
        levels.append(_prior(cll.CustomLevel(swapped, label), 0.05, 5e-4))
    return levels + [
        _prior(cll.LevenshteinLevel(column, 1), 0.08, 0.002),
        _prior(cll.JaroWinklerLevel(column, 0.9), 0.04, 0.005),
        _prior(cll.JaroWinklerLevel(column, 0.7), 0.02, 0.08),
        _prior(cll.ElseLevel(), 0.01, 0.89),
    ]


def _birth_levels(has_dob: bool, year_without_dob: bool) -> list[ComparisonLevelCreator]:
    """Date-of-birth levels when both dates are known, the birth year when one is not.

    ``year_without_dob``: some records have a birth year but no date, so the year level can
    occur; otherwise it is left out (EM could never train it).
    """
    levels: list[ComparisonLevelCreator] = [cll.NullLevel("birth_year")]
    if has_dob:
        dob_typo = "levenshtein(CAST(dob_l AS VARCHAR), CAST(dob_r AS VARCHAR)) <= 1"
        within_year = "abs(date_diff('day', dob_l, dob_r)) <= 365"
        levels += [
            _prior(cll.ExactMatchLevel("dob"), 0.85, 3e-4),
            _prior(cll.CustomLevel(dob_typo, "dob one typo"), 0.05, 3e-3),
            _prior(cll.CustomLevel(within_year, "dob within a year"), 0.05, 0.03),
        ]
    if has_dob and year_without_dob:
        # Both dates known and far apart: the birth-year level below must not rescue the pair.
        both_known = "dob_l IS NOT NULL AND dob_r IS NOT NULL"
        levels.append(_prior(cll.CustomLevel(both_known, "dob differs"), 0.03, 0.95))
    if year_without_dob:
        levels.append(_prior(cll.ExactMatchLevel("birth_year"), 0.85, 0.02))
    return levels + [_prior(cll.ElseLevel(), 0.05, 0.95)]


def _email_levels(tf: bool, unique_kinds: tuple[str, ...] = ()) -> list[ComparisonLevelCreator]:
    """E-mail levels: exact, same user name at another domain, one typo in the user name.

    No Jaro-Winkler level: user names are mostly built from the person's name, so two
    different "anna.nowak..." addresses look alike and would count the name evidence twice.
    """
    user_l, user_r = "split_part(email_l, '@', 1)", "split_part(email_r, '@', 1)"
    same_domain = "split_part(email_l, '@', 2) = split_part(email_r, '@', 2)"
    # Levenshtein on the short user name only: on whole addresses it was the costliest
    # comparison of a million-record run.
    user_typo = f"{same_domain} AND levenshtein({user_l}, {user_r}) <= 1"
    null = cll.NullLevel("email")
    if unique_kinds:
        # two records of a kind that never shares an e-mail: different e-mails are expected
        literals = ", ".join("'" + kind.replace("'", "''") + "'" for kind in unique_kinds)
        unknown = (
            f"email_l IS NULL OR email_r IS NULL OR (record_kind_l = record_kind_r"
            f" AND record_kind_l IN ({literals}) AND {user_l} <> {user_r})"
        )
        null = cll.CustomLevel(unknown, "e-mail unknown, or unique to each record of the kind")
        null = null.configure(is_null_level=True)
    return [
        null,
        _prior(cll.ExactMatchLevel("email", tf), 0.80, 1e-4),
        _prior(cll.CustomLevel(f"{user_l} = {user_r}", "same user name"), 0.05, 1e-4),
        _prior(cll.CustomLevel(user_typo, "user name one typo"), 0.05, 1e-4),
        _prior(cll.ElseLevel(), 0.10, 0.9997),
    ]


def _gender_levels(has_first_name: bool) -> list[ComparisonLevelCreator]:
    """Gender, counted only when a first name is missing.

    A first name already tells the gender (in the demo's names as in most real ones), so with
    both first names known a gender agreement would count the name's evidence a second time
    and push pairs of namesakes over the threshold.
    """
    levels = _exact_levels("gender", False, 0.98, 0.5)
    if has_first_name:
        unknown = (
            "gender_l IS NULL OR gender_r IS NULL"
            " OR (first_name_l IS NOT NULL AND first_name_r IS NOT NULL)"
        )
        levels[0] = cll.CustomLevel(unknown, "gender unknown or told by the first names").configure(
            is_null_level=True
        )
    return levels


def _exact_levels(
    column: str, tf: bool, m: float, u: float, fuzzy: ComparisonLevelCreator | None = None
) -> list[ComparisonLevelCreator]:
    """Null / exact (prior ``m``, ``u``) / optional fuzzy / else levels of a field."""
    levels = [cll.NullLevel(column), _prior(cll.ExactMatchLevel(column, tf), m, u)]
    if fuzzy is not None:
        levels.append(_prior(fuzzy, 0.05, 0.005))
    return levels + [_prior(cll.ElseLevel(), 1 - m, 1 - u)]


def _record_kinds(
    con: duckdb.DuckDBPyConnection, columns: set[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``record_kind`` values to compare, and those whose e-mails are unique within the kind.

    Both sorted. No kinds when the column is absent, or with one kind or too many to compare.
    A kind whose every record has its own e-mail (a shop's logins) cannot show one person's two
    records with the same e-mail, so there a different e-mail is no evidence.
    """
    if "record_kind" not in columns:
        return (), ()
    unique = "count(email) > 0 AND count(email) = count(DISTINCT email)"
    rows = con.sql(
        f"SELECT record_kind, {unique if 'email' in columns else 'false'} FROM {_RECORDS_TABLE} "
        "WHERE record_kind IS NOT NULL GROUP BY record_kind ORDER BY record_kind"
    ).fetchall()
    if not 2 <= len(rows) <= _MAX_RECORD_KINDS:
        return (), ()
    return tuple(kind for kind, _ in rows), tuple(kind for kind, unique in rows if unique)


def _kind_opened_levels(kinds: tuple[str, ...], opened: bool) -> list[ComparisonLevelCreator]:
    """The kinds of the two records and the days between their openings, as one comparison.

    ``kinds``: the record kinds to tell apart (none: kinds unknown); ``opened``: the opening
    date (account created, card issued) is known for some records. The two are compared
    together because the dates mean different things by pair kind: one person's web account
    and loyalty card may be opened within weeks of each other, while two records of one kind
    opened within weeks are more likely two people's. How often one person holds two records of
    a kind differs by kind too (two accounts are commoner than two cards).

    Evidence only as far as training finds it: EM learns each level's m over pairs that share a
    personal key, random pairs its u. Where kinds or dates say nothing about the person, m and u
    come out alike and the levels weigh nothing.
    """
    days = "abs(date_diff('day', opened_at_l, opened_at_r))"
    levels = [cll.NullLevel("record_kind" if kinds else "opened_at")]
    if kinds and opened:
        same_soon = f"record_kind_l = record_kind_r AND {days} <= 30"
        same_level = cll.CustomLevel(same_soon, "same kind, opened within 30 days")
        levels.append(_prior(same_level, 0.01, 0.01))
    for kind in kinds:
        literal = kind.replace("'", "''")
        both = f"record_kind_l = '{literal}' AND record_kind_r = '{literal}'"
        levels.append(_prior(cll.CustomLevel(both, f"both {kind}"), 0.1, 1 / len(kinds) ** 2))
    if opened:
        other = "other kinds, " if kinds else ""
        if kinds:
            unknown = "opened_at_l IS NULL OR opened_at_r IS NULL"
            levels.append(_prior(cll.CustomLevel(unknown, f"{other}opening unknown"), 0.1, 0.1))
        for within, label, m, u in (
            (30, "30 days", 0.3, 0.01), (60, "60 days", 0.2, 0.01),
            (90, "90 days", 0.1, 0.01), (365, "a year", 0.1, 0.1),
        ):
            level = cll.CustomLevel(f"{days} <= {within}", f"{other}opened within {label}")
            levels.append(_prior(level, m, u))
        return levels + [_prior(cll.ElseLevel(), 0.1, 0.4)]
    # kinds only: the else level is any pair of different kinds
    return levels + [_prior(cll.ElseLevel(), 0.7, 1 - 1 / len(kinds))]


def _comparisons(
    columns: set[str],
    train: bool,
    kinds: tuple[str, ...] = (),
    unique_email_kinds: tuple[str, ...] = (),
) -> list[CustomComparison]:
    """One comparison per usable field.

    Term-frequency adjustments need trained u values and enough records to count value
    frequencies, so they are only used when training.
    """
    levels: dict[str, list[ComparisonLevelCreator]] = {}
    names = [c for c in ("first_name", "surname") if c in columns]
    for name in names:
        other = next((n for n in names if n != name), None)
        levels[name] = _name_levels(name, other, train)
    if "birth_year" in columns:
        levels["birth"] = _birth_levels("dob" in columns, _YEAR_WITHOUT_DOB in columns)
    if "city" in columns:
        city_typo = cll.JaroWinklerLevel("city", 0.88)
        levels["city"] = _exact_levels("city", train, 0.85, 0.05, city_typo)
    if "postcode" in columns:
        levels["postcode"] = _exact_levels("postcode", train, 0.85, 1e-3)
    if "email" in columns:
        levels["email"] = _email_levels(train, unique_email_kinds)
    if "phone" in columns:
        phone_typo = cll.LevenshteinLevel("phone", 1)
        levels["phone"] = _exact_levels("phone", False, 0.85, 1e-4, phone_typo)
    if "gender" in columns:
        levels["gender"] = _gender_levels("first_name" in columns)
    if kinds or "opened_at" in columns:
        levels["kind_opened"] = _kind_opened_levels(kinds, "opened_at" in columns)
    return [CustomComparison(lv, output_column_name=name) for name, lv in levels.items()]


def _predict(
    con: duckdb.DuckDBPyConnection,
    model: SettingsCreator,
    columns: set[str],
    settings: MatchingSettings,
    train: bool,
) -> pd.DataFrame:
    """Train the model on the ``records`` table (if ``train``) and score its candidate pairs."""
    records = DuckDBAPI(connection=con).register(_RECORDS_TABLE)
    model.probability_two_random_records_match = (
        _estimate_lambda(records, settings, columns) if train else _PRIOR_MATCH_PROBABILITY
    )
    # log_level=None: a splink handler would stop its warnings reaching the caller's logging.
    linker = Linker(records, model, log_level=None)
    if train:
        _train(linker, con, settings, columns)
    predictions = linker.inference.predict(
        threshold_match_probability=settings.match_threshold, warning_mode="never"
    )
    return con.sql(f"SELECT {', '.join(LINK_COLUMNS)} FROM {predictions.physical_name}").df()


def _estimate_lambda(
    records: SplinkDataFrame, settings: MatchingSettings, columns: set[str]
) -> float:
    """Probability that two random records match, from the pairs of the deterministic rules.

    Expected matching pairs = deterministic pairs / their assumed recall, over all pairs. One
    deterministic pair at least is assumed, as lambda = 0 would link nothing, and lambda is
    capped at 1/2 for degenerate inputs.
    """
    rules = _usable_rules(settings.deterministic_rules, columns)
    if not rules:
        return _PRIOR_MATCH_PROBABILITY
    counts = count_comparisons_from_blocking_rules(
        records,
        blocking_rules=rules,
        link_type="dedupe_only",
        unique_id_column_name=_ID,
        record_sample_proportion=1.0,
    )[-1]  # the last rule's record holds the cumulative count of all rules
    expected = max(counts["cumulative_comparison_count"], 1) / settings.deterministic_recall
    return min(expected / counts["total_possible_comparison_count"], 0.5)


def _train(
    linker: Linker,
    con: duckdb.DuckDBPyConnection,
    settings: MatchingSettings,
    columns: set[str],
) -> None:
    """Estimate u by seeded random sampling, then m by EM over each usable training rule."""
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.max_pairs_for_u, seed=settings.seed
    )
    (n_records,) = con.sql(f"SELECT count(*) FROM {_RECORDS_TABLE}").fetchall()[0]
    # splink sizes the EM sample from the pairs of a record sample (1% by default); probing
    # at least ~20k records keeps that probe from coming back empty on small inputs.
    probe = min(1.0, max(0.01, 20_000 / n_records))
    with _single_threaded(con):
        for rule in _usable_rules(settings.training_rules, columns):
            if _has_pairs(con, rule, _MIN_EM_PAIRS):
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=settings.max_pairs_for_em, record_sample_proportion=probe
                )


@contextlib.contextmanager
def _single_threaded(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Run DuckDB on one thread for the duration, then restore its thread count.

    EM sums match probabilities over pairs; threads add the partial sums in a varying order,
    which moves the trained weights by ~1e-13 from run to run. One thread keeps the order, and
    so the output, identical for the same input.
    """
    (threads,) = con.sql("SELECT current_setting('threads')").fetchall()[0]
    con.sql("SET threads = 1")
    try:
        yield
    finally:
        con.sql(f"SET threads = {threads}")


def _has_pairs(con: duckdb.DuckDBPyConnection, rule: str, at_least: int) -> bool:
    """Whether ``rule`` pairs at least ``at_least`` records (stops counting there).

    Checked up front because splink's EM, given a rule without pairs, raises only after it
    has altered the linker's model (dropped comparisons, a changed lambda).
    """
    pairs = (
        f"SELECT 1 FROM {_RECORDS_TABLE} AS l JOIN {_RECORDS_TABLE} AS r "
        f"ON ({rule}) AND l.{_ID} < r.{_ID} LIMIT {at_least}"
    )
    (count,) = con.sql(f"SELECT count(*) FROM ({pairs})").fetchall()[0]
    return count >= at_least


def _tidy_links(links: pd.DataFrame) -> pd.DataFrame:
    """Links with typed columns, sorted by the two ids.

    ``record_id_l < record_id_r`` already holds: splink's dedupe join keeps ``l.id < r.id``,
    and DuckDB orders VARCHAR as Python orders ``str`` (by code point).
    """
    dtypes = {"record_id_l": str, "record_id_r": str,
              "match_probability": "float64", "match_weight": "float64"}
    return links.astype(dtypes).sort_values(["record_id_l", "record_id_r"], ignore_index=True)
