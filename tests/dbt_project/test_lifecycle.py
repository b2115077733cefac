"""Lifecycle marts on the small generated warehouse: named RFM segments, segment migration, cohort retention.

The expectations are recomputed here from marts.fct_order_lines in pandas, independently of the dbt
SQL (and of the seed for the segment grid), so a wrong join, cut-off or tie rule in dbt shows up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

NEW = "New (no purchase before)"

# The widely used R x F grid (issue 5): segment -> (recency scores, frequency scores).
GRID_SPEC = {
    "Champions": ((5,), (4, 5)),
    "Loyal Customers": ((3, 4), (4, 5)),
    "Potential Loyalists": ((4, 5), (2, 3)),
    "New Customers": ((5,), (1,)),
    "Promising": ((4,), (1,)),
    "Need Attention": ((3,), (3,)),
    "About to Sleep": ((3,), (1, 2)),
    "At Risk": ((1, 2), (3, 4)),
    "Can't Lose Them": ((1, 2), (5,)),
    "Hibernating": ((1, 2), (1, 2)),
}


def _grid() -> dict[tuple[int, int], str]:
    cells: dict[tuple[int, int], str] = {}
    for segment, (r_scores, f_scores) in GRID_SPEC.items():
        for r in r_scores:
            for f in f_scores:
                assert (r, f) not in cells, f"cell {(r, f)} in both {cells[(r, f)]} and {segment}"
                cells[(r, f)] = segment
    return cells


def _migration_days() -> int:
    from orchestration.project import dbt_project

    return int(yaml.safe_load((dbt_project.project_dir / "dbt_project.yml").read_text())["vars"]["segment_migration_days"])


def _line_events(con) -> pd.DataFrame:
    return con.sql(
        "select customer_id, event_type, order_id, event_at, is_product from marts.fct_order_lines"
    ).df()


def _as_of(con) -> pd.Timestamp:
    return pd.Timestamp(con.execute("select max(as_of) from marts.customer_rfm").fetchall()[0][0])


def _quintile(values: pd.Series, ascending: bool = True) -> pd.Series:
    """1 + floor(5 (rank - 1) / n), rank() with ties taking the lowest rank."""
    rank = values.rank(method="min", ascending=ascending)
    return (1 + np.floor(5 * (rank - 1) / len(values))).astype(int)


def _rf_scores(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """R and F scores at a cut-off from line events (pandas, independent of the dbt macro)."""
    sales = events[(events["event_type"] == "sale") & events["customer_id"].notna() & (events["event_at"] < cutoff)]
    per_customer = sales.groupby("customer_id").agg(last_order_at=("event_at", "max"), frequency=("order_id", "nunique"))
    recency_days = (cutoff - per_customer["last_order_at"].dt.normalize()).dt.days
    return pd.DataFrame({
        "r_score": _quintile(recency_days, ascending=False),
        "f_score": _quintile(per_customer["frequency"]),
    })


def _segments(scores: pd.DataFrame) -> pd.Series:
    grid = _grid()
    return pd.Series([grid[(r, f)] for r, f in zip(scores["r_score"], scores["f_score"])], index=scores.index)


def test_the_segment_map_covers_the_grid_once_as_specified(con):
    seed = con.sql("select r_score, f_score, rfm_segment, recommended_action from reference.rfm_segment_map").df()
    assert len(_grid()) == 25
    assert len(seed) == 25
    assert not seed.duplicated(["r_score", "f_score"]).any()
    assert set(zip(seed["r_score"], seed["f_score"])) == {(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert dict(zip(zip(seed["r_score"], seed["f_score"]), seed["rfm_segment"])) == _grid()
    # one action per segment, so a segment reads the same wherever it is shown
    assert seed.groupby("rfm_segment")["recommended_action"].nunique().eq(1).all()


def test_every_rfm_customer_has_the_segment_of_their_cell(con):
    joined = con.sql(
        """
        select rfm.customer_id, rfm.r_score, rfm.f_score, seg.r_score as seg_r, seg.f_score as seg_f, seg.rfm_segment
        from marts.customer_rfm as rfm
        full outer join marts.customer_rfm_segments as seg using (customer_id)
        """
    ).df()
    assert len(joined) > 1000
    assert joined["r_score"].notna().all() and joined["seg_r"].notna().all()  # one row each side, same customers
    assert joined["customer_id"].is_unique
    assert (joined["r_score"] == joined["seg_r"]).all() and (joined["f_score"] == joined["seg_f"]).all()
    assert (joined["rfm_segment"] == _segments(joined)).all()
    # the 3,000-person demo is varied enough to fill every named segment
    assert set(joined["rfm_segment"]) == set(GRID_SPEC)


def test_current_scores_follow_the_quintile_rule(con):
    # validates the pandas rule used below against customer_rfm at the current cut-off
    expected = _rf_scores(_line_events(con), _as_of(con))
    actual = con.sql("select customer_id, r_score, f_score from marts.customer_rfm").df().set_index("customer_id")
    pd.testing.assert_frame_equal(actual.sort_index(), expected.sort_index(), check_dtype=False, check_names=False)


def test_migration_matrix_equals_segments_recomputed_at_both_cutoffs(con):
    events = _line_events(con)
    as_of = _as_of(con)
    previous_as_of = as_of - pd.Timedelta(days=_migration_days())
    now = _segments(_rf_scores(events, as_of)).rename("to_segment")
    before = _segments(_rf_scores(events, previous_as_of)).rename("from_segment")
    moves = pd.concat([now, before], axis=1)
    assert moves["to_segment"].notna().all()  # a buyer before the earlier cut-off bought before the later one
    moves["from_segment"] = moves["from_segment"].fillna(NEW)
    expected = moves.groupby(["from_segment", "to_segment"]).size().rename("customers")

    matrix = con.sql("select * from marts.rfm_segment_migration").df()
    assert set(matrix["previous_as_of"]) == {previous_as_of} and set(matrix["as_of"]) == {as_of}
    # every pair listed, zeros included: 10 + 'New' from segments x 10 to segments
    assert len(matrix) == 11 * 10
    assert not matrix.duplicated(["from_segment", "to_segment"]).any()
    actual = matrix.set_index(["from_segment", "to_segment"])["customers"]
    pd.testing.assert_series_equal(actual[actual > 0].sort_index(), expected.sort_index(), check_dtype=False)

    # totals: every customer of customer_rfm once; the 'to' side is today's segment sizes
    customers = con.execute("select count(*) from marts.customer_rfm").fetchall()[0][0]
    assert matrix["customers"].sum() == customers == len(moves)
    sizes = con.sql("select rfm_segment, count(*) as n from marts.customer_rfm_segments group by rfm_segment").df()
    pd.testing.assert_series_equal(
        matrix.groupby("to_segment")["customers"].sum().sort_index(),
        sizes.set_index("rfm_segment")["n"].sort_index(),
        check_dtype=False,
        check_names=False,
    )
    # the period really has movers and newcomers, so the comparison above means something
    assert (moves["from_segment"] != moves["to_segment"]).sum() > 50
    assert (moves["from_segment"] == NEW).sum() > 0


def test_shares_of_each_from_segment_add_up_to_one(con):
    shares = con.sql(
        """
        select from_segment, sum(share_of_from) as total, sum(customers) as customers,
               count(*) filter (where share_of_from is null) as missing
        from marts.rfm_segment_migration group by from_segment
        """
    ).df()
    populated = shares[shares["customers"] > 0]
    assert len(populated) >= 10
    assert np.allclose(populated["total"], 1.0)
    assert (shares.loc[shares["customers"] == 0, "missing"] == 10).all()


def test_segment_changes_agree_with_the_matrix(con):
    changes = con.sql("select * from marts.customer_rfm_segment_changes").df()
    assert changes["customer_id"].is_unique
    assert (changes["moved"] == (changes["previous_segment"] != changes["rfm_segment"])).all()
    assert changes.loc[changes["previous_segment"] == NEW, "previous_r_score"].isna().all()
    assert changes.loc[changes["previous_segment"] != NEW, "previous_r_score"].notna().all()
    counted = changes.groupby(["previous_segment", "rfm_segment"]).size()
    matrix = con.sql("select * from marts.rfm_segment_migration where customers > 0").df()
    expected = matrix.set_index(["from_segment", "to_segment"])["customers"]
    assert dict(counted) == dict(expected)
    # a customer who is new since the earlier cut-off first bought on or after it
    first_sale = con.sql(
        "select customer_id, min(event_at) as first_sale from marts.fct_order_lines where event_type = 'sale' group by customer_id"
    ).df().set_index("customer_id")["first_sale"]
    new = changes.set_index("customer_id")["previous_segment"] == NEW
    previous_as_of = pd.Timestamp(changes["previous_as_of"].iloc[0])
    assert ((first_sale.reindex(new.index) >= previous_as_of) == new).all()


def test_cohort_retention_equals_a_pandas_recount(con):
    events = _line_events(con)
    as_of = _as_of(con)
    purchases = events[
        (events["event_type"] == "sale") & events["is_product"] & events["customer_id"].notna() & (events["event_at"] < as_of)
    ]
    months = purchases.assign(month=purchases["event_at"].dt.to_period("M"))[["customer_id", "month"]].drop_duplicates()
    first = months.groupby("customer_id")["month"].min().rename("cohort")
    months = months.join(first, on="customer_id")
    last_month = (as_of - pd.Timedelta(days=1)).to_period("M")
    rows = []
    for cohort, size in first.value_counts().sort_index().items():
        members = months[months["cohort"] == cohort]
        for offset in range((last_month - cohort).n + 1):
            active = members.loc[members["month"] == cohort + offset, "customer_id"].nunique()
            rows.append((cohort.to_timestamp(), offset, (cohort + offset).to_timestamp(), size, active, active / size))
    expected = pd.DataFrame(
        rows, columns=["cohort_month", "months_since_first", "activity_month", "cohort_customers", "active_customers", "retention"]
    )

    actual = con.sql(
        """
        select cohort_month, months_since_first, activity_month, cohort_customers, active_customers, retention
        from marts.cohort_retention order by cohort_month, months_since_first
        """
    ).df()
    assert len(expected) > 100  # months of cohorts, not a handful of rows
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, check_exact=True)
    # month 0 is the first purchase: everybody is active
    assert (actual.loc[actual["months_since_first"] == 0, "retention"] == 1.0).all()
    # later months: some come back, not all
    later = actual[actual["months_since_first"] > 0]
    assert later["retention"].between(0, 1).all() and 0 < later["retention"].mean() < 1


def test_only_the_month_cut_by_as_of_is_incomplete(con):
    as_of = _as_of(con)
    flags = con.sql("select distinct activity_month, is_complete_month from marts.cohort_retention").df()
    expected = (flags["activity_month"] + pd.offsets.MonthBegin(1)) <= as_of
    assert (flags["is_complete_month"] == expected).all()
    assert flags["activity_month"].max() < as_of


@pytest.mark.parametrize("model", ["customer_rfm_segments", "customer_rfm_segment_changes", "rfm_segment_migration", "cohort_retention"])
def test_lifecycle_models_are_built_by_the_pipeline_in_the_marts_schema(con, model):
    # built by the warehouse_models stage of the Dagster job (the conftest fixture), as tables
    kind = con.execute(
        "select table_type from information_schema.tables where table_schema = 'marts' and table_name = ?", [model]
    ).fetchall()
    assert kind == [("BASE TABLE",)]
