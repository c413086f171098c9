"""The weekly kernel on toy chains whose answers can be worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _shortage_toy import chain_inputs

from detente.shortage import run_kernel


def _x(out):
    return out.x_tdm[:, 0, :]


@pytest.mark.parametrize("cover,transit", [(5.0, 2), (4.5, 2), (3.0, 1), (6.25, 3), (1.0, 1)])
def test_stockout_week_is_the_arithmetic_one(cover, transit):
    """Ban from week 0: stock + goods in transit last cover + transit weeks of use."""
    T = 20
    out = run_kernel(chain_inputs(np.zeros(T), cover=cover, transit=transit), T)
    expected = math.floor(cover + transit - 1) + 1
    assert out.first_stockout_du[0, 0] == expected
    x = _x(out)[:, 0]
    assert (x[:expected] == 1.0).all()
    assert x[expected] == pytest.approx(cover - math.floor(cover)) if cover % 1 else x[expected] == 0.0


def test_zero_restriction_changes_nothing():
    out = run_kernel(chain_inputs(np.ones(30), n_stages=3), 30)
    assert (_x(out) == 1.0).all()
    assert (out.first_stockout_du == -1).all() and (out.first_loss_dm == -1).all()
    assert (out.cum_shortfall_dm == 0).all() and (out.loss_tdn == 0).all()


@pytest.mark.parametrize("ban_weeks", [1, 3, 5])
def test_restriction_shorter_than_cover_loses_nothing(ban_weeks):
    ship = np.ones(30)
    ship[:ban_weeks] = 0.0
    out = run_kernel(chain_inputs(ship, cover=5.0, surge=0.3, refill=4.0, n_stages=2), 30)
    assert (_x(out) == 1.0).all()


def test_restriction_longer_than_cover_loses_output():
    ship = np.ones(30)
    ship[:6] = 0.0
    out = run_kernel(chain_inputs(ship, cover=5.0, surge=0.3, refill=4.0), 30)
    assert out.cum_shortfall_dm[0, 0] > 0
    assert (_x(out)[-5:] == 1.0).all()  # recovery when supply returns


def test_three_stage_chain_matches_hand_computation():
    """Stage 0 stocks out at week 3 (2 weeks of stock + 1 in transit); stage 1 holds 2
    weeks of stage-0 goods and sees stage 0's output one week later, so it stops at
    3 + 1 + 2 = 6; stage 2 likewise at 6 + 1 + 2 = 9."""
    T = 14
    out = run_kernel(chain_inputs(np.zeros(T), cover=2.0, transit=1, n_stages=3, io_cover=2.0), T)
    x = _x(out)
    expect = np.ones((T, 3))
    expect[3:, 0] = 0.0
    expect[6:, 1] = 0.0
    expect[9:, 2] = 0.0
    np.testing.assert_array_equal(x, expect)
    assert list(out.first_loss_dm[0]) == [3, 6, 9]


def test_partial_supply_three_stage_chain_by_hand():
    """Half the orders ship from week 0, no surge: stage 0 runs at 1 until its buffer of
    2 weeks (+1 in transit) is used up at 0.5 per week, then at 0.5; downstream stages
    run at 0.5 once their own 2-week buffers are drawn down at 0.5 per week."""
    T = 20
    out = run_kernel(chain_inputs(np.full(T, 0.5), cover=2.0, transit=1, n_stages=3, io_cover=2.0), T)
    x = _x(out)
    # stage 0: available 3, 2.5, 2, 1.5, 1, 0.5 -> stocks out in week 5
    np.testing.assert_allclose(x[:, 0], [1, 1, 1, 1, 1] + [0.5] * (T - 5))
    # stage 1 sees r = 0.5 from week 6; its stock 2 falls by 0.5 a week: B = 2.5, 2, 1.5, 1, 0.5
    np.testing.assert_allclose(x[:, 1], [1] * 10 + [0.5] * (T - 10))
    np.testing.assert_allclose(x[:, 2], [1] * 15 + [0.5] * (T - 15))


def test_output_loss_never_exceeds_baseline_random():
    rng = np.random.default_rng(1)
    for _ in range(20):
        ship = rng.uniform(0, 1, 40) * (rng.uniform(size=40) < 0.5)
        k = chain_inputs(ship, cover=rng.uniform(0, 8), transit=int(rng.integers(1, 4)), n_stages=3,
                         criticality=rng.uniform(), surge=rng.uniform(0, 0.5), refill=rng.uniform(1, 6),
                         io_surge=rng.uniform(0, 0.3))
        x = _x(run_kernel(k, 40))
        assert (x >= 0).all() and (x <= 1).all()


def test_criticality_bounds_the_loss():
    """A product of criticality c can take at most c of the output (the rest substitutes)."""
    out = run_kernel(chain_inputs(np.zeros(30), cover=1.0, criticality=0.3), 30)
    assert _x(out)[:, 0].min() == pytest.approx(0.7)
    out0 = run_kernel(chain_inputs(np.zeros(30), cover=1.0, criticality=0.0), 30)
    assert (_x(out0) == 1.0).all()


def test_batch_draws_equal_single_runs():
    k1 = chain_inputs(np.zeros(25), cover=3.0, n_stages=3)
    k2 = chain_inputs(np.zeros(25), cover=5.0, n_stages=3)
    both = k1._replace(cover_dup=np.array([[[3.0]], [[5.0]]]))
    ob = run_kernel(both, 25)
    np.testing.assert_array_equal(ob.x_tdm[:, 0], run_kernel(k1, 25).x_tdm[:, 0])
    np.testing.assert_array_equal(ob.x_tdm[:, 1], run_kernel(k2, 25).x_tdm[:, 0])
