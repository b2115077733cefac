"""End to end: every asset materialised into a temp DuckDB file, real outputs checked."""

from dagster import AssetKey

from orchestration import report
from orchestration.identity_quality import demo_truth_scores

WARNING_CHECKS = {"identity_quality_targets", "purchase_model_beats_baselines", "recommendations_beat_baselines"}


def test_run_succeeds(pipeline_run):
    result = pipeline_run["result"]
    failures = [e.message for e in result.all_events if e.is_failure]
    assert result.success, failures


def test_raw_tables_hold_exactly_the_generated_rows(con, demo_manifest):
    for table, rows in demo_manifest["rows"]["raw"].items():
        assert con.execute(f"select count(*) from raw.{table}").fetchall()[0][0] == rows, table


def test_identity_precision_and_recall_against_the_generator_truth(con, pipeline_run):
    scores = demo_truth_scores(con, pipeline_run["demo"])
    assert scores is not None
    assert scores["records"] > 1000
    # shared keys plus probabilistic matching on names, birth year and city (3,000 people here; the
    # issue's targets, precision 0.995 and recall 0.98, hold on the default 20,000-person demo)
    assert scores["precision"] >= 0.98
    assert scores["recall"] >= 0.95


def test_every_rfm_customer_has_a_segment(con):
    missing = con.execute(
        """
        select count(*) from marts.customer_rfm as rfm
        left join ml.customer_segments as seg using (customer_id)
        where seg.segment_id is null or seg.segment_name is null
        """
    ).fetchall()[0][0]
    assert missing == 0
    assert con.execute("select count(*) from ml.customer_segments").fetchall()[0][0] == con.execute(
        "select count(*) from marts.customer_rfm"
    ).fetchall()[0][0]


def test_customer_360_has_one_row_per_customer(con):
    dim = con.execute("select count(*), count(distinct customer_id) from marts.dim_customers").fetchall()[0]
    c360 = con.execute("select count(*), count(distinct customer_id) from serving.customer_360").fetchall()[0]
    assert dim[0] == dim[1] > 0
    assert c360 == dim
    unnamed = con.execute("select count(*) from serving.customer_360 where segment_name is null").fetchall()[0][0]
    assert unnamed == 0


def test_segment_profiles_add_up(con):
    profiles = con.sql("select * from ml.segment_profiles").df()
    rfm = con.sql("select * from marts.customer_rfm").df()
    assert 3 <= len(profiles) <= 10
    assert profiles["customers"].sum() == len(rfm)
    assert abs(profiles["revenue"].sum() - rfm["monetary"].sum()) < 1e-6 * max(1.0, abs(rfm["monetary"].sum()))
    assert profiles["segment_name"].is_unique


def test_segmentation_metadata_reports_the_three_indices(pipeline_run):
    quality = report.segmentation_quality(pipeline_run["instance"])
    assert quality is not None
    assert quality["k"] >= 3
    assert -1 <= quality["silhouette"] <= 1
    assert quality["davies_bouldin"] > 0
    assert quality["calinski_harabasz"] > 0


def test_dbt_tests_ran_as_asset_checks_and_passed(pipeline_run):
    checks = pipeline_run["result"].get_asset_check_evaluations()
    assert len(checks) >= 20
    # identity_quality_targets holds the issue's targets for the 20,000-person demo, and the models'
    # held-out comparisons rest on a few hundred buyers here: on this small demo they may warn
    # (test_identity_guards and test_scores_pipeline check what they report)
    failed = [(c.asset_key.to_user_string(), c.check_name) for c in checks
              if not c.passed and c.check_name not in WARNING_CHECKS]
    assert failed == []
    checked = {c.asset_key for c in checks}
    assert AssetKey(["marts", "customer_rfm"]) in checked


def test_step_durations_cover_every_stage(pipeline_run):
    durations = report.step_durations(pipeline_run["instance"], pipeline_run["result"].run_id)
    stages = {"raw_data", "input_models", "identity_match_links", "warehouse_models", "identity_quality",
              "segmentation", "customer_promo_segments", "lifecycle_plots", "serving_models",
              "basket_rules", "sequence_rules", "product_suggestions",
              "customer_scores", "customer_recommendations", "customer_offers", "dashboard_snapshot"}
    # each Python check is a step of its own
    assert set(durations) == stages | {"audit__load_reconciliation_load_batches_reconcile",
                                       "identity_quality_identity_quality_targets",
                                       "customer_scores_purchase_model_beats_baselines",
                                       "customer_scores_scores_are_probabilities",
                                       "customer_scores_purchase_auc_not_below_last_run",
                                       "customer_recommendations_recommendations_beat_baselines",
                                       "customer_offers_offers_within_bounds"}
    assert all(seconds > 0 for seconds in durations.values())


def test_summary_names_marts_and_segments(con, pipeline_run):
    text = report.format_summary(
        report.step_durations(pipeline_run["instance"], pipeline_run["result"].run_id),
        report.mart_row_counts(con),
        report.segment_table(con),
        report.segmentation_quality(pipeline_run["instance"]),
        report.identity_summary(con),
        report.load_summary(con),
    )
    assert "marts.customer_rfm" in text and "serving.customer_360" in text
    assert "Load batches" in text and "quarantined by reason: none" in text
    assert "Davies-Bouldin" in text and "precision" in text and "suppressed: too_many_holders" in text
    names = con.sql("select segment_name from ml.segment_profiles").df()["segment_name"]
    assert all(name in text for name in names)


def test_second_run_keeps_the_raw_data(pipeline_run):
    """A default run over a warehouse that has raw data must not regenerate or replace it."""
    from orchestration.assets.raw import RAW_SPECS
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB

    job = defs.resolve_job_def(PIPELINE_JOB)
    result = job.execute_in_process(
        instance=pipeline_run["instance"],
        asset_selection=[spec.key for spec in RAW_SPECS],
        run_config={"ops": {"raw_data": {"config": {"people": 10, "seed": 1}}}},
    )
    assert result.success
    materialization = result.asset_materializations_for_node("raw_data")[0]
    assert materialization.metadata["origin"].value.startswith("kept")


def test_every_customer_has_a_behavioural_and_a_promo_segment_in_customer_360(con):
    missing = con.execute(
        "select count(*) from serving.customer_360 where segment_name is null or promo_segment is null"
    ).fetchall()[0][0]
    assert missing == 0
    buyers = con.execute("select count(*) from marts.customer_features where frequency > 0").fetchall()[0][0]
    assert con.execute("select count(*) from ml.customer_promo_segments").fetchall()[0][0] == buyers
    segments = set(r[0] for r in con.execute("select distinct promo_segment from ml.customer_promo_segments").fetchall())
    assert {"Promo-sensitive", "Regular", "Too little history"} <= segments


def test_planted_promo_sensitive_customers_are_recovered(con, pipeline_run):
    from orchestration.assets.segmentation import PromoConfig
    from orchestration.promo_quality import PROMO_TARGETS, demo_promo_scores

    scores = demo_promo_scores(con, pipeline_run["demo"], PromoConfig().min_orders)
    assert scores is not None and scores["customers_classified"] > 200
    assert scores["precision"] >= PROMO_TARGETS["precision"]
    assert scores["recall"] >= PROMO_TARGETS["recall"]
    # one order cannot tell: over every buyer the same model is clearly weaker
    assert scores["recall_all_buyers"] < scores["recall"]


def test_plots_are_written_and_attached_as_metadata(pipeline_run):
    from orchestration import settings

    folder = settings.plots_dir(pipeline_run["warehouse"])
    for name in ("k_selection", "segment_value", "cohort_retention", "segment_migration"):
        png = folder / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    materialised = {
        key: pipeline_run["instance"].get_latest_materialization_event(AssetKey(key)).asset_materialization.metadata
        for key in ("customer_segments", "segment_profiles", "lifecycle_plots")
    }
    assert "k_selection_plot" in materialised["customer_segments"]
    assert "segment_value_plot" in materialised["segment_profiles"]
    assert {"cohort_retention_plot", "segment_migration_plot"} <= set(materialised["lifecycle_plots"])
    assert materialised["customer_segments"]["k_selection_plot"].value.startswith("![k_selection](data:image/png;base64,")


def test_segmentation_reports_its_bootstrap_stability(pipeline_run):
    metadata = pipeline_run["instance"].get_latest_materialization_event(
        AssetKey("customer_segments")
    ).asset_materialization.metadata
    mean, low = metadata["bootstrap_ari_mean"].value, metadata["bootstrap_ari_min"].value
    assert -1 <= low <= mean <= 1
