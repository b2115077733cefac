"""Next best offer, in two stages: who buys in the next H days (customer_scores: purchase
propensity with churn risk and return propensity), which N products (customer_recommendations),
at what discount (customer_offers). Each model is trained on cut-offs before the run's as_of and
compared, in every run, with its baselines on the newest held-out window (a warning when it falls
below one); `loyalist backtest` measures them on what really happened and fails below a baseline."""


import pandas as pd
from dagster import (
    AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, AssetKey, AssetSpec, Config,
    MaterializeResult, MetadataValue, asset, asset_check, multi_asset,
)
from dagster_dbt import get_asset_key_for_model

from ml.evaluation import calibration_curve, propensity_metrics, ranking_metrics
from ml.offers import OfferPolicy, personal_offers
from ml.propensity import (
    PROPENSITY_BASELINES, NotEnoughHistory, PropensitySettings, assign_bands, features_for_scoring, fit_propensity,
)
from ml.purchase_history import customer_features_at, stage_history
from ml.recommendations import RECOMMENDATION_BASELINES, RecommendationSettings, describe_reasons, fit_recommender, recommend
from ml.return_propensity import ReturnSettings, customer_return_probability, fit_return_model
from orchestration.assets.dbt import warehouse_models
from orchestration.project import model_relation, source_relation
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource, replace_tables, table_exists

__all__ = ["ScoresConfig", "RecommendationsConfig", "OffersConfig", "customer_scores", "customer_recommendations",
           "customer_offers", "score_checks", "run_as_of", "beats_baselines", "AucDropConfig", "MODEL_VERSION"]

_ORDER_LINES = get_asset_key_for_model([warehouse_models], "fct_order_lines")
_FEATURES = get_asset_key_for_model([warehouse_models], "customer_features")
_PRODUCTS = get_asset_key_for_model([warehouse_models], "dim_products")

#: Written beside every score: which code made it (bump when the features or the model change).
MODEL_VERSION = "nbo-1"


class ScoresConfig(Config):
    """Horizons, training windows, calibration and bands of the customer scores.

    ``bands`` name the probability ranges [low, high) of the purchase propensity; "hesitating"
    is the band worth an expensive channel (and a discount, see OffersConfig).
    """

    horizon_days: int = 14
    churn_days: int = 90
    training_cutoffs: int = 16
    cutoff_step_days: int = 7
    max_training_rows: int = 200_000
    calibration: str = "sigmoid"
    bands: dict[str, list[float]] = {"unlikely": [0.0, 0.15], "hesitating": [0.15, 0.5], "likely": [0.5, 1.0]}
    return_window_days: int = 30
    return_days: int = 30


class RecommendationsConfig(Config):
    """List length, horizon and candidates of the recommendations (see ml.recommendations)."""

    top_n: int = 2
    horizon_days: int = 14
    training_cutoffs: int = 30
    max_repeat_candidates: int = 15
    popular_candidates: int = 5
    rule_candidates: int = 5
    exclude_returned_days: int = 90


class OffersConfig(Config):
    """Discount bounds and who gets one (see ml.offers.OfferPolicy). ``category_bounds`` maps a
    category to its own [min, max] discount."""

    min_discount: float = 0.05
    max_discount: float = 0.30
    step: float = 0.05
    margin_floor: float = 0.15
    assumed_cost_rate: float = 0.6
    full_price_share: float = 0.9
    offer_bands: list[str] = ["hesitating"]
    category_bounds: dict[str, list[float]] = {}

    def policy(self) -> OfferPolicy:
        """The offer rules these settings describe (validated by OfferPolicy)."""
        return OfferPolicy(
            min_discount=self.min_discount, max_discount=self.max_discount, step=self.step,
            margin_floor=self.margin_floor, assumed_cost_rate=self.assumed_cost_rate,
            full_price_share=self.full_price_share, offer_bands=tuple(self.offer_bands),
            category_bounds={k: tuple(v) for k, v in self.category_bounds.items()},
        )


def run_as_of(con, cutoff: RunCutoff):
    """The run's as_of: the cut-off, or for a run over all data the day after the latest event
    (customer_features measures to it)."""
    wanted = cutoff.as_of_date()
    if wanted is not None:
        return wanted
    found = con.execute(f"select max(as_of) from {model_relation('customer_features')}").fetchall()[0][0]
    if found is None:
        raise ValueError("customer_features is empty: no customer to score")
    return found


def _customer_ids(con) -> pd.DataFrame:
    return con.execute("select ckey, customer_id from h_customers").df()


def _calibration_rows(task: str, fitted, as_of) -> pd.DataFrame:
    """The calibrated model's 10-bin calibration curve on the held-out window of one propensity
    (the window also fits the calibration, so the backtest's curve is the independent one)."""
    curve = calibration_curve(fitted.holdout["label"].to_numpy(), fitted.holdout["probability"].to_numpy())
    curve.insert(0, "window_start", fitted.holdout_cutoff)
    curve.insert(0, "task", task)
    curve.insert(0, "as_of", as_of)
    return curve


def _holdout_rows(task: str, fitted, as_of) -> list[dict]:
    """The model's and the baselines' metrics on the held-out window of one propensity."""
    rows = []
    holdout = fitted.holdout
    for name in ("model", *PROPENSITY_BASELINES):
        column = "probability" if name == "model" else name
        metrics = propensity_metrics(holdout["label"], holdout[column], probability=name == "model")
        rows.append({"as_of": as_of, "task": task, "window_start": fitted.holdout_cutoff, "model": name,
                     "customers": len(holdout), **metrics})
    return rows


@multi_asset(
    specs=[
        AssetSpec(
            "customer_scores",
            deps=[_ORDER_LINES, _FEATURES],
            group_name="scores",
            kinds={"python", "scikit-learn", "duckdb"},
            owners=["team:data-science"],
            description="P(buys within H days), churn risk and return propensity of every customer with a purchase "
                        "before as_of (ml.customer_scores); each model beside its baselines on the held-out window "
                        "(ml.score_evaluation).",
        ),
        AssetSpec(
            "score_calibration",
            deps=[_ORDER_LINES, _FEATURES],
            group_name="scores",
            kinds={"python", "duckdb"},
            owners=["team:data-science"],
            description="Calibration curve of the purchase and churn propensities on the held-out window "
                        "(ml.score_calibration), written with the scores.",
        ),
    ],
    name="customer_scores",
)
def customer_scores(context: AssetExecutionContext, config: ScoresConfig, warehouse: WarehouseResource, cutoff: RunCutoff):
    """P(buys within H days), churn risk and return propensity of every customer with a purchase
    before as_of (ml.customer_scores), each model beside its baselines on the held-out window
    (ml.score_evaluation) and its calibration curve there (ml.score_calibration).

    Purchase propensity and churn (no purchase in ``churn_days``) are gradient-boosted classifiers
    on purchase-timing features plus BG/NBD, trained on weekly cut-offs whose label windows end
    before the held-out window [as_of - H, as_of), and Platt-calibrated on it. Return propensity is
    a line-level model (ml.return_propensity). Bands come from the calibrated purchase probability.
    """
    settings = PropensitySettings(
        horizon_days=config.horizon_days, training_cutoffs=config.training_cutoffs, cutoff_step_days=config.cutoff_step_days,
        max_training_rows=config.max_training_rows, calibration=config.calibration,
    )
    assign_bands([0.5], config.bands)  # refuse malformed bands before any work
    with warehouse.connect() as con:
        stage_history(con, model_relation("fct_order_lines"))
        as_of = run_as_of(con, cutoff)
        purchase = fit_propensity(con, as_of, settings)
        current = customer_features_at(con, [as_of])
        features = features_for_scoring(con, as_of, settings, current)
        scores = pd.DataFrame({"ckey": features["ckey"], "purchase_probability": purchase.predict(features)})
        evaluation = _holdout_rows("purchase", purchase, as_of)
        calibration = [_calibration_rows("purchase", purchase, as_of)]
        try:
            churn_settings = PropensitySettings(**{**settings.__dict__, "horizon_days": config.churn_days, "inverted": True})
            churn = fit_propensity(con, as_of, churn_settings)
            scores["churn_probability"] = churn.predict(features_for_scoring(con, as_of, churn_settings, current))
            evaluation += _holdout_rows("churn", churn, as_of)
            calibration.append(_calibration_rows("churn", churn, as_of))
        except NotEnoughHistory as why:
            context.log.warning(f"churn risk not scored: {why}")
            scores["churn_probability"] = float("nan")
        try:
            returns = fit_return_model(con, as_of, ReturnSettings(window_days=config.return_window_days, return_days=config.return_days))
            scores = scores.merge(customer_return_probability(con, returns, as_of), on="ckey", how="left")
        except NotEnoughHistory as why:
            context.log.warning(f"return propensity not scored: {why}")
            scores["return_probability"] = float("nan")
        scores = scores.merge(_customer_ids(con), on="ckey")
        scores["band"] = assign_bands(scores["purchase_probability"].to_numpy(), config.bands)
        scores["as_of"] = as_of
        scores["model_version"] = f"{MODEL_VERSION}/h{config.horizon_days}/{context.run_id[:8]}"
        table = scores[["customer_id", "as_of", "purchase_probability", "band", "churn_probability", "return_probability", "model_version"]]
        evaluation = pd.DataFrame(evaluation)
        replace_tables(con, {source_relation("ml", "customer_scores"): table, source_relation("ml", "score_evaluation"): evaluation,
                             source_relation("ml", "score_calibration"): (curves := pd.concat(calibration, ignore_index=True))})
    shown = evaluation[["task", "model", "roc_auc", "pr_auc", "top_decile_lift", "ece"]]
    model = evaluation[evaluation["model"] == "model"].set_index("task")
    yield MaterializeResult(asset_key="customer_scores", metadata={
        "dagster/row_count": len(table),
        "as_of": str(as_of),
        # what makes two runs' AUCs comparable (purchase_auc_not_below_last_run): the horizon, and
        # the explicit cut-off of a backtest ("" for a run over all data, whose as_of moves daily)
        "horizon_days": config.horizon_days,
        "cut_at": cutoff.as_of,
        # plain floats, so the UI plots them run over run and the next run's check compares with them
        **{f"{task}_{metric}": float(model.loc[task, metric]) for task in model.index for metric in ("roc_auc", "pr_auc")},
        "holdout_window": f"{purchase.holdout_cutoff} .. {as_of} (purchase)",
        "training": f"{len(purchase.training_cutoffs)} cut-offs, {purchase.training_rows:,} rows, positive rate {purchase.training_positive_rate:.3f}",
        "holdout_metrics": MetadataValue.md(shown.to_markdown(index=False, floatfmt=".3f")),
        "bands": MetadataValue.md(table["band"].value_counts().rename_axis("band").reset_index().to_markdown(index=False)),
    })
    yield MaterializeResult(asset_key="score_calibration", metadata={
        "dagster/row_count": len(curves),
        "curve": MetadataValue.md(curves.drop(columns=["as_of", "window_start"]).to_markdown(index=False, floatfmt=".3f")),
    })


@asset(
    deps=[_ORDER_LINES, _FEATURES, "basket_rules"],
    group_name="scores",
    kinds={"python", "scikit-learn", "duckdb"},
    owners=["team:data-science"],
)
def customer_recommendations(context: AssetExecutionContext, config: RecommendationsConfig, warehouse: WarehouseResource,
                             cutoff: RunCutoff) -> MaterializeResult:
    """The top N products each customer is most likely to buy in the next H days, with a reason
    (ml.customer_recommendations), and the ranker beside the popularity and personal-repeat
    baselines on the held-out window (ml.recommendation_evaluation).

    Candidates: the customer's own purchases, what is popular now, and the basket rules' one-to-one
    SKU consequents of what they bought lately; never a product they just returned. A gradient-
    boosted ranker trained on earlier windows orders them (ml.recommendations).
    """
    settings = RecommendationSettings(
        top_n=config.top_n, horizon_days=config.horizon_days, training_cutoffs=config.training_cutoffs,
        max_repeat_candidates=config.max_repeat_candidates, popular_candidates=config.popular_candidates,
        rule_candidates=config.rule_candidates, exclude_returned_days=config.exclude_returned_days,
    )
    with warehouse.connect() as con:
        stage_history(con, model_relation("fct_order_lines"))
        as_of = run_as_of(con, cutoff)
        rules = source_relation("ml", "basket_rules")
        rules = rules if table_exists(con, rules) else None
        recommender, holdout = fit_recommender(con, as_of, settings, rules)
        customers = con.execute("select ckey from h_customers order by ckey").fetchnumpy()["ckey"]
        ranked = recommend(con, recommender, as_of, customers, config.top_n, rules)
        products = con.execute("select pkey, product_id from h_products").df()
        ranked = ranked.merge(_customer_ids(con), on="ckey").merge(products, on="pkey")
        evaluation = _ranking_rows(holdout, config.top_n, as_of, recommender.holdout_cutoff)
        ranked["reason"] = describe_reasons(ranked)
        ranked["as_of"] = as_of
        table = ranked.rename(columns={"rank": "recommendation_rank"})[
            ["customer_id", "recommendation_rank", "product_id", "score", "reason", "as_of"]].sort_values(
            ["customer_id", "recommendation_rank"], ignore_index=True)
        replace_tables(con, {source_relation("ml", "customer_recommendations"): table,
                             source_relation("ml", "recommendation_evaluation"): evaluation})
    return MaterializeResult(metadata={
        "dagster/row_count": len(table),
        "as_of": str(as_of),
        "training": f"{len(recommender.training_cutoffs)} cut-offs, {recommender.training_rows:,} candidate rows",
        "holdout_metrics": MetadataValue.md(evaluation.to_markdown(index=False, floatfmt=".3f")),
        "reasons": MetadataValue.md(table["reason"].str.extract(r"^(\w+)")[0].value_counts().rename_axis("reason starts").reset_index().to_markdown(index=False)),
    })


def _ranking_rows(lists: dict, n: int, as_of, window_start) -> pd.DataFrame:
    """hit@n and precision@n of the model and each baseline on one window's buyers."""
    bought = lists["bought"].rename(columns={"ckey": "customer", "pkey": "product"})
    rows = []
    for name in ("model", *RECOMMENDATION_BASELINES):
        ranked = lists[name].rename(columns={"ckey": "customer", "pkey": "product"})
        metrics = ranking_metrics(ranked, bought, ks=(n,))
        rows.append({"as_of": as_of, "window_start": window_start, "model": name, "top_n": n, "buyers": int(metrics["buyers"]),
                     "hit_rate": metrics[f"hit_at_{n}"], "precision": metrics[f"precision_at_{n}"]})
    return pd.DataFrame(rows)


@asset(
    deps=["customer_scores", "customer_recommendations", "customer_promo_segments", _FEATURES, _PRODUCTS],
    group_name="scores",
    kinds={"python", "duckdb"},
    owners=["team:data-science"],
)
def customer_offers(context: AssetExecutionContext, config: OffersConfig, warehouse: WarehouseResource) -> MaterializeResult:
    """A personal discount on each recommended product, within the configured bounds
    (ml.customer_offers): none for customers who buy at full price; the smallest discount their
    history suggests moves them for promo-sensitive and hesitating customers; never below the
    margin floor (ml.offers)."""
    policy = config.policy()
    with warehouse.connect() as con:
        recommended = con.sql(f"select customer_id, product_id from {source_relation('ml', 'customer_recommendations')}").df()
        customers = con.sql(f"""
            select s.customer_id, s.purchase_probability, s.band,
                   coalesce(p.promo_segment = 'Promo-sensitive', false) as promo_sensitive,
                   coalesce(p.promo_segment <> 'No promotion data', false) as discount_known,
                   1 - f.discount_line_share as full_price_line_share,
                   f.mean_discount_taken
            from {source_relation('ml', 'customer_scores')} as s
            left join {source_relation('ml', 'customer_promo_segments')} as p using (customer_id)
            left join {model_relation('customer_features')} as f using (customer_id)
        """).df()
        products = con.sql(f"select product_id, category, list_price, unit_cost from {model_relation('dim_products')}").df()
        offers = personal_offers(recommended, customers, products, policy)
        replace_tables(con, {source_relation("ml", "customer_offers"): offers})
    given = offers[offers["discount"] > 0]
    return MaterializeResult(metadata={
        "dagster/row_count": len(offers),
        "offers_with_discount": len(given),
        "mean_discount_given": float(given["discount"].mean()) if len(given) else 0.0,
        "expected_margin": float(offers["expected_margin"].sum()),
        "by_discount": MetadataValue.md(offers["discount"].round(2).value_counts().sort_index().rename_axis("discount").reset_index().to_markdown(index=False)),
    })


def beats_baselines(frame: pd.DataFrame, metric: str, where: str, severity: AssetCheckSeverity) -> AssetCheckResult:
    """Pass when the model's ``metric`` is at least its best baseline's in ``frame`` (model rows named 'model')."""
    model = frame[frame["model"] == "model"]
    baselines = frame[frame["model"] != "model"]
    best = baselines.loc[baselines[metric].idxmax()]
    value = float(model[metric].iloc[0])
    return AssetCheckResult(
        passed=bool(value >= best[metric]),
        severity=severity,
        description=f"{where}: model {metric} {value:.4f} vs best baseline {best['model']} {best[metric]:.4f}",
        metadata={"model": value, "best_baseline": str(best["model"]), "best_baseline_value": float(best[metric]),
                  "all": MetadataValue.md(frame.to_markdown(index=False, floatfmt=".4f"))},
    )


# The held-out window also calibrates the model and can be small (a few hundred buyers): falling
# below a baseline there warns; the backtest's check on what really happened fails the run.
@asset_check(asset="customer_scores", name="purchase_model_beats_baselines",
             description="On the held-out window, the purchase propensity's ROC AUC is at least that of the best "
                         "baseline (recency, frequency, BG/NBD); a warning (the backtest's check is the one that fails).")
def purchase_model_beats_baselines(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Warn when the purchase model ranks buyers worse than a baseline on the held-out window."""
    with warehouse.connect(read_only=True) as con:
        frame = con.sql(f"select * from {source_relation('ml', 'score_evaluation')} where task = 'purchase'").df()
    return beats_baselines(frame, "roc_auc", "held-out window", AssetCheckSeverity.WARN)


@asset_check(asset="customer_scores", name="scores_are_probabilities", blocking=True,
             description="Every score is a probability: no NaN purchase probability, all scores within [0, 1].")
def scores_are_probabilities(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Fail on a missing purchase probability or any score outside [0, 1]."""
    with warehouse.connect(read_only=True) as con:
        bad = con.sql(f"""
            select count(*) filter (where purchase_probability is null or isnan(purchase_probability)) as missing,
                   count(*) filter (where purchase_probability not between 0 and 1 or churn_probability not between 0 and 1
                                     or return_probability not between 0 and 1) as outside
            from {source_relation('ml', 'customer_scores')}
        """).fetchall()[0]
    return AssetCheckResult(passed=bad == (0, 0), severity=AssetCheckSeverity.ERROR,
                            metadata={"missing_purchase_probability": int(bad[0]), "outside_0_1": int(bad[1])})


@asset_check(asset=customer_recommendations, name="recommendations_beat_baselines",
             description="On the held-out window, the ranker's hit rate at N is at least that of the best baseline "
                         "(popularity, personal repeat); a warning (the backtest's check is the one that fails).")
def recommendations_beat_baselines(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
    """Warn when the recommendations hit less often than a baseline on the held-out window."""
    with warehouse.connect(read_only=True) as con:
        frame = con.sql(f"select * from {source_relation('ml', 'recommendation_evaluation')}").df()
    return beats_baselines(frame, "hit_rate", "held-out window", AssetCheckSeverity.WARN)


@asset_check(asset=customer_offers, name="offers_within_bounds", blocking=True,
             description="Every discount is 0 or on the allowed grid within its bounds, and no offer's margin is below the floor.")
def offers_within_bounds(context: AssetCheckExecutionContext, config: OffersConfig, warehouse: WarehouseResource) -> AssetCheckResult:
    """Recheck every offer against the configured bounds and margin floor."""
    with warehouse.connect(read_only=True) as con:
        offers = con.sql(f"""
            select o.*, p.category, p.unit_cost from {source_relation('ml', 'customer_offers')} as o
            left join {model_relation('dim_products')} as p using (product_id)
        """).df()
    policy = config.policy()
    bounds = offers["category"].map(policy.bounds)
    low, high = bounds.str[0], bounds.str[1]
    given = offers["discount"] > 0
    steps = (offers["discount"] - low) / policy.step
    off_grid = given & (((steps - steps.round()).abs() > 1e-6) | (offers["discount"] < low - 1e-9) | (offers["discount"] > high + 1e-9))
    cost = offers["unit_cost"].fillna(policy.assumed_cost_rate * offers["list_price"])
    thin = given & ((offers["offer_price"] - cost) < policy.margin_floor * offers["offer_price"] - 1e-9)
    return AssetCheckResult(passed=bool(not off_grid.any() and not thin.any()), severity=AssetCheckSeverity.ERROR,
                            metadata={"offers": len(offers), "discounted": int(given.sum()), "outside_bounds": int(off_grid.sum()),
                                      "below_margin_floor": int(thin.sum())})


class AucDropConfig(Config):
    """How far the purchase model's held-out ROC AUC may fall below the previous comparable run's
    before the check fails. One standard error of the AUC on a window of a few hundred buyers is about 0.02."""

    margin: float = 0.03


def _recorded_auc(context: AssetCheckExecutionContext, scan: int = 50) -> tuple[dict | None, dict | None]:
    """The purchase ROC AUC of customer_scores' latest materialization and of the newest comparable
    one by another run (each as {"roc_auc", "as_of", "run_id"}), from Dagster's event log.

    Comparable: the same horizon and the same explicit cut-off, so a daily run is compared with the
    previous daily run and a backtest with an earlier backtest at its own cut-off, never with one
    at another. Within a run the latest is that run's; re-executed alone, the check compares the
    last two runs.
    """
    latest = previous = None
    for record in context.instance.fetch_materializations(AssetKey("customer_scores"), limit=scan).records:
        metadata = record.asset_materialization.metadata if record.asset_materialization else {}
        if "purchase_roc_auc" not in metadata:
            continue  # a materialization from before the AUC was recorded
        found = {"roc_auc": float(metadata["purchase_roc_auc"].value), "as_of": metadata["as_of"].value, "run_id": record.run_id,
                 "kind": tuple(metadata[k].value if k in metadata else None for k in ("horizon_days", "cut_at"))}
        if latest is None:
            latest = found
        elif record.run_id != latest["run_id"] and found["kind"] == latest["kind"]:
            previous = found
            break
    return latest, previous


@asset_check(asset="customer_scores", name="purchase_auc_not_below_last_run",
             description="The purchase model's held-out ROC AUC is not below the previous comparable run's (same "
                         "horizon, same backtest cut-off) by more than the configured margin (default 0.03); a first run passes.")
def purchase_auc_not_below_last_run(context: AssetCheckExecutionContext, config: AucDropConfig) -> AssetCheckResult:
    """Fail when the latest purchase ROC AUC fell more than ``margin`` below the previous comparable run's."""
    current, previous = _recorded_auc(context)
    if current is None:
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR,
                                description="customer_scores has no materialization with a ROC AUC: nothing to check")
    if previous is None:
        return AssetCheckResult(passed=True, description=f"no earlier comparable run; ROC AUC {current['roc_auc']:.4f}",
                                metadata={"roc_auc": current["roc_auc"]})
    drop = previous["roc_auc"] - current["roc_auc"]
    return AssetCheckResult(
        passed=bool(drop <= config.margin), severity=AssetCheckSeverity.ERROR,
        description=f"held-out ROC AUC {current['roc_auc']:.4f} as of {current['as_of']}, previous run "
                    f"{previous['roc_auc']:.4f} as of {previous['as_of']}; allowed drop {config.margin}",
        metadata={"roc_auc": current["roc_auc"], "previous_roc_auc": previous["roc_auc"], "drop": drop,
                  "margin": config.margin, "previous_run": previous["run_id"]},
    )


score_checks = [purchase_model_beats_baselines, scores_are_probabilities, purchase_auc_not_below_last_run,
                recommendations_beat_baselines, offers_within_bounds]
