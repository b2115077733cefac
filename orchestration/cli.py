"""The ``loyalist`` command: generate demo data, run the pipeline, benchmark it."""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

from orchestration import settings

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


def cmd_demo(args: argparse.Namespace) -> int:
    """Generate the demo retailer and load it into the warehouse's raw schema."""
    _prepare_environment()
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
    counts = install_demo(WarehouseResource(), people=args.people, seed=args.seed, progress=not args.quiet)
    print(f"loaded into {settings.warehouse_path()} ({time.perf_counter() - started:.1f} s)")
    for table, rows in counts.items():
        print(f"  raw.{table:<24}{rows:>14,}")
    return 0


def _run_config(args: argparse.Namespace) -> dict:
    ops: dict = {
        "demo_raw_data": {"config": {"people": args.people, "seed": args.seed}},
        "segmentation": {"config": {"k": args.k}},
    }
    for step in ("warehouse_models", "serving_models"):
        ops[step] = {"config": {"as_of": args.as_of}}
    # Dagster's console logger prints DEBUG by default: a wall of text around the summary
    return {"ops": ops, "loggers": {"console": {"config": {"log_level": args.log_level}}}}


def cmd_run(args: argparse.Namespace) -> int:
    """Materialise every asset (or one stage) and print a summary."""
    _prepare_environment()
    from dagster import DagsterInstance

    from orchestration import report
    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB
    from orchestration.warehouse import WarehouseResource

    job = defs.resolve_job_def(PIPELINE_JOB)
    run_config = _run_config(args)
    if args.only:
        stages = [a.node_def.name for a in defs.assets]
        if args.only not in stages:
            print(f"unknown stage {args.only!r}; stages: {', '.join(stages)}", file=sys.stderr)
            return 2
        # one op (a stage) with the checks it runs itself, and only its own config
        run_config = {**run_config, "ops": {k: v for k, v in run_config["ops"].items() if k == args.only}}

    instance = DagsterInstance.get()
    started = time.perf_counter()
    result = job.execute_in_process(
        run_config=run_config,
        instance=instance,
        op_selection=[args.only] if args.only else None,
        raise_on_error=False,
    )
    wall = time.perf_counter() - started
    if not result.success:
        print(f"\nRun {result.run_id} FAILED after {wall:.1f} s; warehouse {settings.warehouse_path()}", file=sys.stderr)
        for event in result.all_events:
            if event.is_failure and event.step_key:
                print(f"  step {event.step_key} failed: {event.message}", file=sys.stderr)
        return 1
    durations = report.step_durations(instance, result.run_id)
    if args.only:
        # one stage: its time is the news; marts, identity and segments belong to whole runs
        print(report.format_summary(durations, {}, None, None, None))
    else:
        with WarehouseResource().connect(read_only=True) as con:
            counts = report.mart_row_counts(con)
            segments = report.segment_table(con)
            identity = report.identity_quality(con, settings.demo_dir())
        quality = report.segmentation_quality(instance, result.run_id)
        print(report.format_summary(durations, counts, segments, quality, identity))
    print(f"\nRun {result.run_id} succeeded in {wall:.1f} s; warehouse {settings.warehouse_path()}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    """Generate N people into a scratch warehouse and time each stage in its own process."""
    from orchestration.bench import run_benchmark

    return run_benchmark(people=args.people, seed=args.seed, workdir=args.workdir)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``loyalist`` command."""
    parser = argparse.ArgumentParser(prog="loyalist", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate the synthetic retailer and load it into the warehouse")
    demo.add_argument("--people", type=int, default=settings.DEFAULT_DEMO_PEOPLE)
    demo.add_argument("--seed", type=int, default=settings.DEFAULT_DEMO_SEED)
    demo.add_argument("--no-load", action="store_true", help="only write the Parquet files")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="materialise every asset and print a summary")
    run.add_argument("--as-of", type=_iso_date, default=None, help="RFM cut-off date YYYY-MM-DD (default: last event date)")
    run.add_argument("--k", type=int, default=None, help="fixed number of segments (default: chosen by the indices)")
    run.add_argument("--people", type=int, default=settings.DEFAULT_DEMO_PEOPLE, help="demo size if the warehouse has no data")
    run.add_argument("--seed", type=int, default=settings.DEFAULT_DEMO_SEED, help="demo seed if the warehouse has no data")
    run.add_argument("--only", default=None, help="run one stage: demo_raw_data, warehouse_models, segmentation, serving_models")
    run.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    run.set_defaults(func=cmd_run)

    parse = sub.add_parser("parse", help="parse the dbt project (writes the manifest Dagster loads)")
    parse.set_defaults(func=cmd_parse)

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
