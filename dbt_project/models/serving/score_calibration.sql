{#
    The calibration curve of each propensity (purchase, churn) on the newest held-out window
    before as_of, as the Python asset customer_scores wrote it: 10 equal-width bins of predicted
    probability, the customers in each, their mean predicted probability and the share of them
    with the outcome. The window also fits the calibration, so this curve shows the fit; the
    backtest's curve (ml.backtest_calibration) is the independent check.
#}

with

calibration as (
    select * from {{ source('ml', 'score_calibration') }}
)

select
    cast(as_of as date) as as_of,
    task,
    cast(window_start as date) as window_start,
    bin_lower,
    bin_upper,
    cast(rows as {{ dbt.type_bigint() }}) as customers,
    mean_predicted,
    observed_rate
from calibration
