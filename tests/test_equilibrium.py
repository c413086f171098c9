"""The equilibrium engine: closed forms, identities, invariances, errors."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, Shock, parse_iceberg, parse_tariff, solve, solve_gravity, solve_hat
from detente.errors import ConvergenceError, ShockError, UnknownLabelError
from detente.world import World, random_world


def test_zero_shock_returns_the_baseline_exactly(small_world):
    eq = solve(small_world)
    s = eq.solution
    assert np.abs(s.w_hat - 1).max() < 1e-12
    assert np.abs(s.P_hat - 1).max() < 1e-12
    assert np.allclose(s.X, small_world.expenditure, rtol=1e-12, atol=0)
    assert np.allclose(s.pi, small_world.trade_shares, rtol=0, atol=1e-13)
    assert np.abs(eq.welfare_hat - 1).max() < 1e-12
    assert np.allclose(eq.trade_flows, small_world.trade_flows, rtol=1e-12)


def _big_shock(w: World) -> Counterfactual:
    return (
        Counterfactual.from_world(w)
        .tariff("C00", "C01", "all", 145)
        .tariff("C01", "C00", "all", 125)
        .tariff("C02", "all", "S00", 30)
        .iceberg_cost("C03", "C00", "S01", 1.4)
    )


def test_accounting_identities_hold_in_the_equilibrium():
    w = random_world(5, 4, seed=21, zero_flow_prob=0.15)
    eq = solve(w, _big_shock(w))
    assert max(eq.diagnostics.residuals.values()) < 1e-10
    new = eq.to_world()
    assert max(new.accounting_residuals().values()) < 1e-10
    # world value added is the numeraire
    assert np.isclose(new.value_added.sum(), w.value_added.sum(), rtol=1e-12)
    # income = expenditure on final goods; tariff revenue equals the model's R
    assert np.allclose(new.tariff_revenue, eq.solution.R, rtol=1e-10)
    # solving the re-based world with no change gives no change
    again = solve(new)
    assert np.abs(again.solution.w_hat - 1).max() < 1e-10


def test_a_tariff_hurts_its_target_and_cuts_bilateral_trade():
    w = random_world(4, 3, seed=2)
    eq = solve(w, Counterfactual.from_world(w).tariff("C00", "C01", "all", 50))
    base, new = w.trade_flows[0, 1], eq.trade_flows[0, 1]
    assert (new < base).all()
    assert eq.welfare_hat[1] < 1.0  # the exporter loses
    assert eq.solution.P_hat[0].min() > 1.0  # importer prices rise in every sector


def test_relabelling_countries_permutes_results():
    w = random_world(5, 3, seed=9, zero_flow_prob=0.1)
    perm = np.array([3, 0, 4, 1, 2])
    wp = World(
        tuple(w.countries[p] for p in perm),
        w.sectors,
        expenditure=w.expenditure[perm],
        trade_shares=w.trade_shares[np.ix_(perm, perm)],
        tariffs=w.tariffs[np.ix_(perm, perm)],
        theta=w.theta,
        va_share=w.va_share[perm],
        io_shares=w.io_shares[perm],
        final_shares=w.final_shares[perm],
        value_added=w.value_added[perm],
        deficit=w.deficit[perm],
        meta=w.meta,
    )
    e1 = solve(w, _big_shock(w))
    e2 = solve(wp, _big_shock(wp))
    assert np.allclose(e2.welfare_hat, e1.welfare_hat[perm], rtol=1e-10)
    assert np.allclose(e2.solution.P_hat, e1.solution.P_hat[perm], rtol=1e-10)
    assert np.allclose(e2.trade_flows, e1.trade_flows[np.ix_(perm, perm)], rtol=1e-9)


def _one_sector_world(N: int, seed: int, tariffs: bool) -> World:
    w = random_world(N, 1, seed=seed, intermediates=False, tariff_max=0.2 if tariffs else 0.0)
    # re-base to balanced trade so that ACR's premise holds
    return solve(w, Counterfactual.from_world(w, deficits="zero")).to_world()


def test_acr_formula_holds_in_the_one_sector_model():
    w = _one_sector_world(6, seed=4, tariffs=False)
    N = w.n_countries
    rng = np.random.default_rng(0)
    d_hat = rng.uniform(0.7, 1.6, (N, N))
    np.fill_diagonal(d_hat, 1.0)
    theta = float(w.theta[0])
    g = solve_gravity(
        w.trade_shares[:, :, 0],
        w.tariffs[:, :, 0],
        theta,
        w.value_added,
        np.zeros(N),
        w.tariffs[:, :, 0],
        d_hat,
        np.zeros(N),
    )
    assert g.converged
    lam_hat = np.diag(g.pi) / np.diag(w.trade_shares[:, :, 0])
    welfare = (g.I / w.income) / g.P_hat
    assert np.abs(welfare - lam_hat ** (-1 / theta)).max() < 1e-8


def test_acr_real_wage_form_holds_with_tariffs():
    w = _one_sector_world(5, seed=7, tariffs=True)
    N = w.n_countries
    tau_new = np.array(w.tariffs[:, :, 0])
    tau_new[0, 1] += 0.8
    tau_new[2, :] += 0.1
    np.fill_diagonal(tau_new, 0)
    theta = float(w.theta[0])
    g = solve_gravity(
        w.trade_shares[:, :, 0],
        w.tariffs[:, :, 0],
        theta,
        w.value_added,
        np.zeros(N),
        tau_new,
        np.ones((N, N)),
        np.zeros(N),
    )
    lam_hat = np.diag(g.pi) / np.diag(w.trade_shares[:, :, 0])
    assert np.abs(g.w_hat / g.P_hat - lam_hat ** (-1 / theta)).max() < 1e-8


@pytest.mark.parametrize("deficits", ["baseline", "zero"])
def test_multi_sector_code_with_one_sector_matches_gravity(deficits):
    w = random_world(6, 1, seed=13, intermediates=False, tariff_max=0.3)
    cf = (
        Counterfactual.from_world(w, deficits=deficits)
        .tariff("C00", "C01", "all", 60)
        .tariff("C03", "all", "all", 15)
        .iceberg_cost("C02", "C05", "all", 1.3)
    )
    eq = solve(w, cf, tol=1e-14)
    g = solve_gravity(
        w.trade_shares[:, :, 0],
        w.tariffs[:, :, 0],
        float(w.theta[0]),
        w.value_added,
        w.deficit,
        cf.tariffs[:, :, 0],
        cf.iceberg[:, :, 0],
        cf.deficits,
    )
    assert g.converged
    assert np.abs(eq.solution.w_hat - g.w_hat).max() < 1e-10
    assert np.abs(eq.solution.P_hat[:, 0] - g.P_hat).max() < 1e-10
    assert np.abs(eq.solution.pi[:, :, 0] - g.pi).max() < 1e-10
    assert np.abs(eq.solution.X[:, 0] - g.X).max() / g.X.max() < 1e-10


def test_unconverged_solve_raises_with_diagnostics():
    w = random_world(5, 4, seed=1)
    with pytest.raises(ConvergenceError, match="did not converge") as e:
        solve(w, _big_shock(w), max_iter=3)
    assert e.value.diagnostics.iterations == 3
    assert not e.value.diagnostics.converged


def test_kernel_reports_unconverged_instead_of_raising():
    w = random_world(4, 2, seed=3)
    b = w.arrays()
    tau = np.array(b.tau) + 0.5
    s = solve_hat(b, Shock(tau, np.ones_like(tau), b.D), max_iter=2)
    assert not s.converged


def test_bad_counterfactuals_fail_with_clear_errors(small_world):
    cf = Counterfactual.from_world(small_world)
    with pytest.raises(UnknownLabelError, match="unknown country 'USA'"):
        cf.tariff("USA", "C01", "all", 10)
    with pytest.raises(UnknownLabelError, match="unknown sector 'cars'"):
        cf.tariff("C00", "C01", "cars", 10)
    with pytest.raises(ShockError, match="would make the tariff of C00 on C01 in S00 negative"):
        cf.tariff("C00", "C01", "S00", -500)
    with pytest.raises(ShockError, match="cannot be set to a negative rate"):
        cf.tariff("C00", "C01", "S00", -5, op="set")
    with pytest.raises(ShockError, match="iceberg factor must be a positive number"):
        cf.iceberg_cost("C00", "C01", "all", -1.0)
    bad = np.array(small_world.tariffs)
    bad[0, 1, 1] = -1.2
    with pytest.raises(ShockError, match=r"tariff of C00 on C01 in S01 is -120%: the tariff factor"):
        Counterfactual(small_world, bad, np.ones_like(bad), small_world.deficit)
    nan = np.array(small_world.tariffs)
    nan[0, 1, 1] = np.nan
    with pytest.raises(ShockError, match="NaN"):
        Counterfactual(small_world, nan, np.ones_like(nan), small_world.deficit)
    with pytest.raises(ShockError, match="deficits must sum to zero"):
        Counterfactual(small_world, small_world.tariffs, np.ones_like(bad), np.ones(4))


def test_tariff_semantics_add_set_and_domestic_untouched(small_world):
    cf = Counterfactual.from_world(small_world)
    base = small_world.tariffs[0, 1, 0]
    assert np.isclose(cf.tariff("C00", "C01", "S00", 25).tariffs[0, 1, 0], base + 0.25)
    assert np.isclose(cf.tariff("C00", "C01", "S00", 25, op="set").tariffs[0, 1, 0], 0.25)
    allc = cf.tariff("all", "all", "all", 10)
    assert np.all(np.diagonal(allc.tariffs, axis1=0, axis2=1) == 0)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("USA<-CHN:all:+125", ("USA", "CHN", "all", 125.0, "add")),
        ("CHN<-USA:C29,C26:=25", ("CHN", "USA", "C29,C26", 25.0, "set")),
        ("USA<-all:all:-10", ("USA", "all", "all", -10.0, "add")),
        ("JPN<-CHN:C24B:+7.5", ("JPN", "CHN", "C24B", 7.5, "add")),
    ],
)
def test_parse_tariff(text, expected):
    assert parse_tariff(text) == expected


@pytest.mark.parametrize("text", ["USA<-CHN:all:125", "USA-CHN:all:+1", "USA<-CHN:+10", "USA<-CHN:all:+x"])
def test_parse_tariff_rejects_ambiguous_text(text):
    with pytest.raises(ShockError, match="expected IMPORTER<-EXPORTER:SECTORS"):
        parse_tariff(text)


def test_parse_iceberg():
    assert parse_iceberg("USA<-CHN:C26:x1.25") == ("USA", "CHN", "C26", 1.25)
    with pytest.raises(ShockError, match="xFACTOR"):
        parse_iceberg("USA<-CHN:C26:1.25")
