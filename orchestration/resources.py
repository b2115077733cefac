"""Resources shared by every asset."""

from __future__ import annotations

from datetime import date

from dagster import ConfigurableResource

from orchestration.project import dbt_cli_resource
from orchestration.warehouse import WarehouseResource

__all__ = ["RunCutoff", "build_resources"]


class RunCutoff(ConfigurableResource):
    """The run's one ``as_of`` (YYYY-MM-DD): every mart, model and score uses only events before it.

    A resource rather than per-step config so that one value in the run config
    (``resources: {cutoff: {config: {as_of: ...}}}``) cuts every stage alike. Empty = all data.
    """

    as_of: str = ""
    # `loyalist backtest`: the days after as_of whose purchases the scores are compared with
    backtest_horizon_days: int = 0

    def as_of_date(self) -> date | None:
        """The cut-off as a date, or None for an uncut run; a malformed value is refused here."""
        if not self.as_of:
            return None
        try:
            return date.fromisoformat(self.as_of)
        except ValueError:
            raise ValueError(f"as_of must be a date written YYYY-MM-DD, got {self.as_of!r}") from None

    def dbt_vars(self) -> dict:
        """The dbt vars that carry the cut-off into every dbt model."""
        cutoff = self.as_of_date()
        found = {"as_of": cutoff.isoformat()} if cutoff else {}
        if cutoff and self.backtest_horizon_days > 0:
            found["backtest_horizon_days"] = self.backtest_horizon_days
        return found


def build_resources() -> dict:
    """The warehouse (path resolved at run time from LOYALIST_WAREHOUSE), the dbt CLI and the cut-off."""
    return {"warehouse": WarehouseResource(), "dbt": dbt_cli_resource(), "cutoff": RunCutoff()}
