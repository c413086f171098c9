"""Revealed political weights: observed tariffs become best responses (Ossa 2014, section V)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from detente.strategy import Objective, PolicyModel, TariffSpace, best_response  # noqa: E402
from detente.strategy._revealed import revealed_weights  # noqa: E402
from detente.world import random_world  # noqa: E402


@pytest.fixture(scope="module")
def setting():
    world = random_world(3, 2, seed=2, tariff_max=0.05)
    model = PolicyModel(world)
    truth = {"S00": 0.2, "S01": 0.6}
    space = TariffSpace.of(world, "C00", "C01", "all")
    br = best_response(model, np.array(world.tariffs), space, Objective("C00", truth), xtol=1e-10)
    assert br.converged and (br.rates > 1e-3).all()
    return world, model, truth, br.tariffs


def test_weights_behind_a_best_response_are_recovered(setting):
    world, model, truth, observed = setting
    r = revealed_weights(world, "C00", "C01", observed, sectors=list(world.sectors), model=model)
    assert r.exact
    for s, v in truth.items():
        assert r.weights[s] == pytest.approx(v, abs=1e-4)


def test_with_revealed_weights_the_observed_tariffs_satisfy_the_first_order_conditions(setting):
    world, model, _, observed = setting
    r = revealed_weights(world, "C00", "C01", observed, sectors=list(world.sectors), model=model)
    assert np.nanmax(np.abs(r.gradient_welfare)) > 1e-3  # real income alone wants other tariffs
    ev = model.evaluate(observed, [r.objective])
    g = ev.grad_tau[0, 0, 1, :]
    assert np.abs(g).max() < 1e-6  # the revealed objective is at a stationary point
    # and a best response of the revealed objective stays at the observed tariffs
    space = TariffSpace.of(world, "C00", "C01", "all")
    br = best_response(model, observed, space, r.objective, xtol=1e-10)
    np.testing.assert_allclose(br.rates, space.get(observed), atol=1e-4)


def test_zero_tariffs_are_corners_left_out():
    world = random_world(3, 2, seed=3, tariff_max=0.0)
    r = revealed_weights(world, "C00", "C01", sectors=list(world.sectors))
    assert all(v == 0 for v in r.weights.values()) and np.isnan(r.gradient_revealed).all()
