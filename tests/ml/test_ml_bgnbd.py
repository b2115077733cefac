"""BG/NBD: the fit recovers the parameters of data simulated from the model, and the conditional
expectation matches what simulated customers really buy next."""

import numpy as np
import pytest

from ml.bgnbd import BgNbd, fit_bgnbd

TRUE = BgNbd(r=0.8, alpha=20.0, a=0.9, b=3.0)


def _simulate(params: BgNbd, customers: int, observed: float, future: float, seed: int):
    """Purchase histories from BG/NBD: (frequency, recency, age) at ``observed`` days and the
    purchases in the ``future`` days after it."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params.r, 1 / params.alpha, customers)
    dropout = rng.beta(params.a, params.b, customers)
    freq = np.zeros(customers)
    last = np.zeros(customers)
    later = np.zeros(customers)
    for i in range(customers):
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1 / rate[i])
            if t > observed + future:
                break
            if t <= observed:
                freq[i] += 1
                last[i] = t
            else:
                later[i] += 1
            alive = rng.random() > dropout[i]
    return freq, last, np.full(customers, observed), later


@pytest.fixture(scope="module")
def simulated():
    return _simulate(TRUE, 6000, observed=300.0, future=30.0, seed=1)


def test_fit_recovers_the_simulated_parameters(simulated):
    freq, recency, age, _ = simulated
    fitted = fit_bgnbd(freq, recency, age, penalizer=0.0)
    assert fitted.r == pytest.approx(TRUE.r, rel=0.15)
    assert fitted.alpha == pytest.approx(TRUE.alpha, rel=0.25)
    assert fitted.a == pytest.approx(TRUE.a, rel=0.35)
    assert fitted.b == pytest.approx(TRUE.b, rel=0.4)


def test_expected_purchases_match_what_simulated_customers_buy_next(simulated):
    freq, recency, age, later = simulated
    expected = fit_bgnbd(freq, recency, age, penalizer=0.0).expected_purchases(30, freq, recency, age)
    assert expected.sum() == pytest.approx(later.sum(), rel=0.1)
    # and it ranks: customers expected to buy more do buy more
    top = expected >= np.quantile(expected, 0.8)
    assert later[top].mean() > 3 * later[~top].mean()


def test_a_customer_silent_for_long_is_less_likely_alive():
    model = BgNbd(r=0.8, alpha=20.0, a=0.9, b=3.0)
    alive = model.probability_alive([5, 5, 0], [100, 290, 0], [300, 300, 300])
    assert alive[0] < alive[1]
    assert alive[2] == 1.0  # one purchase only: BG/NBD has no dropout before the first repeat


def test_penalizer_shrinks_the_parameters(simulated):
    freq, recency, age, _ = simulated
    free, penalised = fit_bgnbd(freq, recency, age, 0.0), fit_bgnbd(freq, recency, age, 0.1)
    assert penalised.r < free.r


@pytest.mark.parametrize("freq, rec, age", [([1], [5], [3]), ([-1], [0], [3]), ([0], [2], [3]), ([], [], []), ([1], [np.nan], [3])])
def test_inconsistent_input_is_refused(freq, rec, age):
    with pytest.raises(ValueError):
        fit_bgnbd(freq, rec, age)
