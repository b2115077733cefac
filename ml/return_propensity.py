"""Return propensity: will a product line the customer buys be returned?

A line bought on day d counts as returned when the customer returns that product within
``return_days`` of d (demo returns are linked to their line; file returns such as Online Retail
cancellations are not, so the product and the customer are the link for both). Rows are the lines
bought in [t, t + window) at earlier cut-offs t, with what was known at t: the customer's and the
product's past lines and returns (rates shrunk towards the overall rate), price, discount and
quantity. Every label is complete before as_of; the newest complete window is held out for Platt
calibration. A customer's score is the mean calibrated probability over their lines of the last
year (their usual basket), with their history and the products' as of as_of.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from ml.frames import fetch_frame
from ml.purchase_history import history_span
from ml.propensity import NotEnoughHistory

__all__ = ["ReturnSettings", "ReturnModel", "fit_return_model", "customer_return_probability", "RETURN_FEATURES"]

RETURN_FEATURES = ["customer_lines", "customer_returns", "customer_rate", "product_lines", "product_returns",
                   "product_rate", "unit_price", "discount", "quantity"]


@dataclass(frozen=True)
class ReturnSettings:
    """Windows and sampling of the return model."""

    window_days: int = 30
    return_days: int = 30
    training_cutoffs: int = 8
    cutoff_step_days: int = 14
    max_training_lines: int = 300_000
    prior_lines: float = 20.0
    random_state: int = 0


@dataclass
class ReturnModel:
    """The fitted line-level classifier, its Platt calibrator and the holdout it was calibrated on."""

    settings: ReturnSettings
    model: HistGradientBoostingClassifier | None
    calibrator: LogisticRegression | None
    base_rate: float
    holdout: pd.DataFrame

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        """Calibrated P(returned) per line row; the overall rate when nothing was ever returned."""
        if self.model is None:
            return np.full(len(rows), self.base_rate)
        raw = np.clip(self.model.predict_proba(rows[RETURN_FEATURES])[:, 1], 1e-6, 1 - 1e-6)
        return self.calibrator.predict_proba(np.log(raw / (1 - raw)).reshape(-1, 1))[:, 1]


def _line_rows(con, starts: list[date], window_days: int, share: float, settings: ReturnSettings,
               label: bool = True, known_at: date | None = None) -> pd.DataFrame:
    """Lines bought in [t, t + window_days) for each t, with the customer's and product's history
    before t (before ``known_at`` when given: scoring uses all history up to as_of) and the label."""
    con.execute("create or replace temp table r_cutoffs (cutoff date, known date)")
    con.executemany("insert into r_cutoffs values (?, ?)", [[s, known_at or s] for s in starts])
    sample = "" if share >= 1 else f"and hash(l.ckey, l.pkey, l.day) % 1000000 < {int(share * 1_000_000)}"
    labelled = (f"""exists (select 1 from h_returns as r where r.ckey = b.ckey and r.pkey = b.pkey
                           and r.day >= b.day and r.day <= b.day + {int(settings.return_days)})"""
                if label else "false")
    return fetch_frame(con, f"""
        with bought as (
            select c.cutoff, l.ckey, l.pkey, l.day, l.quantity, l.amount / l.quantity as unit_price, l.discount
            from h_lines as l join r_cutoffs as c on l.day >= c.cutoff and l.day < c.cutoff + {int(window_days)}
            where true {sample}
        ),
        customer_past as (
            select c.cutoff, l.ckey, count(*) as customer_lines from h_lines as l join r_cutoffs as c on l.day < c.known
            group by all
        ),
        customer_returned as (
            select c.cutoff, r.ckey, count(*) as customer_returns from h_returns as r join r_cutoffs as c on r.day < c.known
            group by all
        ),
        product_past as (
            select c.cutoff, l.pkey, count(*) as product_lines from h_lines as l join r_cutoffs as c on l.day < c.known
            group by all
        ),
        product_returned as (
            select c.cutoff, r.pkey, count(*) as product_returns from h_returns as r join r_cutoffs as c on r.day < c.known
            group by all
        )
        select b.cutoff, b.ckey, b.pkey, b.quantity, b.unit_price, b.discount,
               coalesce(cp.customer_lines, 0) as customer_lines, coalesce(cr.customer_returns, 0) as customer_returns,
               coalesce(pp.product_lines, 0) as product_lines, coalesce(pr.product_returns, 0) as product_returns,
               {labelled} as label
        from bought as b
        left join customer_past as cp using (cutoff, ckey)
        left join customer_returned as cr using (cutoff, ckey)
        left join product_past as pp using (cutoff, pkey)
        left join product_returned as pr using (cutoff, pkey)
        order by b.cutoff, b.ckey, b.pkey, b.day  -- a fixed row order: the same data trains the same model
    """)


def _with_rates(frame: pd.DataFrame, base_rate: float, prior: float) -> pd.DataFrame:
    """Return rates shrunk towards the overall rate: (returns + prior * base) / (lines + prior)."""
    return frame.assign(
        customer_rate=(frame["customer_returns"] + prior * base_rate) / (frame["customer_lines"] + prior),
        product_rate=(frame["product_returns"] + prior * base_rate) / (frame["product_lines"] + prior),
    )


def fit_return_model(con, as_of: date, settings: ReturnSettings) -> ReturnModel:
    """Train on complete earlier windows; calibrate on the newest complete one (ends as_of - return_days)."""
    first_day, _ = history_span(con)
    span = settings.window_days + settings.return_days
    holdout_start = as_of - timedelta(days=span)
    starts = [as_of - timedelta(days=2 * span + settings.cutoff_step_days * k) for k in range(settings.training_cutoffs)]
    starts = [s for s in starts if first_day and s > first_day]
    if not starts:
        raise NotEnoughHistory(f"return propensity as of {as_of}: needs {2 * span} days of purchase history before as_of")
    lines = con.execute("select count(*) from h_lines").fetchall()[0][0]
    share = min(1.0, settings.max_training_lines / max(1, lines * settings.window_days / max(1, (as_of - first_day).days) * len(starts)))
    train = _line_rows(con, starts, settings.window_days, share, settings)
    holdout = _line_rows(con, [holdout_start], settings.window_days, share, settings)
    base_rate = float(train["label"].mean()) if len(train) else 0.0
    if train["label"].nunique() < 2 or holdout["label"].nunique() < 2:
        # nothing (or everything) returned: the overall rate is all there is to say
        return ReturnModel(settings, None, None, base_rate, holdout.assign(probability=base_rate))
    train = _with_rates(train, base_rate, settings.prior_lines)
    holdout = _with_rates(holdout, base_rate, settings.prior_lines)
    model = HistGradientBoostingClassifier(
        max_depth=3, learning_rate=0.05, max_iter=150, min_samples_leaf=200, l2_regularization=1.0,
        early_stopping=False, random_state=settings.random_state,
    ).fit(train[RETURN_FEATURES], train["label"].astype(int))
    raw = np.clip(model.predict_proba(holdout[RETURN_FEATURES])[:, 1], 1e-6, 1 - 1e-6)
    calibrator = LogisticRegression(C=1e6).fit(np.log(raw / (1 - raw)).reshape(-1, 1), holdout["label"].astype(int))
    fitted = ReturnModel(settings, model, calibrator, base_rate, holdout)
    fitted.holdout = holdout.assign(probability=fitted.predict(holdout))
    return fitted


def customer_return_probability(con, fitted: ReturnModel, as_of: date, days: int = 180) -> pd.DataFrame:
    """Per customer (ckey): mean P(returned) over their lines of the last ``days``, featured with
    their history and the products' as of as_of. Customers with no line in that span get their own
    return rate, shrunk towards the overall rate."""
    rows = _line_rows(con, [as_of - timedelta(days=days)], days, 1.0, fitted.settings, label=False, known_at=as_of)
    rows = _with_rates(rows, fitted.base_rate, fitted.settings.prior_lines)
    rows["return_probability"] = fitted.predict(rows)
    recent = rows.groupby("ckey", as_index=False)["return_probability"].mean()
    rest = fetch_frame(con, """
        with lines as (select ckey, count(*) as customer_lines from h_lines group by ckey),
        returns as (select ckey, count(*) as customer_returns from h_returns group by ckey)
        select lines.ckey, lines.customer_lines, coalesce(returns.customer_returns, 0) as customer_returns,
               0 as product_lines, 0 as product_returns
        from lines left join returns using (ckey)
    """)
    rest = _with_rates(rest[~rest["ckey"].isin(recent["ckey"])], fitted.base_rate, fitted.settings.prior_lines)
    rest = rest.assign(return_probability=rest["customer_rate"])[["ckey", "return_probability"]]
    return pd.concat([recent, rest], ignore_index=True)
