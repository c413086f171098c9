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
        k = chain_inputs(
            ship,
            cover=rng.uniform(0, 8),
            transit=int(rng.integers(1, 4)),
            n_stages=3,
            criticality=rng.uniform(),
            surge=rng.uniform(0, 0.5),
            refill=rng.uniform(1, 6),
            io_surge=rng.uniform(0, 0.3),
        )
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


# ------------------------------------------------------------------ single sourcing by cohort
@pytest.mark.parametrize("Q", [1, 5, 20])
def test_independent_cohorts_put_every_cover_quantile_on_every_slot(Q):
    """``"independent"``: Q^2 kernel cohorts, ``q * Q + s`` holding slot s's mix (the
    ``"single-low"`` slot mixes, slot = position on [0, 1]) for every cover quantile q;
    the mean over them is the node's sourcing, and each quantile's block has that mean too."""
    from detente.shortage._licensing import cohort_sourcing, kernel_cohorts

    rng = np.random.default_rng(Q)
    sig = rng.dirichlet(np.ones(4), size=(2, 3))[..., :3]
    sq = cohort_sourcing(sig, Q, "independent")
    assert sq.shape == (2, 3, kernel_cohorts(Q, "independent"), 3) and kernel_cohorts(Q, "independent") == Q * Q
    np.testing.assert_allclose(sq.mean(axis=2), sig, atol=1e-12)
    blocks = sq.reshape(2, 3, Q, Q, 3)
    slots = cohort_sourcing(sig, Q, "single-low")
    for q in range(Q):
        np.testing.assert_array_equal(blocks[:, :, q], slots if Q > 1 else sig[:, :, None])


@pytest.mark.parametrize("rule", ["single", "single-low", "single-high", "mixed"])
@pytest.mark.parametrize("Q", [1, 5, 20, 7])
def test_cohort_sourcing_mean_equals_node_sourcing(rule, Q):
    """Each cohort's supplier mix, weighted by the cohorts' weights, is the node's."""
    from detente.shortage._licensing import cohort_sourcing

    rng = np.random.default_rng(Q)
    sig = rng.dirichlet(np.ones(5), size=(3, 4))[..., :4] * rng.uniform(0.5, 1.0, (3, 4, 1))  # rows < 1
    sig[0, 0] = [0.65, 0.35, 0.0, 0.0]
    sq = cohort_sourcing(sig, Q, rule)
    assert sq.shape == (3, 4, Q, 4)
    np.testing.assert_allclose(sq.mean(axis=2), sig, atol=1e-12)
    assert (sq >= 0).all() and (sq.sum(axis=-1) <= 1 + 1e-12).all()
    if rule == "mixed" or Q == 1:
        np.testing.assert_array_equal(sq, np.broadcast_to(sig[:, :, None], sq.shape))
    else:
        # single sourcing: at most one split cohort per supplier boundary
        split = ((sq > 1e-12).sum(axis=-1) + (sq.sum(axis=-1) < 1 - 1e-12) > 1).sum(axis=2)
        assert (split <= 4).all()
        if Q == 20:  # 65% / 35%: 13 cohorts buy from supplier 0 alone, 7 from supplier 1 alone
            np.testing.assert_allclose(np.sort(sq[0, 0, :, 0]), [0.0] * 7 + [1.0] * 13, atol=1e-12)


def test_single_sourcing_spreads_suppliers_over_cover():
    """'single': every supplier's cohorts span the cover ranks (the least-covered cohort
    buys from the main supplier, the next from the other at 65/35); 'single-low' puts
    the main supplier's cohorts at the bottom of the cover distribution."""
    from detente.shortage._licensing import cohort_slots, cohort_sourcing

    for Q in (5, 20, 33):
        assert sorted(cohort_slots(Q)) == list(range(Q))
    sq = cohort_sourcing(np.array([[[0.65, 0.35]]]), 20, "single")[0, 0, :, 0]
    china_ranks = np.flatnonzero(sq > 0.5)
    assert china_ranks[0] == 0 and sq[1] == 0.0
    assert china_ranks.mean() == pytest.approx(9.5, abs=1.5)  # centred on the median cover rank
    low = cohort_sourcing(np.array([[[0.65, 0.35]]]), 20, "single-low")[0, 0, :, 0]
    np.testing.assert_allclose(low, [1.0] * 13 + [0.0] * 7, atol=1e-12)


def test_total_cut_stops_only_the_cohorts_sourcing_from_the_cut_supplier():
    """A node buying 65% from country 1 and 35% from itself (never licensed): under a
    total cut of country 1, with no substitutes, the 13 of 20 cohorts that source from 1
    alone run dry and the other 7 never do; output settles at 1 - 0.65 c. With one mixed
    sourcing per node (the old rule) every cohort runs dry at once."""
    from detente.shortage._licensing import cohort_sourcing, licensed_share, shipped_share
    from detente.shortage._simulate import cohort_multipliers

    T, Q = 30, 20
    sig = np.zeros((1, 2, 2))
    sig[0, 0] = [0.35, 0.65]
    a = np.ones((T, 1, 2, 2))
    a[:, 0, 1, 0] = 0.0  # ban 1 -> 0 from week 0
    w = np.full(Q, 1 / Q)
    for rule in ("single", "mixed"):
        lic = licensed_share(a, cohort_sourcing(sig, Q, rule))  # (T, 1, 2, Q)
        ship = shipped_share(lic, np.array([0.0]), np.array([1.0]), w)[:, 0, 0, :]  # country 0, (T, Q)
        k = chain_inputs(ship, cover=4.0, transit=1, criticality=0.8, cohort_mult=cohort_multipliers(Q, 0.25))
        out = run_kernel(k, T)
        first = out.first_stockout_duq[0, 0]
        x = _x(out)[:, 0]
        china_only = cohort_sourcing(sig, Q, rule)[0, 0, :, 1] > 0.5
        if rule == "single":
            assert china_only.sum() == 13
            assert (first[china_only] >= 0).all() and (first[~china_only] == -1).all()
            assert x[-1] == pytest.approx(1 - 0.65 * 0.8, abs=1e-12)
            assert out.first_stockout_du[0, 0] == first[china_only].min()
        else:
            assert (first >= 0).all()
        assert (x >= 1 - 0.8 - 1e-12).all()


def test_cohort_shipments_at_one_keep_the_baseline_exact():
    """No restriction: every cohort's shipped share is exactly 1 and nothing moves."""
    from detente.shortage._licensing import cohort_sourcing, licensed_share, shipped_share
    from detente.shortage._simulate import cohort_multipliers

    sig = np.array([[[0.3, 0.25, 0.4]]] * 1).reshape(1, 1, 3)
    lic = licensed_share(np.ones((25, 1, 3, 1)), cohort_sourcing(sig, 20))
    assert (lic == 1.0).all()
    ship = shipped_share(lic, np.array([0.05]), np.array([26.0]), np.full(20, 0.05))[:, 0, 0]
    out = run_kernel(chain_inputs(ship, cohort_mult=cohort_multipliers(20, 0.25), n_stages=2), 25)
    assert (_x(out) == 1.0).all() and (out.first_stockout_duq == -1).all()
