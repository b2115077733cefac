"""``make bench``: generate N people into a scratch warehouse and measure every stage.

Each stage runs as its own process so that its wall time and peak memory (``wait4``'s maxrss,
which covers the dbt subprocess too) belong to that stage alone. Process start-up (importing
Dagster, dbt and the Definitions) is measured once on its own, so it can be told apart.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from orchestration import settings

__all__ = ["run_benchmark", "measure"]

STAGES = [
    ("process start-up (import Definitions)", ["-c", "import orchestration.definitions"]),
    ("generate demo files", None),  # filled in with people/seed
    ("load raw tables", ["-m", "orchestration.cli", "run", "--only", "demo_raw_data"]),
    ("dbt: staging, identity, marts", ["-m", "orchestration.cli", "run", "--only", "warehouse_models"]),
    ("segmentation (k-means)", ["-m", "orchestration.cli", "run", "--only", "segmentation"]),
    ("dbt: serving", ["-m", "orchestration.cli", "run", "--only", "serving_models"]),
]


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

    stage_args = {
        "generate demo files": [
            "-m", "orchestration.cli", "demo", "--people", str(people), "--seed", str(seed), "--no-load", "--quiet",
        ]
    }
    print(f"Benchmark: {people:,} people, seed {seed}, in {root} ({os.cpu_count()} cores)")
    print(f"{'stage':<42}{'wall s':>9}{'peak GiB':>10}")
    total = 0.0
    for index, (name, argv) in enumerate(STAGES):
        argv = stage_args.get(name, argv)
        if name == "load raw tables":
            argv = [*argv, "--people", str(people), "--seed", str(seed)]
        wall, peak, code = measure(argv, env, root / f"stage-{index}.log")
        total += wall
        print(f"{name:<42}{wall:>9.1f}{peak:>10.2f}", flush=True)
        if code != 0:
            print(f"stage failed (exit {code}); see {root / f'stage-{index}.log'}", file=sys.stderr)
            return code
    print(f"{'total':<42}{total:>9.1f}")
    manifest = json.loads((demo_files / "manifest.json").read_text())
    rows = manifest["rows"]["raw"]
    print(
        f"data: {rows.get('orders', 0):,} orders, {rows.get('order_lines', 0):,} order lines, "
        f"{rows.get('products', 0):,} SKUs"
    )
    return 0
