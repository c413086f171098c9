"""The shipped 2018-2020 scenario: reproducible build, HS6-derived layers, re-based
baseline, replay, and the 2018-2026 average-tariff series."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from detente.policy import baseline_tariffs, layer_rates, load_scenario, rebase, replay, tariff_series, tariff_state
from detente.world import load_world

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
SCRIPT = REPO / "scripts" / "build_scenario_2018_2020.py"
needs_data = pytest.mark.skipif(
    not (DATA / "us_china" / "hs6_2018_2020").is_dir(),
    reason=f"shared source data not found at {DATA} (dev-time build check)",
)


def _script():
    spec = importlib.util.spec_from_file_location("build_scenario_2018_2020", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_scenario_2018_2020"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def world():
    return load_world("default")


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("us-china-2018-2020")


@pytest.fixture(scope="module")
def series():
    return tariff_series().set_index("date")


@needs_data
def test_build_is_reproducible_and_matches_the_shipped_file(tmp_path):
    mod = _script()
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert mod.main(["--data", str(DATA), "--out", str(a)]) == 0
    assert mod.main(["--data", str(DATA), "--out", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    shipped = REPO / "src" / "detente" / "scenarios" / "us-china-2018-2020.yaml"
    assert a.read_bytes() == shipped.read_bytes(), "shipped scenario is stale: rerun the script"


@needs_data
def test_layers_equal_the_hs6_derived_sector_rates(world, scenario):
    rates = _script().sector_rates(DATA)
    u, c = world.country_index("USA"), world.country_index("CHN")
    tau0 = baseline_tariffs(world, scenario)
    for g, v in rates["us_base"].items():
        assert 100 * tau0[u, c, world.sector_index(g)] == pytest.approx(v, abs=1e-4)
    for g, v in rates["cn_base"].items():
        assert 100 * tau0[c, u, world.sector_index(g)] == pytest.approx(v, abs=1e-4)
    for key, n, i, layer in (("us_layer", u, c, "section-301"), ("cn_layer", c, u, "retaliation")):
        for d, by_sector in rates[key].items():
            got = layer_rates(world, scenario, dt.date.fromisoformat(d))[layer]
            for g, v in by_sector.items():
                assert got[n, i, world.sector_index(g)] == pytest.approx(v, abs=1e-4), (layer, d, g)


def test_shipped_file_validates_and_has_the_expected_shape(world, scenario):
    from detente.policy._commands import validate_file

    assert "OK" in validate_file("us-china-2018-2020", world=world)
    # every goods sector on both sides, but US PHARMA: chapter 30 is duty free and on no
    # list, so the US HS6 file has no lines and the world's rate (0.02%) stays
    assert scenario.baseline is not None and len(scenario.baseline.tariffs) == 2 * len(world.goods) - 1
    assert set(scenario.layers) == {"section-301", "section-232", "retaliation"}
    notices = {e.id for e in scenario.events if e.kind == "notice"}
    assert {"e008", "e010", "e014", "e015-signed", "e017"} <= notices


def test_rebased_world_is_consistent_and_cached(world, scenario):
    from detente.policy import world_for

    world = world_for(scenario, world, horizon=scenario.baseline.horizon)  # as replay re-bases
    w0 = rebase(world, scenario)
    w0.check()
    assert rebase(world, scenario) is w0
    u, c = world.country_index("USA"), world.country_index("CHN")
    assert np.allclose(w0.tariffs, baseline_tariffs(world, scenario))
    # pre-war tariffs are far lower than the 2022 ones, so bilateral trade is larger
    # (long-run default elasticities: about +19% and +30%; observed US imports from China
    # were USD 505 bn in 2017 and 537 bn in 2022, so the pre-war flow must stay well below 2x)
    for a, b in ((u, c), (c, u)):
        assert 1.1 * world.trade_flows[a, b].sum() < w0.trade_flows[a, b].sum() < 2 * world.trade_flows[a, b].sum()


def test_replay_costs_china_more_than_the_us_by_2020(world, scenario):
    # at the default 1-year elasticities the US change is small (ex-post estimates: about
    # -0.04% of GDP, docs/validation.md); China, facing the larger tariff increase, loses more
    rp = replay(scenario, world)
    wf = rp.dataset["welfare_pct"]
    us, cn = float(wf.sel(country="USA", date="2020-02-14")), float(wf.sel(country="CHN", date="2020-02-14"))
    assert float(wf.sel(country="USA", date="2018-01-01")) == pytest.approx(0, abs=1e-9)
    assert abs(us) < 0.15
    assert cn < -0.1 and cn < us
    assert rp.n_solves <= 14


def test_replay_at_long_run_elasticities_costs_both_sides(world, scenario):
    rp = replay(scenario, world, horizon="long")
    wf = rp.dataset["welfare_pct"]
    assert float(wf.sel(country="USA", date="2020-02-14")) < 0
    assert float(wf.sel(country="CHN", date="2020-02-14")) < 0


def test_series_steps_match_the_headline_measures(world, scenario, series):
    s = series
    # before the war: MFN only
    assert 2 < s.loc["2018-01-01", "USA_on_CHN_pct"] < 5
    assert 6 < s.loc["2018-01-01", "CHN_on_USA_pct"] < 11
    # escalation 2018-2019 is monotone on both sides
    war = s.loc["2018-01-01":"2019-09-01"]
    assert (np.diff(war["USA_on_CHN_pct"]) >= -1e-9).all()
    cn = s.loc["2018-01-01":"2018-09-24", "CHN_on_USA_pct"]
    assert (np.diff(cn) >= -1e-9).all()
    # Phase One lowers both; flat until the 2024 Section 301 tranche
    assert s.loc["2020-02-14", "USA_on_CHN_pct"] < s.loc["2019-09-01", "USA_on_CHN_pct"]
    assert s.loc["2020-02-14", "CHN_on_USA_pct"] < s.loc["2019-09-01", "CHN_on_USA_pct"]
    assert not any(dt.date(2020, 2, 15) <= d.date() < dt.date(2024, 9, 27) for d in s.index)
    # April 2025 peak: the US 145 pp minus exemptions, China's 125 pp
    peak = s.loc["2025-04-12"]
    assert peak["USA_on_CHN_pct"] > 110 and peak["CHN_on_USA_pct"] > 140
    assert s["CHN_on_USA_pct"].idxmax().date() == dt.date(2025, 4, 12)
    assert s.index[-1].date() == dt.date(2026, 7, 31)


def test_list_1_goods_pay_25_points_more_from_2018_07_06(world, scenario):
    # The HS6 lines of List 1 pay 25 pp more; at sector level the increment is the
    # covered share times 25, so no sector exceeds 25 pp (bar 50 pp lines) and the
    # MACHINERY/ELECTRONICS sectors carry most of it.
    u, c = world.country_index("USA"), world.country_index("CHN")
    before = layer_rates(world, scenario, dt.date(2018, 7, 5))["section-301"][u, c]
    after = layer_rates(world, scenario, dt.date(2018, 7, 6))["section-301"][u, c]
    assert np.allclose(before, 0)
    assert after[world.sector_index("MACHINERY")] > 5
    assert (after <= 26).all()


@needs_data
def test_list_1_lines_rise_by_exactly_25_points():
    us = _script().us_hs6(DATA)
    rise = us["2018-07-06"] - us["2018-01-01"]
    on_list = rise[rise > 0]
    assert (on_list.round(6) == 25).mean() > 0.85  # the rest: HS6 lines that mix HS8 rates


def test_series_is_fast_and_needs_no_solve(monkeypatch):
    """The series reads tariffs only: every equilibrium goes through the kernel's solve_hat
    (bound by name in equilibrium._solve) or the batched kernel, and both are made to fail."""
    import detente.equilibrium._batch as batch
    import detente.equilibrium._solve as solve_mod

    def boom(*a, **k):
        raise AssertionError("solved")

    monkeypatch.setattr(solve_mod, "solve_hat", boom)
    monkeypatch.setattr(batch, "solve_batch", boom)
    f = tariff_series(freq="MS")
    assert list(f.columns[:3]) == ["date", "USA_on_CHN_pct", "CHN_on_USA_pct"]
    assert f["date"].iloc[0] == np.datetime64("2018-01-01")


def test_tariffs_command_prints_and_writes_csv(tmp_path, capsys):
    import argparse

    from detente.cli.scenarios import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    out = tmp_path / "series.csv"
    args = parser.parse_args(["tariffs", "--csv", str(out)])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "2020-02-14" in text and "USA on CHN" in text
    import pandas as pd

    frame = pd.read_csv(out)
    assert frame["date"].iloc[0] == "2018-01-01" and len(frame) > 20


def test_tariff_state_on_2020_uses_the_rebased_baseline(world, scenario):
    w0 = world.replace(tariffs=baseline_tariffs(world, scenario))
    tau = tariff_state(w0, scenario, dt.date(2020, 2, 14))
    u, c = world.country_index("USA"), world.country_index("CHN")
    assert (tau[u, c, : len(world.goods)] >= w0.tariffs[u, c, : len(world.goods)] - 1e-12).all()
