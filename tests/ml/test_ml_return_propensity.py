"""Return propensity: customers who send things back score higher, every buyer gets a probability,
and scoring reads the history up to as_of."""

from datetime import date, timedelta

import numpy as np
from history_testkit import line, staged

from ml.return_propensity import ReturnSettings, _line_rows, customer_return_probability, fit_return_model

START = date(2024, 1, 1)
AS_OF = START + timedelta(days=400)


def _history(seed=0):
    """Even customers return most of what they buy within a week; odd ones keep everything.
    Customer 'quiet' last bought 300 days before as_of and once returned something."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(160):
        day = int(rng.integers(0, 15))
        while day < 400:
            when = START + timedelta(days=day)
            product = f"P{int(rng.integers(0, 20))}"
            rows.append(line(f"c{c}", product, when))
            if c % 2 == 0 and rng.random() < 0.6:
                rows.append(line(f"c{c}", product, when + timedelta(days=int(rng.integers(1, 7))), event="return",
                                 quantity=-1, amount=-10.0))
            day += int(rng.integers(5, 20))
    rows += [line("quiet", "P1", START + timedelta(days=100)), line("quiet", "P2", START + timedelta(days=100)),
             line("quiet", "P1", START + timedelta(days=103), event="return", quantity=-1, amount=-10.0)]
    return rows


def test_returners_score_higher_and_every_buyer_gets_a_probability():
    con = staged(_history())
    fitted = fit_return_model(con, AS_OF, ReturnSettings())
    scores = customer_return_probability(con, fitted, AS_OF).merge(
        con.execute("select ckey, customer_id from h_customers").df(), on="ckey")
    assert len(scores) == scores["ckey"].nunique() == 161
    assert scores["return_probability"].between(0, 1).all()
    returner = scores["customer_id"].str[1:].isin([str(c) for c in range(0, 160, 2)])
    assert scores.loc[returner, "return_probability"].min() > scores.loc[~returner & (scores["customer_id"] != "quiet"),
                                                                       "return_probability"].max()
    # no line in the last 180 days: their own rate (1 return in 2 lines) shrunk towards the overall rate
    quiet = scores.loc[scores["customer_id"] == "quiet", "return_probability"].iloc[0]
    prior = fitted.settings.prior_lines
    assert np.isclose(quiet, (1 + prior * fitted.base_rate) / (2 + prior))


def test_scoring_rows_carry_the_history_up_to_as_of():
    con = staged(_history(seed=1))
    start = AS_OF - timedelta(days=180)
    rows = _line_rows(con, [start], 180, 1.0, ReturnSettings(), label=False, known_at=AS_OF)
    lines = dict(con.execute("select ckey, count(*) from h_lines where day < ? group by ckey", [AS_OF]).fetchall())
    before_start = dict(con.execute("select ckey, count(*) from h_lines where day < ? group by ckey", [start]).fetchall())
    assert (rows["customer_lines"] == rows["ckey"].map(lines)).all()
    assert (rows["customer_lines"] > rows["ckey"].map(before_start)).all()
