"""Backtest as a feature: score as of T, then compare with what customers bought in [T, T + H).

Only `loyalist backtest` materialises this asset (job ``backtest``): the run is cut at T like any
as-of run, and the dbt model backtest_outcome_lines alone reads the window after T. The models'
figures sit beside the baselines computed from the same history and scored the same way; the
results are appended to ml.backtest_results (one set per as_of and horizon) with a Markdown report
and a calibration plot in the warehouse's reports folder.
"""

from datetime import timedelta
from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult,
    MetadataValue, asset, asset_check,
)
from dagster_dbt import get_asset_key_for_model

from ml.evaluation import calibration_curve, propensity_metrics, ranking_metrics
from ml.plots import calibration_figure, save_png
from ml.propensity import PROPENSITY_BASELINES, PropensitySettings, baseline_scores, features_for_scoring
from ml.purchase_history import stage_history
from ml.recommendations import RECOMMENDATION_BASELINES, RecommendationSettings, baseline_lists, candidates_at
from orchestration import settings
from orchestration.assets.dbt import warehouse_models
from orchestration.project import model_relation, source_relation
from orchestration.resources import RunCutoff
from orchestration.warehouse import WarehouseResource, transaction

__all__ = ["backtest_results", "backtest_beats_baselines", "data_end", "window_problem", "RESULT_COLUMNS"]

_OUTCOMES = get_asset_key_for_model([warehouse_models], "backtest_outcome_lines")
RESULT_COLUMNS = ["as_of", "horizon_days", "task", "model", "metric", "value", "customers"]
RANK_KS = (2, 10)


def data_end(con):
    """The last day of loaded sales (demo orders and file lines), whatever the run's cut-off."""
    return con.execute(f"""
        select max(d) from (
            select max(cast(ordered_at as date)) as d from {model_relation('stg_retail__orders')}
            union all
            select max(cast(ordered_at as date)) from {model_relation('stg_transactions__lines')}
        )
    """).fetchall()[0][0]


def window_problem(con, as_of, horizon: int) -> str | None:
    """Why the backtest window [as_of, as_of + horizon) cannot be scored, or None when it can."""
    last = data_end(con)
    if last is None or last < as_of + timedelta(days=horizon - 1):
        return (f"the loaded data ends {last}: the backtest window {as_of} .. {as_of + timedelta(days=horizon)} "
                "is not complete; choose an earlier --as-of or a shorter --horizon-days")
    return None


def _propensity_rows(con, as_of, horizon: int, outcomes: pd.DataFrame) -> tuple[list[dict], pd.DataFrame]:
    features = features_for_scoring(con, as_of, PropensitySettings(horizon_days=horizon))
    ids = con.execute("select ckey, customer_id from h_customers").df()
    scored = features[["ckey"]].merge(ids, on="ckey").merge(
        con.sql(f"select customer_id, purchase_probability from {source_relation('ml', 'customer_scores')}").df(),
        on="customer_id", how="left")
    if scored["purchase_probability"].isna().any():
        raise ValueError("ml.customer_scores does not cover every customer with history: materialise customer_scores in this run")
    label = scored["customer_id"].isin(outcomes["customer_id"]).to_numpy().astype(int)
    frames = {"model": scored["purchase_probability"].to_numpy(), **{k: v.to_numpy() for k, v in baseline_scores(features).items()}}
    rows = []
    for name in ("model", *PROPENSITY_BASELINES):
        for metric, value in propensity_metrics(label, frames[name], probability=name == "model").items():
            rows.append({"task": "purchase", "model": name, "metric": metric, "value": value, "customers": len(label)})
    curve = calibration_curve(label, frames["model"])
    return rows, curve


def _ranking_rows(con, as_of, horizon: int, outcomes: pd.DataFrame) -> list[dict]:
    ids = con.execute("select ckey, customer_id from h_customers").df()
    products = con.execute("select pkey, product_id from h_products").df()
    bought = outcomes[["customer_id", "product_id"]].drop_duplicates().merge(ids, on="customer_id")
    buyers = bought[["ckey"]].drop_duplicates().assign(cutoff=as_of)
    if buyers.empty:
        raise ValueError(f"no customer with history before {as_of} bought in the window: nothing to score recommendations on")
    candidates_at(con, buyers, RecommendationSettings(horizon_days=horizon, popular_candidates=max(RANK_KS)))
    lists = baseline_lists(con, max(RANK_KS))
    model = con.sql(f"""
        select customer_id, recommendation_rank as rank, product_id from {source_relation('ml', 'customer_recommendations')}
        where recommendation_rank <= {max(RANK_KS)}
    """).df()
    # the run's list length (a customer with fewer candidates has a shorter list, and still counts)
    longest = int(model["rank"].max()) if len(model) else 0
    truth = bought.rename(columns={"customer_id": "customer", "product_id": "product"})[["customer", "product"]]
    rows = []
    for name in ("model", *RECOMMENDATION_BASELINES):
        ranked = model if name == "model" else lists[name].merge(ids, on="ckey").merge(products, on="pkey")
        ranked = ranked.rename(columns={"customer_id": "customer", "product_id": "product"})[["customer", "rank", "product"]]
        # a run that asked for fewer than k products (top_n < 10) is not scored at k
        ks = [k for k in RANK_KS if name != "model" or k <= longest]
        for metric, value in ranking_metrics(ranked, truth, ks=ks).items():
            if metric != "buyers":
                rows.append({"task": "recommendations", "model": name, "metric": metric, "value": value,
                             "customers": int(buyers["ckey"].nunique())})
    return rows


def _write_results(con, results: pd.DataFrame, curve: pd.DataFrame, as_of, horizon: int) -> None:
    """Replace this (as_of, horizon)'s rows of ml.backtest_results and ml.backtest_calibration; keep the others."""
    with transaction(con):
        con.execute("create schema if not exists ml")
        for table, frame in ((source_relation("ml", "backtest_results"), results),
                             (source_relation("ml", "backtest_calibration"), curve)):
            con.register("_frame", frame)
            con.execute(f"create table if not exists {table} as select * from _frame limit 0")
            con.execute(f"delete from {table} where as_of = ? and horizon_days = ?", [as_of, horizon])
            con.execute(f"insert into {table} by name select * from _frame")
            con.unregister("_frame")


def report_markdown(results: pd.DataFrame, as_of, horizon: int, plot: Path) -> str:
    """The backtest report: one table per task, the model beside its baselines."""
    lines = [f"# Backtest as of {as_of}, horizon {horizon} days", ""]
    for task, part in results.groupby("task", sort=False):
        wide = part.pivot_table(index="model", columns="metric", values="value", sort=False)
        lines += [f"## {task} ({int(part['customers'].iloc[0]):,} customers)", "", wide.to_markdown(floatfmt=".4f"), ""]
    lines += [f"![calibration]({plot.name})", ""]
    return "\n".join(lines)


@asset(
    deps=["customer_scores", "customer_recommendations", _OUTCOMES],
    group_name="backtest",
    kinds={"python", "duckdb"},
    owners=["team:data-science"],
)
def backtest_results(context: AssetExecutionContext, warehouse: WarehouseResource, cutoff: RunCutoff) -> MaterializeResult:
    """The run's scores and recommendations against what happened in [as_of, as_of + H)
    (ml.backtest_results, ml.backtest_calibration, reports/backtest_<as_of>_h<H>.md).

    Propensity: ROC AUC, PR AUC, top-decile lift and calibration (ECE and a 10-bin curve) beside
    the recency, frequency and BG/NBD baselines; recommendations: hit@2, precision@2, hit@10 and
    precision@10 beside popularity and personal repeat. Only `loyalist backtest` runs it.
    """
    as_of, horizon = cutoff.as_of_date(), cutoff.backtest_horizon_days
    if as_of is None or horizon < 1:
        raise ValueError("a backtest needs a cut-off and a window: run `loyalist backtest --as-of T [--horizon-days H]`")
    with warehouse.connect() as con:
        problem = window_problem(con, as_of, horizon)
        if problem:
            raise ValueError(problem)
        outcomes = con.sql(f"select customer_id, product_id from {model_relation('backtest_outcome_lines')}").df()
        stage_history(con, model_relation("fct_order_lines"))
        propensity, curve = _propensity_rows(con, as_of, horizon, outcomes)
        results = pd.DataFrame(propensity + _ranking_rows(con, as_of, horizon, outcomes))
        results.insert(0, "horizon_days", horizon)
        results.insert(0, "as_of", as_of)
        curve = curve.assign(as_of=as_of, horizon_days=horizon)
        _write_results(con, results[RESULT_COLUMNS], curve, as_of, horizon)
    folder = settings.reports_dir(warehouse.resolved_path)
    plot = folder / f"backtest_{as_of}_h{horizon}_calibration.png"
    save_png(calibration_figure(curve, f"Calibration, {horizon}-day purchase propensity as of {as_of}"), plot)
    report = folder / f"backtest_{as_of}_h{horizon}.md"
    report.write_text(report_markdown(results, as_of, horizon, plot))
    context.log.info(f"backtest report: {report}")
    return MaterializeResult(metadata={
        "dagster/row_count": len(results),
        "report": MetadataValue.path(str(report)),
        "results": MetadataValue.md(report_markdown(results, as_of, horizon, plot)),
    })


@asset_check(asset=backtest_results, name="backtest_beats_baselines", blocking=True,
             description="In the backtest window, the purchase model's ROC AUC and PR AUC and the recommendations' "
                         "hit@2 are each at least the best baseline's.")
def backtest_beats_baselines(context: AssetCheckExecutionContext, warehouse: WarehouseResource, cutoff: RunCutoff) -> AssetCheckResult:
    """Fail the backtest run when a model falls below its best baseline on what really happened."""
    with warehouse.connect(read_only=True) as con:
        results = con.sql(f"select * from {source_relation('ml', 'backtest_results')} where as_of = ? and horizon_days = ?",
                          params=[cutoff.as_of_date(), cutoff.backtest_horizon_days]).df()
    verdicts = []
    for task, metric in (("purchase", "roc_auc"), ("purchase", "pr_auc"), ("recommendations", "hit_at_2")):
        part = results[(results["task"] == task) & (results["metric"] == metric)].set_index("model")["value"]
        best = part.drop("model").idxmax()
        verdicts.append({"task": task, "metric": metric, "model": part["model"], "best_baseline": best,
                         "baseline_value": part[best], "passed": bool(part["model"] >= part[best])})
    table = pd.DataFrame(verdicts)
    below = table[~table["passed"]]
    return AssetCheckResult(passed=bool(table["passed"].all()), severity=AssetCheckSeverity.ERROR,
                            description="; ".join(f"{r.task} {r.metric}: model {r.model:.4f} below {r.best_baseline} {r.baseline_value:.4f}"
                                                  for r in below.itertuples()) or None,
                            metadata={"verdicts": MetadataValue.md(table.to_markdown(index=False, floatfmt=".4f"))})
