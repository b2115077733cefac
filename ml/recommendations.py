"""Next products: which N products each customer is most likely to buy in the next H days.

Candidates per customer at a cut-off: the products they bought before (most bought first, at most
``max_repeat_candidates``), the products most bought by everyone in the last ``popularity_days``
(``popular_candidates``), and the consequents of the run's one-to-one SKU basket rules from
anything they bought in the last 90 days (``rule_candidates``). A product the customer returned in
the last ``exclude_returned_days`` and has not bought since is never a candidate.

Each (customer, product) pair gets features: how often and how lately the customer bought it,
the product's popularity now, its trend and its season a year ago, how often its buyers buy it
again and after how long, and the basket rule's lift. A regularised gradient-boosted classifier,
trained like the propensity on earlier cut-offs (customers who bought in [t, t + H), labelled by
the products they bought), ranks them. On Online Retail, repeat purchases carry most of the signal
(about 90% of buyers in a 14-day window buy something they bought before); popularity and the
product's own repurchase rhythm decide among the rest.

Baselines, computed the same way: popularity (the top products of the last 30 days, for everyone)
and personal repeat (the customer's most bought products, ties broken by popularity).
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.propensity import NotEnoughHistory
from ml.frames import as_dates, fetch_frame
from ml.purchase_history import history_span

__all__ = ["RecommendationSettings", "Recommender", "fit_recommender", "recommend", "baseline_lists",
           "candidates_at", "evaluate_lists", "bought_pairs", "top_n", "describe_reasons", "RANK_FEATURES",
           "RECOMMENDATION_BASELINES"]

RANK_FEATURES = [
    "bought_orders", "bought_days", "days_since", "days_since_first", "quantity", "bought_days_30", "bought_days_90",
    "customer_orders", "customer_recency", "customer_products", "order_share", "rank_in_customer",
    "buyers_7", "buyers_14", "buyers_30", "buyers_90", "buyers_all", "trend", "season_buyers",
    "repeat_share", "repeat_gap", "due_ratio", "in_last_order", "rule_lift", "rule_confidence", "is_repeat",
    "orders_vs_top", "since_vs_last", "popularity_rank",
]
RECOMMENDATION_BASELINES = ("popularity", "repeat")


@dataclass(frozen=True)
class RecommendationSettings:
    """Candidates, training windows and list length of the recommendations."""

    top_n: int = 2
    horizon_days: int = 14
    training_cutoffs: int = 30
    cutoff_step_days: int = 7
    min_history_days: int = 28
    max_repeat_candidates: int = 15
    popular_candidates: int = 5
    rule_candidates: int = 5
    popularity_days: int = 30
    exclude_returned_days: int = 90
    # buyers sampled over all training cut-offs: bounds the training rows (about 25 candidates each) at scale
    max_training_buyers: int = 20_000
    # buyers of the held-out window the model is compared with the baselines on (a sample beyond it)
    max_holdout_buyers: int = 50_000
    # 100 rounds at 0.1 rank as well as 300 at 0.05 on Online Retail (hit@2 within 0.005) at a third of the time
    boosting_rounds: int = 100
    learning_rate: float = 0.1
    scoring_chunk_customers: int = 500_000
    random_state: int = 0

    def __post_init__(self):
        if self.top_n < 1 or self.horizon_days < 1 or self.training_cutoffs < 1:
            raise ValueError("top_n, horizon_days and training_cutoffs must be >= 1")


@dataclass
class Recommender:
    """The fitted ranker and what it was trained on."""

    settings: RecommendationSettings
    model: HistGradientBoostingClassifier
    training_cutoffs: list[date]
    training_rows: int
    holdout_cutoff: date


def _targets(con, pairs: pd.DataFrame) -> None:
    """(cutoff, ckey) rows to build candidates for, as the temp table h_targets."""
    con.register("h_targets_frame", pairs[["cutoff", "ckey"]])
    con.execute("create or replace temp table h_targets as select cast(cutoff as date) as cutoff, cast(ckey as bigint) as ckey from h_targets_frame")
    con.unregister("h_targets_frame")


def _rules_table(con, rules_relation: str | None) -> None:
    """One-to-one SKU rules (overall) as (antecedent pkey, consequent pkey, lift, confidence)."""
    con.execute("create or replace temp table h_rules (a_pkey bigint, c_pkey bigint, lift double, confidence double)")
    if rules_relation is None:
        return
    con.execute(f"""
        insert into h_rules
        select a.pkey, c.pkey, r.lift, r.confidence
        from {rules_relation} as r
        join h_products as a on a.product_id = r.antecedent
        join h_products as c on c.product_id = r.consequent
        where r.level = 'sku' and r.segment_by = 'all' and r.antecedent_len = 1 and r.consequent_len = 1
    """)


def _product_stats(con, settings: RecommendationSettings) -> None:
    """Product statistics at each cut-off of h_targets (temp tables h_product_stats, h_season),
    computed once per set of cut-offs: scoring millions of customers in chunks at one cut-off
    reuses them.

    Buyers in the last 7/14/30/90 days come from the last 90 days of lines; all-time buyers, the
    share who bought the product on a second day and the mean gap to that second day come from
    each customer's first and second day with the product, accumulated by day and looked up per
    cut-off with an as-of join (no pass over all history per cut-off).
    """
    wanted = sorted(r[0] for r in con.execute("select distinct cutoff from h_targets").fetchall())
    done = con.execute("select count(*) from duckdb_tables() where temporary and table_name = 'h_stats_cutoffs'").fetchall()[0][0]
    if done and sorted(r[0] for r in con.execute("select cutoff from h_stats_cutoffs").fetchall()) == wanted:
        return
    con.execute("create or replace temp table h_stats_cutoffs as select distinct cutoff from h_targets")
    exists = con.execute("select count(*) from duckdb_tables() where temporary and table_name = 'h_product_days'").fetchall()[0][0]
    if not exists:
        con.execute("""
            create temp table h_product_days as
            with firsts as (select pkey, ckey, min(day) as first_day from h_lines group by pkey, ckey),
            seconds as (
                select l.pkey, l.ckey, min(l.day) as second_day, any_value(f.first_day) as first_day
                from h_lines as l join firsts as f using (pkey, ckey)
                where l.day > f.first_day group by l.pkey, l.ckey
            ),
            events as (
                select pkey, first_day as day, 1 as firsts, 0 as seconds, 0 as gaps from firsts
                union all
                select pkey, second_day, 0, 1, second_day - first_day from seconds
            ),
            daily as (select pkey, day, sum(firsts) as firsts, sum(seconds) as seconds, sum(gaps) as gaps
                      from events group by pkey, day)
            select pkey, day,
                   sum(firsts) over running as buyers_all,
                   sum(seconds) over running as repeaters,
                   sum(gaps) over running as gap_days
            from daily
            window running as (partition by pkey order by day rows between unbounded preceding and current row)
        """)
    con.execute(f"""
        create or replace temp table h_product_stats as
        with recent as (
            select c.cutoff, l.pkey, l.ckey, min(c.cutoff - l.day) as since
            from h_lines as l join h_stats_cutoffs as c on l.day < c.cutoff and l.day >= c.cutoff - 90
            group by c.cutoff, l.pkey, l.ckey
        ),
        windows as (
            select cutoff, pkey,
                   count(*) filter (where since <= 7) as buyers_7,
                   count(*) filter (where since <= 14) as buyers_14,
                   count(*) filter (where since <= {int(settings.popularity_days)}) as buyers_30,
                   count(*) as buyers_90
            from recent group by cutoff, pkey
        ),
        grid as (select c.cutoff, p.pkey from h_stats_cutoffs as c cross join h_products as p),
        longrun as (
            select grid.cutoff, grid.pkey, d.buyers_all, d.repeaters, d.gap_days
            from grid asof left join h_product_days as d on grid.pkey = d.pkey and grid.cutoff > d.day
        )
        select longrun.cutoff, longrun.pkey,
               coalesce(w.buyers_7, 0) as buyers_7, coalesce(w.buyers_14, 0) as buyers_14,
               coalesce(w.buyers_30, 0) as buyers_30, coalesce(w.buyers_90, 0) as buyers_90,
               cast(coalesce(longrun.buyers_all, 0) as bigint) as buyers_all,
               longrun.repeaters / nullif(longrun.buyers_all, 0) as repeat_share,
               longrun.gap_days / nullif(longrun.repeaters, 0) as repeat_gap
        from longrun left join windows as w using (cutoff, pkey)
        where longrun.buyers_all > 0
    """)
    con.execute(f"""
        create or replace temp table h_season as
        select c.cutoff, l.pkey, count(distinct l.ckey) as season_buyers
        from h_lines as l join h_stats_cutoffs as c
          on l.day >= c.cutoff - 365 and l.day < c.cutoff - 365 + {int(settings.horizon_days)}
        group by c.cutoff, l.pkey
    """)


def candidates_at(con, pairs: pd.DataFrame, settings: RecommendationSettings, rules_relation: str | None = None,
                  ordered: bool = True) -> pd.DataFrame:
    """Candidate products with their features for each (cutoff, ckey) of ``pairs``.

    Reads the temp tables of purchase_history.stage_history; only days before each cut-off count.
    Rows come in (cutoff, ckey, pkey) order unless ``ordered`` is false (scoring, where the order
    does not matter, saves a sort).
    """
    _targets(con, pairs)
    _rules_table(con, rules_relation)
    s = settings
    # the customers' range: h_lines is in customer order, so only their part of it is read
    low, high = (int(pairs["ckey"].min()), int(pairs["ckey"].max())) if len(pairs) else (0, -1)
    in_range = f"l.ckey between {low} and {high}"
    # per day first, then per product: plain sums instead of distinct counts over every line
    con.execute(f"""
        create or replace temp table h_cp as
        with daily as (
            select t.cutoff, l.ckey, l.pkey, l.day, count(distinct l.order_id) as orders, sum(l.quantity) as quantity
            from h_lines as l join h_targets as t on l.ckey = t.ckey and l.day < t.cutoff
            where {in_range}
            group by t.cutoff, l.ckey, l.pkey, l.day
        )
        select cutoff, ckey, pkey,
               cast(sum(orders) as bigint) as bought_orders,  -- an order falls on one day
               count(*) as bought_days,
               min(cutoff - day) as days_since,
               max(cutoff - day) as days_since_first,
               cast(sum(quantity) as double) as quantity,
               count(*) filter (where cutoff - day <= 30) as bought_days_30,
               count(*) filter (where cutoff - day <= 90) as bought_days_90
        from daily group by cutoff, ckey, pkey
    """)
    con.execute("""
        create or replace temp table h_customer_stats as
        select cutoff, ckey, max(bought_orders) as top_orders, count(*) as customer_products,
               min(days_since) as customer_recency
        from h_cp group by cutoff, ckey
    """)
    con.execute(f"""
        create or replace temp table h_customer_orders as
        select t.cutoff, t.ckey, cast(sum(d.orders) as bigint) as customer_orders
        from h_days as d join h_targets as t on d.ckey = t.ckey and d.day < t.cutoff
        where {in_range.replace("l.", "d.")}
        group by t.cutoff, t.ckey
    """)
    _product_stats(con, s)
    con.execute(f"""
        create or replace temp table h_candidates as
        with repeat as (
            select cutoff, ckey, pkey from (
                select cutoff, ckey, pkey, row_number() over (
                    partition by cutoff, ckey order by bought_orders desc, days_since, pkey) as r
                from h_cp
            ) where r <= {int(s.max_repeat_candidates)}
        ),
        popular as (
            select t.cutoff, t.ckey, p.pkey from h_targets as t
            join (select cutoff, pkey from (
                      select cutoff, pkey, row_number() over (partition by cutoff order by buyers_30 desc, pkey) as r
                      from h_product_stats) where r <= {int(s.popular_candidates)}) as p
              on p.cutoff = t.cutoff
        ),
        recent as (select distinct cutoff, ckey, pkey from h_cp where days_since <= 90),
        ruled as (
            select cutoff, ckey, pkey, lift, confidence from (
                select recent.cutoff, recent.ckey, h_rules.c_pkey as pkey, max(h_rules.lift) as lift,
                       max(h_rules.confidence) as confidence,
                       row_number() over (partition by recent.cutoff, recent.ckey order by max(h_rules.lift) desc, h_rules.c_pkey) as r
                from recent join h_rules on h_rules.a_pkey = recent.pkey
                group by recent.cutoff, recent.ckey, h_rules.c_pkey
            ) where r <= {int(s.rule_candidates)}
        ),
        pooled as (
            select cutoff, ckey, pkey from repeat union select cutoff, ckey, pkey from popular
            union select cutoff, ckey, pkey from ruled
        ),
        returned as (
            select t.cutoff, r.ckey, r.pkey, max(r.day) as returned_on
            from h_returns as r join h_targets as t on r.ckey = t.ckey
             and r.day < t.cutoff and r.day >= t.cutoff - {int(s.exclude_returned_days)}
            group by t.cutoff, r.ckey, r.pkey
        )
        select pooled.cutoff, pooled.ckey, pooled.pkey,
               coalesce(cp.bought_orders, 0) as bought_orders,
               coalesce(cp.bought_days, 0) as bought_days,
               coalesce(cp.days_since, 9999) as days_since,
               coalesce(cp.days_since_first, 9999) as days_since_first,
               coalesce(cp.quantity, 0) as quantity,
               coalesce(cp.bought_days_30, 0) as bought_days_30,
               coalesce(cp.bought_days_90, 0) as bought_days_90,
               coalesce(co.customer_orders, 0) as customer_orders,
               coalesce(cs.customer_recency, 9999) as customer_recency,
               coalesce(cs.customer_products, 0) as customer_products,
               coalesce(cs.top_orders, 0) as top_orders,
               coalesce(ps.buyers_7, 0) as buyers_7, coalesce(ps.buyers_14, 0) as buyers_14,
               coalesce(ps.buyers_30, 0) as buyers_30, coalesce(ps.buyers_90, 0) as buyers_90,
               coalesce(ps.buyers_all, 0) as buyers_all, ps.repeat_share, ps.repeat_gap,
               coalesce(se.season_buyers, 0) as season_buyers,
               coalesce(ru.lift, 0) as rule_lift, coalesce(ru.confidence, 0) as rule_confidence,
               case when cp.days_since = cs.customer_recency then 1 else 0 end as in_last_order
        from pooled
        left join h_cp as cp using (cutoff, ckey, pkey)
        left join h_customer_stats as cs using (cutoff, ckey)
        left join h_customer_orders as co using (cutoff, ckey)
        left join h_product_stats as ps using (cutoff, pkey)
        left join h_season as se using (cutoff, pkey)
        left join ruled as ru using (cutoff, ckey, pkey)
        left join returned as rt using (cutoff, ckey, pkey)
        -- never what the customer just returned, unless bought again after the return
        where rt.returned_on is null or cp.days_since < pooled.cutoff - rt.returned_on
    """)
    # ranks among the customer's own candidates, ties given their average rank: the mean of
    # rank() (1 + those above) and the count up to and including the ties (those above + ties);
    # both read one window, so each ranking costs one sort
    order = "order by cutoff, ckey, pkey  -- a fixed row order: the same data trains the same model" if ordered else ""
    frame = fetch_frame(con, f"""
        select *,
               (rank() over by_orders + count(*) over by_orders) / 2.0 as rank_in_customer,
               (rank() over by_popularity + count(*) over by_popularity) / 2.0 as popularity_rank
        from h_candidates
        window by_orders as (partition by cutoff, ckey order by bought_orders desc
                             range between unbounded preceding and current row),
               by_popularity as (partition by cutoff, ckey order by buyers_30 desc
                                 range between unbounded preceding and current row)
        {order}
    """)
    frame["cutoff"] = as_dates(frame["cutoff"])
    frame["is_repeat"] = (frame["bought_orders"] > 0).astype(np.int8)
    frame["order_share"] = frame["bought_orders"] / frame["customer_orders"].clip(lower=1)
    frame["trend"] = np.log((frame["buyers_30"] + 1) / (frame["buyers_90"] / 3 + 1))
    # where the product stands among the customer's own candidates: the ranking is per customer
    frame["orders_vs_top"] = frame["bought_orders"] / frame["top_orders"].clip(lower=1)
    frame["since_vs_last"] = np.where(frame["is_repeat"] == 1, frame["days_since"] - frame["customer_recency"], np.nan)
    frame["due_ratio"] = np.where(frame["is_repeat"] == 1, frame["days_since"] / frame["repeat_gap"], np.nan)
    return frame


def bought_pairs(con, pairs: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """Distinct (cutoff, ckey, pkey) bought in [cutoff, cutoff + horizon) by the customers of ``pairs``."""
    _targets(con, pairs)
    frame = con.execute(f"""
        select distinct t.cutoff, l.ckey, l.pkey
        from h_lines as l join h_targets as t
          on l.ckey = t.ckey and l.day >= t.cutoff and l.day < t.cutoff + {int(horizon_days)}
    """).df()
    frame["cutoff"] = as_dates(frame["cutoff"])
    return frame


def _buyers_with_history(con, cutoff: date, horizon_days: int, limit: int, seed: int) -> pd.DataFrame:
    rows = con.execute(f"""
        select distinct d.ckey from h_days as d
        where d.day >= ? and d.day < ? + {int(horizon_days)}
          and exists (select 1 from h_days as h where h.ckey = d.ckey and h.day < ?)
        order by d.ckey
    """, [cutoff, cutoff, cutoff]).fetchnumpy()["ckey"]
    if len(rows) > limit:
        rows = np.sort(np.random.default_rng(seed).choice(rows, size=limit, replace=False))
    return pd.DataFrame({"cutoff": cutoff, "ckey": rows})


def _labelled(con, pairs: pd.DataFrame, settings: RecommendationSettings, rules_relation) -> pd.DataFrame:
    frame = candidates_at(con, pairs, settings, rules_relation)
    bought = bought_pairs(con, pairs, settings.horizon_days).assign(label=1)
    frame = frame.merge(bought, on=["cutoff", "ckey", "pkey"], how="left")
    frame["label"] = frame["label"].fillna(0).astype(np.int8)
    return frame


def fit_recommender(con, as_of: date, settings: RecommendationSettings, rules_relation: str | None = None, newest_window: int = 2):
    """Train the ranker on buyers at earlier cut-offs; return it with the holdout window's candidates
    (customers who bought in [as_of - H, as_of), labelled) for the comparison with the baselines."""
    first_day, _ = history_span(con)
    horizon = timedelta(days=settings.horizon_days)
    holdout_cutoff = as_of - horizon
    earliest = first_day + timedelta(days=settings.min_history_days) if first_day else None
    cutoffs = [as_of - newest_window * horizon - timedelta(days=settings.cutoff_step_days * k) for k in range(settings.training_cutoffs)]
    cutoffs = [c for c in cutoffs if earliest and c >= earliest]
    if not cutoffs:
        raise NotEnoughHistory(
            f"recommendations as of {as_of}: need {2 * settings.horizon_days + settings.min_history_days} days of "
            f"purchase history before as_of (it starts {first_day})"
        )
    per_cutoff = max(1, settings.max_training_buyers // len(cutoffs))
    pairs = pd.concat([_buyers_with_history(con, c, settings.horizon_days, per_cutoff, settings.random_state + i)
                       for i, c in enumerate(cutoffs)], ignore_index=True)
    train = _labelled(con, pairs, settings, rules_relation)
    if train["label"].nunique() < 2:
        raise NotEnoughHistory("no candidate product was ever bought in the training windows: nothing to learn")
    model = HistGradientBoostingClassifier(
        max_depth=4, learning_rate=settings.learning_rate, max_iter=settings.boosting_rounds, min_samples_leaf=200,
        l2_regularization=1.0,
        early_stopping=False, random_state=settings.random_state,
    ).fit(train[RANK_FEATURES], train["label"])
    recommender = Recommender(settings, model, cutoffs, len(train), holdout_cutoff)
    holdout_pairs = _buyers_with_history(con, holdout_cutoff, settings.horizon_days, settings.max_holdout_buyers,
                                         settings.random_state)
    return recommender, evaluate_lists(con, recommender, holdout_pairs, rules_relation, ks=(settings.top_n,))


def evaluate_lists(con, recommender: Recommender, pairs: pd.DataFrame, rules_relation: str | None, ks=(2, 10)) -> dict:
    """The model's and the baselines' top max(ks) lists for ``pairs`` (customers at a cut-off), with
    what those customers bought in the window: {"bought": ..., "model": ..., "popularity": ..., "repeat": ...}."""
    n = max(ks)
    frame = candidates_at(con, pairs, recommender.settings, rules_relation)
    frame["score"] = recommender.model.predict_proba(frame[RANK_FEATURES])[:, 1]
    lists = {"model": top_n(frame, "score", n)[["cutoff", "ckey", "pkey", "rank"]], **baseline_lists(con, n)}
    lists["bought"] = bought_pairs(con, pairs, recommender.settings.horizon_days)
    return lists


def top_n(frame: pd.DataFrame, score: str, n: int) -> pd.DataFrame:
    """The ``n`` highest-scoring candidates per (cutoff, ckey), ranked 1..n (ties: lower pkey first),
    in (cutoff, ckey, rank) order. One numpy sort: pandas' multi-key sort takes seconds per million rows."""
    cutoff = pd.factorize(frame["cutoff"], sort=True)[0].astype(np.int64)
    ckey = frame["ckey"].to_numpy(np.int64)
    order = np.lexsort((frame["pkey"].to_numpy(), -frame[score].to_numpy(), ckey, cutoff))
    cutoff, ckey = cutoff[order], ckey[order]
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = (cutoff[1:] != cutoff[:-1]) | (ckey[1:] != ckey[:-1])
    position = np.arange(len(order))
    rank = position - np.maximum.accumulate(np.where(starts, position, 0)) + 1
    keep = rank <= n
    ranked = frame.iloc[order[keep]].copy()
    ranked["rank"] = rank[keep]
    return ranked


def recommend(con, recommender: Recommender, as_of: date, customers: np.ndarray, n: int, rules_relation: str | None = None) -> pd.DataFrame:
    """Top ``n`` candidates of every customer in ``customers`` at ``as_of``, in chunks so that memory
    stays bounded at millions of customers. A chunk is scored (sklearn, numpy) on a second thread
    while DuckDB builds the next chunk's candidates: both release the GIL, and the overlap saves
    about a tenth of the time at 2.6M customers. At most two chunks are in memory."""
    chunk = recommender.settings.scoring_chunk_customers
    keep = ["ckey", "pkey", "score", "bought_orders", "days_since", "rule_lift", "buyers_30", "rank"]

    def ranked(frame: pd.DataFrame) -> pd.DataFrame:
        frame["score"] = recommender.model.predict_proba(frame[RANK_FEATURES])[:, 1]
        return top_n(frame, "score", n)[keep]

    out, scoring = [], None
    with ThreadPoolExecutor(max_workers=1) as scorer:
        for start in range(0, len(customers), chunk):
            pairs = pd.DataFrame({"cutoff": as_of, "ckey": customers[start:start + chunk]})
            frame = candidates_at(con, pairs, recommender.settings, rules_relation, ordered=False)
            if scoring is not None:
                out.append(scoring.result())
            scoring = scorer.submit(ranked, frame)
        if scoring is not None:
            out.append(scoring.result())
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=keep)


def baseline_lists(con, n: int) -> dict[str, pd.DataFrame]:
    """The baselines' top ``n`` for the (cutoff, ckey) rows of the last candidates_at call:
    popularity (the products with most buyers in the last 30 days, the same for everyone) and
    personal repeat (the customer's products by purchase invoices, ties by all-time buyers, topped
    up with popular products when the customer bought fewer than ``n``)."""
    popular = con.execute(f"""
        select t.cutoff, t.ckey, p.pkey, p.r as rank
        from h_targets as t join (
            select cutoff, pkey, row_number() over (partition by cutoff order by buyers_30 desc, pkey) as r
            from h_product_stats) as p on p.cutoff = t.cutoff
        where p.r <= {int(n)}
    """).df()
    repeat = con.execute(f"""
        with own as (
            select cp.cutoff, cp.ckey, cp.pkey, 0 as source, cp.bought_orders as s1, ps.buyers_all as s2
            from h_cp as cp join h_product_stats as ps using (cutoff, pkey)
        ),
        filler as (
            select t.cutoff, t.ckey, p.pkey, 1 as source, 0 as s1, p.buyers_30 as s2
            from h_targets as t join (
                select cutoff, pkey, buyers_30, row_number() over (partition by cutoff order by buyers_30 desc, pkey) as r
                from h_product_stats) as p on p.cutoff = t.cutoff
            where p.r <= {int(n)}
        ),
        pooled as (
            select * from own
            union all
            select * from filler where not exists (
                select 1 from own where own.cutoff = filler.cutoff and own.ckey = filler.ckey and own.pkey = filler.pkey)
        )
        select cutoff, ckey, pkey, rank from (
            select cutoff, ckey, pkey, row_number() over (
                partition by cutoff, ckey order by source, s1 desc, s2 desc, pkey) as rank
            from pooled
        ) where rank <= {int(n)}
    """).df()
    for frame in (popular, repeat):
        frame["cutoff"] = as_dates(frame["cutoff"])
    return {"popularity": popular, "repeat": repeat}


def describe_reasons(ranked: pd.DataFrame) -> pd.Series:
    """Why each product is recommended, in words, from its strongest signal (vectorised: millions of rows).

    Bought before: "bought it 3 times, last 58 days ago"; else a basket rule: "often bought with
    what they bought recently (lift 4.2)"; else "popular now (812 buyers in the last 30 days)".
    """
    orders = ranked["bought_orders"].astype(int)
    times = pd.Series(np.where(orders == 1, "once", orders.astype(str) + " times"), index=ranked.index)
    bought = "bought it " + times + ", last " + ranked["days_since"].astype(int).astype(str) + " days ago"
    ruled = "often bought with what they bought recently (lift " + ranked["rule_lift"].round(1).astype(str) + ")"
    popular = "popular now (" + ranked["buyers_30"].astype(int).astype(str) + " buyers in the last 30 days)"
    return bought.where(orders > 0, ruled.where(ranked["rule_lift"] > 0, popular))
