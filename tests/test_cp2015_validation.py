"""Validation against Caliendo & Parro (2015), Table 2: NAFTA's tariff changes.

The paper reports welfare (terms of trade + volume of trade) of +1.31% for Mexico,
-0.06% for Canada and +0.08% for the USA, and real wages of +1.72%, +0.32%, +0.11%.
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.world import load_cp2015
from detente.world._cp2015 import nafta_tariffs

TABLE2_WELFARE = {"Mexico": 1.31, "Canada": -0.06, "USA": 0.08}
TABLE2_REAL_WAGE = {"Mexico": 1.72, "Canada": 0.32, "USA": 0.11}


@pytest.fixture(scope="module")
def nafta(cp2015_zero_deficit, cp2015_dir):
    w = cp2015_zero_deficit
    cf = Counterfactual(
        w,
        nafta_tariffs(w, cp2015_dir),
        np.ones_like(w.tariffs),
        np.zeros(w.n_countries),
        label="NAFTA tariff changes 1993 -> 2005",
    )
    return solve(w, cf)


def test_loader_shapes_and_baseline(cp2015_dir):
    w = load_cp2015(cp2015_dir)
    assert (w.n_countries, w.n_sectors) == (31, 40)
    assert w.countries[19] == "Mexico" and w.sectors[17] == "Auto"
    # the 20 service sectors are non-tradable: identity trade shares
    assert np.allclose(w.trade_shares[:, :, 20:], np.eye(31)[:, :, None])
    assert np.isclose(w.theta[6], 64.85) and np.all(w.theta[20:] == 8.22)


@pytest.mark.parametrize("country", ["Mexico", "Canada", "USA"])
def test_table2_welfare(nafta, country):
    t = nafta.country_table()
    assert t.loc[country, "welfare_cp_pct"] == pytest.approx(TABLE2_WELFARE[country], abs=0.01)


@pytest.mark.parametrize("country", ["Mexico", "Canada", "USA"])
def test_table2_real_wage(nafta, country):
    t = nafta.country_table()
    assert t.loc[country, "real_wage_pct"] == pytest.approx(TABLE2_REAL_WAGE[country], abs=0.01)


def test_zero_deficit_baseline_is_consistent(cp2015_zero_deficit):
    w = cp2015_zero_deficit
    assert max(w.accounting_residuals().values()) < 1e-10
    assert np.abs(w.deficit).max() == 0.0


def test_zero_shock_on_cp_world(cp2015_zero_deficit):
    eq = solve(cp2015_zero_deficit)
    assert np.abs(eq.welfare_hat - 1).max() < 1e-12
