"""Nash tariffs among three players: symmetric on a symmetric world."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax")

from detente.strategy import PolicyModel, nash_tariffs
from detente.world import World


def symmetric3(n_sectors: int = 2) -> World:
    """Three identical countries with symmetric trade shares and input-output links."""
    J, N = n_sectors, 3
    T = np.zeros((N, N, J))
    for j in range(J):
        T[:, :, j] = np.full((N, N), 1.5) + np.eye(N) * (6.5 + j)
    F = np.full((N, J), 4.0)
    U = np.repeat(((T.sum(axis=1) - F) / J)[:, :, None], J, axis=2)
    return World.from_flows(
        ("A", "B", "C"),
        tuple(f"S{j}" for j in range(J)),
        trade=T,
        tariffs=np.zeros((N, N, J)),
        inter_use=U,
        final_use=F,
        theta=np.linspace(4.0, 6.0, J),
    )


@pytest.fixture(scope="module")
def model():
    return PolicyModel(symmetric3())


def test_three_player_nash_is_symmetric(model):
    steps = []
    res = nash_tariffs(model, ("A", "B", "C"), sectors="all", progress=lambda *a: steps.append(a))
    assert res.converged and len(res.spaces) == 3
    r = np.array(res.rates)
    assert (r > 0.01).all()
    assert np.abs(r - r[0]).max() < 2e-4  # every player the same rates (0.02 pp)
    tau = res.tariffs
    for n in range(3):  # each player's rate on both partners, and none on itself
        others = [i for i in range(3) if i != n]
        assert np.allclose(tau[n, others[0]], tau[n, others[1]])
        assert np.allclose(tau[n, n], 0.0)
    w = res.equilibrium.welfare_hat
    assert np.ptp(w) < 1e-6 and (w < 1).all()  # symmetric, and all lose against free trade
    assert steps[0] == (1, 1, 3, "A on B+C") and len(steps) == 3 * len(res.history)
    assert list(res.history_table().columns[-3:]) == ["U_A", "U_B", "U_C"]


def test_three_player_discriminatory_nash_is_symmetric(model):
    res = nash_tariffs(model, ("A", "B", "C"), sectors="all", discriminate=True)
    assert res.converged and len(res.spaces) == 6
    r = np.array(res.rates)
    assert np.abs(r - r[0]).max() < 3e-4
    uniform = nash_tariffs(model, ("A", "B", "C"), sectors="all")
    # symmetric partners: discriminating or not gives the same rates
    assert np.abs(r[0] - uniform.rates[0]).max() < 3e-4
