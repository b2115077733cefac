"""Product catalogue, stores and the planted basket/sequence rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import Window, rng_for
from .reference import BRAND_SYLLABLES, CATEGORY_QUALIFIERS, CITIES, DEPARTMENTS
from .sampling import GroupSampler, WeightedSampler
from .strings import concat, padded, take

__all__ = ["Catalogue", "build_catalogue", "catalogue_size", "GENDER_WORDS", "SEQUENCE_GAP_WEEKS"]

#: target_gender codes 0, 1, 2
GENDER_WORDS = ["women", "men", "unisex"]
_GENDER_ADJ = ["women's", "men's", "unisex"]
_DEPT_BASE_PRICE = {"Women": 120, "Men": 140, "Kids": 60, "Home": 80, "Beauty": 70,
                    "Sport": 110, "Accessories": 90, "Footwear": 220}
#: Gap modes of the planted sequences (weeks) and the share of follow-ups at each.
SEQUENCE_GAP_WEEKS = np.array([16, 26, 52])
SEQUENCE_GAP_SHARE = np.array([0.40, 0.35, 0.25])


def catalogue_size(people: int) -> tuple[int, int, int]:
    """Numbers of SKUs, categories and brands for a population size.

    Parameters
    ----------
    people : int
        Number of people generated.

    Returns
    -------
    tuple of int
        ``(skus, categories, brands)``.
    """
    skus = int(np.clip(people // 85, 300, 30_000))
    cats = int(np.clip(skus // 100, 24, 300))
    brands = int(np.clip(skus // 150, 5, 200))
    return skus, cats, brands


@dataclass
class Catalogue:
    """Products, stores, samplers and planted rules (all per-SKU arrays indexed by SKU index)."""

    sku: pa.Array
    dept: np.ndarray
    cat: np.ndarray
    brand: np.ndarray
    target: np.ndarray
    list_price: np.ndarray
    unit_cost: np.ndarray
    launch_day: np.ndarray
    popularity: np.ndarray
    dept_names: list[str]
    cat_names: list[str]
    brand_names: list[str]
    products: pa.Table
    stores: pa.Table
    store_city: np.ndarray
    #: samplers[(pool, segment, pre_window_only)]; pool 0=women+unisex, 1=men+unisex;
    #: segment 0=regular, 1=promo-sensitive
    samplers: dict[tuple[int, int, bool], WeightedSampler]
    any_sampler: WeightedSampler
    category_sampler: GroupSampler
    sku_rule: np.ndarray
    sku_rule_target: np.ndarray
    sku_rule_prob: np.ndarray
    brand_rule_of_sku: np.ndarray
    brand_rule_prob: np.ndarray
    brand_rule_sampler: GroupSampler
    affinities: pa.Table
    seq_rule_of_cat: np.ndarray
    seq_target_cat: np.ndarray
    seq_prob: np.ndarray
    sequences: pa.Table


def _categories(rng: np.random.Generator, n_cats: int) -> tuple[list[str], list[str], np.ndarray]:
    depts = list(DEPARTMENTS)
    shares = np.array([DEPARTMENTS[d][0] for d in depts])
    raw = shares / shares.sum() * n_cats
    counts = np.maximum(np.floor(raw).astype(int), 2)
    while counts.sum() < n_cats:
        counts[np.argmax(raw - counts)] += 1
    while counts.sum() > n_cats:
        counts[np.argmax(counts - raw)] -= 1
    names: list[str] = []
    nouns: list[str] = []
    cat_dept: list[int] = []
    for d, dept in enumerate(depts):
        base = DEPARTMENTS[dept][2]
        for k in range(counts[d]):
            qual = CATEGORY_QUALIFIERS[k // len(base)]
            name, noun = base[k % len(base)]
            names.append(f"{qual} {name}".strip())
            nouns.append(f"{qual.lower()} {noun}".strip())
            cat_dept.append(d)
    return names, nouns, np.array(cat_dept)


def _brand_names(rng: np.random.Generator, n: int) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    syl = BRAND_SYLLABLES
    while len(names) < n:
        k = 2 + int(rng.random() < 0.5)
        name = "".join(syl[i] for i in rng.integers(0, len(syl), size=k)).capitalize()
        if name not in seen and len(name) >= 4:
            seen.add(name)
            names.append(name)
    return names


def _stores() -> tuple[pa.Table, np.ndarray]:
    cities: list[int] = []
    for c, (_, pop, band, _) in enumerate(CITIES):
        n = round(pop / 250) if band == "big" else (2 if pop > 250 else 1) if band == "medium" else int(pop >= 90)
        cities += [c] * n
    city = np.array(cities)
    ids = padded(np.arange(1, len(city) + 1), 3)
    table = pa.table({"store_id": concat("ST", ids), "city": take([c[0] for c in CITIES], city)})
    return table, city


def build_catalogue(people: int, seed: int, window: Window) -> Catalogue:
    """Generate the catalogue, stores and planted rules for a run.

    Parameters
    ----------
    people : int
        Population size (sets the catalogue size).
    seed : int
        Run seed.
    window : Window
        Event window (launch dates are relative to it).

    Returns
    -------
    Catalogue
        Everything product-related, deterministic in ``(people, seed, window)``.
    """
    rng = rng_for(seed, -1, "catalogue")
    n_skus, n_cats, n_brands = catalogue_size(people)
    dept_names = list(DEPARTMENTS)
    cat_names, cat_nouns, cat_dept = _categories(rng, n_cats)

    # SKUs per category, sorted by category
    cat_w = rng.lognormal(0, 0.4, size=n_cats)
    per_cat = rng.multinomial(n_skus - 3 * n_cats, cat_w / cat_w.sum()) + 3
    cat = np.repeat(np.arange(n_cats), per_cat)
    dept = cat_dept[cat]
    mixes = np.array([DEPARTMENTS[d][1] for d in dept_names])
    u = rng.random(n_skus)
    target = (u[:, None] > np.cumsum(mixes[dept], axis=1)).sum(axis=1)
    target = np.minimum(target, 2)

    # brands: each covers 2-4 departments; every department has at least one brand
    brand_names = _brand_names(rng, n_brands)
    covers = np.zeros((n_brands, len(dept_names)), dtype=bool)
    covers[np.arange(n_brands), np.arange(n_brands) % len(dept_names)] = True
    covers[np.arange(len(dept_names)) % n_brands, np.arange(len(dept_names))] = True
    for b in range(n_brands):
        covers[b, rng.choice(len(dept_names), size=rng.integers(1, 4), replace=False)] = True
    brand_size = 1.0 / (rng.permutation(n_brands) + 1.0) ** 0.7
    brand = np.empty(n_skus, dtype=np.int64)
    for d in range(len(dept_names)):
        rows = np.flatnonzero(dept == d)
        w = brand_size * covers[:, d]
        brand[rows] = WeightedSampler.from_weights(np.arange(n_brands), w).sample(rng.random(len(rows)))

    # prices, costs, launches, popularity
    base = np.array([_DEPT_BASE_PRICE[d] for d in dept_names], dtype=float)
    cat_median = base[cat_dept] * rng.lognormal(0, 0.45, size=n_cats)
    list_price = np.maximum(np.floor(cat_median[cat] * rng.lognormal(0, 0.35, size=n_skus)), 4) + 0.99
    unit_cost = np.round(list_price * rng.uniform(0.35, 0.70, size=n_skus), 2)
    is_new = rng.random(n_skus) < 0.28
    launch_day = np.where(is_new, rng.integers(0, max(window.n_days - 60, 1), size=n_skus),
                          rng.integers(-1500, 0, size=n_skus))
    popularity = 1.0 / (rng.permutation(n_skus) + 1.0) ** 0.95

    serial = rng.choice(900_000, size=n_skus, replace=False) + 100_000
    sku = concat("SKU", padded(serial, 6))
    names = concat(take(brand_names, brand), " ", take(_GENDER_ADJ, target), " ",
                   take(cat_nouns, cat), " ", pc.cast(pa.array(serial % 1000), pa.string()))
    products = pa.table({
        "sku": sku,
        "product_name": names,
        "department": take(dept_names, dept),
        "category": take(cat_names, cat),
        "brand": take(brand_names, brand),
        "target_gender": take(GENDER_WORDS, target),
        "list_price": pa.array(list_price),
        "unit_cost": pa.array(unit_cost),
        "launched_on": window.dates(launch_day),
    })
    stores, store_city = _stores()

    ids = np.arange(n_skus)
    pre = launch_day < 0
    samplers: dict[tuple[int, int, bool], WeightedSampler] = {}
    for pool in (0, 1):
        in_pool = (target == pool) | (target == 2)
        for segment in (0, 1):
            w = popularity * in_pool * (np.where(is_new, 3.0, 1.0) if segment == 0 else np.where(is_new, 0.3, 1.0))
            samplers[(pool, segment, False)] = WeightedSampler.from_weights(ids, w)
            samplers[(pool, segment, True)] = WeightedSampler.from_weights(ids, w * pre)
    any_sampler = WeightedSampler.from_weights(ids, popularity)
    category_sampler = GroupSampler.from_groups(ids, cat, popularity * pre, n_cats)

    # planted SKU pairs: popular pre-window antecedents, mid-popularity consequents
    n_pairs = int(np.clip(n_skus // 1000, 20, 50))
    rank = np.argsort(np.argsort(-popularity))
    top = np.flatnonzero(pre & (rank < max(n_skus * 0.04, 3 * n_pairs)))
    mid = np.flatnonzero(pre & (rank > n_skus * 0.3) & (rank < n_skus * 0.8))
    a = rng.choice(top, size=n_pairs, replace=False)
    b = rng.choice(mid, size=n_pairs, replace=False)
    p = np.round(rng.uniform(0.3, 0.6, size=n_pairs), 2)
    sku_rule = np.full(n_skus, -1)
    sku_rule[a] = np.arange(n_pairs)

    # planted brand cross-buying: brand X in department D -> brand X in department E
    brand_rule_of_sku = np.full(n_skus, -1)
    counts = np.zeros((n_brands, len(dept_names)), dtype=int)
    np.add.at(counts, (brand, dept), pre.astype(int))
    eligible = [b_ for b_ in range(n_brands) if (counts[b_] >= 2).sum() >= 2]
    n_brand_rules = min(8, len(eligible))
    rule_brand = rng.choice(eligible, size=n_brand_rules, replace=False) if n_brand_rules else np.array([], int)
    rule_from, rule_to = [], []
    for b_ in rule_brand:
        d_from, d_to = rng.choice(np.flatnonzero(counts[b_] >= 2), size=2, replace=False)
        rule_from.append(d_from)
        rule_to.append(d_to)
        brand_rule_of_sku[(brand == b_) & (dept == d_from)] = len(rule_from) - 1
    brand_p = np.round(rng.uniform(0.25, 0.4, size=n_brand_rules), 2)
    group = np.full(n_skus, -1)
    for r, (b_, d_to) in enumerate(zip(rule_brand, rule_to)):
        group[(brand == b_) & (dept == d_to) & pre] = r
    has = group >= 0
    brand_rule_sampler = GroupSampler.from_groups(ids[has], group[has], popularity[has], max(n_brand_rules, 1))
    sku_str = sku.to_pylist()
    label = [f"{brand_names[b_]} / {dept_names[d]}" for b_, d in zip(rule_brand, rule_from)]
    label_to = [f"{brand_names[b_]} / {dept_names[d]}" for b_, d in zip(rule_brand, rule_to)]
    affinities = pa.table({
        "level": ["sku"] * n_pairs + ["brand"] * n_brand_rules,
        "antecedent": [sku_str[i] for i in a] + label,
        "consequent": [sku_str[i] for i in b] + label_to,
        "probability": np.r_[p, brand_p].astype(float),
    })

    # planted category sequences A -> B
    cat_pop = np.bincount(cat, weights=popularity * pre, minlength=n_cats)
    has_pre = np.bincount(cat, weights=pre, minlength=n_cats) > 0
    n_seq = min(10, n_cats // 4)
    by_pop = [c for c in np.argsort(-cat_pop) if has_pre[c]]
    seq_a = rng.choice(by_pop[: max(n_seq, len(by_pop) // 2)], size=n_seq, replace=False)
    rest = [c for c in by_pop if c not in set(seq_a)]
    seq_b = rng.choice(rest[len(rest) - max(n_seq, len(rest) // 2):], size=n_seq, replace=False)  # less popular
    seq_p = np.round(rng.uniform(0.25, 0.4, size=n_seq), 2)
    seq_rule_of_cat = np.full(n_cats, -1)
    seq_rule_of_cat[seq_a] = np.arange(n_seq)
    k = len(SEQUENCE_GAP_WEEKS)
    sequences = pa.table({
        "antecedent_category": [cat_names[c] for c in np.repeat(seq_a, k)],
        "consequent_category": [cat_names[c] for c in np.repeat(seq_b, k)],
        "gap_weeks": pa.array(np.tile(SEQUENCE_GAP_WEEKS, n_seq), type=pa.int32()),
        "probability": np.round(np.repeat(seq_p, k) * np.tile(SEQUENCE_GAP_SHARE, n_seq), 4),
    })

    return Catalogue(
        sku=sku, dept=dept, cat=cat, brand=brand, target=target, list_price=list_price,
        unit_cost=unit_cost, launch_day=launch_day, popularity=popularity,
        dept_names=dept_names, cat_names=cat_names, brand_names=brand_names,
        products=products, stores=stores, store_city=store_city, samplers=samplers,
        any_sampler=any_sampler, category_sampler=category_sampler,
        sku_rule=sku_rule, sku_rule_target=b, sku_rule_prob=p,
        brand_rule_of_sku=brand_rule_of_sku, brand_rule_prob=brand_p,
        brand_rule_sampler=brand_rule_sampler, affinities=affinities,
        seq_rule_of_cat=seq_rule_of_cat, seq_target_cat=seq_b, seq_prob=seq_p, sequences=sequences,
    )
