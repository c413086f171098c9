"""Replays: one event equals the direct equilibrium, states are solved once, variants
compose, and the export-control equivalent cuts the controlled flow as documented."""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.errors import ScenarioError
from detente.policy import apply_variant, average_tariff, parse_scenario, replay
from detente.world import WorldMeta, random_world

SERVICES = ("SVC",)


@pytest.fixture(scope="module")
def world():
    w = random_world(4, 4, seed=7)
    return w.replace(
        countries=("USA", "CHN", "DEU", "ROW"),
        sectors=("AGR", "NONFERROUS", "MOTOR", "SVC"),
        meta=WorldMeta(name="test-4x4", vintage="synthetic", services=SERVICES),
    )


def scenario(events: str, extra: str = "", step: str = "month"):
    head = f"name: t\nperiod: {{start: 2025-01-01, end: 2025-06-30, step: {step}}}\nevents:\n"
    return parse_scenario(head + textwrap.dedent(events) + textwrap.dedent(extra), "t.yaml")


ONE = "  - {id: hike, date: 2025-03-01, tariff: {importer: USA, exporter: CHN, sectors: goods, layer: x, op: set, rate_pp: 50}}\n"


def test_one_event_equals_the_direct_equilibrium(world):
    rp = replay(scenario(ONE), world)
    direct = solve(world, Counterfactual.from_world(world).tariff("USA", "CHN", "goods", 50, op="add"))
    ds = rp.dataset
    on = ds.sel(date="2025-04-01")
    np.testing.assert_allclose(on["welfare_pct"].values, 100 * (direct.welfare_hat - 1), atol=1e-9)
    np.testing.assert_allclose(on["cpi_pct"].values, 100 * (direct.consumer_price_hat - 1), atol=1e-9)
    # consumer prices are read relative to the own nominal wage: the inverse of the real wage
    np.testing.assert_allclose(direct.consumer_price_hat * direct.real_wage_hat, 1.0, rtol=1e-12)
    np.testing.assert_allclose(on["trade"].values, direct.trade_flows, rtol=1e-9)
    np.testing.assert_allclose(on["tariff_revenue"].values, direct.solution.R, rtol=1e-9)
    before = ds.sel(date="2025-02-01")
    np.testing.assert_allclose(before["welfare_pct"].values, 0, atol=1e-9)


def test_identical_states_are_solved_once(world):
    sc = scenario(
        "  - {date: 2025-02-01, until: 2025-04-01, tariff: {importer: USA, exporter: CHN, layer: x, op: set, rate_pp: 25}}\n",
        step="week",
    )
    calls = []
    rp = replay(sc, world, progress=lambda done, total, d: calls.append((done, total, d)))
    assert rp.n_solves == 2 and len(rp.equilibria) == 2
    assert len(calls) == len(rp.dates) > 20 and calls[-1][0] == calls[-1][1]
    assert rp.dataset.attrs["n_solves"] == 2
    # the state before and after the tariff is the same: same results
    a, b = rp.dataset.sel(date="2025-01-01"), rp.dataset.sel(date="2025-05-07")
    np.testing.assert_array_equal(a["welfare_pct"].values, b["welfare_pct"].values)
    assert [d for d, _, _ in rp.change_points()] == [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 4, 1)]


VARIANTS = """\
overrides:
  drop: {remove_events: [hike]}
  add-cn: {add_events: [{id: cn, date: 2025-03-01, tariff: {importer: CHN, exporter: USA, layer: y, op: set, rate_pp: 30}}]}
variants:
  both: {compose: [drop, add-cn]}
  bigger: {replace_events: {hike: {date: 2025-03-01, tariff: {importer: USA, exporter: CHN, layer: x, op: set, rate_pp: 100}}}}
"""


def test_variants_compose(world):
    sc = scenario(ONE, VARIANTS)
    both = apply_variant(sc, "both")
    chained = apply_variant(sc, "drop+add-cn")
    assert [e.id for e in both.events] == [e.id for e in chained.events] == ["cn"]
    bigger_then_cn = apply_variant(sc, "bigger+add-cn")
    assert [e.id for e in bigger_then_cn.events] == ["hike", "cn"]
    assert bigger_then_cn.events[0].tariff.rate_pp == 100
    r1 = replay(sc, world, variant="both").dataset
    r2 = replay(sc, world, variant="drop+add-cn").dataset
    np.testing.assert_allclose(r1["welfare_pct"].values, r2["welfare_pct"].values)
    assert r1.attrs["variant"] == "both"
    u, c = 0, 1
    assert float(r1["avg_additional_tariff_pct"].sel(importer="USA", exporter="CHN", date="2025-04-01")) == 0
    assert float(
        r1["avg_additional_tariff_pct"].sel(importer="CHN", exporter="USA", date="2025-04-01")
    ) == pytest.approx(30)
    assert r1["tariff_pct"].values[u, c, 0, -1] == pytest.approx(100 * world.tariffs[u, c, 0])
    with pytest.raises(Exception, match="no variant 'nope'"):
        apply_variant(sc, "nope")


def test_export_control_cuts_the_controlled_flow_by_the_refused_share(world):
    coverage, approval = 0.3, 0.25
    sc = scenario(
        f"  - {{date: 2025-02-01, export_control: {{exporter: CHN, importers: USA, sectors: NONFERROUS, "
        f"coverage: {coverage}, approval_share: {approval}}}}}\n"
    )
    rp = replay(sc, world)
    eq = rp.equilibrium_on(dt.date(2025, 3, 1))
    n, i, j = 0, 1, 1
    refused = coverage * (1 - approval)
    theta = world.theta[j]
    x = eq.counterfactual.export_taxes
    assert 1 + x[n, i, j] == pytest.approx((1 - refused) ** (-1 / theta))
    s = eq.solution
    # at given costs and prices, the flow falls by exactly the refused share
    ratio = s.pi[n, i, j] / world.trade_shares[n, i, j] * (s.c_hat[i, j] / s.P_hat[n, j]) ** theta
    assert ratio == pytest.approx(1 - refused, rel=1e-9)
    # the controlled flow falls (general equilibrium included); untouched flows are not cut
    trade = rp.dataset["trade"]
    assert float(trade.sel(importer="USA", exporter="CHN", sector="NONFERROUS", date="2025-03-01")) < world.trade_flows[
        n, i, j
    ] * (1 - 0.5 * refused)
    assert np.all(x[np.arange(4) != 0] == 0.0) and np.all(eq.counterfactual.iceberg == 1.0)
    # a licence is no tariff: the importer raises no revenue; the exporter keeps the rent
    assert np.array_equal(eq.counterfactual.tariffs, world.tariffs)
    assert s.E[i] > 0 and s.E[i] == pytest.approx(float(eq.trade_flows[n, i, j] * x[n, i, j]), rel=1e-9)


def test_average_tariff_uses_fixed_baseline_goods_weights(world):
    rp = replay(scenario(ONE), world)
    w = world.trade_flows[0, 1, :3]
    tau = 100 * world.tariffs[0, 1, :3] + 50
    expected = (w * tau).sum() / w.sum()
    got = float(rp.dataset["avg_tariff_pct"].sel(importer="USA", exporter="CHN", date="2025-04-01"))
    assert got == pytest.approx(expected)
    goods = np.array([True, True, True, False])
    assert average_tariff(world.trade_flows, 100 * world.tariffs, goods)[0, 1] == pytest.approx(
        (w * 100 * world.tariffs[0, 1, :3]).sum() / w.sum()
    )
    assert float(
        rp.dataset["layer_pct"].sel(layer="x", importer="USA", exporter="CHN", date="2025-04-01")
    ) == pytest.approx(50)


def test_in_force_is_the_last_replay_date_on_or_before(world):
    rp = replay(scenario(ONE), world)
    assert rp.in_force(dt.date(2025, 3, 15)) == dt.date(2025, 3, 1)
    assert rp.in_force(dt.date(2025, 3, 1)) == dt.date(2025, 3, 1)
    with pytest.raises(ScenarioError, match="before the replay's first date"):
        rp.in_force(dt.date(2024, 12, 31))
