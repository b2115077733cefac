"""The ``loyalist`` command: load files or the demo data, run the pipeline, benchmark it."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration import settings

if TYPE_CHECKING:
    from ingest.batches import LoadResult

__all__ = ["main"]


def _prepare_environment() -> None:
    """Pin the warehouse and the Dagster home so dbt, Dagster and the UI all share them."""
    os.environ["LOYALIST_WAREHOUSE"] = str(settings.warehouse_path())
    home = settings.dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(home)
    config = home / "dagster.yaml"
    if not config.exists():
        # no network here or at many users' sites: telemetry would only time out. One run at a
        # time from the UI: every run writes the one DuckDB file, which takes a single writer.
        config.write_text("telemetry:\n  enabled: false\nconcurrency:\n  runs:\n    max_concurrent_runs: 1\n")


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r}; expected YYYY-MM-DD") from None


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse the dbt project into the manifest Dagster reads."""
    _prepare_environment()
    from orchestration.project import ensure_manifest

    print(f"dbt manifest: {ensure_manifest(force=True)}")
    return 0


def describe_load(result: LoadResult, seconds: float) -> str:
    """One line per loaded file: the batch, what was appended where, and how long it took."""
    if result.already_loaded:
        return f"{result.file_name}: already loaded as batch {result.batch_id}: nothing appended"
    tables = list(result.tables)
    where = f"raw.{tables[0]}" if len(tables) == 1 else f"{len(tables)} raw tables"
    return (
        f"batch {result.batch_id}: {result.file_name}: {result.rows:,} rows appended to {where} "
        f"({result.format}, source {result.source}) in {seconds:.1f} s"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo retailer and append it to the warehouse's raw log as one batch."""
    _prepare_environment()
    import duckdb

    from ingest.errors import LoadError, first_line
    from orchestration.demo import generate_demo, install_demo
    from orchestration.warehouse import WarehouseResource

    started = time.perf_counter()
    if args.no_load:
        folder = settings.demo_dir()
        manifest = generate_demo(folder, people=args.people, seed=args.seed, progress=not args.quiet)
        print(f"demo files in {folder} ({time.perf_counter() - started:.1f} s)")
        for table, rows in manifest["rows"]["raw"].items():
            print(f"  raw.{table:<24}{rows:>14,}")
        return 0
    try:
        result = install_demo(WarehouseResource(), people=args.people, seed=args.seed, progress=not args.quiet)
    except LoadError as exc:
        print(f"loyalist demo: error: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:  # e.g. the warehouse is locked by a running `loyalist run` or UI
        print(f"loyalist demo: error: {settings.warehouse_path()}: {first_line(exc)}", file=sys.stderr)
        return 2
    print(f"{describe_load(result, time.perf_counter() - started)}; warehouse {settings.warehouse_path()}")
    if not result.already_loaded:
        for table, rows in result.tables.items():
            print(f"  raw.{table:<24}{rows:>14,}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Append files to the raw log, one load batch per file."""
    _prepare_environment()
    import duckdb

    from ingest.errors import LoadError, first_line
    from ingest.load import load_file
    from ingest.raw_schema import RawSchemaError
    from ingest.readers import file_type
    from orchestration.warehouse import WarehouseResource

    options = {
        "mapping": dict(args.map) if args.map else None,
        "mapping_file": args.mapping,
        "source": args.source,
        "encoding": args.encoding,
        "delimiter": args.delimiter,
        "timestamp_format": args.timestamp_format,
    }
    try:
        if args.format != "demo":
            # every path checked before the first load: a typo in the last one loads nothing
            for path in args.paths:
                file_type(path)
        with WarehouseResource().connect() as con:
            for path in args.paths:
                started = time.perf_counter()
                result = load_file(con, args.format, path, **options)
                print(describe_load(result, time.perf_counter() - started), flush=True)
    except (LoadError, RawSchemaError) as exc:
        print(f"loyalist load: error: {exc}", file=sys.stderr)
        return 2
    except duckdb.IOException as exc:  # e.g. the warehouse is locked by a running `loyalist run` or UI
        print(f"loyalist load: error: {settings.warehouse_path()}: {first_line(exc)}", file=sys.stderr)
        return 2
    return 0


def _map_pair(text: str) -> tuple[str, str]:
    target, sep, column = text.partition("=")
    if not sep or not target.strip() or not column:
        raise argparse.ArgumentTypeError(f"expected TARGET=COLUMN (e.g. customer=cust_id), got {text!r}")
    return target.strip(), column


def _run_config(args: argparse.Namespace) -> dict:
    ops: dict = {
        "raw_data": {"config": {"people": args.people, "seed": args.seed}},
        "segmentation": {"config": {"k": args.k}},
        "identity_match_links": {"config": {"enabled": not args.no_probabilistic,
                                            **({"match_threshold": args.match_threshold} if args.match_threshold is not None else {})}},
    }
    return {
        "ops": ops,
        # one cut-off for every stage: a run-level resource, not per-step config
        "resources": {"cutoff": {"config": {"as_of": args.as_of or ""}}},
        # Dagster's console logger prints DEBUG by default: a wall of text around the summary
        "loggers": {"console": {"config": {"log_level": args.log_level}}},
    }


def _execute(job_name: str, run_config: dict, selected: list[str] | None):
    """Run a job in this process; print its failed steps and checks. Returns (result, instance, seconds)."""
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    instance = DagsterInstance.get()
    started = time.perf_counter()
    result = defs.resolve_job_def(job_name).execute_in_process(
        run_config=run_config, instance=instance, op_selection=selected, raise_on_error=False,
    )
    wall = time.perf_counter() - started
    if not result.success:
        print(f"\nRun {result.run_id} FAILED after {wall:.1f} s; warehouse {settings.warehouse_path()}", file=sys.stderr)
        for event in result.all_events:
            if event.is_failure and event.step_key:
                print(f"  step {event.step_key} failed: {event.message}", file=sys.stderr)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(f"  check {evaluation.asset_key.to_user_string()}.{evaluation.check_name} failed "
                  f"({evaluation.severity.value.lower()}): {evaluation.description or ''}", file=sys.stderr)
    return result, instance, wall


def _selected_stages(args: argparse.Namespace) -> list[str] | None:
    """The --only stages, checked against the job's assets (None = all)."""
    if not args.only:
        return None
    from orchestration.definitions import defs

    selected = [stage.strip() for stage in args.only.split(",")]
    stages = [a.node_def.name for a in defs.assets]
    unknown = [stage for stage in selected if stage not in stages]
    if unknown:
        raise ValueError(f"unknown stage {unknown[0]!r}; stages: {', '.join(stages)}")
    return selected


def cmd_run(args: argparse.Namespace) -> int:
    """Materialise every asset (or one stage) and print a summary."""
    _prepare_environment()
    from orchestration import report
    from orchestration.jobs import PIPELINE_JOB
    from orchestration.warehouse import WarehouseResource

    run_config = _run_config(args)
    try:
        selected = _selected_stages(args)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if selected:
        # the selected ops (stages) with the checks they run themselves, and only their own config
        run_config = {**run_config, "ops": {k: v for k, v in run_config["ops"].items() if k in selected}}
    result, instance, wall = _execute(PIPELINE_JOB, run_config, selected)
    if not result.success:
        return 1
    durations = report.step_durations(instance, result.run_id)
    if selected:
        # some stages: their times are the news; marts and segments belong to whole runs
        identity = None
        if "identity_quality" in selected:
            with WarehouseResource().connect(read_only=True) as con:
                identity = report.identity_summary(con)
        print(report.format_summary(durations, {}, None, None, identity))
    else:
        with WarehouseResource().connect(read_only=True) as con:
            counts = report.mart_row_counts(con)
            segments = report.segment_table(con)
            identity = report.identity_summary(con)
            loads = report.load_summary(con)
            scores = report.scores_summary(con)
        quality = report.segmentation_quality(instance, result.run_id)
        print(report.format_summary(durations, counts, segments, quality, identity, loads))
        if scores:
            print(scores)
    print(f"\nRun {result.run_id} succeeded in {wall:.1f} s; warehouse {settings.warehouse_path()}")
    return 0


def _incomplete_window(as_of: date, horizon_days: int) -> str | None:
    """Why [as_of, as_of + horizon) cannot be scored with the loaded data, checked before the
    pipeline runs (None when it can, or when the warehouse has not been built yet: the backtest
    asset checks again)."""
    import duckdb

    from orchestration.assets.backtest import window_problem
    from orchestration.warehouse import WarehouseResource

    try:
        with WarehouseResource().connect(read_only=True) as con:
            return window_problem(con, as_of, horizon_days)
    except (FileNotFoundError, duckdb.CatalogException):
        return None


def cmd_backtest(args: argparse.Namespace) -> int:
    """Run the pipeline as of T, compare its scores with what happened in [T, T + H) and print the report."""
    _prepare_environment()
    from orchestration.jobs import BACKTEST_JOB
    from orchestration.project import source_relation
    from orchestration.warehouse import WarehouseResource

    if args.horizon_days < 1:
        print("backtest: --horizon-days must be at least 1", file=sys.stderr)
        return 2
    incomplete = _incomplete_window(date.fromisoformat(args.as_of), args.horizon_days)
    if incomplete:
        print(f"backtest: {incomplete}", file=sys.stderr)
        return 1
    run_config = _run_config(args)
    run_config["resources"]["cutoff"]["config"]["backtest_horizon_days"] = args.horizon_days
    # the propensity predicts the window the backtest scores; ten products per customer give hit@10
    run_config["ops"]["customer_scores"] = {"config": {"horizon_days": args.horizon_days}}
    run_config["ops"]["customer_recommendations"] = {"config": {"horizon_days": args.horizon_days, "top_n": 10}}
    result, _, wall = _execute(BACKTEST_JOB, run_config, None)
    from orchestration.assets.backtest import report_markdown
    from orchestration.warehouse import table_exists

    # a run failed by the baseline check still wrote its results: show them
    with WarehouseResource().connect(read_only=True) as con:
        table = source_relation("ml", "backtest_results")
        results = con.sql(f"select * from {table} where as_of = ? and horizon_days = ?",
                          params=[date.fromisoformat(args.as_of), args.horizon_days]).df() if table_exists(con, table) else None
    if results is None or results.empty:
        return 1

    report = settings.reports_dir() / f"backtest_{args.as_of}_h{args.horizon_days}.md"
    print(report_markdown(results, args.as_of, args.horizon_days, report.with_name(report.stem + "_calibration.png")))
    print(f"Backtest run {result.run_id} took {wall:.1f} s; report {report}")
    from dagster import AssetCheckSeverity

    failed = [e for e in result.get_asset_check_evaluations() if not e.passed and e.severity == AssetCheckSeverity.ERROR]
    return 1 if failed or not result.success else 0


def cmd_identity_eval(args: argparse.Namespace) -> int:
    """Score the merged customers of a loaded customer file against a truth column of that file."""
    _prepare_environment()
    import duckdb

    from orchestration.identity_quality import file_truth_scores
    from orchestration.warehouse import WarehouseResource

    try:
        with WarehouseResource().connect(read_only=True) as con:
            scores = file_truth_scores(con, Path(args.truth), args.key, args.cluster, args.source)
    except (ValueError, duckdb.Error) as error:
        print(f"identity-eval: {error}", file=sys.stderr)
        return 2
    print(
        f"{Path(args.truth).name} (source {args.source}): {scores['records']:,} records, "
        f"{scores['true_pairs']:,} true pairs, {scores['predicted_pairs']:,} predicted pairs; "
        f"precision {scores['precision']:.4f}  recall {scores['recall']:.4f}  f1 {scores['f1']:.4f}"
    )
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Print what to suggest beside a product, from the latest run's basket rules."""
    _prepare_environment()
    import duckdb

    from ml.product_suggestions import suggest
    from orchestration.project import model_relation, source_relation
    from orchestration.warehouse import WarehouseResource, table_exists

    table = source_relation("ml", "product_suggestions")
    try:
        with WarehouseResource().connect(read_only=True) as con:
            if not table_exists(con, table):
                print(f"suggest: {table} does not exist yet; run `loyalist run` first", file=sys.stderr)
                return 2
            found = suggest(con, table, args.product, args.n)
            known = con.execute(
                f"select count(*) from {model_relation('dim_products')} where product_id = ?", [args.product]
            ).fetchall()[0][0]
    except (FileNotFoundError, duckdb.Error) as error:
        print(f"suggest: {error}", file=sys.stderr)
        return 2
    if found.empty:
        why = "no basket rule starts from it, its category or its brand" if known else "it is not in dim_products"
        print(f"no suggestion for product {args.product!r}: {why}")
        return 1
    for row in found.itertuples(index=False):
        print(f"{row.suggestion_rank}. {row.suggestion_name} [{row.suggestion_level}] - {row.reason}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """Generate the dbt docs against the warehouse, list undescribed models and columns, serve them."""
    _prepare_environment()
    from orchestration.dbt_docs import generate_docs, serve_docs, undocumented

    try:
        target = generate_docs()
    except FileNotFoundError as error:
        print(f"loyalist docs: error: {error}", file=sys.stderr)
        return 2
    missing = undocumented(target)
    print(f"dbt docs: {target / 'index.html'}")
    if missing:
        print(f"{len(missing)} model(s) or column(s) without a description: {', '.join(missing)}", file=sys.stderr)
    if args.serve:
        print(f"serving on http://localhost:{args.port} (Ctrl-C stops)", flush=True)
        serve_docs(args.port)
    return 1 if missing and args.strict else 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Generate N people into a scratch warehouse and time each stage in its own process."""
    from orchestration.bench import run_benchmark

    return run_benchmark(people=args.people, seed=args.seed, workdir=args.workdir)


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by `run` and `backtest`: identity, segmentation, demo size and logging."""
    parser.add_argument("--no-probabilistic", action="store_true",
                        help="identity from shared keys only (skip the splink matcher), e.g. to measure what it adds")
    parser.add_argument("--match-threshold", type=float, default=None, metavar="P",
                        help="keep probabilistic links with match probability >= P (default 0.92)")
    parser.add_argument("--k", type=int, default=None, help="fixed number of segments (default: chosen by the indices)")
    parser.add_argument("--people", type=int, default=settings.DEFAULT_DEMO_PEOPLE, help="demo size if the warehouse has no data")
    parser.add_argument("--seed", type=int, default=settings.DEFAULT_DEMO_SEED, help="demo seed if the warehouse has no data")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``loyalist`` command."""
    parser = argparse.ArgumentParser(prog="loyalist", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the synthetic retailer and append it to the warehouse's raw log")
    demo.add_argument("--people", type=int, default=settings.DEFAULT_DEMO_PEOPLE)
    demo.add_argument("--seed", type=int, default=settings.DEFAULT_DEMO_SEED)
    demo.add_argument("--no-load", action="store_true", help="only write the Parquet files")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)

    load = sub.add_parser(
        "load",
        help="append files to the raw event log, one load batch per file (see docs/loading.md)",
        description="Append each file to the warehouse's raw event log as one load batch. "
        "A file already loaded (same bytes, same format) is skipped. See docs/loading.md.",
    )
    load.add_argument("--format", required=True, choices=["online-retail", "transactions", "customers", "demo"],
                      help="online-retail: UCI Online Retail (I or II); transactions: any order-line file with "
                      "a column mapping; customers: customer records of a CRM or loyalty system with a column "
                      "mapping; demo: the demo generator's output folder")
    load.add_argument("paths", nargs="+", metavar="PATH",
                      help="CSV (.csv/.txt/.tsv), XLSX or Parquet file, or demo folder")
    load.add_argument("--map", action="append", type=_map_pair, metavar="TARGET=COLUMN",
                      help="map a target to a column of the file; repeatable. transactions: customer, order, "
                      "timestamp, product, quantity, price, channel, discount, store, product_name, category, brand, "
                      "country; customers: key and any of full_name, first_name, surname, dob, email, phone, street, "
                      "city, postcode")
    load.add_argument("--mapping", default=None, metavar="FILE.yml", help="YAML mapping file (flags override it)")
    load.add_argument("--source", default=None, help="source system name on every row (default: the format's)")
    load.add_argument("--encoding", default=None, help="CSV encoding: utf-8 (default), latin-1, utf-16")
    load.add_argument("--delimiter", default=None,
                      help="CSV delimiter (default: detected from the header line; 'tab' for a tab)")
    load.add_argument("--timestamp-format", default=None, metavar="FORMAT",
                      help="strptime format of the timestamps, e.g. '%%d/%%m/%%Y %%H:%%M' (default: detected)")
    load.set_defaults(func=cmd_load)

    run = sub.add_parser("run", help="materialise every asset and print a summary")
    run.add_argument("--as-of", type=_iso_date, default=None, help="cut-off YYYY-MM-DD: every mart, model and score uses only events before it (default: all data)")
    _add_run_options(run)
    run.add_argument("--only", default=None, metavar="STAGE[,STAGE...]",
                     help="run these stages only: raw_data, input_models, identity_match_links, warehouse_models, "
                     "identity_quality, segmentation, serving_models (e.g. the identity stages of a CRM file)")
    run.set_defaults(func=cmd_run)

    backtest = sub.add_parser(
        "backtest", help="run the pipeline as of T and score it against what happened in [T, T + H)",
        description="Run the whole pipeline cut at --as-of T, then compare its purchase propensity and "
        "recommendations with what customers bought in [T, T + H days), beside the baselines (recency, "
        "frequency, BG/NBD; popularity, personal repeat). Writes ml.backtest_results and a report.")
    backtest.add_argument("--as-of", type=_iso_date, required=True, help="cut-off YYYY-MM-DD")
    backtest.add_argument("--horizon-days", type=int, default=14, help="days after the cut-off to score against (default 14)")
    _add_run_options(backtest)
    backtest.set_defaults(func=cmd_backtest)

    parse = sub.add_parser("parse", help="parse the dbt project (writes the manifest Dagster loads)")
    parse.set_defaults(func=cmd_parse)

    evaluate = sub.add_parser(
        "identity-eval", help="pairwise precision/recall of the merge against a truth column of a loaded customer file")
    evaluate.add_argument("--truth", required=True, metavar="FILE", help="the customer file with a truth column (Parquet)")
    evaluate.add_argument("--key", default="unique_id", help="its record key column (as mapped to key when loading)")
    evaluate.add_argument("--cluster", default="cluster", help="its true-entity column")
    evaluate.add_argument("--source", default="customers", help="the --source the file was loaded under")
    evaluate.set_defaults(func=cmd_identity_eval)

    suggest = sub.add_parser("suggest", help="what to suggest beside a product (from the basket rules)")
    suggest.add_argument("product", help="product id (SKU or StockCode)")
    suggest.add_argument("-n", type=int, default=5, help="how many suggestions (default 5)")
    suggest.set_defaults(func=cmd_suggest)

    docs = sub.add_parser("docs", help="generate the dbt docs (lineage, every model and column) and serve them")
    docs.add_argument("--serve", action="store_true", help="serve them on --port after generating")
    docs.add_argument("--port", type=int, default=8080)
    docs.add_argument("--strict", action="store_true", help="exit 1 when a model or column has no description")
    docs.set_defaults(func=cmd_docs)

    bench = sub.add_parser("bench", help="time and measure each stage at a given size")
    bench.add_argument("--people", type=int, default=100_000)
    bench.add_argument("--seed", type=int, default=settings.DEFAULT_DEMO_SEED)
    bench.add_argument("--workdir", default=None, help="scratch folder (default: warehouse/bench-<people>)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``loyalist`` command."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
