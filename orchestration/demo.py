"""Install the synthetic demo retailer into the warehouse's raw schema.

Shared by the ``demo_raw_data`` asset and ``loyalist demo`` so both load data the same way.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration import project, settings
from orchestration.warehouse import WarehouseResource, load_parquet_tables

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
    """Generate the demo files unless ``folder`` already holds the same people count and seed."""
    manifest = read_demo_manifest(folder)
    if manifest is not None and manifest.get("people") == people and manifest.get("seed") == seed:
        return manifest
    # Imported here: the generator is only needed when files must be written.
    from datagen import generate

    return generate(folder, people=people, seed=seed, progress=progress)


def install_demo(warehouse: WarehouseResource, people: int, seed: int, progress: bool = True) -> dict[str, int]:
    """Generate (if needed) and load the demo into the raw schema, replacing it in one transaction."""
    folder = settings.demo_dir(warehouse.resolved_path)
    generate_demo(folder, people=people, seed=seed, progress=progress)
    with warehouse.connect() as con:
        return load_parquet_tables(con, raw_schema(), {t: folder / "raw" / t for t in raw_tables()})
