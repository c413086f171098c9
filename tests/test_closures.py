"""Deficit closures: closed forms, hand computations, zero shocks, identities, decomposition.

The hand computations are the textbook two-country endowment (Armington) economy in
changes, written here from the equations (docs/model.md sections 4 and 8) and solved
with scipy, independently of the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

from detente.equilibrium import CLOSURES, Counterfactual, Shock, solve, solve_hat
from detente.errors import ShockError
from detente.world import World, random_world


# ----------------------------------------------------------------------------- helpers
def _two_country(VA, D, pi, tau=None, theta=4.0) -> World:
    """One sector, no intermediates: spending X_n = VA_n + R_n + D_n; pi[n, i] shares."""
    VA, D, pi = np.asarray(VA, float), np.asarray(D, float), np.asarray(pi, float)
    tau = np.zeros((2, 2)) if tau is None else np.asarray(tau, float)
    X = (VA + D) / (1.0 - (pi * tau / (1.0 + tau)).sum(axis=1))
    return World.from_shares(
        ("A", "B"),
        ("g",),
        expenditure=X[:, None],
        trade_shares=pi[:, :, None],
        tariffs=tau[:, :, None],
        theta=[theta],
        va_share=np.ones((2, 1)),
        io_shares=np.zeros((2, 1, 1)),
        final_shares=np.ones((2, 1)),
        value_added=VA,
        deficit=D,
    )


def _consistent_two_country(theta=4.0, tariffs=True) -> World:
    """A consistent two-country endowment world with a deficit, built from flows."""
    T = np.array([[70.0, 18.0], [9.0, 40.0]])  # T[n, i]: sales of i to n
    tau = np.array([[0.0, 0.12], [0.05, 0.0]]) if tariffs else np.zeros((2, 2))
    return World.from_flows(
        ("A", "B"),
        ("g",),
        trade=T[:, :, None],
        tariffs=tau[:, :, None],
        inter_use=np.zeros((2, 1, 1)),
        final_use=T.sum(axis=1)[:, None],
        theta=[theta],
    )


def _hand_solve(pi, tau, tau_new, d_hat, VA, theta, deficits):
    """Textbook two-country endowment equilibrium in changes, by a scalar root-solve.

    Numeraire: w_1 VA_1 + w_2 VA_2 = VA_1 + VA_2. ``deficits(w) -> D'``. Returns w_hat,
    P_hat, X', D', pi'.
    """
    kappa = (1 + tau_new) / (1 + tau) * d_hat
    Wt = VA.sum()

    def state(w1):
        w = np.array([w1, (Wt - w1 * VA[0]) / VA[1]])
        num = pi * (kappa * w[None, :]) ** (-theta)
        P = num.sum(axis=1) ** (-1 / theta)
        pn = num / num.sum(axis=1, keepdims=True)
        Dn = deficits(w)
        X = (w * VA + Dn) / (1 - (pn * tau_new / (1 + tau_new)).sum(axis=1))
        return w, P, X, Dn, pn

    def excess(w1):  # market clearing for country A
        w, P, X, Dn, pn = state(w1)
        return (pn[:, 0] * X / (1 + tau_new[:, 0])).sum() - w[0] * VA[0]

    w1 = brentq(excess, 1e-3, (Wt / VA[0]) * (1 - 1e-9), xtol=1e-15, rtol=1e-15)
    return state(w1)


def _ratio_rule_2(D, VA):
    """Fixed ratios in a two-country world: D'_n = w_n VA_n (delta_n - mean_w(delta))."""
    delta = D / VA

    def rule(w):
        y = w * VA
        return y * (delta - (delta * y).sum() / y.sum())

    return rule


# ----------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("closure", CLOSURES)
def test_symmetric_iceberg_change_has_a_closed_form_under_every_closure(closure):
    # symmetric, balanced, no tariffs: w_hat = 1 by symmetry, P_hat from (2), W = 1 / P_hat
    lam, theta, d = 0.8, 4.0, 1.3
    w = _two_country([10.0, 10.0], [0.0, 0.0], [[lam, 1 - lam], [1 - lam, lam]], theta=theta)
    cf = Counterfactual.from_world(w, closure=closure).iceberg_cost("A", "B", "all", d).iceberg_cost("B", "A", "all", d)
    eq = solve(w, cf, tol=1e-14)
    P_hand = (lam + (1 - lam) * d ** (-theta)) ** (-1 / theta)
    assert np.abs(eq.solution.w_hat - 1).max() < 1e-12
    assert np.abs(eq.solution.P_hat[:, 0] - P_hand).max() < 1e-12
    assert np.abs(eq.welfare_hat - 1 / P_hand).max() < 1e-12
    assert np.abs(eq.deficits).max() < 1e-12
    assert eq.counterfactual.closure == closure and f"closure: {closure}" in eq.counterfactual.describe()


def test_purge_of_a_frictionless_world_has_a_closed_form():
    # no trade costs: pi_ni = lambda_i for every n, so wages do not depend on deficits and
    # purging deficits changes real income by VA_n / (VA_n + D_n) exactly
    VA, D = np.array([6.0, 14.0]), np.array([1.5, -1.5])
    lam = VA / VA.sum()
    w = _two_country(VA, D, np.vstack([lam, lam]))
    eq = solve(w, Counterfactual.from_world(w, closure="balanced"))
    purge = eq.purge
    assert np.abs(purge.solution.w_hat - 1).max() < 1e-12
    assert np.abs(purge.welfare_hat - VA / (VA + D)).max() < 1e-12
    assert np.abs(eq.world.deficit).max() == 0.0  # the reported baseline is the purged world
    assert np.abs(eq.welfare_hat - 1).max() < 1e-12  # and no further change
    assert "purged of trade deficits" in eq.provenance()["baseline"]


def test_fixed_ratios_in_two_countries_is_D_times_both_wage_changes():
    # with two countries the zero-sum rule reduces to D'_A = D_A w_A w_B (numeraire sum w VA = sum VA)
    w = _consistent_two_country()
    cf = Counterfactual.from_world(w, closure="fixed-ratios").tariff("A", "B", "all", 40)
    eq = solve(w, cf, tol=1e-14)
    wh = eq.solution.w_hat
    assert abs(wh[0] - 1) > 1e-3  # the shock moves wages, so the deficit moves
    assert np.allclose(eq.deficits, w.deficit * wh[0] * wh[1], rtol=1e-12, atol=1e-14)
    assert abs(eq.deficits.sum()) < 1e-13


# ----------------------------------------------------------------------------- hand computations
@pytest.mark.parametrize("closure", CLOSURES)
def test_each_closure_matches_the_hand_computation(closure):
    w = _consistent_two_country(theta=5.0)
    VA, D, theta = np.array(w.value_added), np.array(w.deficit), 5.0
    pi, tau = w.trade_shares[:, :, 0], w.tariffs[:, :, 0]
    assert abs(D[0]) > 1.0  # the baseline has a real deficit
    cf = Counterfactual.from_world(w, closure=closure).tariff("A", "B", "all", 30).iceberg_cost("B", "A", "all", 0.8)
    eq = solve(w, cf, tol=1e-14)
    tau_new, d_hat = cf.tariffs[:, :, 0], cf.iceberg[:, :, 0]
    if closure == "fixed-deficits":
        wh, P, X, Dn, pn = _hand_solve(pi, tau, tau_new, d_hat, VA, theta, lambda _w: D)
        I0 = VA + (pi * w.expenditure[:, 0, None] * tau / (1 + tau)).sum(axis=1) + D
    elif closure == "fixed-ratios":
        wh, P, X, Dn, pn = _hand_solve(pi, tau, tau_new, d_hat, VA, theta, _ratio_rule_2(D, VA))
        I0 = VA + (pi * w.expenditure[:, 0, None] * tau / (1 + tau)).sum(axis=1) + D
    else:
        # step 1: purge (D' = 0, no trade-cost change); step 2: the shock from the purged world
        w1, _, X1, _, pn1 = _hand_solve(pi, tau, tau, np.ones((2, 2)), VA, theta, lambda _w: np.zeros(2))
        VA1 = w1 * VA
        wh, P, X, Dn, pn = _hand_solve(pn1, tau, tau_new, d_hat, VA1, theta, lambda _w: np.zeros(2))
        I0 = X1  # one sector, no intermediates: spending is income
        assert np.allclose(eq.world.value_added, VA1, rtol=1e-12)
        assert np.allclose(eq.world.trade_shares[:, :, 0], pn1, atol=1e-13)
    s = eq.solution
    assert np.abs(s.w_hat - wh).max() < 1e-12
    assert np.abs(s.P_hat[:, 0] - P).max() < 1e-12
    assert np.abs(s.X[:, 0] - X).max() / X.max() < 1e-12
    assert np.abs(eq.deficits - Dn).max() < 1e-12
    assert np.abs(eq.welfare_hat - (X / I0) / P).max() < 1e-11  # one sector: I = X


def test_the_closure_reaches_the_kernel():
    w = random_world(5, 3, seed=8)
    b = w.arrays()
    tau = np.array(b.tau)
    tau[0, 1] += 0.6
    tau[2, 3] += 0.3
    fixed = solve_hat(b, Shock(tau, np.ones_like(tau), b.D))
    ratio = solve_hat(b, Shock(tau, np.ones_like(tau), b.D, "fixed-ratios"))
    assert fixed.converged and ratio.converged and ratio.closure == "fixed-ratios"
    assert np.array_equal(fixed.D, b.D)
    y = ratio.w_hat * b.VA
    expected = ratio.w_hat * b.D - y * (ratio.w_hat * b.D).sum() / y.sum()
    assert np.abs(ratio.D - expected).max() < 1e-13 and np.abs(ratio.D - b.D).max() > 1e-4
    assert np.abs(ratio.w_hat - fixed.w_hat).max() > 1e-5  # and it changes the equilibrium
    assert max(ratio.residuals.values()) < 1e-10  # residuals are computed with the endogenous D'
    with pytest.raises(ShockError, match="unknown closure"):
        solve_hat(b, Shock(tau, np.ones_like(tau), b.D, "floating"))
    with pytest.raises(ShockError, match="balanced closure"):
        solve_hat(b, Shock(tau, np.ones_like(tau), b.D, "balanced"))


def test_the_jax_twin_has_the_same_fixed_point_under_each_closure():
    pytest.importorskip("jax")
    from detente.equilibrium import purged_world
    from detente.strategy._jax_kernel import JaxKernel, pack

    w = random_world(4, 3, seed=5)
    cf0 = Counterfactual.from_world(w).tariff("C00", "C01", "all", 50).tariff("C02", "all", "S01", 20)
    for closure in CLOSURES:
        cf = cf0.with_closure(closure)
        eq = solve(w, cf, tol=1e-13)
        base = eq.world.arrays()  # the purged world under "balanced"
        k = JaxKernel(base, eq.counterfactual.deficits, closure=closure)
        z = pack(eq.solution, base.X)
        resid = np.abs(np.asarray(k.sweep(z, cf.tariffs, cf.iceberg)) - z).max()
        assert resid < 1e-9, closure
        lw = np.asarray(k.log_welfare(z, cf.tariffs, cf.iceberg))
        assert np.abs(lw - np.log(eq.welfare_hat)).max() < 1e-9
        if closure == "fixed-ratios":  # a kernel without the closure is not at this fixed point
            wrong = JaxKernel(base, eq.counterfactual.deficits)
            assert np.abs(np.asarray(wrong.sweep(z, cf.tariffs, cf.iceberg)) - z).max() > 1e-6
        if closure == "balanced":
            assert eq.world is purged_world(w)  # cached per world


# ----------------------------------------------------------------------------- zero shocks, identities
@pytest.mark.parametrize("closure", CLOSURES)
def test_zero_shock_changes_nothing_under_each_closure(closure):
    w = random_world(5, 4, seed=21, zero_flow_prob=0.15)
    assert np.abs(w.deficit).max() > 0.1
    eq = solve(w, Counterfactual.from_world(w, closure=closure))
    s = eq.solution
    assert np.abs(s.w_hat - 1).max() < 1e-12 and np.abs(s.P_hat - 1).max() < 1e-12
    assert np.abs(eq.welfare_hat - 1).max() < 1e-12
    assert np.allclose(eq.deficits, eq.world.deficit, rtol=0, atol=1e-12)
    if closure == "balanced":
        # the purge's own change is reported separately, relative to the data
        assert eq.purge.world is w and np.abs(eq.purge.welfare_hat - 1).max() > 1e-3
        assert np.abs(eq.world.deficit).max() == 0.0
        assert eq.provenance()["closure"] == "balanced"
    else:
        assert eq.purge is None and eq.world is w


@pytest.mark.parametrize("closure", CLOSURES)
def test_accounting_identities_hold_under_each_closure(closure):
    w = random_world(6, 4, seed=3, zero_flow_prob=0.1)
    cf = (
        Counterfactual.from_world(w, closure=closure)
        .tariff("C00", "C01", "all", 145)
        .tariff("C01", "C00", "all", 125)
        .tariff("C02", "all", "S00", 30)
        .iceberg_cost("C03", "C00", "S01", 1.4)
    )
    eq = solve(w, cf)
    assert max(eq.diagnostics.residuals.values()) < 1e-10
    new = eq.to_world()
    res = new.accounting_residuals()  # goods market, trade balance, world deficit, value added
    assert max(res.values()) < 1e-10
    assert abs(eq.deficits.sum()) < 1e-12 * w.value_added.sum()
    # income = value added + tariff revenue + deficit = final spending
    s = eq.solution
    assert np.allclose(s.I, s.w_hat * eq.world.value_added + s.R + eq.deficits, rtol=1e-12)
    final = s.X.sum(axis=1) - np.einsum("njk,nk->n", eq.world.io_shares, s.Y)
    assert np.allclose(final, s.I, rtol=1e-10)
    assert np.isclose(new.value_added.sum(), eq.world.value_added.sum(), rtol=1e-12)
    prov = eq.provenance()
    assert prov["closure"] == closure and closure in prov["counterfactual"]
    assert "deficit_pct" in eq.country_table().columns


def test_fixed_ratios_hold_deficit_to_value_added_up_to_a_common_shift():
    w = random_world(6, 3, seed=4)
    eq = solve(w, Counterfactual.from_world(w, closure="fixed-ratios").tariff("C00", "all", "all", 60))
    ratio_new = eq.deficits / (eq.solution.w_hat * w.value_added)
    shift = ratio_new - w.deficit / w.value_added
    assert np.ptp(shift) < 1e-13  # every ratio moves by the same number of points
    y = eq.solution.w_hat * w.value_added
    assert abs(shift[0] + (w.deficit / w.value_added * y).sum() / y.sum()) < 1e-13


def test_counterfactual_closure_arguments():
    w = random_world(3, 2, seed=1)
    assert Counterfactual.from_world(w).closure == "fixed-deficits"
    z = Counterfactual.from_world(w, deficits="zero")
    assert z.closure == "fixed-deficits" and not z.deficits.any() and "deficits set to zero" in z.describe()
    b = Counterfactual.from_world(w, closure="balanced")
    assert not b.deficits.any() and b.describe() == "no change; closure: balanced"
    r = Counterfactual.from_world(w, closure="fixed-ratios").tariff("C00", "C01", "all", 5)
    assert np.array_equal(r.deficits, w.deficit) and r.describe().endswith("closure: fixed-ratios")
    assert r.with_closure("balanced").changes == r.changes
    with pytest.raises(ShockError, match="unknown closure"):
        Counterfactual.from_world(w, closure="floating")
    with pytest.raises(ShockError, match="cannot keep deficits='baseline'"):
        Counterfactual.from_world(w, closure="balanced", deficits="baseline")


# ----------------------------------------------------------------------------- decomposition
def _decomposition_error(w, closure, eps):
    cf = (
        Counterfactual.from_world(w, closure=closure)
        .tariff("C00", "C01", "all", eps)
        .tariff("C02", "all", "all", eps / 2)
    )
    eq = solve(w, cf, tol=1e-14)
    d = eq.decomposition
    lnW = np.log(eq.welfare_hat)
    full = d["terms_of_trade"] + d["volume_of_trade"] + d["deficit"]
    partial = d["terms_of_trade"] + d["volume_of_trade"]
    return np.abs(full - lnW).max(), np.abs(partial - lnW).max(), np.abs(d["deficit"]).max(), np.abs(lnW).max()


@pytest.mark.parametrize("closure", ["fixed-deficits", "fixed-ratios"])
@pytest.mark.parametrize("sectors", [1, 3])
def test_tot_vot_and_deficit_terms_add_up_to_the_welfare_change(closure, sectors):
    w = random_world(5, sectors, seed=12, tariff_max=0.1)
    e1, p1, d1, W1 = _decomposition_error(w, closure, 1.0)
    e2, p2, d2, W2 = _decomposition_error(w, closure, 0.5)
    # the three terms are the first-order change of ln W: the gap is second order
    assert e1 < 0.1 * W1 and e2 < e1 / 3.5
    if closure == "fixed-deficits":
        assert d1 == 0.0
    elif sectors == 1:
        # the deficit term is first order, and without it the sum is off at first order
        assert d2 > 5 * e2 and p2 > 5 * e2 and p2 > p1 / 2.5
