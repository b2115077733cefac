"""Dagster Definitions: wiring only."""

import warnings

from dagster import Definitions, PreviewWarning, apply_freshness_policy, in_process_executor

from orchestration.assets.dbt import input_models, serving_models, warehouse_models
from orchestration.automation import DAILY_FRESHNESS, daily_pipeline, inbox_files
from orchestration.assets.checks import load_batches_reconcile
from orchestration.assets.identity import identity_match_links, identity_quality, identity_quality_targets
from orchestration.assets.raw import raw_data
from orchestration.assets.lifecycle import lifecycle_plots
from orchestration.assets.backtest import backtest_beats_baselines, backtest_results
from orchestration.assets.rules import basket_rules, product_suggestions, sequence_rules
from orchestration.assets.scores import customer_offers, customer_recommendations, customer_scores, score_checks
from orchestration.assets.segmentation import promo_sensitivity, segmentation
from orchestration.assets.snapshot import dashboard_snapshot
from orchestration.jobs import backtest_job, loyalist_job
from orchestration.resources import build_resources

def _definitions() -> Definitions:
    """Every asset, check, job, schedule and sensor, with the daily freshness policy on every asset.

    Built in a function: Dagster refuses a module with two Definitions objects at module scope.
    """
    plain = Definitions(
        assets=[raw_data, input_models, identity_match_links, warehouse_models, identity_quality, segmentation,
                promo_sensitivity, lifecycle_plots, basket_rules, sequence_rules, product_suggestions, customer_scores,
                customer_recommendations, customer_offers, backtest_results, serving_models, dashboard_snapshot],
        asset_checks=[load_batches_reconcile, identity_quality_targets, *score_checks, backtest_beats_baselines],
        jobs=[loyalist_job, backtest_job],
        schedules=[daily_pipeline],
        sensors=[inbox_files],
        resources=build_resources(),
        # one writer per DuckDB file: materialisations started from the UI run in-process too
        executor=in_process_executor,
    )
    # the daily run rebuilds every asset; the mapping is a Dagster preview that warns on every
    # load, which would only be noise in each CLI run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PreviewWarning)
        return plain.map_asset_specs(func=lambda spec: apply_freshness_policy(spec, DAILY_FRESHNESS))


defs = _definitions()
