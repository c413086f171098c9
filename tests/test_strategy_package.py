"""Package bargaining: tariffs, licence approvals and tech-control relaxation together."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import DetenteError
from detente.strategy import Objective
from detente.strategy._package import (
    Package,
    PackageModel,
    PackageSpace,
    package_bargain,
)
from detente.world import World


def symmetric2(n_sectors: int = 2) -> World:
    """Two identical countries with symmetric trade shares and input-output links."""
    J, N = n_sectors, 2
    T = np.zeros((N, N, J))
    for j in range(J):
        T[:, :, j] = np.full((N, N), 1.5) + np.eye(N) * (6.5 + j)
    F = np.full((N, J), 4.0)
    U = np.repeat(((T.sum(axis=1) - F) / J)[:, :, None], J, axis=2)
    return World.from_flows(
        ("A", "B"),
        tuple(f"S{j}" for j in range(J)),
        trade=T,
        tariffs=np.zeros((N, N, J)),
        inter_use=U,
        final_use=F,
        theta=np.linspace(4.0, 6.0, J),
    )


@pytest.fixture(scope="module")
def default_result():
    from detente.world import load_world

    world = load_world("default", horizon="long")
    space = PackageSpace(tariff_points=3, pass_points=3)
    return world, package_bargain(world, space)


def test_bargain_lies_in_the_mutually_preferred_set(default_result):
    _, res = default_result
    assert res.converged and res.preferred.any()
    assert res.in_preferred_set(res.bargain_values)
    assert (res.bargain_gains > 0).all()
    # the bargain is at least as good (Nash product) as every grid package both prefer
    g = res.gains[res.preferred]
    assert np.log(res.bargain_gains).sum() >= np.log(g).sum(axis=1).max() - 1e-9
    # coordinates within the box
    x = res.bargain.as_array()
    assert (x >= 0).all() and (x <= res.space.upper + 1e-12).all()


def test_threat_point_has_zero_gain(default_result):
    world, res = default_result
    # the threat point is the top corner of the grid: its gains are exactly zero
    k = int(np.argmax((res.grid == res.threat.as_array()).all(axis=1)))
    assert (res.grid[k] == res.threat.as_array()).all()
    assert np.allclose(res.gains[k], 0.0, atol=1e-12) and not res.preferred[k]
    again = PackageModel(world, res.space).values(res.threat.as_array())[0]
    assert np.allclose(again - res.threat_values, 0.0, atol=1e-10)
    table = res.summary_table()
    assert np.allclose(table.iloc[0][["gain_USA pp", "gain_CHN pp"]].astype(float), 0.0)


def test_real_deals_are_placed(default_result):
    _, res = default_result
    deals = res.deals
    assert list(deals["deal"].str.split(" ").str[0]) == ["Geneva", "London", "Busan"]
    # every real deal beats the all-out war for both sides, and none beats the bargain for both
    for _, r in deals.iterrows():
        g = np.array([r["U_A"], r["U_B"]]) - res.threat_values
        assert (g > 0).all() and not (g > res.bargain_gains).all()
    labels = res.labels()
    assert "long run" in labels["elasticities"] and "% of baseline income" in labels["units"]


def test_symmetric_toy_gives_a_symmetric_package():
    world = symmetric2()
    space = PackageSpace(
        players=("A", "B"),
        controls=({"S1": 0.3}, {"S1": 0.3}),
        tariff_max_pp=(80.0, 80.0),
        tariff_points=5,
        pass_points=3,
    )
    # symmetric political weights make positive tariffs worth something to both
    objectives = [Objective("A", {"S0": 2.0, "S1": 2.0}), Objective("B", {"S0": 2.0, "S1": 2.0})]
    res = package_bargain(world, space, objectives=objectives, deals=False)
    assert res.converged and res.in_preferred_set(res.bargain_values)
    x = res.bargain.as_array()
    assert abs(x[0] - x[1]) < 0.05  # pp
    assert abs(x[2] - x[3]) < 1e-3
    assert abs(res.bargain_values[0] - res.bargain_values[1]) < 1e-6
    assert np.allclose(res.threat_values[0], res.threat_values[1])
    # the whole game is symmetric: U_A(tA, tB, sA, sB) = U_B(tB, tA, sB, sA) on the grid
    index = {tuple(np.round(x, 9)): k for k, x in enumerate(res.grid)}
    for k, x in enumerate(res.grid):
        m = index[tuple(np.round(x[[1, 0, 3, 2]], 9))]
        assert np.allclose(res.grid_values[k], res.grid_values[m][::-1], atol=1e-9)
    assert res.preferred.sum() > len(res.grid) // 2


def test_bad_input_is_named():
    with pytest.raises(DetenteError, match="pass_b must be a share in \\[0, 1\\], got 1.5"):
        Package(10, 10, 0.5, 1.5)
    with pytest.raises(DetenteError, match="tariff_a_pp"):
        Package(-1, 10, 0.5, 0.5)
    with pytest.raises(DetenteError, match="coverage of S1"):
        PackageSpace(players=("A", "B"), controls=({"S1": 1.2}, {}))
    with pytest.raises(DetenteError, match="two different countries"):
        PackageSpace(players=("A", "A"))


def test_china_approvals_are_read_by_the_nest(default_result):
    """China's pass share rations the users of its rare earths and magnets (the nested
    CES block, as the leverage cut-off reads it): London's approvals are worth something
    to the US without the shortage model, and a loss model replaces the nest."""
    from detente.strategy._leverage import CN_CRITICAL_2025

    world, res = default_result
    assert res.space.critical == ((), CN_CRITICAL_2025) and res.space.controls[1] == {}
    xs = [[30.0, 10.0, 1.0, s] for s in (0.0, 0.25, 0.6, 1.0)]
    v = PackageModel(world, res.space).values(xs)
    assert (np.diff(v[:, 0]) > 1e-4).all()  # the US is better off the more China approves
    assert v[1, 1] > v[3, 1]  # China earns the scarcity rent on what it approves
    flat = PackageModel(world, res.space, loss_model=lambda imposer, target, severity: {}).values(xs)
    np.testing.assert_allclose(flat, PackageModel(world, res.space.without_critical()).values(xs), atol=1e-12)
    assert np.ptp(flat[:, 0]) < 1e-9  # no nest, no sector proxy: only the loss model reads the cut


def test_default_controls_follow_the_players():
    a = PackageSpace(players=("USA", "CHN"))
    b = PackageSpace(players=("CHN", "USA"))
    assert a.controls == b.controls[::-1] and a.critical == b.critical[::-1]
    other = PackageSpace(players=("CHN", "EUR"))
    assert other.controls == ({}, {}) and other.critical == ((), ())
    with pytest.raises(DetenteError, match="unknown critical input 'unobtainium'"):
        PackageSpace(critical=((), ("unobtainium",)))
