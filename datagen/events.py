"""Behavioural events: web product views, e-mail campaign contacts and call-center contacts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .catalogue import Catalogue
from .common import SECONDS_PER_DAY, Window, rng_for
from .identities import Identities
from .orders import Orders
from .people import People
from .reference import CALL_REASONS
from .strings import N_PHONE_FORMATS, phone_strings, take

__all__ = ["Campaigns", "build_campaigns", "make_web_views", "make_campaign_contacts", "make_callcenter_contacts"]

P_VIEW_BEFORE_PURCHASE = 0.7
BROWSE_VIEWS_PER_YEAR = 4.0
ANONYMOUS_VIEWS_PER_WEB_LINE = 0.35
CAMPAIGN_SAMPLE = 0.12
P_CALLER = 0.05


@dataclass(frozen=True)
class Campaigns:
    """Monthly e-mail campaigns of the run (one per month, sent on the 6th at 10:00)."""

    campaign_id: pa.Array
    offer: pa.Array
    is_discount: np.ndarray
    sent: np.ndarray


def build_campaigns(seed: int, window: Window, dept_names: list[str]) -> Campaigns:
    """Define the monthly campaigns inside ``window``.

    Parameters
    ----------
    seed : int
        Run seed.
    window : Window
        Event window.
    dept_names : list of str
        Departments that offers may name.

    Returns
    -------
    Campaigns
        Campaign ids ``CMP-YYYY-MM``, offer texts and send times.
    """
    rng = rng_for(seed, -1, "campaigns")
    years, months, _ = window.calendar()
    day = np.arange(window.n_days)
    sent_day = day[np.r_[True, months[1:] != months[:-1]]] + 5
    sent_day = sent_day[sent_day < window.n_days]
    k = len(sent_day)
    ids = [f"CMP-{years[d]:04d}-{months[d]:02d}" for d in sent_day]
    is_discount = rng.random(k) < 0.6
    pct = rng.choice([10, 15, 20, 25, 30], size=k)
    dept = rng.integers(0, len(dept_names), size=k)
    kind = rng.integers(0, 3, size=k)
    offers = [
        (f"{pct[i]}% off {dept_names[dept[i]]}" if kind[i] else f"{pct[i]}% off everything") if is_discount[i]
        else ["Free delivery weekend", f"New arrivals in {dept_names[dept[i]]}", "Double loyalty points"][kind[i]]
        for i in range(k)
    ]
    return Campaigns(pa.array(ids), pa.array(offers), is_discount, sent_day * SECONDS_PER_DAY + 10 * 3600)


def make_web_views(rng: np.random.Generator, people: People, ids: Identities, orders: Orders, cat: Catalogue,
                   window: Window, first_view_id: int) -> pa.Table:
    """Product views: before logged-in purchases, browsing by account holders, and anonymous.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    people, ids, orders : People, Identities, Orders
        The chunk's people, identities and orders.
    cat : Catalogue
        Products.
    window : Window
        Event window.
    first_view_id : int
        ``view_id`` of the chunk's first view.

    Returns
    -------
    pyarrow.Table
        Raw ``web_views`` rows ordered by ``viewed_at``.
    """
    # views 0-3 days before a logged-in web purchase
    line_acc = orders.account[orders.line_order]
    rows = np.flatnonzero((line_acc >= 0) & (rng.random(len(line_acc)) < P_VIEW_BEFORE_PURCHASE))
    rows = np.repeat(rows, 1 + rng.poisson(0.6, size=len(rows)))
    p_ts = orders.ts[orders.line_order[rows]] - (rng.random(len(rows)) * 3 * SECONDS_PER_DAY).astype(np.int64)
    p_acc, p_sku = line_acc[rows], orders.line_sku[rows]

    # browsing by account holders while active
    start = np.maximum(ids.acc_created, 0)
    end = people.active_to[ids.acc_owner] * SECONDS_PER_DAY
    span = np.maximum(end - start, 0)
    k = rng.poisson(BROWSE_VIEWS_PER_YEAR * span / (365 * SECONDS_PER_DAY))
    b_acc = np.repeat(np.arange(len(span)), k)
    b_ts = start[b_acc] + (rng.random(len(b_acc)) * span[b_acc]).astype(np.int64)
    b_sku = cat.any_sampler.sample(rng.random(len(b_acc)))

    # anonymous browsing
    n_anon = int(ANONYMOUS_VIEWS_PER_WEB_LINE * orders.web[orders.line_order].sum())
    a_ts = (rng.random(n_anon) * window.n_seconds).astype(np.int64)
    a_sku = cat.any_sampler.sample(rng.random(n_anon))

    ts = np.r_[p_ts, b_ts, a_ts]
    acc = np.r_[p_acc, b_acc, np.full(n_anon, -1)]
    sku = np.r_[p_sku, b_sku, a_sku]
    keep = (ts >= 0) & (ts < window.n_seconds)
    ts, acc, sku = ts[keep], acc[keep], sku[keep]
    # views for new products only after launch
    keep = cat.launch_day[sku] * SECONDS_PER_DAY <= ts
    ts, acc, sku = ts[keep], acc[keep], sku[keep]
    order = np.argsort(ts, kind="stable")
    ts, acc, sku = ts[order], acc[order], sku[order]
    account_ids = ids.accounts["account_id"].combine_chunks()
    return pa.table({
        "view_id": pa.array(first_view_id + np.arange(len(ts), dtype=np.int64)),
        "viewed_at": window.timestamps(ts),
        "account_id": account_ids.take(pa.array(np.maximum(acc, 0), mask=acc < 0)),
        "sku": cat.sku.take(pa.array(sku)),
    })


def make_campaign_contacts(rng: np.random.Generator, people: People, ids: Identities, campaigns: Campaigns,
                           window: Window, first_contact_id: int) -> pa.Table:
    """Monthly e-mails to a sample of account e-mails, with opens and clicks.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    people, ids : People, Identities
        The chunk's people and accounts.
    campaigns : Campaigns
        The run's campaigns.
    window : Window
        Event window.
    first_contact_id : int
        ``contact_id`` of the chunk's first contact.

    Returns
    -------
    pyarrow.Table
        Raw ``campaign_contacts`` rows ordered by campaign then account.
    """
    n_acc, k = len(ids.acc_owner), len(campaigns.sent)
    chosen = (rng.random((k, n_acc)) < CAMPAIGN_SAMPLE) & (ids.acc_created[None, :] < campaigns.sent[:, None])
    camp, acc = np.nonzero(chosen)
    m = len(camp)
    sent = campaigns.sent[camp] + rng.integers(0, 1800, size=m)
    keen = people.promo[ids.acc_owner[acc]] & campaigns.is_discount[camp]
    opened = rng.random(m) < np.where(keen, 0.45, 0.18)
    clicked = opened & (rng.random(m) < np.where(keen, 0.35, 0.12))
    opened_at = sent + (rng.exponential(8 * 3600, size=m)).astype(np.int64) + 60
    clicked_at = opened_at + (rng.exponential(300, size=m)).astype(np.int64) + 5
    opened &= opened_at < window.n_seconds
    clicked &= opened & (clicked_at < window.n_seconds)
    return pa.table({
        "contact_id": pa.array(first_contact_id + np.arange(m, dtype=np.int64)),
        "campaign_id": campaigns.campaign_id.take(pa.array(camp)),
        "email": ids.accounts["email"].combine_chunks().take(pa.array(acc)),
        "offer": campaigns.offer.take(pa.array(camp)),
        "sent_at": window.timestamps(sent),
        "opened_at": window.timestamps(opened_at, mask=~opened),
        "clicked_at": window.timestamps(clicked_at, mask=~clicked),
    })


def make_callcenter_contacts(rng: np.random.Generator, people: People, ids: Identities, window: Window,
                             first_contact_id: int) -> pa.Table:
    """Calls from about 5% of people; the agent types the phone in any format, sometimes the card.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    people, ids : People, Identities
        The chunk's people and cards.
    window : Window
        Event window.
    first_contact_id : int
        ``contact_id`` of the chunk's first call.

    Returns
    -------
    pyarrow.Table
        Raw ``callcenter_contacts`` rows ordered by ``contacted_at``.
    """
    n = len(people)
    calls = (rng.random(n) < P_CALLER) * (1 + rng.poisson(0.3, size=n))
    who = np.repeat(np.arange(n), calls)
    m = len(who)
    first = np.minimum(people.active_from[who], window.n_days - 1)
    day = first + (rng.random(m) * (window.n_days - first)).astype(np.int64)
    ts = day * SECONDS_PER_DAY + rng.integers(8 * 3600, 20 * 3600, size=m)
    order = np.argsort(ts, kind="stable")
    who, ts = who[order], ts[order]
    landline = (people.landline[who] > 0) & (rng.random(m) < 0.25)
    number = np.where(landline, people.landline[who], people.mobile[who])
    slot = ids.card_of_person[who, 0]
    with_card = (slot >= 0) & (ids.card_issued[np.maximum(slot, 0)] <= ts) & (rng.random(m) < 0.3)
    reasons = [r for r, _ in CALL_REASONS]
    p = np.array([w for _, w in CALL_REASONS])
    return pa.table({
        "contact_id": pa.array(first_contact_id + np.arange(m, dtype=np.int64)),
        "contacted_at": window.timestamps(ts),
        "phone": phone_strings(number, rng.integers(0, N_PHONE_FORMATS, size=m)),
        "card_number": ids.cards["card_number"].combine_chunks().take(pa.array(np.maximum(slot, 0), mask=~with_card)),
        "reason": take(reasons, rng.choice(len(reasons), size=m, p=p / p.sum())),
    })
