"""Where things live: the one place that turns environment variables into paths.

Everything else asks this module, so a user changes the warehouse with one variable
(``LOYALIST_WAREHOUSE``) and tests point it at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "REPO_ROOT",
    "DBT_PROJECT_DIR",
    "warehouse_path",
    "demo_dir",
    "plots_dir",
    "reports_dir",
    "dagster_home",
    "DEFAULT_DEMO_PEOPLE",
    "DEFAULT_DEMO_SEED",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Big enough for stable segments and identity figures, small enough that `make run` stays well
# under a minute and a half on two cores.
DEFAULT_DEMO_PEOPLE = 20_000
DEFAULT_DEMO_SEED = 42


def warehouse_path() -> Path:
    """Return the DuckDB warehouse file: ``$LOYALIST_WAREHOUSE`` or ``<repo>/warehouse/loyalist.duckdb``."""
    configured = os.environ.get("LOYALIST_WAREHOUSE")
    path = Path(configured) if configured else REPO_ROOT / "warehouse" / "loyalist.duckdb"
    return path.expanduser().resolve()


def demo_dir(warehouse: Path | None = None) -> Path:
    """Return the folder of the generated demo files, beside the warehouse file."""
    return (warehouse or warehouse_path()).parent / "demo"


def plots_dir(warehouse: Path | None = None) -> Path:
    """Return the folder of the PNG plots the assets draw, beside the warehouse file."""
    return (warehouse or warehouse_path()).parent / "plots"


def reports_dir(warehouse: Path | None = None) -> Path:
    """Return the folder of the reports (backtests), beside the warehouse file."""
    return (warehouse or warehouse_path()).parent / "reports"


def snapshot_path(warehouse: Path | None = None) -> Path:
    """Return the dashboard's read-only copy of the serving marts, beside the warehouse file."""
    return (warehouse or warehouse_path()).parent / "serving_snapshot.duckdb"


def inbox_dir(warehouse: Path | None = None) -> Path:
    """Return ``$LOYALIST_INBOX`` or the ``inbox`` folder beside the warehouse file: files dropped in
    ``<inbox>/<format>/`` are loaded by the Dagster sensor ``inbox_files``."""
    configured = os.environ.get("LOYALIST_INBOX")
    return Path(configured).expanduser().resolve() if configured else (warehouse or warehouse_path()).parent / "inbox"


def dagster_home() -> Path:
    """Return ``$DAGSTER_HOME`` or ``<repo>/.dagster``: run history shared by ``loyalist run`` and ``make ui``."""
    configured = os.environ.get("DAGSTER_HOME")
    return Path(configured).expanduser().resolve() if configured else REPO_ROOT / ".dagster"
