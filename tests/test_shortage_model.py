"""The shortage model on the default (compact) world: properties, scenario, CLI, Monte Carlo."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import numpy as np
import pytest

from detente.shortage import (
    Restriction,
    ShortageSettings,
    build_model,
    load_registry,
    monte_carlo,
    simulate,
    simulate_scenario,
)
from detente.world import load_world

START = dt.date(2025, 4, 7)


@pytest.fixture(scope="module")
def world():
    return load_world("default")


@pytest.fixture(scope="module")
def model(world):
    return build_model(world, load_registry(), ["ndfeb-magnets"])


def _ban(weeks, approval=0.0, importers=("USA",)):
    if weeks == 0:
        return []
    return [Restriction("ndfeb-magnets", "CHN", importers, START, START + dt.timedelta(days=7 * weeks),
                        approval, 0, "per_shipment")]


def _loss(world, model, weeks, approval=0.0):
    res = simulate(world, _ban(weeks, approval), start=START, weeks=30, model=model)
    return float(res.dataset.cum_output_lost.sum())


def test_zero_restriction_changes_nothing(world, model):
    res = simulate(world, _ban(12, approval=1.0), start=START, weeks=26, model=model)
    ds = res.dataset
    assert (ds.output_ratio.values == 1.0).all()
    assert (ds.cum_output_lost.values == 0).all()
    assert (ds.first_stockout_week.values == -1).all()


def test_short_restriction_loses_nothing(world):
    """With one cohort of 5 weeks' cover, a 4-week ban costs no output anywhere."""
    m = build_model(world, load_registry(), ["ndfeb-magnets"], ShortageSettings(cohorts=1))
    res = simulate(world, _ban(4), start=START, weeks=26, model=m)
    assert float(res.dataset.cum_output_lost.sum()) == 0.0


def test_loss_bounded_by_baseline_output(world, model):
    res = simulate(world, _ban(26, importers=("all",)), start=START, weeks=30, model=model)
    ds = res.dataset
    Yw = np.asarray(world.gross_output) / 52.0
    assert (ds.output_ratio.values >= 0).all() and (ds.output_ratio.values <= 1).all()
    assert (ds.output_lost.values <= Yw[None] * (1 + 1e-12)).all()
    assert (ds.va_lost.values <= ds.output_lost.values + 1e-9).all()


def test_losses_monotone_in_restricted_share_and_duration(world, model):
    by_approval = [_loss(world, model, 12, a) for a in (1.0, 0.75, 0.5, 0.25, 0.0)]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(by_approval, by_approval[1:]))
    assert by_approval[0] == 0 and by_approval[-1] > 0
    by_weeks = [_loss(world, model, w) for w in (0, 4, 8, 12, 16, 20)]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(by_weeks, by_weeks[1:]))
    assert by_weeks[-1] > by_weeks[2] > 0


def test_non_critical_input_loses_output_only_through_substitution_limits(world, tmp_path):
    """Criticality 0: users substitute fully, no loss even under a ban. Criticality c with
    other suppliers replacing a share phi of the refused supply (and shipping up to
    1 + surge): output settles at 1 - c (1 - min(1, phi (1 + surge)))."""
    f = tmp_path / "r.yaml"
    f.write_text("""
products:
  soft:
    name: a substitutable input
    parent: C24B
    supplier_shares: {CHN: 1.0}
    transit_weeks: 1
    refill_weeks: 1
    surge: 0.25
    substitution: {max_share: 0.4, ramp_weeks: 1}
    users:
      - {industry: C29, intensity: 0.001, criticality: 0.0, inventory_days: 7}
      - {industry: C27, intensity: 0.001, criticality: 0.5, inventory_days: 7}
""")
    reg = load_registry(f)
    st = ShortageSettings(cohorts=1, propagate=False)
    r = [Restriction("soft", "CHN", ("USA",), START, None, 0.0, 0, "ban")]
    ds = simulate(world, r, start=START, weeks=20, registry=reg, settings=st).dataset
    assert (ds.output_ratio.sel(country="USA", sector="MOTOR").values == 1.0).all()
    elec = ds.output_ratio.sel(country="USA", sector="ELECTRICAL").values
    assert elec[-1] == pytest.approx(1 - 0.5 * (1 - min(1.0, 0.4 * 1.25)))
    assert elec.min() >= 0.5


def test_propagation_reaches_downstream_buyers(world, model):
    res = simulate(world, _ban(20, importers=("all",)), start=START, weeks=30, model=model)
    first = res.dataset.first_loss_week
    # a sector that uses no magnets itself loses output through its inputs, later
    direct = int(first.sel(country="DEU", sector="MOTOR"))
    assert direct >= 0
    non_users = [s for s in world.sectors if s not in
                 {"MOTOR", "ELECTRICAL", "MACHINERY", "ELECTRONICS", "OTHER_TRANSPORT"}]
    later = first.sel(sector=non_users).values
    assert (later >= 0).any() and later[later >= 0].min() > direct


def test_rare_earth_scenario_2025(world):
    res = simulate_scenario("rare-earth-magnets-2025")
    ds = res.dataset
    assert str(ds.week_start.values[0])[:10] == "2025-03-31"
    table = res.first_stockouts(["MOTOR"]).set_index("country")
    for c in ("USA", "JPN", "EUR", "IND"):
        week = table.loc[c, "first_stockout_week"]
        assert 3 <= week <= 12, (c, week)  # lines stop in May-June 2025
        assert table.loc[c, "output_lost"] > 0
    # licensed shipments to the US: May far below normal, July back near it (export data)
    ship = ds.shipped_share.sel(product="ndfeb-magnets", country="USA").to_series()
    months = ds.week_start.to_series().dt.month.values
    may, july = ship.values[months == 5].mean(), ship.values[months == 7].mean()
    assert may < 0.3 and july > 0.8
    assert ds.attrs["scenario"] == "rare-earth-magnets-2025"


def _run_cli(argv, capsys):
    from detente.shortage._cli import register

    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command"))
    args = p.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_cli_what_if(capsys):
    out = _run_cli(["shortage", "--product", "ndfeb-magnets", "--exporter", "CHN", "--importers", "USA",
                    "--weeks", "8", "--approval", "0", "--json"], capsys)
    rec = json.loads(out)
    usa = [r for r in rec["stockouts"] if r["country"] == "USA"]
    assert usa and usa[0]["first_stockout_week"] is not None and usa[0]["output_lost"] > 0
    assert [r for r in rec["value_added_lost"] if r["country"] == "USA"]


def test_cli_scenario_and_errors(capsys, tmp_path):
    out = _run_cli(["shortage", "--scenario", "rare-earth-magnets-2025", "--countries", "USA,JPN,EUR,IND",
                    "--out", str(tmp_path / "s.nc")], capsys)
    assert "first stock-outs" in out and (tmp_path / "s.nc").is_file()
    from detente.errors import DetenteError

    with pytest.raises(DetenteError, match="unknown critical input"):
        _run_cli(["shortage", "--product", "magnets"], capsys)


def test_monte_carlo_reproducible_and_chunk_independent(world, model):
    r = _ban(10, importers=("USA", "JPN"))
    a = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=5).dataset
    b = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=12).dataset
    c = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=4, workers=2).dataset
    np.testing.assert_array_equal(a.first_stockout_week.values, b.first_stockout_week.values)
    np.testing.assert_allclose(a.cum_output_lost.values, b.cum_output_lost.values, rtol=1e-5)
    np.testing.assert_allclose(a.cum_output_lost.values, c.cum_output_lost.values, rtol=1e-5)
    d = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=8, chunk=12).dataset
    assert not np.array_equal(a.cum_output_lost.values, d.cum_output_lost.values)
    assert float(a.cum_output_lost.sel(country="USA", sector="MOTOR").std()) > 0
