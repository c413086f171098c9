"""One instrument model: every instrument is a value with one translation per model, and
the command line, the strategy tools and the scenario events build the same values."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from detente.equilibrium import Counterfactual
from detente.errors import ShockError
from detente.instruments import ExportLicence, ExportTax, Quota, Tariff, TradeCost, approval_on, parse
from detente.world import load_world


@pytest.fixture(scope="module")
def world():
    return load_world("default")


def _same(a, b) -> bool:
    return (
        np.array_equal(a.tariffs, b.tariffs)
        and np.array_equal(a.iceberg, b.iceberg)
        and np.array_equal(a.export_taxes, b.export_taxes)
        and a.critical_cuts == b.critical_cuts
    )


def test_each_instrument_translates_to_the_counterfactual_method(world):
    cf = Counterfactual.from_world(world)
    assert _same(Tariff("USA", "CHN", "goods", 25).to_static(cf), cf.tariff("USA", "CHN", "goods", 25))
    assert _same(Tariff("CHN", "USA", "MOTOR", 10, "set").to_static(cf), cf.tariff("CHN", "USA", "MOTOR", 10, "set"))
    assert _same(
        TradeCost("USA", "CHN", "ELECTRONICS", 1.2).to_static(cf), cf.iceberg_cost("USA", "CHN", "ELECTRONICS", 1.2)
    )
    assert _same(ExportTax("CHN", "all", "STEEL", 20).to_static(cf), cf.export_tax("CHN", "all", "STEEL", 20))
    lic = ExportLicence("USA", "CHN", 0.5, coverage={"BUSINESS": 0.06, "OTHER_TRANSPORT": 0.15})
    direct = cf.licence("USA", "CHN", "BUSINESS", 0.03).licence("USA", "CHN", "OTHER_TRANSPORT", 0.075)
    assert _same(lic.to_static(cf), direct)
    cut = ExportLicence("CHN", "all", 1.0, product="ndfeb-magnets", licence="ban", horizon="1y")
    assert _same(cut.to_static(cf), cf.critical_input_cut("ndfeb-magnets", "CHN", "all", 1.0, horizon="1y"))
    # a quota is the general licence refusing what it does not allow
    assert Quota("CHN", "USA", 0.25, product="gallium") == ExportLicence(
        "CHN", "USA", 0.75, product="gallium", licence="general"
    )
    # nothing refused is no change
    assert _same(ExportLicence("USA", "CHN", 0.0, coverage={"BUSINESS": 1.0}).to_static(cf), cf)


def test_apply_folds_instruments_in_order(world):
    cf = Counterfactual.from_world(world)
    moves = [
        Tariff("USA", "CHN", "goods", 145),
        Tariff("CHN", "USA", "goods", 125),
        TradeCost("USA", "CHN", "all", 1.1),
    ]
    a = cf.apply(*moves)
    b = cf.tariff("USA", "CHN", "goods", 145).tariff("CHN", "USA", "goods", 125).iceberg_cost("USA", "CHN", "all", 1.1)
    assert _same(a, b) and a.changes == b.changes


def test_command_line_spellings_read_into_the_same_values():
    assert parse("USA<-CHN:goods:+25") == Tariff("USA", "CHN", "goods", 25.0, "add")
    assert parse("CHN<-USA:MOTOR:=10") == Tariff("CHN", "USA", "MOTOR", 10.0, "set")
    assert parse("USA<-CHN:ELECTRONICS:x1.2", "iceberg") == TradeCost("USA", "CHN", "ELECTRONICS", 1.2)
    ban = parse("ndfeb-magnets:CHN->all:100", "cut", horizon="1y")
    assert ban == ExportLicence("CHN", "all", 1.0, product="ndfeb-magnets", licence="ban", horizon="1y")
    assert parse("ndfeb-magnets:CHN->USA:75", "cut").licence == "general"
    with pytest.raises(ShockError, match="unknown instrument"):
        parse("x", "quota")


def test_bad_licences_are_refused_naming_the_field():
    with pytest.raises(ShockError, match="a ban refuses everything"):
        ExportLicence("CHN", "all", 0.5, product="ndfeb-magnets", licence="ban")
    with pytest.raises(ShockError, match="either a registry product or a sector coverage"):
        ExportLicence("CHN", "all", 0.5, product="ndfeb-magnets", coverage={"NONFERROUS": 0.1})
    with pytest.raises(ShockError, match="either a registry product or a sector coverage"):
        ExportLicence("CHN", "all", 0.5)
    with pytest.raises(ShockError, match="refused share"):
        ExportLicence("CHN", "all", 1.5, product="gallium")
    with pytest.raises(ShockError, match="allowed share"):
        Quota("CHN", "all", -0.1, product="gallium")
    with pytest.raises(ShockError, match="weekly shortage model"):
        ExportLicence("USA", "CHN", 1.0, coverage={"BUSINESS": 0.06}).to_shortage(dt.date(2025, 1, 1))


def test_the_weekly_model_reads_the_same_licence_path():
    """A licence's shortage translation passes, day by day, what the shared reading says."""
    start = dt.date(2025, 4, 4)
    lic = ExportLicence("CHN", "all", 0.75, product="ndfeb-magnets", review_days=45)
    step = lic.to_shortage(start)
    for day in (start, start + dt.timedelta(days=44), start + dt.timedelta(days=45), dt.date(2025, 12, 1)):
        assert step.approval_on(day) == approval_on("per_shipment", start, 45, 0.25, day)
    assert step.approval_on(start) == 0 and step.approval_on(dt.date(2025, 12, 1)) == 0.25
    ban = ExportLicence("CHN", "all", 1.0, product="ndfeb-magnets", licence="ban").to_shortage(start)
    assert ban.approval_on(dt.date(2025, 12, 1)) == 0


def test_strategy_moves_are_instruments(world):
    from detente.strategy import CriticalInputCutoff, TariffThreat, TechControl
    from detente.strategy._package import PackageSpace
    from detente.strategy._truce import ControlLadder, TariffLadder

    cf = Counterfactual.from_world(world)
    for move in (TariffThreat(50), TechControl(), CriticalInputCutoff(severity=0.75, coverage={"NONFERROUS": 0.12})):
        inst = move.instruments("USA", "CHN")
        assert inst and _same(move.apply(cf, "USA", "CHN"), cf.apply(*inst))
    assert CriticalInputCutoff(severity=1.0).instruments("CHN", "USA")[0].licence == "ban"
    assert CriticalInputCutoff(severity=0.0).instruments("CHN", "USA") == ()
    ladder = TariffLadder({"USA": (0.0, 25.0), "CHN": (0.0, 10.0)})
    assert ladder.instruments("USA", "CHN", 0) == () and ladder.instruments("USA", "CHN", 1) == (
        Tariff("USA", "CHN", "goods", 25.0, "add"),
    )
    controls = ControlLadder(
        coverage={"USA": {"BUSINESS": 0.06}, "CHN": {"NONFERROUS": 0.12}}, refused={"USA": (0, 1), "CHN": (0, 0.5)}
    )
    (lic,) = controls.instruments("CHN", "USA", 1)
    assert lic == ExportLicence("CHN", "USA", 0.5, coverage={"NONFERROUS": 0.12})
    # China's default rungs: its licences on the registry's rare earths, read by the nest
    # as the leverage cut-off reads them; with a loss model, by the loss model alone
    nest = ControlLadder(coverage={"CHN": {}}, refused={"CHN": (0, 0.5)}, products={"CHN": ("ndfeb-magnets",)})
    assert nest.instruments("CHN", "USA", 1) == CriticalInputCutoff(("ndfeb-magnets",), 0.5).instruments("CHN", "USA")
    assert nest.instruments("CHN", "USA", 0) == ()
    shortage = dataclasses.replace(nest, loss_model=lambda imposer, target, severity: {})
    assert shortage.instruments("CHN", "USA", 1) == ()
    space = PackageSpace(players=("USA", "CHN"))
    pkg = space.instruments((30.0, 10.0, 1.0, 0.25))
    assert pkg == (
        Tariff("USA", "CHN", "goods", 30.0, "add"),
        Tariff("CHN", "USA", "goods", 10.0, "add"),
        *CriticalInputCutoff(severity=0.75).instruments("CHN", "USA"),
    )
    assert space.without_critical().instruments((30.0, 10.0, 1.0, 0.25)) == pkg[:2]
    swapped = PackageSpace(players=("CHN", "USA")).instruments((0.0, 0.0, 0.0, 0.5))
    assert swapped[0].product == "ndfeb-magnets" and swapped[0].licence == "ban"
    assert swapped[-1] == ExportLicence("USA", "CHN", 0.5, coverage=dict(TechControl().coverage))
    proxy = PackageSpace(players=("USA", "CHN"), controls=({"BUSINESS": 0.06}, {"NONFERROUS": 0.12}), critical=((), ()))
    assert proxy.instruments((30.0, 10.0, 1.0, 0.25))[2] == ExportLicence(
        "CHN", "USA", 0.75, coverage={"NONFERROUS": 0.12}
    )
    assert _same(space.counterfactual(cf, (30.0, 10.0, 1.0, 0.25)), cf.apply(*pkg))


def test_scenario_events_read_as_the_same_instruments(world):
    """A scenario's export control, export tax and trade cost, once in force (review
    over), give the static state that their instruments give."""
    from detente.policy._schema import Event, Period, Scenario
    from detente.policy._timeline import policy_state

    start = dt.date(2025, 3, 1)
    control = {
        "exporter": "USA",
        "importers": "CHN",
        "sectors": "BUSINESS",
        "coverage": 0.06,
        "approval_share": 0.2,
        "review_days": 30,
    }
    events = [
        Event(id="C1", date=start, export_control=control),
        Event(
            id="X1", date=start, export_tax={"exporter": "CHN", "importers": "all", "sectors": "STEEL", "rate_pp": 20}
        ),
        Event(
            id="I1",
            date=start,
            iceberg={"importer": "USA", "exporter": "CHN", "sectors": "ELECTRONICS", "factor": 1.25},
        ),
    ]
    sc = Scenario(name="one-of-each", period=Period(start=start, end=dt.date(2025, 6, 1)), events=events)
    state = policy_state(world, sc, dt.date(2025, 5, 1))
    cf = Counterfactual.from_world(world)
    via_timeline = state.apply(cf)
    via_instruments = cf.apply(*((e.export_control or e.export_tax or e.iceberg).to_instrument() for e in events))
    assert np.allclose(via_timeline.export_taxes, via_instruments.export_taxes, rtol=0, atol=1e-12)
    assert np.allclose(via_timeline.iceberg, via_instruments.iceberg, rtol=0, atol=1e-12)
    assert np.array_equal(via_timeline.tariffs, via_instruments.tariffs)
    magnets = Event(
        id="M1",
        date=start,
        export_control={
            "exporter": "CHN",
            "sectors": "NONFERROUS",
            "approval_share": 0.0,
            "licence": "ban",
            "product": "ndfeb-magnets",
            "coverage": 0.5,
        },
    )
    assert magnets.export_control.to_instrument() == ExportLicence(
        "CHN", "all", 1.0, product="ndfeb-magnets", licence="ban"
    )
