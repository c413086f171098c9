"""Export taxes: a wedge whose revenue (the rent of a licence or quota) accrues to the exporter."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.world import random_world


@pytest.fixture(scope="module")
def two():
    """Two countries, one sector, no intermediates, balanced trade (Lerner's setting)."""
    w = random_world(2, 1, seed=3, intermediates=False, tariff_max=0.0)
    return solve(w, Counterfactual.from_world(w, deficits="zero")).to_world("two-balanced")


def test_lerner_symmetry_an_export_tax_equals_an_import_tariff(two):
    # Lerner (1936): with balanced trade, a tax on exports is equivalent to a tax on imports
    a, b = two.countries
    tariff = solve(two, Counterfactual.from_world(two).tariff(a, b, "all", 30))
    export = solve(two, Counterfactual.from_world(two).export_tax(a, b, "all", 30))
    np.testing.assert_allclose(export.welfare_hat, tariff.welfare_hat, rtol=1e-9)
    np.testing.assert_allclose(export.real_wage_hat, tariff.real_wage_hat, rtol=1e-9)


def test_rents_accrue_to_the_exporter_not_lost_like_an_iceberg_cost():
    w = random_world(4, 3, seed=8)
    a, b = w.countries[:2]
    tax = solve(w, Counterfactual.from_world(w).export_tax(a, b, "all", 40))
    ice = solve(w, Counterfactual.from_world(w).iceberg_cost(b, a, "all", 1.4))
    n, i = w.country_index(b), w.country_index(a)
    # the same wedge on the flow, but the exporter keeps the revenue
    assert tax.solution.E[i] > 0 and np.allclose(np.delete(tax.solution.E, i), 0)
    assert tax.welfare_hat[i] > ice.welfare_hat[i]
    gdp = w.income
    assert (gdp * tax.welfare_hat).sum() > (gdp * ice.welfare_hat).sum()
    # rents = taxed sales at factory prices x rate
    x = tax.counterfactual.export_taxes
    assert tax.solution.E[i] == pytest.approx(float((tax.trade_flows[n, i] * x[n, i]).sum()), rel=1e-10)


def test_accounting_holds_with_export_taxes():
    w = random_world(4, 3, seed=2)
    cf = Counterfactual.from_world(w).export_tax("C00", "all", "S01", 25).tariff("C02", "C00", "all", 10)
    eq = solve(w, cf)
    assert max(eq.diagnostics.residuals.values()) < 1e-8
    s = eq.solution
    np.testing.assert_allclose(s.I, s.w_hat * w.value_added + s.R + s.E + s.D, rtol=1e-12)
    assert not cf.export_taxes[0, 0].any()  # domestic sales are never taxed


def test_jax_twin_reproduces_the_numpy_fixed_point_with_export_taxes():
    pytest.importorskip("jax")
    from detente.strategy._jax_kernel import JaxKernel, pack

    w = random_world(4, 3, seed=5)
    cf = Counterfactual.from_world(w).export_tax("C01", "C03", "all", 35)
    eq = solve(w, cf, tol=1e-13)
    k = JaxKernel(w.arrays(), cf.deficits, export_tax=cf.export_taxes)
    z = pack(eq.solution, w.expenditure)
    z_new = np.asarray(k.sweep(z, cf.tariffs, cf.iceberg))
    assert np.abs(z_new - z).max() < 1e-9


def test_negative_export_taxes_are_refused(two):
    from detente.errors import ShockError

    with pytest.raises(ShockError, match="negative"):
        Counterfactual.from_world(two).export_tax(*two.countries, "all", -5)
