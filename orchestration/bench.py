"""``make bench``: generate N people into a scratch warehouse and measure every stage.

Each stage runs as its own process so that its wall time and peak memory belong to that stage
alone. Peak memory is ``wait4``'s maxrss: the largest single process of the stage's tree (the
Dagster process or its dbt subprocess), not their sum. "step s" is the Dagster step's
own time; the difference to "wall s" is process start-up (importing Dagster, dbt and the
Definitions, measured once on its own) and the printed summary.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from orchestration import settings

__all__ = ["run_benchmark", "measure", "identity_stage_seconds", "segmentation_stage_seconds", "rules_stage_seconds",
           "offer_stage_seconds"]

# (label, Dagster step or None, arguments after `python`)
STAGES = [
    ("process start-up (import Definitions)", None, ["-c", "import orchestration.definitions"]),
    ("generate demo files", None, ["-m", "orchestration.cli", "demo", "--no-load", "--quiet"]),
    ("load raw tables", "raw_data", ["-m", "orchestration.cli", "run", "--only", "raw_data"]),
    ("dbt: staging, identity input", "input_models", ["-m", "orchestration.cli", "run", "--only", "input_models"]),
    ("identity: probabilistic matching", "identity_match_links",
     ["-m", "orchestration.cli", "run", "--only", "identity_match_links"]),
    ("dbt: identity graph, marts", "warehouse_models", ["-m", "orchestration.cli", "run", "--only", "warehouse_models"]),
    ("identity quality", "identity_quality", ["-m", "orchestration.cli", "run", "--only", "identity_quality"]),
    ("segmentation (k-means)", "segmentation", ["-m", "orchestration.cli", "run", "--only", "segmentation"]),
    ("promo sensitivity", "customer_promo_segments",
     ["-m", "orchestration.cli", "run", "--only", "customer_promo_segments"]),
    ("lifecycle plots", "lifecycle_plots", ["-m", "orchestration.cli", "run", "--only", "lifecycle_plots"]),
    ("basket rules", "basket_rules", ["-m", "orchestration.cli", "run", "--only", "basket_rules"]),
    ("sequence rules", "sequence_rules", ["-m", "orchestration.cli", "run", "--only", "sequence_rules"]),
    ("product suggestions", "product_suggestions", ["-m", "orchestration.cli", "run", "--only", "product_suggestions"]),
    ("scores (purchase, churn, returns)", "customer_scores", ["-m", "orchestration.cli", "run", "--only", "customer_scores"]),
    ("recommendations", "customer_recommendations",
     ["-m", "orchestration.cli", "run", "--only", "customer_recommendations"]),
    ("offers", "customer_offers", ["-m", "orchestration.cli", "run", "--only", "customer_offers"]),
    ("dbt: serving", "serving_models", ["-m", "orchestration.cli", "run", "--only", "serving_models"]),
]
_SIZED = {"generate demo files", "load raw tables"}
_STAGE_INDEX = {step: index for index, (_, step, _) in enumerate(STAGES) if step}
# the identity stage is the dbt models of this folder plus the matcher
_IDENTITY_FOLDER = settings.DBT_PROJECT_DIR / "models" / "intermediate" / "identity"


def _step_seconds(log_path: Path, step: str) -> float | None:
    """The step's own time, from the summary `loyalist run` prints (excludes process start-up)."""
    match = re.search(rf"^  {re.escape(step)}\s+([0-9.]+) s$", log_path.read_text(), flags=re.MULTILINE)
    return float(match.group(1)) if match else None


def identity_stage_seconds(root: Path) -> dict[str, float]:
    """Wall seconds of the identity stage: its dbt models plus the matcher step.

    dbt runs two models at a time, so the identity models' own times overlap; what counts is the span
    from the first identity model's start to the last one's end in each dbt invocation (tests and
    other models running inside that span count too), from dbt's run_results.
    """
    models = {f"model.loyalist.{path.stem}" for path in _IDENTITY_FOLDER.glob("*.sql")}
    dbt_seconds = 0.0
    for stage in ("input_models", "warehouse_models"):
        results = json.loads((settings.DBT_PROJECT_DIR / "target" / stage / "run_results.json").read_text())
        timings = [t for r in results["results"] if r["unique_id"] in models for t in r["timing"]]
        if timings:
            started = min(datetime.fromisoformat(t["started_at"].rstrip("Z")) for t in timings)
            completed = max(datetime.fromisoformat(t["completed_at"].rstrip("Z")) for t in timings)
            dbt_seconds += (completed - started).total_seconds()
    matching = _step_seconds(root / f"stage-{_STAGE_INDEX['identity_match_links']}.log", "identity_match_links") or 0.0
    return {"dbt": dbt_seconds, "matching": matching, "total": dbt_seconds + matching}


def segmentation_stage_seconds(root: Path) -> dict[str, float]:
    """Seconds of the feature mart plus segmentation: the dbt models customer_features and the
    lifecycle marts (RFM segments, migration, cohorts), summed (an upper bound: dbt overlaps two),
    plus the Python steps that segment and draw."""
    models = {"model.loyalist.customer_features"} | {
        f"model.loyalist.{path.stem}" for path in (settings.DBT_PROJECT_DIR / "models" / "marts" / "lifecycle").glob("*.sql")
    }
    results = json.loads((settings.DBT_PROJECT_DIR / "target" / "warehouse_models" / "run_results.json").read_text())
    dbt_seconds = sum(r["execution_time"] for r in results["results"] if r["unique_id"] in models)
    python_seconds = sum(
        _step_seconds(root / f"stage-{_STAGE_INDEX[step]}.log", step) or 0.0
        for step in ("segmentation", "customer_promo_segments", "lifecycle_plots")
    )
    return {"dbt": dbt_seconds, "python": python_seconds, "total": dbt_seconds + python_seconds}


def rules_stage_seconds(root: Path) -> dict[str, float]:
    """Seconds of the basket and sequence rules: the dbt model basket_lines plus the Python steps
    that mine basket rules, sequence rules and build the product suggestions."""
    results = json.loads((settings.DBT_PROJECT_DIR / "target" / "warehouse_models" / "run_results.json").read_text())
    dbt_seconds = sum(r["execution_time"] for r in results["results"] if r["unique_id"] == "model.loyalist.basket_lines")
    steps = {
        step: _step_seconds(root / f"stage-{_STAGE_INDEX[step]}.log", step) or 0.0
        for step in ("basket_rules", "sequence_rules", "product_suggestions")
    }
    return {"dbt": dbt_seconds, **steps, "total": dbt_seconds + sum(steps.values())}


def offer_stage_seconds(root: Path) -> dict[str, float]:
    """Seconds of the next best offer: training and scoring everyone (propensity, churn, returns),
    the recommendations (training, candidates, ranking) and the offers: the three Python steps."""
    steps = {
        step: _step_seconds(root / f"stage-{_STAGE_INDEX[step]}.log", step) or 0.0
        for step in ("customer_scores", "customer_recommendations", "customer_offers")
    }
    return {**steps, "total": sum(steps.values())}


def measure(argv: list[str], env: dict[str, str], log_path: Path) -> tuple[float, float, int]:
    """Run ``python argv`` to completion: (wall seconds, peak RSS in GiB, exit code)."""
    started = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen([sys.executable, *argv], env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_maxrss / 1024**2, os.waitstatus_to_exitcode(status)


def run_benchmark(people: int, seed: int, workdir: str | None = None) -> int:
    """Run every stage at ``people`` and print a table of wall time and peak memory per stage."""
    root = Path(workdir) if workdir else settings.REPO_ROOT / "warehouse" / f"bench-{people}"
    warehouse = root / "loyalist.duckdb"
    root.mkdir(parents=True, exist_ok=True)
    # a fresh warehouse and run history each time; the generated files are kept if they match
    for stale in (warehouse, warehouse.with_suffix(".duckdb.wal"), root / ".dagster"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    env = {**os.environ, "LOYALIST_WAREHOUSE": str(warehouse), "DAGSTER_HOME": str(root / ".dagster")}
    demo_files = settings.demo_dir(warehouse)
    if demo_files.exists():
        shutil.rmtree(demo_files)  # time the generator itself, not a cache hit

    print(f"Benchmark: {people:,} people, seed {seed}, in {root} ({os.cpu_count()} cores)")
    print(f"{'stage':<42}{'wall s':>9}{'step s':>9}{'peak GiB':>10}")
    total = 0.0
    for index, (name, step, argv) in enumerate(STAGES):
        if name in _SIZED:
            argv = [*argv, "--people", str(people), "--seed", str(seed)]
        log_path = root / f"stage-{index}.log"
        wall, peak, code = measure(argv, env, log_path)
        total += wall
        step_seconds = _step_seconds(log_path, step) if step else None
        step_text = f"{step_seconds:>9.1f}" if step_seconds is not None else f"{'':>9}"
        print(f"{name:<42}{wall:>9.1f}{step_text}{peak:>10.2f}", flush=True)
        if code != 0:
            print(f"stage failed (exit {code}); see {log_path}", file=sys.stderr)
            return code
    print(f"{'total':<42}{total:>9.1f}")
    identity = identity_stage_seconds(root)
    print(
        f"identity stage: {identity['total']:.1f} s = dbt identity models {identity['dbt']:.1f} s (wall span)"
        f" + probabilistic matching {identity['matching']:.1f} s"
    )
    segmentation = segmentation_stage_seconds(root)
    print(
        f"features + segmentation: {segmentation['total']:.1f} s = dbt customer_features and lifecycle marts "
        f"{segmentation['dbt']:.1f} s + k-means, promo sensitivity and plots {segmentation['python']:.1f} s"
    )
    rules = rules_stage_seconds(root)
    print(
        f"basket + sequence rules: {rules['total']:.1f} s = dbt basket_lines {rules['dbt']:.1f} s + basket rules "
        f"{rules['basket_rules']:.1f} s + sequence rules {rules['sequence_rules']:.1f} s + product suggestions "
        f"{rules['product_suggestions']:.1f} s"
    )
    offers = offer_stage_seconds(root)
    print(
        f"next best offer (train + score everyone): {offers['total']:.1f} s = scores {offers['customer_scores']:.1f} s "
        f"+ recommendations {offers['customer_recommendations']:.1f} s + offers {offers['customer_offers']:.1f} s"
    )
    manifest = json.loads((demo_files / "manifest.json").read_text())
    rows = manifest["rows"]["raw"]
    print(
        f"data: {rows.get('orders', 0):,} orders, {rows.get('order_lines', 0):,} order lines, "
        f"{rows.get('products', 0):,} SKUs"
    )
    return 0
