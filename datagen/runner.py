"""The public entry point: generate the whole synthetic retailer chunk by chunk."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from .calendar import Calendar, build_calendar
from .catalogue import build_catalogue
from .common import GENERATOR_VERSION, Window, rng_for
from .events import build_campaigns, make_callcenter_contacts, make_campaign_contacts, make_web_views
from .identities import make_identities
from .orders import make_orders
from .people import make_people
from .returns import make_returns
from .strings import take
from .writer import PartWriter, atomic_directory

__all__ = ["generate"]

#: First value of every running id (orders, returns, views, contacts, accounts, cards).
_FIRST_ID = {"order": 10_000_001, "return": 1, "view": 1, "campaign": 1, "call": 1,
             "account": 100_000_001, "card": 1}


def generate(out_dir: Path, people: int, seed: int = 42, start_date: date = date(2023, 11, 1),
             end_date: date = date(2026, 10, 31), chunk_people: int = 100_000, progress: bool = True) -> dict:
    """Write the synthetic retailer: raw source tables, truth tables and a manifest.

    Writes ``<out_dir>/raw/<table>/part-NNNNN.parquet``, ``<out_dir>/truth/<table>/part-NNNNN.parquet``
    and ``<out_dir>/manifest.json``. Everything is written into a temporary sibling directory
    that replaces ``out_dir`` only when the run succeeds, so a failed run never leaves a
    half-written dataset where a finished one was.

    Parameters
    ----------
    out_dir : pathlib.Path
        Output directory (replaced if it exists).
    people : int
        Number of hidden people (sets the catalogue size too).
    seed : int
        Random seed; the same ``(people, seed, start_date, end_date, chunk_people)`` gives
        identical table contents.
    start_date, end_date : datetime.date
        Event window, inclusive.
    chunk_people : int
        People per chunk: one part file per chunk and table; bounds memory.
    progress : bool
        Show a tqdm progress bar over chunks on stderr.

    Returns
    -------
    dict
        The manifest (also written to ``manifest.json``).
    """
    if people < 1 or chunk_people < 1:
        raise ValueError("people and chunk_people must be positive")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    t0 = time.perf_counter()
    window = Window(start_date, end_date)
    cal = build_calendar(window)
    cat = build_catalogue(people, seed, window)
    campaigns = build_campaigns(seed, window, cat.dept_names)
    store_ids = cat.stores["store_id"].combine_chunks()
    n_chunks = -(-people // chunk_people)
    next_id = dict(_FIRST_ID)

    with atomic_directory(Path(out_dir)) as tmp:
        writer = PartWriter(tmp)
        try:
            writer.write("raw", "products", 0, cat.products)
            writer.write("raw", "stores", 0, cat.stores)
            writer.write("truth", "basket_affinities", 0, cat.affinities)
            writer.write("truth", "sequences", 0, cat.sequences)
            writer.write("truth", "seasonality", 0, Calendar.seasonality_table())
            writer.write("truth", "promotions", 0, cal.promotions_table())
            for chunk in tqdm(range(n_chunks), desc="datagen", unit="chunk", file=sys.stderr, disable=not progress):
                first_pid = chunk * chunk_people
                n = min(chunk_people, people - first_pid)
                tables = _chunk(chunk, first_pid, n, seed, window, cal, cat, campaigns, store_ids, next_id)
                writer.wait()
                for (kind, name), table in tables.items():
                    writer.write(kind, name, chunk, table)
            writer.wait()
        finally:
            writer.close()
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "people": people,
            "seed": seed,
            "start_date": start_date.isoformat(),
            "end_date": end_date.isoformat(),
            "chunk_people": chunk_people,
            "chunks": n_chunks,
            "rows": {kind: dict(sorted(counts.items())) for kind, counts in writer.rows.items()},
            "seconds": round(time.perf_counter() - t0, 2),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _chunk(chunk: int, first_pid: int, n: int, seed: int, window: Window, cal: Calendar, cat, campaigns,
           store_ids: pa.Array, next_id: dict[str, int]) -> dict[tuple[str, str], pa.Table]:
    """Generate every per-chunk table; advances the running ids in ``next_id``."""
    persons = make_people(rng_for(seed, chunk, "people"), window, first_pid, n, cat.store_city,
                          name_rng=rng_for(seed, chunk, "names"))
    ids = make_identities(rng_for(seed, chunk, "identities"), persons, window, next_id["account"],
                          next_id["card"], store_ids)
    next_id["account"] += ids.accounts.num_rows
    next_id["card"] += ids.cards.num_rows
    orders = make_orders(rng_for(seed, chunk, "orders"), persons, ids, cat, cal, window, next_id["order"])
    next_id["order"] += orders.orders.num_rows
    returns = make_returns(rng_for(seed, chunk, "returns"), orders, cat, window, next_id["return"])
    next_id["return"] += returns.num_rows
    views = make_web_views(rng_for(seed, chunk, "views"), persons, ids, orders, cat, window, next_id["view"])
    next_id["view"] += views.num_rows
    contacts = make_campaign_contacts(rng_for(seed, chunk, "campaigns"), persons, ids, campaigns, window,
                                      next_id["campaign"])
    next_id["campaign"] += contacts.num_rows
    calls = make_callcenter_contacts(rng_for(seed, chunk, "callcenter"), persons, ids, window, next_id["call"])
    next_id["call"] += calls.num_rows

    order_records = pa.table({
        "record_type": take(["order"], np.zeros(orders.orders.num_rows, dtype=np.int64)),
        "record_key": orders.orders["order_id"].combine_chunks().cast(pa.string()),
        "person_id": pa.array(persons.pid[orders.owner]),
    })
    records = pa.concat_tables([ids.truth_records(persons), order_records])
    return {
        ("raw", "web_accounts"): ids.accounts,
        ("raw", "loyalty_cards"): ids.cards,
        ("raw", "orders"): orders.orders,
        ("raw", "order_lines"): orders.lines,
        ("raw", "returns"): returns,
        ("raw", "web_views"): views,
        ("raw", "campaign_contacts"): contacts,
        ("raw", "callcenter_contacts"): calls,
        ("truth", "people"): persons.truth_table(window),
        ("truth", "identity_records"): records,
    }
