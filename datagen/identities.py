"""Channel identities: web accounts and loyalty cards, with messy identifiers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .common import SECONDS_PER_DAY, Window
from .people import FIRST_NAMES, LAST_NAME_FORMS, People
from .reference import CITIES, JUNK_EMAIL, JUNK_PHONE, ascii_fold
from .strings import N_PHONE_FORMATS, card_numbers, choose, concat, messy_email, messy_name, padded, phone_strings, take

__all__ = ["Identities", "make_identities"]

#: Share of people whose (first) web account states a phone: the courier needs one.
FIRST_ACCOUNT_PHONE_SHARE = 0.95
#: Share of accounts and cards that state the holder's name.
ACCOUNT_NAME_SHARE = 0.97
CARD_NAME_SHARE = 0.97
#: Card e-mail codes (own, junk, none) when the card states the person's mobile, and when it does not.
CARD_EMAIL_P = (0.40, 0.03, 0.57)
CARD_EMAIL_P_WITHOUT_MOBILE = (0.85, 0.05, 0.10)

_FIRST = pa.array(FIRST_NAMES)
_FIRST_ASCII = pa.array([ascii_fold(n) for n in FIRST_NAMES])
_LAST = pa.array(LAST_NAME_FORMS)
_LAST_ASCII = pa.array([ascii_fold(n) for n in LAST_NAME_FORMS])
_CITY = pa.array([c[0] for c in CITIES])


@dataclass
class Identities:
    """Accounts and cards of one chunk, with per-person lookups.

    ``acc_of_person[i, k]`` / ``card_of_person[i, k]`` give the row of person ``i``'s
    k-th account / card (-1 when absent); times are seconds since the window start.
    """

    accounts: pa.Table
    cards: pa.Table
    acc_owner: np.ndarray
    acc_created: np.ndarray
    card_owner: np.ndarray
    card_issued: np.ndarray
    acc_of_person: np.ndarray
    card_of_person: np.ndarray

    def truth_records(self, people: People) -> pa.Table:
        """Truth ``identity_records`` rows for the accounts and cards."""
        keys = pa.concat_arrays([self.accounts["account_id"].combine_chunks(), self.cards["card_number"].combine_chunks()])
        types = take(["web_account", "loyalty_card"], np.r_[np.zeros(len(self.acc_owner), np.int64),
                                                            np.ones(len(self.card_owner), np.int64)])
        return pa.table({"record_type": types, "record_key": keys,
                         "person_id": pa.array(people.pid[np.r_[self.acc_owner, self.card_owner]])})


def _rows(rng: np.random.Generator, people: People, counts: np.ndarray, first_gap: tuple[int, int],
          second_gap: tuple[int, int], window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Owner, ordinal (0/1) and creation second of every account/card row."""
    n = len(people)
    start0 = np.maximum(people.join_day, -1800) + rng.integers(*first_gap, size=n)
    start0 = np.minimum(start0, window.n_days - 1)
    start1 = start0 + rng.integers(*second_gap, size=n)
    keep1 = (counts >= 2) & (start1 < window.n_days)
    owner = np.r_[np.flatnonzero(counts >= 1), np.flatnonzero(keep1)]
    k = np.r_[np.zeros((counts >= 1).sum(), np.int64), np.ones(keep1.sum(), np.int64)]
    order = np.lexsort((k, owner))
    owner, k = owner[order], k[order]
    day = np.where(k == 0, start0[owner], start1[owner])
    seconds = day * SECONDS_PER_DAY + rng.integers(8 * 3600, 22 * 3600, size=len(owner))
    return owner, k, seconds


def _lookup(n: int, owner: np.ndarray, k: np.ndarray) -> np.ndarray:
    table = np.full((n, 2), -1, dtype=np.int64)
    table[owner, k] = np.arange(len(owner))
    return table


def _profile(rng: np.random.Generator, people: People, owner: np.ndarray, p: tuple[float, float, float, float]) -> dict:
    """Optional profile fields: names, gender, birth year and city with given fill rates."""
    m = len(owner)
    named = rng.random(m) < p[0]
    return {
        "first_name": messy_name(take(_FIRST, people.first_name[owner]), take(_FIRST_ASCII, people.first_name[owner]), rng, ~named),
        "last_name": messy_name(take(_LAST, people.last_name[owner]), take(_LAST_ASCII, people.last_name[owner]), rng, ~named),
        "gender": take(["M", "F"], people.female[owner].astype(np.int64), rng.random(m) >= p[1]),
        "birth_year": pa.array(people.birth_year[owner].astype(np.int32), mask=rng.random(m) >= p[2]),
        "city": take(_CITY, people.city[owner], rng.random(m) >= p[3]),
    }


def make_identities(rng: np.random.Generator, people: People, window: Window, first_account: int,
                    first_card: int, store_ids: pa.Array) -> Identities:
    """Create the web accounts and loyalty cards of a chunk of people.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    people : People
        The chunk's people.
    window : Window
        Event window.
    first_account, first_card : int
        Serial numbers of the chunk's first account and first card.
    store_ids : pyarrow.Array
        ``store_id`` of every store.

    Returns
    -------
    Identities
        Raw ``web_accounts`` and ``loyalty_cards`` rows plus lookups.
    """
    n = len(people)
    # ---- web accounts
    a_owner, a_k, a_created = _rows(rng, people, people.n_accounts, (0, 20), (30, 900), window)
    m = len(a_owner)
    two = np.bincount(a_owner, minlength=n)[a_owner] == 2
    # a web shop asks for a phone number at the first delivery; a second account repeats it less often
    first_has_phone = rng.random(n) < np.where(people.n_accounts == 2, 0.95, FIRST_ACCOUNT_PHONE_SHARE)
    second_shares = rng.random(n) < 0.85
    has_phone = np.where(a_k == 0, first_has_phone[a_owner], two & first_has_phone[a_owner] & second_shares[a_owner])
    email = pa.concat_arrays([people.email[0], people.email[1]]).take(pa.array(a_k * n + a_owner))
    accounts = {
        "account_id": concat("A", padded(first_account + np.arange(m), 9)),
        "created_at": window.timestamps(a_created),
        "email": messy_email(email, rng),
        "phone": phone_strings(people.mobile[a_owner], rng.integers(0, N_PHONE_FORMATS, size=m), ~has_phone),
        # the name is asked for at the first delivery
        **_profile(rng, people, a_owner, (ACCOUNT_NAME_SHARE, 0.7, 0.5, 0.6)),
    }

    # ---- loyalty cards
    c_owner, c_k, c_issued = _rows(rng, people, people.n_cards, (0, 60), (60, 900), window)
    m = len(c_owner)
    two_cards = np.bincount(c_owner, minlength=n)[c_owner] == 2
    # phone code per person for the first card: 0 mobile, 1 landline, 2 null, 3 junk
    code = rng.choice(4, size=n, p=[0.60, 0.25, 0.14, 0.01])
    code = np.where((code == 1) & (people.landline == 0), 0, code)
    code = np.where((people.n_cards == 2) & (code >= 2), 0, code)  # a second card must be linkable
    phone_code = code[c_owner]
    number = np.where(phone_code == 1, people.landline[c_owner], people.mobile[c_owner])
    formatted = phone_strings(number, rng.integers(0, N_PHONE_FORMATS, size=m), phone_code == 2)
    phone = choose(np.where(phone_code == 3, 1, 0), [formatted, JUNK_PHONE])
    # e-mail code per card: 0 own e-mail, 1 junk, 2 null. The enrolment form asks for an e-mail or a
    # mobile to send offers to, so a card without the person's mobile usually states the e-mail.
    # (One uniform per card, as rng.choice(p=...) draws, so the other planted streams are unchanged.)
    without_mobile = phone_code != 0
    u = rng.random(m)
    e_code = np.where(without_mobile, np.searchsorted(np.cumsum(CARD_EMAIL_P_WITHOUT_MOBILE), u, side="right"),
                      np.searchsorted(np.cumsum(CARD_EMAIL_P), u, side="right"))
    e_code = np.minimum(e_code, 2)
    e_code = np.where(two_cards & (c_k == 1) & (e_code == 1), 2, e_code)
    card_email = choose(np.minimum(e_code, 1), [messy_email(people.email[0].take(pa.array(c_owner)), rng), JUNK_EMAIL],
                        e_code == 2)
    store = np.where(c_k == 0, people.home_store[c_owner], rng.integers(0, len(store_ids), size=m))
    cards = {
        "card_number": card_numbers(first_card + np.arange(m)),
        "issued_at": window.timestamps(c_issued),
        "store_id": store_ids.take(pa.array(store)),
        "phone": phone,
        "email": card_email,
        # the enrolment form asks for the holder's name
        **_profile(rng, people, c_owner, (CARD_NAME_SHARE, 0.6, 0.4, 0.7)),
    }
    return Identities(accounts=pa.table(accounts), cards=pa.table(cards), acc_owner=a_owner, acc_created=a_created,
                      card_owner=c_owner, card_issued=c_issued, acc_of_person=_lookup(n, a_owner, a_k),
                      card_of_person=_lookup(n, c_owner, c_k))
