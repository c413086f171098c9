"""Best responses, Nash tariffs, cooperation and bargaining on small worlds."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from detente.errors import ConvergenceError, DetenteError
from detente.strategy import (
    Objective,
    PolicyModel,
    TariffSpace,
    best_response,
    efficient_tariffs,
    mutually_preferred,
    nash_bargain,
    nash_tariffs,
)
from detente.strategy._bargain import JointSpace
from detente.world import World, random_world


def symmetric_world(n_sectors: int = 3) -> World:
    """Two identical countries, balanced trade, no tariffs, input-output links."""
    J = n_sectors
    T = np.zeros((2, 2, J))
    for j in range(J):
        T[:, :, j] = [[8.0 + j, 2.0], [2.0, 8.0 + j]]
    F = np.full((2, J), 4.0)
    U = np.repeat(((T.sum(axis=1) - F) / J)[:, :, None], J, axis=2)
    theta = np.linspace(4.0, 8.0, J)
    return World.from_flows(
        ("A", "B"),
        tuple(f"S{j}" for j in range(J)),
        trade=T,
        tariffs=np.zeros((2, 2, J)),
        inter_use=U,
        final_use=F,
        theta=theta,
    )


@pytest.fixture(scope="module")
def sym():
    return PolicyModel(symmetric_world())


@pytest.fixture(scope="module")
def sym_war(sym):
    return nash_tariffs(sym, ("A", "B"), sectors="all")


@pytest.fixture(scope="module")
def small():
    return PolicyModel(random_world(3, 2, seed=5))


def test_gradient_best_response_matches_a_brute_force_grid(small):
    w = small.world
    space = TariffSpace.of(w, "C00", "C01", "all", uniform=True)
    br = best_response(small, np.array(w.tariffs), space)
    assert br.converged
    grid = np.linspace(0.0, 1.0, 201)
    vals = [small.values(space.set(w.tariffs, [g]), [Objective("C00")])[0] for g in grid]
    g0 = grid[int(np.argmax(vals))]
    fine = np.linspace(g0 - 0.005, g0 + 0.005, 201)
    vals = [small.values(space.set(w.tariffs, [g]), [Objective("C00")])[0] for g in fine]
    assert abs(br.rates[0] - fine[int(np.argmax(vals))]) < 1e-4
    assert br.value >= max(vals) - 1e-12


def test_best_response_by_sector_agrees_across_methods(small):
    w = small.world
    space = TariffSpace.of(w, "C00", ["C01", "C02"], "all")
    exact = best_response(small, np.array(w.tariffs), space)
    fd = best_response(small, np.array(w.tariffs), space, method="finite-difference")
    free = best_response(small, np.array(w.tariffs), space, method="derivative-free")
    lbfgs = best_response(small, np.array(w.tariffs), space, optimizer="lbfgsb")
    for other in (fd, free, lbfgs):
        assert np.abs(other.rates - exact.rates).max() < 1e-4
        assert other.value <= exact.value + 1e-9
    assert exact.solves < fd.solves
    assert exact.table().shape == (2,)


def test_best_response_rejects_a_foreign_objective(small):
    space = TariffSpace.of(small.world, "C00", "C01")
    with pytest.raises(DetenteError, match="objective"):
        best_response(small, np.array(small.world.tariffs), space, Objective("C01"))
    with pytest.raises(DetenteError, match="itself"):
        TariffSpace.of(small.world, "C00", "C00")


def test_symmetric_nash_tariffs_are_symmetric_and_both_lose(sym, sym_war):
    w = sym.world
    assert sym_war.converged
    a, b = sym_war.rates
    assert np.abs(a - b).max() < 2e-4
    assert (a > 0.05).all()  # a trade war: positive tariffs
    free = sym.values(np.zeros_like(w.tariffs), [Objective("A"), Objective("B")])
    war = sym.values(sym_war.tariffs, [Objective("A"), Objective("B")])
    assert (war < free - 0.1).all()
    assert abs(war[0] - war[1]) < 1e-4
    assert (sym_war.welfare_table()["vs_baseline_pct"] < 0).all()
    assert sym_war.history[-1].max_change_pp <= 0.01


def test_cooperative_tariffs_weakly_dominate_nash(sym, sym_war):
    objs = [Objective("A"), Objective("B")]
    war = sym.values(sym_war.tariffs, objs)
    deal = nash_bargain(sym, ("A", "B"), war=sym_war, sectors="all")
    assert deal.converged
    assert (deal.values >= war - 1e-9).all()
    eff = efficient_tariffs(sym, ("A", "B"), sectors="all", start=sym_war.tariffs)
    assert (eff.values >= war - 1e-9).all()
    # in the symmetric world the efficient tariffs between the two are free trade
    assert max(np.abs(r).max() for r in eff.rates) < 1e-3


def test_bargaining_solution_lies_in_the_mutually_preferred_set():
    model = PolicyModel(random_world(3, 2, seed=8))
    war = nash_tariffs(model, ("C00", "C01"), sectors="all", uniform=True)
    deal = nash_bargain(model, ("C00", "C01"), war=war, sectors="all", uniform=True)
    d = deal.disagreement
    assert (deal.values >= d - 1e-9).all() and (deal.gains >= -1e-9).all()
    grid = mutually_preferred(
        model, ("C00", "C01"), d, grid=tuple(np.linspace(0, 0.6, 13)), sectors="all", start=war.tariffs
    )
    assert grid["both_prefer"].any() and not grid["both_prefer"].all()
    # the agreement is itself a mutually preferred pair, and no grid point beats its Nash product
    tau = np.array([deal.rates[0][0], deal.rates[1][0]])
    v = model.values(JointSpace(deal.spaces).set(war.tariffs, tau), [Objective("C00"), Objective("C01")])
    assert (v >= d - 1e-9).all()
    ok = grid[grid.both_prefer]
    products = (ok.U_A - d[0]) * (ok.U_B - d[1])
    assert products.max() <= np.prod(deal.values - d) * (1 + 1e-6) + 1e-12


def test_nash_reports_non_convergence(small):
    with pytest.raises(ConvergenceError, match="did not settle"):
        nash_tariffs(small, ("C00", "C01"), sectors="all", max_rounds=1)
    res = nash_tariffs(small, ("C00", "C01"), sectors="all", max_rounds=1, raise_on_failure=False)
    assert not res.converged and len(res.history) == 1
