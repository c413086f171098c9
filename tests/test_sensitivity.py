"""Exact sensitivities of headlines to the trade elasticities, and the shares_moved warning."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("jax")

from detente.equilibrium import Counterfactual, elasticity_sensitivities, shares_moved, solve
from detente.equilibrium._sensitivity import _block_order, _blocked_solve, _gmres, default_headlines
from detente.world import load_world, random_world


def _fd(eq, headlines, j, h=1e-5):
    """Central difference in ln theta^j of the headline values (re-solving the equilibrium)."""
    w, cf = eq.world, eq.counterfactual
    out = []
    for sgn in (1.0, -1.0):
        theta = np.array(w.theta)
        theta[j] *= np.exp(sgn * h)
        w2 = w.replace(theta=theta)
        e2 = solve(w2, dataclasses.replace(cf, world=w2))
        out.append(_values(e2, headlines))
    return (out[0] - out[1]) / (2 * h)


def _values(eq, headlines):
    """Headline values straight from the Equilibrium (numpy), percent changes."""
    w = eq.world
    vals = []
    for text in headlines:
        kind, rest = text.split(" ", 1)
        if kind == "welfare":
            vals.append(100 * (eq.welfare_hat[w.country_index(rest)] - 1))
        else:
            pair, sel = rest.split(" ")
            exp, imp = pair.split("->")
            n, i = w.country_index(imp), w.country_index(exp)
            js = [w.sector_index(s) for s in (w.goods if sel == "goods" else w.sectors)]
            vals.append(100 * (eq.trade_flows[n, i, js].sum() / w.trade_flows[n, i, js].sum() - 1))
    return np.array(vals)


@pytest.fixture(scope="module")
def small():
    w = random_world(4, 3, seed=11, zero_flow_prob=0.1)
    cf = (
        Counterfactual.from_world(w)
        .tariff("C00", "C01", "all", 45)
        .tariff("C01", "C00", "all", 25)
        .iceberg_cost("C01", "C00", "S00", 1.3)
    )
    return solve(w, cf)


@pytest.fixture(scope="module")
def default_eq():
    w = load_world("default")
    return solve(w, Counterfactual.from_world(w).tariff("USA", "CHN", "goods", 145).tariff("CHN", "USA", "goods", 125))


@pytest.mark.parametrize(
    "mode,solver", [("forward", "dense"), ("adjoint", "dense"), ("forward", "gmres"), ("adjoint", "gmres")]
)
def test_small_world_matches_central_differences(small, mode, solver):
    s = elasticity_sensitivities(small, mode=mode, solver=solver)
    assert s.d_pct.shape == (len(s.headlines), 3)
    assert np.allclose(s.values, _values(small, s.headlines), atol=1e-9)
    for j in range(3):
        fd = _fd(small, s.headlines, j)
        assert np.allclose(s.d_pct[:, j], fd, rtol=1e-6, atol=1e-7), (j, s.d_pct[:, j], fd)
    # log units: 100 d ln x = d pct / (1 + pct/100)
    assert np.allclose(s.d_log, s.d_pct / (1 + s.values[:, None] / 100))


def test_default_world_matches_central_differences(default_eq):
    heads = ["welfare USA", "welfare CHN", "welfare MEX", "trade CHN->USA goods", "trade USA->CHN goods"]
    s = elasticity_sensitivities(default_eq, heads)
    w = default_eq.world
    assert s.solver == "dense" and s.headlines == tuple(heads)
    for code in ("ELECTRONICS", "MACHINERY", "PETROLEUM", "TRADE_TRANSPORT"):
        j = w.sector_index(code)
        fd = _fd(default_eq, heads, j)
        assert np.allclose(s.d_pct[:, j], fd, rtol=1e-5, atol=1e-7), (code, s.d_pct[:, j], fd)
    # the matrix-free path gives the same table
    g = elasticity_sensitivities(default_eq, heads, solver="gmres")
    assert np.allclose(g.d_pct, s.d_pct, rtol=1e-7, atol=1e-9)


def test_default_headlines_and_frames(default_eq):
    heads = default_headlines(default_eq)
    w = default_eq.world
    assert heads[: w.n_countries] == [f"welfare {c}" for c in w.countries]
    # the shocked pairs come first
    assert set(heads[w.n_countries : w.n_countries + 2]) == {"trade CHN->USA goods", "trade USA->CHN goods"}
    s = elasticity_sensitivities(default_eq)
    df = s.to_frame()
    assert list(df.columns) == list(w.sectors) and list(df.index) == heads
    assert np.allclose(s.to_frame("log").to_numpy(), s.d_log)
    dr = s.drivers()
    assert list(dr.index) == heads
    share = np.abs(s.d_pct) / np.abs(s.d_pct).sum(axis=1, keepdims=True)
    assert np.allclose(dr["top_share"], share.max(axis=1))
    assert (dr["dominant"] == (share.max(axis=1) > 0.5)).all()
    assert np.allclose(dr["uniform_pp"], s.d_pct.sum(axis=1))


def test_zero_shock_has_zero_sensitivities(small):
    w = small.world
    eq0 = solve(w, Counterfactual.from_world(w))
    s = elasticity_sensitivities(eq0, ["welfare C00", "welfare C03", "trade C01->C00 all"])
    assert np.abs(s.values).max() < 1e-9
    assert np.abs(s.d_pct).max() < 1e-8
    assert not s.drivers()["dominant"].any()


def test_bad_headlines_are_refused(small):
    with pytest.raises(Exception, match="cannot read headline"):
        elasticity_sensitivities(small, ["gdp C00"])
    with pytest.raises(Exception, match="same country"):
        elasticity_sensitivities(small, ["trade C00->C00 all"])


def test_batched_gmres_solves_a_linear_system():
    rng = np.random.default_rng(3)
    n = 60
    A = rng.normal(size=(n, n)) / np.sqrt(n) * 0.5
    B = rng.normal(size=(5, n))
    B[2] = 0.0
    X, products, res = _gmres(lambda V: V - V @ A.T, B, rtol=1e-12)
    assert res <= 1e-12 and products <= n + 2
    assert np.allclose(X, np.linalg.solve(np.eye(n) - A, B.T).T, atol=1e-10)


@pytest.mark.parametrize("forward", [True, False])
def test_blocked_solve_matches_a_plain_solve(forward):
    """The Schur-complement solve of the dense path: prices (first NJ unknowns in the
    order (lP, lw, X)) do not depend on spending, so M[:NJ, NJ + N:] is zero."""
    rng = np.random.default_rng(5)
    N, J = 3, 4
    NJ, n = N * J, N + 2 * N * J
    M = np.eye(n) + 0.3 * rng.normal(size=(n, n)) / np.sqrt(n)
    M[:NJ, NJ + N :] = 0.0
    B = rng.normal(size=(n, 6))
    X = _blocked_solve(M, B, N, forward)
    assert np.allclose(X, np.linalg.solve(M if forward else M.T, B), atol=1e-12)
    M[0, -1] = 1e-3  # not the structure: the caller must factor M whole
    assert _blocked_solve(M, B, N, forward) is None
    perm = _block_order(N, n)
    assert sorted(perm) == list(range(n)) and list(perm[:NJ]) == list(range(N, N + NJ))


def test_shares_moved_finds_a_constructed_tenfold_move(small):
    w = small.world
    # a +2000 pp tariff of C00 on C01's S02: kappa = 21, so pi falls by ~21^theta
    cf = Counterfactual.from_world(w).tariff("C00", "C01", "S02", 2000)
    eq = solve(w, cf)
    moved = shares_moved(eq, factor=10)
    n, i, j = w.country_index("C00"), w.country_index("C01"), w.sector_index("S02")
    hit = moved[(moved.importer == "C00") & (moved.exporter == "C01") & (moved.sector == "S02")]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert row.direction == "down" and row.ratio < 0.1
    assert np.isclose(row.baseline, w.trade_shares[n, i, j]) and np.isclose(row.counterfactual, eq.solution.pi[n, i, j])
    # every row moved by more than the factor and is above the floor; nothing else did
    r = eq.solution.pi / np.where(w.trade_shares > 0, w.trade_shares, 1.0)
    big = (w.trade_shares > 0) & (np.maximum(w.trade_shares, eq.solution.pi) >= 1e-3) & ((r >= 10) | (r <= 0.1))
    assert len(moved) == int(big.sum())
    # a small shock moves nothing tenfold
    assert (
        shares_moved(small, factor=10).empty
        or (shares_moved(small, factor=10).ratio.map(lambda x: x >= 10 or x <= 0.1)).all()
    )
    assert shares_moved(solve(w, Counterfactual.from_world(w))).empty


def test_sensitivities_with_export_taxes_and_the_ratio_closure_equal_finite_differences():
    from detente.equilibrium import Counterfactual, elasticity_sensitivities, solve
    from detente.world import random_world

    w = random_world(4, 3, seed=21)

    def cf_of(world):
        return (
            Counterfactual.from_world(world, closure="fixed-ratios")
            .export_tax("C00", "C01", "all", 30)
            .tariff("C02", "C00", "all", 20)
        )

    eq = solve(w, cf_of(w), tol=1e-14)
    heads = ["welfare C00", "welfare C01", "trade C00->C01 all"]
    sens = elasticity_sensitivities(eq, heads)
    h = 1e-5
    for j in range(w.n_sectors):
        vals = []
        for sgn in (1, -1):
            th = np.array(w.theta)
            th[j] *= np.exp(sgn * h)
            wj = w.replace(theta=th)
            e = solve(wj, cf_of(wj), tol=1e-14)
            t = e.trade_flows[1, 0].sum() / w.trade_flows[1, 0].sum()
            vals.append(np.array([100 * (e.welfare_hat[0] - 1), 100 * (e.welfare_hat[1] - 1), 100 * (t - 1)]))
        fd = (vals[0] - vals[1]) / (2 * h)
        np.testing.assert_allclose(sens.d_pct[:, j], fd, rtol=1e-5, atol=1e-7)
