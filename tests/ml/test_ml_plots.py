"""Tests of ml.plots on small hand-made tables: what each figure draws, and the PNG it writes."""

from __future__ import annotations

import struct
from pathlib import Path

import matplotlib.image
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from ml.plots import cohort_retention_figure, k_selection_figure, migration_figure, save_png, segment_value_figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def profile() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment_id": [0, 1, 2],
            "segment_name": ["Champions", "Hibernating", "Lost low-value"],
            "customer_share": [0.2, 0.3, 0.5],
            "revenue_share": [0.7, 0.2, 0.1],
            "margin_share": [0.75, np.nan, 0.05],  # unknown margin is drawn as 0
        }
    )


@pytest.fixture
def selection() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "k": [3, 4, 5, 6],
            "silhouette": [0.41, 0.52, 0.47, 0.39],
            "davies_bouldin": [0.9, 0.7, 0.65, 0.8],
            "calinski_harabasz": [800.0, 950.0, 990.0, 700.0],
            "mean_rank": [3.33, 1.67, 1.33, 3.67],
            "chosen": [False, False, True, False],
        }
    )


@pytest.fixture
def cohorts() -> pd.DataFrame:
    rows = []
    retention = {  # cohort -> retention by months since first purchase
        "2023-01-01": [1.0, 0.30, 0.22, 0.18, 0.15],
        "2023-02-01": [1.0, 0.35, 0.20, 0.16],
        "2023-03-01": [1.0, 0.25, 0.40],
    }
    for month, shares in retention.items():
        for since, share in enumerate(shares):
            rows.append({"cohort_month": pd.Timestamp(month), "months_since_first": since, "retention": share})
    return pd.DataFrame(rows)


@pytest.fixture
def migration() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_segment": ["A", "A", "A", "B", "B", "B"],
            "to_segment": ["A", "B", "B", "A", "B", "C"],
            # A -> B appears twice: summed to 1,240. B -> A is 0: no text.
            "customers": [5, 1234, 6, 0, 7, 3],
        }
    )


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the PNG header's IHDR chunk."""
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_png(figure: Figure, path: Path) -> tuple[int, int]:
    """Save ``figure`` and check it is a real PNG; return its (width, height) in pixels."""
    data = save_png(figure, path)
    assert data == path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 5_000  # axes, labels and colours, not an empty canvas
    width, height = png_size(data)
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert height > 0 and width > 0
    # Something is drawn: the image is not a single colour.
    assert np.ptp(pixels.reshape(-1, pixels.shape[-1]), axis=0).max() > 0
    # save_png closes the figure.
    assert not plt.fignum_exists(figure.number)
    return width, height


# ------------------------------------------------------------------------------------------
# Figures
# ------------------------------------------------------------------------------------------


def test_segment_value_figure(profile: pd.DataFrame, tmp_path: Path) -> None:
    figure = segment_value_figure(profile)
    (axes,) = figure.axes
    bars = {container.get_label(): [bar.get_width() for bar in container] for container in axes.containers}
    assert bars == {
        "customers": [0.2, 0.3, 0.5],
        "revenue": [0.7, 0.2, 0.1],
        "margin": [0.75, 0.0, 0.05],
    }
    assert [label.get_text() for label in axes.get_yticklabels()] == profile["segment_name"].tolist()
    check_png(figure, tmp_path / "nested" / "folder" / "segments.png")  # folders are created


def test_k_selection_figure_marks_the_chosen_k(selection: pd.DataFrame, tmp_path: Path) -> None:
    figure = k_selection_figure(selection)
    assert len(figure.axes) == 3
    for axis, column in zip(figure.axes, ("silhouette", "davies_bouldin", "calinski_harabasz")):
        curve, marker = axis.lines
        np.testing.assert_array_equal(curve.get_xdata(), selection["k"].to_numpy())
        np.testing.assert_array_equal(curve.get_ydata(), selection[column].to_numpy())
        # The vertical line sits at the chosen k (5), not at the best silhouette (4).
        assert list(marker.get_xdata()) == [5, 5]
        assert column.replace("_", "-") in axis.get_title()
    assert figure._suptitle.get_text() == "Choosing k: k = 5"
    width, height = check_png(figure, tmp_path / "k.png")
    assert width > 2 * height  # three panels side by side on a 12 x 3.4 inch figure


def test_cohort_retention_figure(cohorts: pd.DataFrame, tmp_path: Path) -> None:
    figure = cohort_retention_figure(cohorts, max_months=2)
    axes = figure.axes[0]
    (image,) = axes.images
    expected = np.array(
        [
            [1.0, 0.30, 0.22],
            [1.0, 0.35, 0.20],
            [1.0, 0.25, 0.40],
        ]
    )
    np.testing.assert_allclose(np.ma.getdata(image.get_array()), expected)
    # Month 0 (always 100%) is left out of the colour scale: the top is the best later month.
    assert image.norm.vmin == 0
    assert image.norm.vmax == pytest.approx(0.40)
    assert [t.get_text() for t in axes.get_yticklabels()] == ["2023-01", "2023-02", "2023-03"]
    assert [t.get_text() for t in axes.get_xticklabels()] == ["0", "1", "2"]
    assert len(figure.axes) == 2  # the heatmap and its colour bar
    check_png(figure, tmp_path / "cohorts.png")


def test_cohort_retention_figure_with_month_zero_only(tmp_path: Path) -> None:
    cohorts = pd.DataFrame(
        {"cohort_month": [pd.Timestamp("2024-05-01")], "months_since_first": [0], "retention": [1.0]}
    )
    figure = cohort_retention_figure(cohorts)
    assert figure.axes[0].images[0].norm.vmax == 1.0
    check_png(figure, tmp_path / "one_cohort.png")


def test_migration_figure_writes_the_counts(migration: pd.DataFrame, tmp_path: Path) -> None:
    figure = migration_figure(migration)
    axes = figure.axes[0]
    texts = {(t.get_position(), t.get_text(), t.get_color()) for t in axes.texts}
    # Rows A, B (from) by columns A, B, C (to); text at (column, row).
    assert texts == {
        ((0, 0), "5", "black"),
        ((1, 0), "1,240", "white"),  # 1,240 of 1,245: over half the row, white on dark blue
        ((1, 1), "7", "white"),
        ((2, 1), "3", "black"),
    }
    (image,) = axes.images
    np.testing.assert_allclose(
        np.ma.getdata(image.get_array()),
        [[5 / 1245, 1240 / 1245, 0.0], [0.0, 0.7, 0.3]],
    )
    assert [t.get_text() for t in axes.get_xticklabels()] == ["A", "B", "C"]
    assert [t.get_text() for t in axes.get_yticklabels()] == ["A", "B"]
    check_png(figure, tmp_path / "migration.png")


def test_migration_row_without_customers_is_not_divided_by_zero(tmp_path: Path) -> None:
    migration = pd.DataFrame({"from_segment": ["A", "B"], "to_segment": ["A", "A"], "customers": [4, 0]})
    figure = migration_figure(migration)
    np.testing.assert_array_equal(np.ma.getdata(figure.axes[0].images[0].get_array()), [[1.0], [0.0]])
    assert [t.get_text() for t in figure.axes[0].texts] == ["4"]
    check_png(figure, tmp_path / "migration_zero.png")


# ------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figure_function", "fixture", "column", "what"),
    [
        (segment_value_figure, "profile", "revenue_share", "segment profile"),
        (segment_value_figure, "profile", "segment_name", "segment profile"),
        (k_selection_figure, "selection", "chosen", "k selection"),
        (k_selection_figure, "selection", "davies_bouldin", "k selection"),
        (cohort_retention_figure, "cohorts", "retention", "cohort retention"),
        (cohort_retention_figure, "cohorts", "months_since_first", "cohort retention"),
        (migration_figure, "migration", "to_segment", "segment migration"),
        (migration_figure, "migration", "customers", "segment migration"),
    ],
)
def test_missing_column_is_named(
    request: pytest.FixtureRequest, figure_function, fixture: str, column: str, what: str
) -> None:
    table = request.getfixturevalue(fixture).drop(columns=column)
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=f"missing column '{column}' in {what}"):
        figure_function(table)
    assert plt.get_fignums() == before  # refused before a figure was opened


def test_rule_plots_say_so_when_there_is_no_rule():
    from ml.plots import gap_histogram_figure, top_rules_figure

    empty_rules = pd.DataFrame(columns=["antecedent", "consequent", "antecedent_names", "consequent_names", "lift",
                                        "confidence", "peak_weeks"])
    empty_hist = pd.DataFrame(columns=["antecedent", "consequent", "gap_weeks", "order_pairs"])
    for figure in (top_rules_figure(empty_rules), gap_histogram_figure(empty_hist, empty_rules)):
        texts = [t.get_text() for axes in figure.axes for t in axes.texts]
        assert any("no" in t and "rule" in t for t in texts)


def test_rule_plots_draw_the_top_rules_and_their_gaps():
    from ml.plots import gap_histogram_figure, top_rules_figure

    rules = pd.DataFrame({"antecedent": ["A", "C"], "consequent": ["B", "D"], "antecedent_names": ["A", "C"],
                          "consequent_names": ["B", "D"], "lift": [3.0, 2.0], "confidence": [0.5, 0.4],
                          "peak_weeks": [[16, 26], [4]]})
    hist = pd.DataFrame({"antecedent": ["A", "A", "C"], "consequent": ["B", "B", "D"], "gap_weeks": [16, 26, 4],
                         "order_pairs": [10, 7, 5]})
    bars = top_rules_figure(rules).axes[0].patches
    assert [round(b.get_width(), 1) for b in bars] == [3.0, 2.0]
    figure = gap_histogram_figure(hist, rules, n=2)
    assert sum(len(axes.patches) for axes in figure.axes) == 3
    with pytest.raises(ValueError, match="missing column"):
        top_rules_figure(rules.drop(columns="lift"))
