"""The solver's contract: bad inputs are refused before iterating, meaningless answers after."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.errors import ShockError
from detente.world import random_world


def test_tiny_and_huge_elasticities_are_refused_before_iterating():
    w = random_world(3, 2, seed=1)
    for bad in (1e-300, 1e6):
        wt = w.replace(theta=np.array([bad, 4.0]))
        with pytest.raises(ShockError, match="theta of sector 'S00'"):
            solve(wt)


def test_deficits_that_make_spending_negative_are_refused():
    w = random_world(3, 2, seed=1)
    va = w.value_added
    D = np.array([-2 * va[0], 2 * va[0], 0.0])
    cf = Counterfactual(w, w.tariffs, np.ones_like(w.tariffs), D)
    with pytest.raises(ShockError, match="deficit of C00"):
        solve(w, cf)


def test_a_market_priced_out_entirely_is_refused():
    w = random_world(3, 2, seed=1)
    pi = np.array(w.trade_shares)
    pi[0, :, 0] = [0.0, 0.5, 0.5]  # C00 buys S00 only abroad
    w = w.replace(trade_shares=pi)
    cf = Counterfactual.from_world(w).iceberg_cost("C00", "C01,C02", "S00", 1e300)
    with pytest.raises(ShockError, match="nothing could be bought"):
        solve(w, cf)


def test_an_extreme_shock_that_cannot_converge_is_a_clear_error_not_an_answer():
    from detente.errors import ConvergenceError

    w = random_world(2, 1, seed=1, intermediates=False)
    cf = Counterfactual.from_world(w).iceberg_cost("C00", "all", "all", 1e300)
    with pytest.raises((ConvergenceError, ShockError)):
        solve(w, cf)


def test_ordinary_shocks_still_solve():
    w = random_world(3, 2, seed=1)
    eq = solve(w, Counterfactual.from_world(w).tariff("C00", "C01", "all", 50))
    assert np.isfinite(eq.welfare_hat).all()
