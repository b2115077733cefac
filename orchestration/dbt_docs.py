"""dbt docs for the warehouse: generate the site, list what is not described, serve it.

`loyalist docs` (and `make docs`) generates the docs against the warehouse the CLI points at, so
the catalog holds the real column types, and serves them on a local port. Every model and every
column it has in the warehouse should carry a description: ``undocumented`` lists the gaps.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration import settings
from orchestration.project import dbt_cli_resource

__all__ = ["DOCS_TARGET", "generate_docs", "undocumented", "serve_docs"]

#: The docs get their own target folder: the pipeline's manifest stays as Dagster parsed it.
DOCS_TARGET = Path("target") / "docs"


def generate_docs() -> Path:
    """Run ``dbt docs generate`` against the warehouse; return the folder with index.html."""
    warehouse = settings.warehouse_path()
    if not warehouse.exists():
        raise FileNotFoundError(f"warehouse {warehouse} does not exist yet: run `make run` (or `loyalist run`) first")
    dbt_cli_resource().cli(["docs", "generate"], target_path=DOCS_TARGET).wait()
    return settings.DBT_PROJECT_DIR / DOCS_TARGET


def undocumented(target_dir: Path) -> list[str]:
    """Models of the project without a description, and columns of the built models (as the
    catalog finds them in the warehouse) without one, as 'model' or 'model.column'."""
    manifest = json.loads((target_dir / "manifest.json").read_text())
    catalog = json.loads((target_dir / "catalog.json").read_text())
    missing = []
    for unique_id, node in sorted(manifest["nodes"].items()):
        if node["resource_type"] != "model" or node["package_name"] != manifest["metadata"]["project_name"]:
            continue
        if not node.get("description", "").strip():
            missing.append(node["name"])
        described = {name.lower() for name, column in node.get("columns", {}).items() if column.get("description", "").strip()}
        for column in catalog["nodes"].get(unique_id, {}).get("columns", {}):
            if column.lower() not in described:
                missing.append(f"{node['name']}.{column.lower()}")
    return missing


def serve_docs(port: int) -> None:
    """Serve the generated docs on http://localhost:<port> until interrupted."""
    dbt_cli_resource().cli(["docs", "serve", "--port", str(port), "--no-browser"], target_path=DOCS_TARGET).wait()
