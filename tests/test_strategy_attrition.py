"""War of attrition: cost paths, threshold crossings, who blinks first."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.strategy import Objective
from detente.strategy._attrition import attrition, crossing
from detente.world import random_world


def test_crossing_interpolates_within_the_week():
    assert crossing(np.array([1.0, 1.0, 1.0]), 2.5) == pytest.approx(2.5)
    assert crossing(np.array([0.0, 0.0, 2.0, 2.0]), 3.0) == pytest.approx(3.5)
    assert math.isinf(crossing(np.array([0.1, 0.1]), 1.0))
    assert crossing(np.array([1.0]), 0.0) == 0.0


@pytest.fixture(scope="module")
def toy():
    w = random_world(3, 2, seed=5)
    base = Counterfactual.from_world(w)
    standoff = base.tariff("C00", "C01", "all", 100, op="add").tariff("C01", "C00", "all", 100, op="add")
    return w, base, standoff


def test_known_crossing_on_a_toy(toy):
    w, base, standoff = toy
    u = lambda cf: 100 * np.log(solve(w, cf).welfare_hat[[0, 1]])  # noqa: E731
    weekly = (u(base) - u(standoff)) / 52
    assert (weekly > 0).all()
    # thresholds of exactly 5.5 and 8.25 weeks of tariff costs
    th = {"C00": 5.5 * weekly[0], "C01": 8.25 * weekly[1]}
    res = attrition(
        w, ("C00", "C01"), standoff=standoff, truce=base, thresholds=th, weeks=20, start=dt.date(2025, 4, 7)
    )
    assert res.tariff_cost == pytest.approx(weekly, rel=1e-9)
    assert res.crossing_week("C00") == pytest.approx(5.5) and res.crossing_week("C01") == pytest.approx(8.25)
    assert res.first == "C00"
    assert res.crossing_date("C00") == dt.date(2025, 4, 7) + dt.timedelta(days=round(7 * 5.5))
    assert res.cost_at(dt.date(2025, 4, 7) + dt.timedelta(days=14)) == pytest.approx(2 * weekly)


def test_shortage_losses_make_the_other_side_blink_first(toy):
    w, base, standoff = toy
    plain = attrition(w, ("C00", "C01"), standoff=standoff, truce=base, thresholds=3.0, weeks=60)
    # a shortage that costs C01 as much as its tariff cost a week from week 3 on
    inc = w.income[w.country_index("C01")]
    extra = np.r_[np.zeros(3), np.full(57, plain.tariff_cost[1] / 100 * inc)]
    res = attrition(
        w,
        ("C00", "C01"),
        standoff=standoff,
        truce=base,
        thresholds=3.0,
        weeks=60,
        shortage={"C01": extra},
        objectives=[Objective("C00"), Objective("C01", security_weight=1.0)],
    )
    c = plain.tariff_cost[1]
    # cumulative: c per week for 3 weeks, then (1 + 2) c a week (security weight doubles the shortage)
    assert 3.0 / c > 3  # the threshold is crossed after the shortage starts
    expected = 3 + (3.0 / c - 3) / 3
    assert res.crossing_week("C01") == pytest.approx(expected, rel=1e-9)
    assert res.crossing_week("C01") < plain.crossing_week("C01")
    table = res.table()
    assert len(table) == 60 and table["C01_cum_pct"].iloc[-1] == pytest.approx(res.cumulative[-1, 1])
    s = res.summary()
    assert s["sides"][1]["crossing_week"] == pytest.approx(expected)


def test_threshold_validation(toy):
    w, base, standoff = toy
    with pytest.raises(Exception, match="one threshold per player"):
        attrition(w, ("C00", "C01"), standoff=standoff, truce=base, thresholds=[1.0, 2.0, 3.0])
