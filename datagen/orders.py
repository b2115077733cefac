"""Orders and order lines: timing, channel and identity, basket content and pricing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import Calendar
from .catalogue import SEQUENCE_GAP_SHARE, SEQUENCE_GAP_WEEKS, Catalogue
from .common import SECONDS_PER_DAY, Window, cumcount
from .identities import Identities
from .people import People
from .strings import messy_email, take

__all__ = ["Orders", "make_orders", "MEAN_EXTRA_LINES"]

#: Lines per order are 1 + Poisson(MEAN_EXTRA_LINES) before planted affinities add some.
MEAN_EXTRA_LINES = 2.3
P_LOGGED_IN = 0.85
P_CARD_SCANNED = 0.92
P_HOME_STORE = 0.85
P_MARKDOWN = 0.025
#: Off-sale markdowns. Together with the promotion discounts and list prices ending in .99,
#: list * (1 - d) never lands on half a cent, so every rounding rule (numpy, DuckDB) agrees.
MARKDOWNS = np.array([0.1, 0.2, 0.3, 0.45])
NEW_PRODUCT_PROMO_EXCLUSION_DAYS = 60

_WEB_HOURS = np.array([1, .5, .3, .2, .2, .3, .6, 1.2, 1.8, 2, 2.2, 2.4, 2.6, 2.5, 2.4, 2.4,
                       2.6, 3, 3.4, 3.8, 4, 3.6, 2.6, 1.6])
_STORE_HOURS = np.r_[np.zeros(9), [1, 1.5, 2, 2.3, 2.2, 2.2, 2.4, 2.6, 2.8, 2.6, 2, 1.2], np.zeros(3)]


@dataclass
class Orders:
    """Orders and lines of one chunk.

    Numpy arrays are kept for the downstream event generators: per order the owner
    (person row), time (seconds since window start), web flag and account row (-1 when
    none); per line the order row, SKU index and quantity.
    """

    orders: pa.Table
    lines: pa.Table
    order_id: np.ndarray
    owner: np.ndarray
    ts: np.ndarray
    web: np.ndarray
    account: np.ndarray
    line_order: np.ndarray
    line_number: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray


def _order_days(rng: np.random.Generator, people: People, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Owner and day of the base orders, following seasonality, sales and each person's life cycle."""
    a, b = people.active_from, people.active_to
    valid = b > a
    a_c, b_c = np.minimum(a, b), np.maximum(a, b)
    cums = (cal.cum_regular, cal.cum_sensitive)
    lo = np.where(people.promo, cums[1][a_c], cums[0][a_c])
    hi = np.where(people.promo, cums[1][b_c], cums[0][b_c])
    k = rng.poisson(people.rate * (hi - lo)) * valid
    owner = np.repeat(np.arange(len(people)), k)
    u = lo[owner] + rng.random(len(owner)) * (hi - lo)[owner]
    day = np.where(people.promo[owner], np.searchsorted(cums[1], u, side="right"),
                   np.searchsorted(cums[0], u, side="right")) - 1
    return owner, np.clip(day, a[owner], b[owner] - 1)


def _pick_skus(rng: np.random.Generator, cat: Catalogue, people: People, owner: np.ndarray,
               day: np.ndarray) -> np.ndarray:
    """One SKU per row for buyer ``owner`` on ``day``: popularity, gender and segment aware."""
    pool = np.where(people.female[owner], 0, 1)
    cross = rng.random(len(owner)) < people.cross_buy[owner]
    pool = np.where(cross, 1 - pool, pool)
    segment = people.promo[owner].astype(np.int64)
    sku = np.empty(len(owner), dtype=np.int64)
    u = rng.random(len(owner))
    for p in (0, 1):
        for s in (0, 1):
            rows = np.flatnonzero((pool == p) & (segment == s))
            sku[rows] = cat.samplers[(p, s, False)].sample(u[rows])
            late = rows[cat.launch_day[sku[rows]] > day[rows]]
            sku[late] = cat.samplers[(p, s, True)].sample(rng.random(len(late)))
    return sku


def _time_of_day(rng: np.random.Generator, web: np.ndarray) -> np.ndarray:
    n = len(web)
    hours = np.where(web, rng.choice(24, size=n, p=_WEB_HOURS / _WEB_HOURS.sum()),
                     rng.choice(24, size=n, p=_STORE_HOURS / _STORE_HOURS.sum()))
    return hours * 3600 + rng.integers(0, 3600, size=n)


def _pick_identity(rng: np.random.Generator, slots: np.ndarray, created: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Row of an identity (account/card) that existed at ``ts``; -1 when none."""
    if len(created) == 0:
        return np.full(len(ts), -1, dtype=np.int64)
    ok = (slots >= 0) & (created[np.maximum(slots, 0)] <= ts[:, None])
    both = ok.all(axis=1)
    second = np.where(both, rng.random(len(ts)) < 0.5, ok[:, 1] & ~ok[:, 0])
    pick = np.where(second, slots[:, 1], slots[:, 0])
    return np.where(ok.any(axis=1), pick, -1)


def make_orders(rng: np.random.Generator, people: People, ids: Identities, cat: Catalogue, cal: Calendar,
                window: Window, first_order_id: int) -> Orders:
    """Generate the orders and lines of a chunk of people.

    Parameters
    ----------
    rng : numpy.random.Generator
        Random source for this chunk.
    people : People
        The chunk's people.
    ids : Identities
        Their accounts and cards.
    cat : Catalogue
        Products and planted rules.
    cal : Calendar
        Seasonality and promotions.
    window : Window
        Event window.
    first_order_id : int
        ``order_id`` of the chunk's first order.

    Returns
    -------
    Orders
        Raw ``orders`` and ``order_lines`` rows with helper arrays.
    """
    # base orders and their lines
    owner, day = _order_days(rng, people, cal)
    n_lines = 1 + np.minimum(rng.poisson(MEAN_EXTRA_LINES, size=len(owner)), 14)
    l_order = np.repeat(np.arange(len(owner)), n_lines)
    l_sku = _pick_skus(rng, cat, people, owner[l_order], day[l_order])

    # planted sequences: an order with a category-A line triggers a later order with a B line
    rule = cat.seq_rule_of_cat[cat.cat[l_sku]]
    has = rule >= 0
    pairs = np.unique(l_order[has] * len(cat.seq_prob) + rule[has])
    p_order, p_rule = pairs // len(cat.seq_prob), pairs % len(cat.seq_prob)
    fire = rng.random(len(pairs)) < cat.seq_prob[p_rule]
    p_order, p_rule = p_order[fire], p_rule[fire]
    mode = rng.choice(len(SEQUENCE_GAP_WEEKS), size=len(p_order), p=SEQUENCE_GAP_SHARE)
    jitter = np.clip(np.round(rng.normal(0, 2.5, size=len(p_order))), -6, 6).astype(np.int64)
    f_day = day[p_order] + SEQUENCE_GAP_WEEKS[mode] * 7 + jitter
    f_owner = owner[p_order]
    keep = f_day < people.active_to[f_owner]
    f_day, f_owner, f_rule = f_day[keep], f_owner[keep], p_rule[keep]
    f_index = len(owner) + np.arange(len(f_day))
    f_sku = cat.category_sampler.sample(cat.seq_target_cat[f_rule], rng.random(len(f_day)))
    f_extra = np.minimum(rng.poisson(1.0, size=len(f_day)), 10)
    fx_order = np.repeat(f_index, f_extra)
    fx_day = np.repeat(f_day, f_extra)
    fx_sku = _pick_skus(rng, cat, people, np.repeat(f_owner, f_extra), fx_day)

    owner = np.r_[owner, f_owner]
    day = np.r_[day, f_day]
    l_order = np.r_[l_order, f_index, fx_order]
    l_sku = np.r_[l_sku, f_sku, fx_sku]

    # planted basket affinities: SKU pairs and brand cross-department buying
    r = cat.sku_rule[l_sku]
    hit = (r >= 0) & (rng.random(len(l_sku)) < cat.sku_rule_prob[np.maximum(r, 0)])
    add_order, add_sku = [l_order[hit]], [cat.sku_rule_target[r[hit]]]
    rb = cat.brand_rule_of_sku[l_sku]
    hit = rb >= 0
    if hit.any():
        hit &= rng.random(len(l_sku)) < cat.brand_rule_prob[np.maximum(rb, 0)]
        add_order.append(l_order[hit])
        add_sku.append(cat.brand_rule_sampler.sample(rb[hit], rng.random(int(hit.sum()))))
    l_order = np.r_[l_order, *add_order]
    l_sku = np.r_[l_sku, *add_sku]

    # channel, time, ordering of orders
    web = rng.random(len(owner)) < people.p_web[owner]
    ts = day * SECONDS_PER_DAY + _time_of_day(rng, web)
    perm = np.lexsort((owner, ts))
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    owner, day, ts, web = owner[perm], day[perm], ts[perm], web[perm]
    l_order = rank[l_order]
    lperm = np.argsort(l_order, kind="stable")
    l_order, l_sku = l_order[lperm], l_sku[lperm]
    line_number = cumcount(l_order) + 1
    order_id = first_order_id + np.arange(len(owner), dtype=np.int64)

    # identities on orders
    n = len(owner)
    account = np.where(web & (rng.random(n) < P_LOGGED_IN),
                       _pick_identity(rng, ids.acc_of_person[owner], ids.acc_created, ts), -1)
    guest = web & (account < 0)
    card = np.where(~web & (rng.random(n) < P_CARD_SCANNED),
                    _pick_identity(rng, ids.card_of_person[owner], ids.card_issued, ts), -1)
    which = (rng.random(n) < 0.4).astype(np.int64)
    emails = pa.concat_arrays([people.email[0], people.email[1]])
    guest_email = messy_email(emails.take(pa.array(which * len(people) + owner)), rng)
    guest_email = pc.if_else(pa.array(guest), guest_email, pa.scalar(None, pa.string()))
    store = np.where(rng.random(n) < P_HOME_STORE, people.home_store[owner],
                     rng.integers(0, cat.stores.num_rows, size=n))
    store_ids = cat.stores["store_id"].combine_chunks()
    orders = pa.table({
        "order_id": pa.array(order_id),
        "ordered_at": window.timestamps(ts),
        "channel": take(["store", "web"], web.astype(np.int64)),
        "account_id": ids.accounts["account_id"].combine_chunks().take(pa.array(np.maximum(account, 0), mask=account < 0)),
        "guest_email": guest_email,
        "card_number": ids.cards["card_number"].combine_chunks().take(pa.array(np.maximum(card, 0), mask=card < 0)),
        "store_id": store_ids.take(pa.array(store, mask=web)),
    })

    # quantities and prices
    m = len(l_sku)
    qty = rng.choice(4, size=m, p=[0.82, 0.13, 0.04, 0.01]) + 1
    l_day = day[l_order]
    promo = cal.promo_of_day[l_day]
    promo = np.where(promo >= 0, promo, len(cal.promo_pct))  # last slot: sentinel "no promotion"
    promo_start = np.r_[cal.promo_start, 0][promo]
    on_promo = (promo < len(cal.promo_pct)) & (cat.launch_day[l_sku] <= promo_start - NEW_PRODUCT_PROMO_EXCLUSION_DAYS)
    markdown = ~on_promo & (rng.random(m) < P_MARKDOWN)
    discount = np.where(on_promo, np.r_[cal.promo_pct, 0.0][promo],
                        np.where(markdown, MARKDOWNS[rng.integers(0, len(MARKDOWNS), size=m)], 0.0))
    list_price = cat.list_price[l_sku]
    promo_ids = pa.array(cal.promo_ids.tolist() + [""], type=pa.string())
    lines = pa.table({
        "order_id": pa.array(order_id[l_order]),
        "line_number": pa.array(line_number.astype(np.int32)),
        "sku": cat.sku.take(pa.array(l_sku)),
        "quantity": pa.array(qty.astype(np.int32)),
        "unit_list_price": pa.array(list_price),
        "unit_price": pa.array(np.round(list_price * (1 - discount), 2)),
        "discount_pct": pa.array(discount),
        "promotion_id": promo_ids.take(pa.array(promo, mask=~on_promo)),
    })
    return Orders(orders=orders, lines=lines, order_id=order_id, owner=owner, ts=ts, web=web, account=account,
                  line_order=l_order, line_number=line_number, line_sku=l_sku, line_qty=qty)
