"""Deterrence thresholds of grim trigger: closed forms, the incentive constraint, a symmetric toy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.strategy import StageGame, TariffLadder, build_stage_game
from detente.strategy._deterrence import (
    deterrence,
    false_signal_rate,
    grim_threshold,
    incentive_gap,
    trust_threshold,
    two_action_payoffs,
)
from detente.world import World

R, S, T, P = 3.0, 0.0, 5.0, 1.0  # the classic prisoner's dilemma


def test_classic_prisoners_dilemma_threshold():
    assert grim_threshold(R, S, T, P) == pytest.approx(0.5)
    assert incentive_gap(R, S, T, P, 0.5) == pytest.approx(0.0, abs=1e-12)
    assert incentive_gap(R, S, T, P, 0.6) > 0 > incentive_gap(R, S, T, P, 0.4)


def test_no_temptation_and_no_punishment():
    assert grim_threshold(3.0, 0.0, 2.0, 1.0) == 0.0  # T <= R: defection never pays
    assert math.isinf(grim_threshold(1.0, 0.0, 5.0, 1.0))  # R <= P


@pytest.mark.parametrize("eps,q", [(0.05, 1.0), (0.2, 1.0), (0.1, 0.8)])
def test_false_signal_threshold_is_the_root_of_the_incentive_constraint(eps, q):
    d = grim_threshold(R, S, T, P, false_signal=eps, detection=q)
    assert d == pytest.approx((T - R) / ((T - P) * (1 - eps) - (R - P) * (1 - q)))
    assert incentive_gap(R, S, T, P, d, false_signal=eps, detection=q) == pytest.approx(0.0, abs=1e-10)
    assert incentive_gap(R, S, T, P, d + 0.01, false_signal=eps, detection=q) > 0


def test_noise_can_make_the_truce_unsustainable():
    # eps >= (R - P)/(T - P) = 0.5: no discount factor below 1 will do
    assert math.isinf(grim_threshold(R, S, T, P, false_signal=0.5))
    assert grim_threshold(R, S, T, P, false_signal=0.49) < 1


def test_approval_delay_threshold_lambert_w_and_brute_force():
    lam = 3.0
    d = grim_threshold(R, S, T, P, approval_delay=lam)
    assert d * math.exp(-lam * (1 - d)) == pytest.approx((T - R) / (T - P))
    # brute force: E[delta^L] over L = 1 + Poisson(lam) by summing the pmf
    k = np.arange(0, 200)
    pmf = np.exp(-lam + k * np.log(lam) - np.array([math.lgamma(x + 1) for x in k]))
    assert float(np.sum(pmf * d ** (1 + k))) == pytest.approx((T - R) / (T - P), rel=1e-9)
    assert incentive_gap(R, S, T, P, d, approval_delay=lam) == pytest.approx(0.0, abs=1e-9)
    # noise and delays together: numerical, above both single thresholds
    both = grim_threshold(R, S, T, P, false_signal=0.05, approval_delay=lam)
    assert both > max(d, grim_threshold(R, S, T, P, false_signal=0.05))
    assert incentive_gap(R, S, T, P, both, false_signal=0.05, approval_delay=lam) == pytest.approx(0.0, abs=1e-9)


def test_trust_threshold():
    d = 0.9
    a = (R - P) / (1 - d) - (T - P)
    mu = trust_threshold(R, S, T, P, d)
    assert mu == pytest.approx((P - S) / (a + P - S))
    # at mu*, opening with C and always D give the same expected value
    coop = mu * R / (1 - d) + (1 - mu) * (S + d * P / (1 - d))
    defect = mu * (T + d * P / (1 - d)) + (1 - mu) * P / (1 - d)
    assert coop == pytest.approx(defect)
    assert trust_threshold(R, 2.0, T, P, d) == 0.0  # S >= P
    assert math.isinf(trust_threshold(R, S, T, P, 0.3))  # too impatient: the complier is not worth keeping


def test_false_signal_rate_matches_the_truce_games_false_alarm():
    f = 1 - (1 - 0.03 / 2) ** 2
    assert false_signal_rate(0.03, 2) == pytest.approx(1 - (1 - f) ** 2)


def symmetric_world(n_sectors: int = 2) -> World:
    J = n_sectors
    T_ = np.zeros((2, 2, J))
    for j in range(J):
        T_[:, :, j] = [[8.0 + j, 3.0], [3.0, 8.0 + j]]
    F = np.full((2, J), 4.0)
    U = np.repeat(((T_.sum(axis=1) - F) / J)[:, :, None], J, axis=2)
    return World.from_flows(
        ("A", "B"),
        tuple(f"S{j}" for j in range(J)),
        trade=T_,
        tariffs=np.zeros((2, 2, J)),
        inter_use=U,
        final_use=F,
        theta=np.linspace(3.0, 5.0, J),
    )


def test_symmetric_toy_stage_game_threshold_matches_the_closed_form():
    """A tariff ladder 0 / 20% in a symmetric world is a prisoner's dilemma; delta* = (T-R)/(T-P)."""
    w = symmetric_world()
    ladder = TariffLadder({"A": (0.0, 20.0), "B": (0.0, 20.0)}, sectors="all")
    game = build_stage_game(w, ("A", "B"), (ladder,))
    ra, sa, ta, pa = two_action_payoffs(game, 0)
    rb, sb, tb, pb = two_action_payoffs(game, 1)
    assert (ra, sa, ta, pa) == pytest.approx((rb, sb, tb, pb), abs=1e-9)  # symmetric
    assert ta > ra > pa > sa  # a prisoner's dilemma

    # the same payoffs straight from the equilibrium: 100 ln(W_hat) of A, per period
    def u(ta_pp, tb_pp):
        cf = Counterfactual.from_world(w)
        cf = cf.tariff("A", "B", "all", ta_pp) if ta_pp else cf
        cf = cf.tariff("B", "A", "all", tb_pp) if tb_pp else cf
        return 100 * math.log(solve(w, cf).welfare_hat[0]) * 100 * 7 / 365

    assert (ra, sa, ta, pa) == pytest.approx((u(0, 0), u(0, 20), u(20, 0), u(20, 20)), rel=1e-6, abs=1e-10)
    da, db = deterrence(game, noise=0.0, approval_delay=0.0)
    closed = (u(20, 0) - u(0, 0)) / (u(20, 0) - u(20, 20))
    assert da.delta_star == pytest.approx(closed, rel=1e-6) and db.delta_star == pytest.approx(closed, rel=1e-6)
    assert 0 < closed < 1
    dn, _ = deterrence(game, noise=0.04, approval_delay=0.0)
    eps = false_signal_rate(0.04, 1)
    assert dn.delta_noisy == pytest.approx(closed / (1 - eps), rel=1e-6)


def test_deterrence_on_a_hand_made_game():
    pay = np.zeros((2, 2, 2))
    # A's and B's per-period payoffs in bp of annual income: (C,C)=3, (C,D)=0/5, (D,C)=5/0, (D,D)=1
    scale = 100 * 7 / 365
    for (i, j), (ua, ub) in {(0, 0): (3, 3), (0, 1): (0, 5), (1, 0): (5, 0), (1, 1): (1, 1)}.items():
        pay[i, j] = np.array([ua, ub]) / scale
    game = StageGame(("A", "B"), ("tariffs",), 2, pay)
    a, b = deterrence(game, noise=0.0, approval_delay=3.0)
    assert a.delta_star == pytest.approx(0.5) and b.delta_star == pytest.approx(0.5)
    assert a.prisoners_dilemma and a.horizon_weeks(0.5) == pytest.approx(2.0)
    assert a.delta_delayed == pytest.approx(grim_threshold(3, 0, 5, 1, approval_delay=3.0))
