"""Hidden people: demographics, households, life cycle (join, churn) and contact points."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import SECONDS_PER_DAY, Window
from .reference import (CITIES, EMAIL_DOMAINS, FEMALE_FIRST_NAMES, LAST_NAMES, MALE_FIRST_NAMES,
                        MOBILE_PREFIXES, TAIL_LAST_NAMES, ascii_fold)
from .strings import choose, concat, take

__all__ = ["People", "make_people", "SHARE_IN_HOUSEHOLDS", "SHARE_CHURNING", "SHARE_PROMO_SENSITIVE"]

SHARE_IN_HOUSEHOLDS = 0.25
SHARE_CHURNING = 0.30
SHARE_PROMO_SENSITIVE = 0.20
SHARE_WITH_ACCOUNT = 0.60
SHARE_WITH_CARD = 0.55
SHARE_TWO_ACCOUNTS = 0.08
SHARE_TWO_CARDS = 0.05
MEAN_ORDERS_PER_YEAR = 2.0

_N_FIRST = len(FEMALE_FIRST_NAMES)
#: first names: female 0..29, male 30..59
FIRST_NAMES = FEMALE_FIRST_NAMES + MALE_FIRST_NAMES
#: Share of households whose surname comes from the long tail rather than the 40 most common.
SHARE_TAIL_SURNAMES = 0.7
#: last names (the common ones first, then the tail): female form 2*i, male form 2*i+1
LAST_NAME_FORMS = [form for pair in LAST_NAMES + TAIL_LAST_NAMES for form in pair]


@dataclass
class People:
    """One chunk of people; every array has one entry per person.

    Day fields are offsets from the window start; ``churn_day`` is ``n_days`` when the
    person never churns, ``active_from``/``active_to`` bound their ordering days.
    """

    pid: np.ndarray
    household: np.ndarray
    in_household: np.ndarray
    female: np.ndarray
    birth_year: np.ndarray
    city: np.ndarray
    first_name: np.ndarray
    last_name: np.ndarray
    promo: np.ndarray
    join_day: np.ndarray
    churn_day: np.ndarray
    rate: np.ndarray
    n_accounts: np.ndarray
    n_cards: np.ndarray
    mobile: np.ndarray
    landline: np.ndarray
    home_store: np.ndarray
    email: list[pa.Array]
    p_web: np.ndarray
    cross_buy: np.ndarray

    def __len__(self) -> int:
        return len(self.pid)

    @property
    def active_from(self) -> np.ndarray:
        """First day a person may order (join day, not before the window)."""
        return np.maximum(self.join_day, 0)

    @property
    def active_to(self) -> np.ndarray:
        """Day bound (exclusive) for ordering: churn day or the window end."""
        return self.churn_day

    def truth_table(self, window: Window) -> pa.Table:
        """Truth table ``people`` for this chunk."""
        churned = self.churn_day < window.n_days
        return pa.table({
            "person_id": pa.array(self.pid),
            "gender": take(["M", "F"], self.female.astype(np.int64)),
            "birth_year": pa.array(self.birth_year.astype(np.int32)),
            "city": take([c[0] for c in CITIES], self.city),
            "city_size_band": take([c[2] for c in CITIES], self.city),
            "household_id": pa.array(self.household),
            "is_promo_sensitive": pa.array(self.promo),
            "churned_at": window.timestamps(self.churn_day * SECONDS_PER_DAY, mask=~churned),
        })


def _emails(rng: np.random.Generator, pid: np.ndarray, first: np.ndarray, last: np.ndarray, k: int,
            pattern: np.ndarray) -> pa.Array:
    first_l = take([ascii_fold(n).lower() for n in FIRST_NAMES], first)
    last_l = take([ascii_fold(n).lower() for n in LAST_NAME_FORMS], last)
    local = choose(pattern, [
        concat(first_l, ".", last_l), concat(first_l, "_", last_l),
        concat(pc.utf8_slice_codeunits(first_l, 0, 1), last_l), concat(first_l, last_l),
        concat(last_l, ".", first_l),
    ])
    number = pc.cast(pa.array(pid * 2 + k), pa.string())
    domains = [d for d, _ in EMAIL_DOMAINS]
    weights = np.array([w for _, w in EMAIL_DOMAINS])
    domain = take(domains, rng.choice(len(domains), size=len(pid), p=weights / weights.sum()))
    return concat(local, number, "@", domain)


def make_people(rng: np.random.Generator, window: Window, first_pid: int, n: int,
                store_city: np.ndarray, name_rng: np.random.Generator | None = None) -> People:
    """Generate ``n`` people with ids ``first_pid .. first_pid + n - 1``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    window : Window
        Event window.
    first_pid : int
        Global id of the first person of the chunk.
    n : int
        Number of people.
    store_city : numpy.ndarray
        City index of every store (to pick a home store).
    name_rng : numpy.random.Generator, optional
        Random source of the surname tail (a stream of its own, so that drawing it leaves every
        other draw of ``rng`` as it was); without it every surname is a common one.

    Returns
    -------
    People
        The chunk.
    """
    pid = first_pid + np.arange(n, dtype=np.int64)

    # households: the first ~25% of the chunk live in 2-4 person households
    sizes = rng.choice([2, 3, 4], size=n // 2 + 1, p=[0.55, 0.3, 0.15])
    ends = np.cumsum(sizes)
    sizes = sizes[ends <= n * SHARE_IN_HOUSEHOLDS]
    n_hh = int(sizes.sum())
    sizes = np.r_[sizes, np.ones(n - n_hh, dtype=np.int64)].astype(np.int64)
    head = np.repeat(np.r_[0, np.cumsum(sizes)[:-1]], sizes)
    member = np.arange(n) - head
    household = pid[head]
    in_household = np.arange(n) < n_hh

    female = rng.random(n) < 0.52
    female = np.where(member == 1, ~female[head], female)
    age = np.clip(rng.normal(42, 14, size=n), 18, 85)
    age = np.where(member == 1, np.clip(age[head] + rng.normal(0, 3, size=n), 18, 90), age)
    age = np.where(member >= 2, rng.uniform(16, 26, size=n), age)
    birth_year = (window.start.year - age).astype(np.int64)

    pops = np.array([c[1] for c in CITIES], dtype=float)
    city = rng.choice(len(CITIES), size=n, p=pops / pops.sum())[head]
    family = rng.integers(0, len(LAST_NAMES), size=n)
    if name_rng is not None:
        tail = name_rng.random(n) < SHARE_TAIL_SURNAMES
        family = np.where(tail, len(LAST_NAMES) + name_rng.integers(0, len(TAIL_LAST_NAMES), size=n), family)
    family = family[head]
    last_name = family * 2 + (~female).astype(np.int64)
    first_name = rng.integers(0, _N_FIRST, size=n) + np.where(female, 0, _N_FIRST)

    promo = rng.random(n) < SHARE_PROMO_SENSITIVE
    before = rng.random(n) < 0.55
    join_day = np.where(before, rng.integers(-1800, 0, size=n), rng.integers(0, max(window.n_days - 30, 1), size=n))
    lo = np.maximum(join_day, 0) + 30
    churns = (rng.random(n) < SHARE_CHURNING) & (lo < window.n_days - 1)
    churn_day = np.where(churns, lo + (rng.random(n) * (window.n_days - 1 - lo)).astype(np.int64), window.n_days)
    sigma = 1.0
    rate = np.minimum(rng.lognormal(np.log(MEAN_ORDERS_PER_YEAR) - sigma**2 / 2, sigma, size=n), 60.0)

    has_account = rng.random(n) < SHARE_WITH_ACCOUNT
    has_card = rng.random(n) < SHARE_WITH_CARD
    n_accounts = has_account * (1 + (rng.random(n) < SHARE_TWO_ACCOUNTS))
    n_cards = has_card * (1 + (rng.random(n) < SHARE_TWO_CARDS))

    idx = (pid * 48271 + 12345) % (len(MOBILE_PREFIXES) * 10**7)
    mobile = np.array(MOBILE_PREFIXES)[idx // 10**7] * 10**7 + idx % 10**7
    area = np.array([c[3] for c in CITIES])[city]
    has_landline = in_household & (rng.random(n) < 0.6)[head]
    landline = np.where(has_landline, area * 10**7 + (household * 48271 + 2_345_671) % 10**7, 0)

    counts = np.bincount(store_city, minlength=len(CITIES))
    first_store = np.r_[0, np.cumsum(counts)[:-1]]
    in_city = counts[city] > 0
    home_store = np.where(in_city, first_store[city] + (rng.random(n) * np.maximum(counts[city], 1)).astype(np.int64),
                          rng.integers(0, len(store_city), size=n))

    pattern = rng.integers(0, 5, size=n)
    email = [_emails(rng, pid, first_name, last_name, 0, pattern),
             _emails(rng, pid, first_name, last_name, 1, (pattern + rng.integers(1, 5, size=n)) % 5)]

    p_web = np.select([has_account & ~has_card, ~has_account & has_card, has_account & has_card],
                      [0.85, 0.15, 0.5], 0.35)
    p_web = np.where(in_city, p_web, np.minimum(p_web + 0.3, 0.95))
    cross_buy = np.where(in_household, 0.25, 0.08)

    return People(pid=pid, household=household, in_household=in_household, female=female,
                  birth_year=birth_year, city=city, first_name=first_name, last_name=last_name,
                  promo=promo, join_day=join_day, churn_day=churn_day, rate=rate,
                  n_accounts=n_accounts.astype(np.int64), n_cards=n_cards.astype(np.int64),
                  mobile=mobile, landline=landline, home_store=home_store, email=email,
                  p_web=p_web, cross_buy=cross_buy)
