"""How scores and recommendations are measured, the same way for the models and their baselines.

Propensity: ROC AUC, PR AUC (average precision), top-decile lift, a 10-bin calibration curve and
its expected calibration error (ECE: the mean gap between predicted and observed rates, weighted
by bin size). Recommendations: hit@k (share of buyers with at least one of their top k bought),
precision@k (share of the top k bought), over the customers who bought in the window.
"""

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

__all__ = ["propensity_metrics", "calibration_curve", "expected_calibration_error", "top_decile_lift", "ranking_metrics"]


def top_decile_lift(label: np.ndarray, score: np.ndarray) -> float:
    """Positive rate among the 10% highest scores divided by the overall rate (ties broken by order)."""
    label = np.asarray(label, dtype=float)
    n_top = max(1, int(np.ceil(len(label) * 0.1)))
    top = np.argsort(-np.asarray(score, dtype=float), kind="stable")[:n_top]
    overall = label.mean()
    return float(label[top].mean() / overall) if overall > 0 else float("nan")


def calibration_curve(label: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Equal-width bins of predicted probability: rows, mean predicted and observed rate per bin."""
    probability = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    which = np.minimum((probability * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": which, "predicted": probability, "observed": np.asarray(label, dtype=float)})
    curve = frame.groupby("bin").agg(rows=("predicted", "size"), mean_predicted=("predicted", "mean"),
                                     observed_rate=("observed", "mean")).reset_index()
    curve["bin_lower"] = curve["bin"] / bins
    curve["bin_upper"] = (curve["bin"] + 1) / bins
    return curve[["bin_lower", "bin_upper", "rows", "mean_predicted", "observed_rate"]]


def expected_calibration_error(label: np.ndarray, probability: np.ndarray, bins: int = 10) -> float:
    """Size-weighted mean |observed rate - mean predicted| over the calibration curve's bins."""
    curve = calibration_curve(label, probability, bins)
    return float((curve["rows"] * (curve["observed_rate"] - curve["mean_predicted"]).abs()).sum() / curve["rows"].sum())


def propensity_metrics(label: np.ndarray, score: np.ndarray, probability: bool = True) -> dict[str, float]:
    """ROC AUC, PR AUC and top-decile lift of ``score``; ECE too when it is a probability."""
    label = np.asarray(label)
    if label.min() == label.max():
        raise ValueError("propensity metrics need both outcomes among the customers scored")
    metrics = {
        "roc_auc": float(roc_auc_score(label, score)),
        "pr_auc": float(average_precision_score(label, score)),
        "top_decile_lift": top_decile_lift(label, score),
        "positive_rate": float(np.mean(label)),
    }
    if probability:
        metrics["ece"] = expected_calibration_error(label, score)
    return metrics


def ranking_metrics(recommended: pd.DataFrame, bought: pd.DataFrame, ks=(2, 10)) -> dict[str, float]:
    """hit@k and precision@k of ranked lists over the customers who bought.

    ``recommended``: customer, rank (1 = first), product; ``bought``: distinct customer, product
    pairs bought in the window. Customers in ``bought`` without recommendations count as misses.
    """
    buyers = bought["customer"].unique()
    if not len(buyers):
        raise ValueError("nobody bought in the window: hit@k is undefined")
    hits = recommended.merge(bought.drop_duplicates(), on=["customer", "product"], how="inner")
    hits = hits[hits["customer"].isin(buyers)]
    out = {"buyers": float(len(buyers))}
    for k in ks:
        top = hits[hits["rank"] <= k]
        out[f"hit_at_{k}"] = float(top["customer"].nunique() / len(buyers))
        out[f"precision_at_{k}"] = float(len(top) / (k * len(buyers)))
    return out
