"""Plots of segments, k selection, cohort retention and segment migration, as PNG files.

Each ``*_figure`` function takes the table an asset wrote (a DataFrame) and returns a matplotlib
figure; :func:`save_png` writes it and returns the bytes, for Dagster metadata. The Agg backend
draws without a screen, so the plots render on a server or in CI.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ml.rfm_frame import require_columns  # noqa: E402

__all__ = [
    "top_rules_figure",
    "gap_histogram_figure",
    "segment_value_figure",
    "k_selection_figure",
    "cohort_retention_figure",
    "migration_figure",
    "calibration_figure",
    "save_png",
]


def save_png(figure: Figure, path: Path) -> bytes:
    """Write ``figure`` to ``path`` as a PNG (creating its folder), close it and return the bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path.read_bytes()


def segment_value_figure(profile: pd.DataFrame) -> Figure:
    """Share of customers, of revenue and of margin per segment, side by side."""
    frame = require_columns(profile, ["segment_name", "customer_share", "revenue_share", "margin_share"], "segment profile")
    names = frame["segment_name"].astype(str).tolist()
    y = np.arange(len(names))
    figure, axes = plt.subplots(figsize=(9, 0.55 * len(names) + 1.6))
    for offset, column, label in ((-0.27, "customer_share", "customers"), (0.0, "revenue_share", "revenue"),
                                  (0.27, "margin_share", "margin")):
        axes.barh(y + offset, frame[column].fillna(0).to_numpy(), height=0.26, label=label)
    axes.set_yticks(y, names)
    axes.invert_yaxis()
    axes.set_xlabel("share of all customers / revenue / margin")
    axes.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axes.set_title("Segments: size vs. revenue and margin")
    axes.legend(loc="lower right")
    return figure


def k_selection_figure(selection: pd.DataFrame) -> Figure:
    """Silhouette, Davies-Bouldin and Calinski-Harabasz over k, the chosen k marked."""
    frame = require_columns(selection, ["k", "silhouette", "davies_bouldin", "calinski_harabasz", "chosen"], "k selection")
    chosen = int(frame.loc[frame["chosen"], "k"].iloc[0])
    figure, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for axis, column, better in zip(axes, ("silhouette", "davies_bouldin", "calinski_harabasz"),
                                    ("higher is better", "lower is better", "higher is better")):
        axis.plot(frame["k"], frame[column], marker="o")
        axis.axvline(chosen, color="grey", linestyle="--", linewidth=1)
        axis.set_title(f"{column.replace('_', '-')}\n({better})", fontsize=10)
        axis.set_xlabel("k")
    figure.suptitle(f"Choosing k: k = {chosen}", y=1.04)
    return figure


def cohort_retention_figure(cohorts: pd.DataFrame, max_months: int = 24) -> Figure:
    """Heatmap: first-purchase month (rows) by months since (columns), share still buying."""
    frame = require_columns(cohorts, ["cohort_month", "months_since_first", "retention"], "cohort retention")
    frame = frame[frame["months_since_first"] <= max_months]
    grid = frame.pivot_table(index="cohort_month", columns="months_since_first", values="retention")
    figure, axes = plt.subplots(figsize=(12, 0.28 * len(grid) + 1.8))
    # month 0 is 100% by definition: clip the colour scale to what later months reach
    later = grid.drop(columns=[0], errors="ignore").to_numpy()
    top = float(np.nanmax(later)) if np.isfinite(later).any() else 1.0
    image = axes.imshow(grid.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=max(top, 1e-9))
    axes.set_yticks(np.arange(len(grid)), [pd.Timestamp(m).strftime("%Y-%m") for m in grid.index], fontsize=7)
    axes.set_xticks(np.arange(len(grid.columns)), [str(c) for c in grid.columns], fontsize=7)
    axes.set_xlabel("months since first purchase")
    axes.set_ylabel("cohort (first purchase)")
    axes.set_title("Cohort retention: share of each cohort buying in a later month")
    figure.colorbar(image, ax=axes, format=matplotlib.ticker.PercentFormatter(1.0))
    return figure


def migration_figure(migration: pd.DataFrame) -> Figure:
    """Matrix of customers moving from one segment (rows) to another (columns), with counts."""
    frame = require_columns(migration, ["from_segment", "to_segment", "customers"], "segment migration")
    grid = frame.pivot_table(index="from_segment", columns="to_segment", values="customers", aggfunc="sum", fill_value=0)
    figure, axes = plt.subplots(figsize=(0.9 * len(grid.columns) + 3, 0.5 * len(grid) + 2))
    shares = grid.div(grid.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
    axes.imshow(shares.to_numpy(), cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for (row, column), count in np.ndenumerate(grid.to_numpy()):
        if count:
            axes.text(column, row, f"{count:,}", ha="center", va="center", fontsize=7,
                      color="white" if shares.iat[row, column] > 0.5 else "black")
    axes.set_xticks(np.arange(len(grid.columns)), grid.columns, rotation=40, ha="right", fontsize=8)
    axes.set_yticks(np.arange(len(grid)), grid.index, fontsize=8)
    axes.set_xlabel("segment now")
    axes.set_ylabel("segment one period earlier")
    axes.set_title("Segment migration (colour: share of the earlier segment)")
    return figure


def top_rules_figure(rules: pd.DataFrame, n: int = 15, title: str = "Top basket rules") -> Figure:
    """The ``n`` rules of highest lift as horizontal bars, labelled "A -> B" with their confidence
    (a figure that says so when there is no rule: thresholds can leave none on small data)."""
    if _has_no_rows(rules, ["antecedent_names", "consequent_names", "lift", "confidence"], "rules"):
        return _nothing_figure(title, "no rule passed the thresholds")
    top = rules.nlargest(n, "lift")
    labels = [_shorten(f"{a} -> {c}") for a, c in zip(top["antecedent_names"], top["consequent_names"])]
    figure, axes = plt.subplots(figsize=(10, 0.42 * max(len(top), 1) + 1.6))
    y = np.arange(len(top))
    axes.barh(y, top["lift"].to_numpy(), color="#4c72b0")
    for yi, (lift, confidence) in enumerate(zip(top["lift"], top["confidence"])):
        axes.text(lift, yi, f"  conf {confidence:.0%}", va="center", fontsize=8)
    axes.set_yticks(y, labels, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlabel("lift (how many times likelier than chance)")
    axes.set_title(title)
    return figure


def gap_histogram_figure(histogram: pd.DataFrame, rules: pd.DataFrame, n: int = 6) -> Figure:
    """Gap histograms (weeks from buying A to buying B) of the ``n`` sequence rules of highest lift."""
    title = "When B follows A: gap in weeks"
    if (_has_no_rows(histogram, ["antecedent", "consequent", "gap_weeks", "order_pairs"], "gap histogram")
            | _has_no_rows(rules, ["antecedent", "consequent", "lift", "peak_weeks"], "sequence rules")):
        return _nothing_figure(title, "no sequence rule passed the thresholds")
    hist = histogram
    top = rules.nlargest(n, "lift")
    columns = 2
    rows = max(1, -(-len(top) // columns))
    figure, grid = plt.subplots(rows, columns, figsize=(11, 2.4 * rows + 0.6), squeeze=False)
    for axes, rule in zip(grid.ravel(), top.itertuples(index=False)):
        h = hist[(hist["antecedent"] == rule.antecedent) & (hist["consequent"] == rule.consequent)]
        axes.bar(h["gap_weeks"].to_numpy(), h["order_pairs"].to_numpy(), width=0.9, color="#55a868")
        for week in list(rule.peak_weeks):
            axes.axvline(week, color="#c44e52", linestyle=":", linewidth=1)
        axes.set_title(_shorten(f"{rule.antecedent} -> {rule.consequent} (peaks {', '.join(map(str, rule.peak_weeks))})", 60),
                       fontsize=9)
        axes.set_xlabel("weeks after buying A", fontsize=8)
    for axes in grid.ravel()[len(top):]:
        axes.set_visible(False)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def calibration_figure(curve: pd.DataFrame, title: str = "Calibration") -> Figure:
    """Observed purchase rate against mean predicted probability per bin (ml.evaluation.calibration_curve),
    with the diagonal of perfect calibration and each bin's size as the marker area."""
    require_columns(curve, ["mean_predicted", "observed_rate", "rows"], "calibration curve")
    figure, ax = plt.subplots(figsize=(5.5, 5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfectly calibrated")
    sizes = 20 + 300 * curve["rows"] / max(curve["rows"].max(), 1)
    ax.plot(curve["mean_predicted"], curve["observed_rate"], color="tab:blue", linewidth=1)
    ax.scatter(curve["mean_predicted"], curve["observed_rate"], s=sizes, color="tab:blue", label="model (area = customers)")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="predicted probability", ylabel="observed rate", title=title)
    ax.legend(loc="upper left")
    return figure


def _has_no_rows(frame: pd.DataFrame, columns: list[str], what: str) -> bool:
    """True for an empty frame; a frame without ``columns`` is refused by name."""
    if isinstance(frame, pd.DataFrame) and frame.empty and all(c in frame.columns for c in columns):
        return True
    require_columns(frame, columns, what)
    return False


def _nothing_figure(title: str, message: str) -> Figure:
    figure, axes = plt.subplots(figsize=(8, 2.5))
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=11)
    axes.set_axis_off()
    axes.set_title(title)
    return figure


def _shorten(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
