"""Resources shared by every asset."""

from __future__ import annotations

from orchestration.project import dbt_cli_resource
from orchestration.warehouse import WarehouseResource

__all__ = ["build_resources"]


def build_resources() -> dict:
    """The warehouse (path resolved at run time from LOYALIST_WAREHOUSE) and the dbt CLI."""
    return {"warehouse": WarehouseResource(), "dbt": dbt_cli_resource()}
