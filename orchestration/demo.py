"""Install the synthetic demo retailer into the warehouse's raw schema.

Shared by the ``raw_data`` asset and ``loyalist demo`` so both load data the same way: the
demo folder is appended to the raw event log as one load batch (``ingest.load.load_demo``).
"""

from __future__ import annotations

import json
from pathlib import Path

from ingest.demo_folder import check_demo_compatible
from ingest.load import LoadResult, load_demo
from orchestration import project, settings
from orchestration.warehouse import WarehouseResource

__all__ = ["RAW_SOURCE", "raw_tables", "raw_schema", "read_demo_manifest", "generate_demo", "install_demo"]

# The dbt source that describes the raw tables: its table list is the one list of raw tables.
RAW_SOURCE = "retail"


def raw_tables() -> list[str]:
    """Names of the raw tables, as declared in the dbt source."""
    return [table["name"] for table in project.source_tables(RAW_SOURCE)]


def raw_schema() -> str:
    """Schema of the raw tables, as declared in the dbt source."""
    return project.source_tables(RAW_SOURCE)[0]["schema"]


def read_demo_manifest(folder: Path) -> dict | None:
    """The generator's manifest.json in ``folder``, or None when no finished dataset is there."""
    path = folder / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def generate_demo(folder: Path, people: int, seed: int, progress: bool = True) -> dict:
    """Generate the demo files unless ``folder`` already holds the same people, seed and generator version."""
    # Imported here: the generator is only needed when files must be written.
    from datagen.common import GENERATOR_VERSION
    from datagen.runner import generate

    manifest = read_demo_manifest(folder)
    same = (manifest or {}).get("people") == people and (manifest or {}).get("seed") == seed
    if same and manifest.get("generator_version") == GENERATOR_VERSION:
        return manifest

    return generate(folder, people=people, seed=seed, progress=progress)


def install_demo(warehouse: WarehouseResource, people: int, seed: int, progress: bool = True) -> LoadResult:
    """Generate the demo (if not cached) and append it to the raw log as one batch.

    A no-op (``already_loaded``) when the warehouse holds this demo already. Raises
    ``ingest.errors.LoadError`` if it holds a different one (their generated ids would collide),
    before anything is generated, so the demo files of the loaded demo stay as they are.
    """
    folder = settings.demo_dir(warehouse.resolved_path)
    with warehouse.connect() as con:
        check_demo_compatible(con, people=people, seed=seed)
        generate_demo(folder, people=people, seed=seed, progress=progress)
        return load_demo(con, folder)
