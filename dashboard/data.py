"""What the dashboard reads: the serving marts, from the snapshot the pipeline publishes
(orchestration.snapshot), never the warehouse itself, so a run is never blocked by a reader."""

from __future__ import annotations

import pandas as pd

from orchestration import settings
from orchestration.snapshot import open_snapshot

__all__ = ["query", "AUDIENCES"]

#: Audience models of the serving layer, by the name the dashboard shows.
AUDIENCES = {
    "Bought in the last sale, not back since": "audience_lapsed_sale_buyers",
    "Hesitating (15-50%) and high margin": "audience_hesitating_high_margin",
    "At risk and high value": "audience_at_risk_high_value",
}


def query(sql: str, parameters: list | None = None) -> pd.DataFrame:
    """Run one query on the snapshot; the connection is closed at once (a kept connection would
    pin the copy it opened and miss the next run's)."""
    with open_snapshot(settings.snapshot_path()) as con:
        return con.execute(sql, parameters or []).df()
