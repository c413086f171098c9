"""Exact gradients through the equilibrium: the JAX twin of the sweep and the adjoint."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from detente.equilibrium import Counterfactual, solve
from detente.strategy import Objective, PolicyModel, objective_value
from detente.strategy._jax_kernel import JaxKernel, pack
from detente.world import random_world


@pytest.fixture(scope="module")
def world():
    return random_world(4, 3, seed=11, zero_flow_prob=0.1)


@pytest.fixture(scope="module")
def shock(world):
    return (
        Counterfactual.from_world(world)
        .tariff("C00", "C01", "all", 45)
        .tariff("C01", "C00", "all", 25)
        .iceberg_cost("C01", "C00", "S00", 1.3)
    )


def test_jax_sweep_reproduces_the_numpy_solution(world, shock):
    eq = solve(world, shock)
    k = JaxKernel(world.arrays(), shock.deficits)
    z = pack(eq.solution, world.expenditure)
    # the numpy solution is a fixed point of the JAX sweep
    assert np.abs(np.asarray(k.sweep(z, shock.tariffs, shock.iceberg)) - z).max() < 1e-10
    # and solving with the JAX sweep gives the same solution
    z2, fp = k.solve_warm(shock.tariffs, shock.iceberg)
    assert fp.converged
    assert np.abs(z2 - z).max() < 1e-10
    # welfare from the JAX twin equals Equilibrium.welfare_hat
    lw = np.asarray(k.log_welfare(z, shock.tariffs, shock.iceberg))
    assert np.abs(lw - np.log(eq.welfare_hat)).max() < 1e-12


@pytest.mark.parametrize("adjoint", ["dense", "gmres"])
def test_gradients_match_central_finite_differences(world, shock, adjoint):
    model = PolicyModel(world)
    objs = [Objective("C00"), Objective("C01", {"S01": 0.5, "S02": 1.0})]
    tau, d = np.array(shock.tariffs), np.array(shock.iceberg)
    ev = model.evaluate(tau, objs, d, iceberg_gradient=True, adjoint=adjoint)
    assert np.allclose(ev.values, model.values(tau, objs, d), atol=1e-9)
    h = 1e-5
    for n, i, j in [(0, 1, 0), (1, 0, 1), (0, 2, 2), (2, 1, 1)]:
        tp, tm = tau.copy(), tau.copy()
        tp[n, i, j] += h
        tm[n, i, j] -= h
        fd = (model.values(tp, objs, d) - model.values(tm, objs, d)) / (2 * h)
        assert np.allclose(ev.grad_tau[:, n, i, j], fd, rtol=1e-5, atol=1e-7)
    for n, i, j in [(1, 0, 0), (3, 2, 1)]:
        dp, dm = d.copy(), d.copy()
        dp[n, i, j] += h
        dm[n, i, j] -= h
        fd = (model.values(tau, objs, dp) - model.values(tau, objs, dm)) / (2 * h)
        assert np.allclose(ev.grad_iceberg[:, n, i, j], fd, rtol=1e-5, atol=1e-7)


def test_objective_value_on_an_equilibrium_matches_the_model(world, shock):
    model = PolicyModel(world)
    o = Objective("C02", {"S00": 2.0})
    eq = solve(world, shock)
    assert np.isclose(objective_value(eq, o), model.values(shock.tariffs, [o], shock.iceberg)[0], atol=1e-10)
    # with no weights the objective is 100 log real income
    assert np.isclose(objective_value(eq, Objective("C02")), 100 * np.log(eq.welfare_hat[2]), atol=1e-12)
    # shortage losses enter with the security weight
    o2 = Objective("C02", security_weight=2.0)
    loss = 0.01 * world.income[2]
    assert np.isclose(objective_value(eq, o2, loss), 100 * np.log(eq.welfare_hat[2]) - 2.0, atol=1e-10)


def test_bad_objectives_are_rejected(world):
    with pytest.raises(ValueError, match="political weight"):
        Objective("C00", {"S00": -1.0})
    with pytest.raises(Exception, match="unknown sector"):
        Objective("C00", {"NOPE": 1.0}).weights(world)


@pytest.mark.parametrize("closure", ["fixed-ratios", "balanced"])
def test_gradients_under_other_closures_equal_finite_differences(closure):
    from detente.strategy import Objective, PolicyModel
    from detente.world import random_world

    w = random_world(3, 2, seed=4)
    model = PolicyModel(w, closure=closure)
    tau = np.array(model.world.tariffs)
    tau[0, 1, :] += 0.2
    ev = model.evaluate(tau, [Objective("C00"), Objective("C01")])
    h = 1e-6
    for j in range(w.n_sectors):
        up, dn = tau.copy(), tau.copy()
        up[0, 1, j] += h
        dn[0, 1, j] -= h
        fd = (
            model.values(up, [Objective("C00"), Objective("C01")])
            - model.values(dn, [Objective("C00"), Objective("C01")])
        ) / (2 * h)
        np.testing.assert_allclose(ev.grad_tau[:, 0, 1, j], fd, rtol=1e-5, atol=1e-8)
