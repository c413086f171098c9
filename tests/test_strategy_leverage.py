"""Leverage of tariff threats, tech controls and critical-input cut-offs; threat points."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.strategy import (
    CriticalInputCutoff,
    TariffThreat,
    TechControl,
    leverage_table,
    threat_points,
)
from detente.world import random_world


@pytest.fixture(scope="module")
def world():
    return random_world(4, 3, seed=3)


def test_leverage_table_reports_losses_and_ratios(world):
    inst = {"C00": (TariffThreat(80.0, "all"), TechControl({"S01": 0.6})), "C01": (TariffThreat(80.0, "all"),)}
    df = leverage_table(world, (("C00", "C01"), ("C01", "C00")), inst)
    assert list(df.instrument) == ["tariff threat", "tech export controls", "tariff threat"]
    assert (df.target_loss_pct > 0).all()  # every threat hurts its target
    # the numbers are the equilibrium's: welfare change of the target under the threat
    eq = solve(world, Counterfactual.from_world(world).tariff("C00", "C01", "all", 80))
    assert np.isclose(df.target_loss_pct[0], -100 * (eq.welfare_hat[1] - 1), rtol=1e-10)
    row = df.iloc[1]
    if row.imposer_loss_usd_bn > 0:
        assert np.isclose(row.leverage, row.target_loss_usd_bn / row.imposer_loss_usd_bn)
    else:
        assert row.leverage == np.inf


def test_critical_input_loss_model_is_added(world):
    calls = []

    def loss(supplier, target, severity):
        calls.append((supplier, target, severity))
        return {target: 1000.0 * severity, supplier: 100.0 * severity}

    plain = leverage_table(world, (("C01", "C00"),), {"C01": (CriticalInputCutoff((), coverage={"S00": 0.4}),)})
    withloss = leverage_table(
        world,
        (("C01", "C00"),),
        {"C01": (CriticalInputCutoff((), coverage={"S00": 0.8}, severity=0.5, loss_model=loss),)},
    )
    assert calls == [("C01", "C00", 0.5)]
    assert np.isclose(withloss.target_loss_usd_bn[0] - plain.target_loss_usd_bn[0], 0.5)
    assert np.isclose(withloss.imposer_loss_usd_bn[0] - plain.imposer_loss_usd_bn[0], 0.05)
    # a shortage-only cut-off (no static coverage) leaves the equilibrium unchanged
    only = leverage_table(world, (("C01", "C00"),), {"C01": (CriticalInputCutoff((), severity=1.0, loss_model=loss),)})
    assert np.isclose(only.target_loss_usd_bn[0], 1.0) and np.isclose(only.leverage, 10.0)


def test_threat_points_are_worse_the_more_instruments_are_used(world):
    inst = {
        "C00": (TariffThreat(60.0, "all"), TechControl({"S01": 0.4})),
        "C01": (TariffThreat(60.0, "all"), CriticalInputCutoff((), coverage={"S02": 0.4})),
    }
    tp = threat_points(world, ("C00", "C01"), inst).set_index("threat")
    assert list(tp.index) == ["tariffs", "controls", "all"]
    assert (tp.loc["controls"] < 0).all()  # mutual controls hurt both
    assert (tp.loc["all"] <= tp.loc["controls"] + 1e-12).all()


def test_tech_controls_follow_the_scenario_rule_and_pay_the_imposer_rent():
    from detente.world import load_world

    w = load_world("default", horizon="long")
    cf = TechControl().apply(Counterfactual.from_world(w), "USA", "CHN")
    eq = solve(w, cf)
    n, i = w.country_index("CHN"), w.country_index("USA")
    for sector, share in {"BUSINESS": 0.06, "OTHER_TRANSPORT": 0.15, "MIN_ENERGY": 0.20}.items():
        j = w.sector_index(sector)
        # at given costs and prices the controlled flow falls by exactly the covered share
        s = eq.solution
        ratio = s.pi[n, i, j] / w.trade_shares[n, i, j] * (s.c_hat[i, j] / s.P_hat[n, j]) ** w.theta[j]
        assert ratio == pytest.approx(1 - share, rel=1e-9)
    # far narrower than a 1.5x trade cost on whole sectors, and the rent accrues to the US
    assert eq.solution.E[i] > 0
    base = w.trade_flows[n, i]
    fall = 1 - eq.trade_flows[n, i].sum() / base.sum()
    assert fall < 0.1


def test_rare_earth_leverage_reads_the_nest_like_whatif_cut():
    """China's critical-input cut-off in the leverage table is the same instrument as
    `whatif --cut` (the users' nested CES block): the same US loss, and far above the old
    parent-sector proxy."""
    from detente.world import load_world

    w = load_world("default")
    inst = CriticalInputCutoff(("ndfeb-magnets",), severity=0.75)
    table = leverage_table(w, (("CHN", "USA"),), {"CHN": (inst,)})
    cf = Counterfactual.from_world(w).critical_input_cut("ndfeb-magnets", "CHN", "USA", 0.75)
    direct = 100 * (1 - solve(w, cf).welfare_hat[w.country_index("USA")])
    assert np.isclose(table.target_loss_pct[0], direct, rtol=1e-9)
    proxy = leverage_table(
        w, (("CHN", "USA"),), {"CHN": (CriticalInputCutoff((), coverage={"NONFERROUS": 0.12}, severity=0.75),)}
    )
    assert table.target_loss_pct[0] > 10 * abs(proxy.target_loss_pct[0])
    assert "nested CES" in table.description[0]
