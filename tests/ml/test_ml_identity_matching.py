"""Tests of ml.identity_matching: probabilistic links on hand-made frames and on splink's fake_1000.

The two fake_1000 files (``../shared/data/splink_fake_1000``, see its SOURCE.md) carry the true
person of every record in ``cluster``; it is used only to score, never to link.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ml.identity_eval import pairwise_scores
from ml.identity_matching import LINK_COLUMNS, MatchingSettings, probabilistic_links

FAKE_1000 = Path(__file__).resolve().parents[3] / "shared" / "data" / "splink_fake_1000"
FAKE_1000_FILES = ["splink_datasets_fake_1000", "fake_1000_from_splink_demos"]
SCORE_EVERY_PAIR = MatchingSettings(match_threshold=0.0)


def _records(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _pairs(links: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(links["record_id_l"], links["record_id_r"]))


# ---- hand-made frames (too small to train: scored with the prior m/u values)


def test_two_typod_versions_of_one_person_link() -> None:
    records = _records(
        {"record_id": "a", "first_name": "jon", "surname": "smith", "dob": dt.date(1980, 5, 1),
         "city": "london", "email": "jon.smith@example.com"},
        {"record_id": "b", "first_name": "john", "surname": "smiht", "dob": dt.date(1980, 5, 1),
         "city": "london", "email": None},
    )
    links = probabilistic_links(records)
    assert _pairs(links) == {("a", "b")}
    assert links["match_probability"].iloc[0] >= MatchingSettings().match_threshold


def test_two_different_people_do_not_link() -> None:
    # Same date of birth and city, so the pair is a candidate and is scored, but low.
    records = _records(
        {"record_id": "a", "first_name": "anna", "surname": "nowak", "dob": dt.date(1990, 1, 1),
         "city": "krakow"},
        {"record_id": "b", "first_name": "piotr", "surname": "wisniewski",
         "dob": dt.date(1990, 1, 1), "city": "krakow"},
    )
    assert probabilistic_links(records).empty
    scored = probabilistic_links(records, SCORE_EVERY_PAIR)
    assert _pairs(scored) == {("a", "b")}
    assert scored["match_probability"].iloc[0] < 0.01


def test_swapped_first_name_and_surname_link() -> None:
    records = _records(
        {"record_id": "1", "first_name": "noah", "surname": "watson", "dob": dt.date(2008, 3, 23)},
        {"record_id": "2", "first_name": "watson", "surname": "noah", "dob": dt.date(2008, 3, 23)},
    )
    assert _pairs(probabilistic_links(records)) == {("1", "2")}


def _probability(links: pd.DataFrame, left: str, right: str) -> float:
    pair = links[(links["record_id_l"] == left) & (links["record_id_r"] == right)]
    assert len(pair) == 1, f"{left}-{right} was not scored"
    return float(pair["match_probability"].iloc[0])


def _account_and_card(ids: tuple[str, str], first: str, surname: str, days_apart: int,
                      **stated: object) -> list[dict]:
    """A web account and a loyalty card stating the same name, opened ``days_apart`` apart."""
    opened = dt.datetime(2024, 3, 1, 12)
    return [
        {"record_id": ids[0], "record_kind": "web_account", "first_name": first,
         "surname": surname, "opened_at": opened, **stated},
        {"record_id": ids[1], "record_kind": "loyalty_card", "first_name": first,
         "surname": surname, "opened_at": opened + dt.timedelta(days=days_apart), **stated},
    ]


def test_namesakes_are_compared_when_opened_in_the_same_weeks() -> None:
    # Nothing but the full name in common: a pair is a candidate only when opened close together.
    records = _records(
        *_account_and_card(("a1", "c1"), "anna", "nowak", 12),
        *_account_and_card(("a2", "c2"), "ewa", "lis", 29),
        *_account_and_card(("a3", "c3"), "jan", "mazur", 400),
    )
    assert _pairs(probabilistic_links(records, SCORE_EVERY_PAIR)) == {("a1", "c1"), ("a2", "c2")}
    # without opening dates there is no such candidate
    no_dates = records.drop(columns=["opened_at"])
    assert probabilistic_links(no_dates, SCORE_EVERY_PAIR).empty


def test_an_account_and_a_card_opened_together_weigh_more_than_far_apart() -> None:
    # Same name and city (a candidate either way); only the days between openings differ.
    records = _records(
        *_account_and_card(("a1", "c1"), "anna", "nowak", 10, city="radom"),
        *_account_and_card(("a2", "c2"), "ewa", "lis", 700, city="radom"),
    )
    scored = probabilistic_links(records, SCORE_EVERY_PAIR)
    together, apart = _probability(scored, "a1", "c1"), _probability(scored, "a2", "c2")
    assert together > apart
    # two records of one kind opened together are not the same evidence
    same_kind = records.copy()
    same_kind.loc[same_kind["record_id"] == "c1", "record_kind"] = "web_account"
    scored_same_kind = probabilistic_links(same_kind, SCORE_EVERY_PAIR)
    assert _probability(scored_same_kind, "a1", "c1") < together


def test_gender_counts_only_when_a_first_name_is_missing() -> None:
    def scored(first_b: str | None, gender: str | None) -> float:
        records = _records(
            {"record_id": "a", "first_name": "anna", "surname": "nowak", "gender": gender,
             "dob": dt.date(1984, 2, 3)},
            {"record_id": "b", "first_name": first_b, "surname": "nowak", "gender": gender,
             "dob": dt.date(1984, 2, 3)},
        )
        return _probability(probabilistic_links(records, SCORE_EVERY_PAIR), "a", "b")

    # both first names known: they tell the gender, which then adds nothing
    assert scored("anna", "F") == scored("anna", None)
    # a first name missing: the stated gender is evidence
    assert scored(None, "F") > scored(None, None)


def test_different_emails_are_no_evidence_within_a_kind_whose_emails_are_unique() -> None:
    def pair(ids: tuple[str, str], kind: str, surname: str, emails: tuple) -> list[dict]:
        return [{"record_id": rid, "record_kind": kind, "first_name": "anna", "surname": surname,
                 "birth_year": 1984, "city": "radom", "email": email}
                for rid, email in zip(ids, emails)]

    records = _records(
        # web accounts: every e-mail its own (logins), so two differing e-mails are expected
        *pair(("w1", "w2"), "web_account", "nowak", ("anna.n@x.pl", "a.nowak7@y.pl")),
        *pair(("w3", "w4"), "web_account", "lis", (None, None)),
        # loyalty cards: two cards share an e-mail, so e-mails are not unique to a card
        *pair(("k1", "k2"), "loyalty_card", "mazur", ("anna.m@x.pl", "a.mazur3@y.pl")),
        *pair(("k3", "k4"), "loyalty_card", "kot", (None, None)),
        *pair(("k5", "k6"), "loyalty_card", "wrona", ("ania@z.pl", "ania@z.pl")),
    )
    scored = probabilistic_links(records, SCORE_EVERY_PAIR)
    assert _probability(scored, "w1", "w2") == pytest.approx(_probability(scored, "w3", "w4"))
    assert _probability(scored, "k1", "k2") < _probability(scored, "k3", "k4")


@pytest.mark.parametrize("n_records", [0, 1])
def test_fewer_than_two_records_give_no_links(n_records: int) -> None:
    records = pd.DataFrame({"record_id": ["a"][:n_records], "first_name": ["ann"][:n_records]})
    links = probabilistic_links(records)
    assert links.empty
    assert tuple(links.columns) == LINK_COLUMNS


def test_missing_and_all_null_columns() -> None:
    # A loyalty-card source: no dob, postcode or phone; e-mail present but never filled.
    records = _records(
        {"record_id": "c1", "first_name": "anna", "surname": "kowalska", "birth_year": 1985,
         "city": "gdansk", "gender": "f", "email": None},
        {"record_id": "c2", "first_name": "anna", "surname": "kowalska", "birth_year": 1985,
         "city": "gdansk", "gender": "f", "email": None},
        {"record_id": "c3", "first_name": "jan", "surname": "kowalski", "birth_year": 1961,
         "city": "gdansk", "gender": "m", "email": None},
    )
    links = probabilistic_links(records)
    assert _pairs(links) == {("c1", "c2")}


def test_no_comparable_column_or_no_candidate_pair_gives_no_links() -> None:
    assert probabilistic_links(pd.DataFrame({"record_id": ["a", "b"]})).empty
    strangers = _records(
        {"record_id": "a", "first_name": "anna", "surname": "nowak", "birth_year": 1970},
        {"record_id": "b", "first_name": "jan", "surname": "kowalski", "birth_year": 1980},
    )
    assert probabilistic_links(strangers, SCORE_EVERY_PAIR).empty


@pytest.mark.parametrize("ids", [["a", "a"], ["a", None]])
def test_bad_record_ids_raise(ids: list) -> None:
    with pytest.raises(ValueError, match="record_id"):
        probabilistic_links(pd.DataFrame({"record_id": ids, "first_name": ["x", "y"]}))


def test_output_contract() -> None:
    records = _records(
        *[{"record_id": f"r{i}", "first_name": "ewa", "surname": "mazur", "birth_year": 1975,
           "city": "lodz"} for i in (9, 3, 5)]
    )
    links = probabilistic_links(records)
    assert tuple(links.columns) == LINK_COLUMNS
    assert _pairs(links) == {("r3", "r5"), ("r3", "r9"), ("r5", "r9")}
    assert (links["record_id_l"] < links["record_id_r"]).all()
    assert links.equals(links.sort_values(["record_id_l", "record_id_r"], ignore_index=True))
    assert links["match_probability"].dtype == np.float64
    assert links["match_weight"].dtype == np.float64


def test_splink_info_logging_is_silenced_and_the_logger_left_as_found(
    caplog: pytest.LogCaptureFixture,
) -> None:
    splink_logger = logging.getLogger("splink")
    before = (splink_logger.level, list(splink_logger.handlers), splink_logger.propagate)
    with caplog.at_level(logging.DEBUG):
        probabilistic_links(_load_fake_1000("splink_datasets_fake_1000")[0])
    splink_records = [r for r in caplog.records if r.name.startswith("splink")]
    chatty = [r for r in splink_records if r.levelno < logging.WARNING]
    assert chatty == []
    # No handler of splink's own: its warnings keep propagating to the caller's handlers.
    assert (splink_logger.level, list(splink_logger.handlers), splink_logger.propagate) == before


# ---- splink's fake_1000: 1,000 records with planted truth (trains the model)


def _load_fake_1000(name: str) -> tuple[pd.DataFrame, pd.Series]:
    """Records normalised as the pipeline will (trimmed, lower-case, dob a date) and truth."""
    path = FAKE_1000 / f"{name}.parquet"
    if not path.exists():
        pytest.skip(f"{path} is not available")
    raw = pd.read_parquet(path)
    records = pd.DataFrame({"record_id": raw["unique_id"].astype(str)})
    for column in ("first_name", "surname", "city", "email"):
        records[column] = raw[column].str.strip().str.lower()
    records["dob"] = pd.to_datetime(raw["dob"], format="%Y-%m-%d", errors="coerce").dt.date
    return records, pd.Series(raw["cluster"].to_numpy(), index=records["record_id"])


def _email_edges(records: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic matching: every record with an e-mail to the first record sharing it."""
    with_email = records.dropna(subset=["email"])
    first = with_email.groupby("email")["record_id"].transform("first")
    linked = with_email["record_id"] != first
    return with_email["record_id"][linked].to_numpy(), first[linked].to_numpy()


def _clusters(ids: pd.Series, left: np.ndarray, right: np.ndarray) -> pd.Series:
    """Connected components of the records under the given edges."""
    position = pd.Series(np.arange(len(ids)), index=ids)
    rows, cols = position[left].to_numpy(), position[right].to_numpy()
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(ids)))
    return pd.Series(connected_components(graph, directed=False)[1], index=ids.to_numpy())


@pytest.fixture(scope="module", params=FAKE_1000_FILES)
def fake_1000(request: pytest.FixtureRequest) -> dict:
    """Records, truth, e-mail edges and default probabilistic links of one fake_1000 file."""
    records, truth = _load_fake_1000(request.param)
    return {
        "name": request.param,
        "records": records,
        "truth": truth,
        "email_edges": _email_edges(records),
        "links": probabilistic_links(records),
    }


def test_exact_email_matching_alone(fake_1000: dict) -> None:
    predicted = _clusters(fake_1000["records"]["record_id"], *fake_1000["email_edges"])
    scores = pairwise_scores(predicted, fake_1000["truth"])
    assert scores["precision"] == 1.0
    if fake_1000["name"] == "splink_datasets_fake_1000":
        assert scores["recall"] == pytest.approx(0.34, abs=0.01)
        assert scores["f1"] == pytest.approx(0.50, abs=0.01)


def test_email_plus_probabilistic_links_reach_the_targets(fake_1000: dict) -> None:
    email_l, email_r = fake_1000["email_edges"]
    links = fake_1000["links"]
    predicted = _clusters(
        fake_1000["records"]["record_id"],
        np.r_[email_l, links["record_id_l"].to_numpy()],
        np.r_[email_r, links["record_id_r"].to_numpy()],
    )
    scores = pairwise_scores(predicted, fake_1000["truth"])
    assert scores["precision"] >= 0.98
    assert scores["f1"] >= 0.88


def test_same_input_gives_the_same_links(fake_1000: dict) -> None:
    shuffled = fake_1000["records"].sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(probabilistic_links(shuffled), fake_1000["links"])
