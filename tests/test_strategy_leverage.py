"""Leverage of tariff threats, tech controls and critical-input cut-offs; threat points."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.errors import DetenteError
from detente.strategy import (
    CriticalInputCutoff,
    TariffThreat,
    TechControl,
    leverage_table,
    threat_points,
)
from detente.world import load_world, random_world


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


def test_shortage_loss_model_refuses_the_cut_offs_products():
    """The weekly reading of a side's cut-off refuses the products its nest reading
    refuses (CRITICAL_2025), not every product the supplier happens to make."""
    from detente.shortage import load_registry
    from detente.strategy import shortage_loss_model
    from detente.strategy._leverage import CN_CRITICAL_2025, US_CRITICAL_2025

    w = load_world("default")
    default = shortage_loss_model(w)
    rare_earths = shortage_loss_model(w, products=CN_CRITICAL_2025)
    assert default("CHN", "USA", 1.0) == rare_earths("CHN", "USA", 1.0)
    assert default("USA", "CHN", 0.75) == shortage_loss_model(w, products=US_CRITICAL_2025)("USA", "CHN", 0.75)
    every = shortage_loss_model(w, products=load_registry().ids)("CHN", "USA", 1.0)
    assert every["USA"] > default("CHN", "USA", 1.0)["USA"] > 0  # graphite, gallium, ... add to it
    assert (
        0 < default("CHN", "USA", 0.4)["USA"] < default("CHN", "USA", 0.75)["USA"] < default("CHN", "USA", 1.0)["USA"]
    )
    assert default("CHN", "USA", 0.0) == {}
    with pytest.raises(DetenteError, match="unknown critical input 'unobtainium'"):
        shortage_loss_model(w, products={"CHN": ("unobtainium",)})


def test_threat_points_read_each_cut_once():
    """With a loss model, the threat points read each critical input once: China's nest
    cut-off gives way to the shortage reading, and the US licences keep only the coverage
    of sectors without a registry product in its cut-off (ethane, in mining and energy)."""
    from detente.strategy import default_instruments
    from detente.strategy._leverage import read_once

    w = load_world("default")

    def loss(supplier, target, severity):
        return {target: 1000.0 * severity}

    weekly = CriticalInputCutoff(products=(), severity=0.75, loss_model=loss)
    us = read_once(w, "USA", (*default_instruments("USA"), weekly))
    cn = read_once(w, "CHN", (*default_instruments("CHN"), weekly))
    assert [type(x).__name__ for x in us] == ["TariffThreat", "TechControl", "CriticalInputCutoff"]
    assert us[1].coverage == {
        "MIN_ENERGY": 0.2
    }  # EDA (BUSINESS) and jet engines (OTHER_TRANSPORT) left to the loss model
    assert [type(x).__name__ for x in cn] == ["TariffThreat", "CriticalInputCutoff"]
    assert cn[1] is weekly and cn[1].extra_losses("CHN", "USA") == {"USA": 750.0}
    assert read_once(w, "CHN", default_instruments("CHN")) == default_instruments("CHN")  # no loss model: as given
    both = threat_points(w, ("USA", "CHN"), {"USA": us, "CHN": cn}).set_index("threat")
    again = threat_points(w, ("USA", "CHN"), {"USA": us, "CHN": (*cn, CriticalInputCutoff())}).set_index("threat")
    assert np.allclose(both.to_numpy(), again.to_numpy())  # the nest cut-off added back is left out again
    nest = threat_points(w, ("USA", "CHN")).set_index("threat")
    assert both.loc["tariffs"].equals(nest.loc["tariffs"])
