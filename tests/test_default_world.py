"""The shipped default world: it loads, passes its checks, and the demo runs on it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.cli import main
from detente.equilibrium import Counterfactual, solve
from detente.world import load_world


@pytest.fixture(scope="module")
def world():
    return load_world("default")


def test_default_world_is_the_compact_oecd_world(world):
    assert world.meta.name == "oecd-icio-2022-compact"
    assert world.meta.year == 2022 and world.meta.units == "USD million"
    assert "OECD ICIO 2025 release" in world.meta.vintage
    assert {"USA", "CHN", "MEX", "CAN", "JPN", "KOR", "TWN", "VNM", "DEU", "IND", "GBR"} <= set(world.countries)
    assert {"MOTOR", "ELECTRONICS", "ELECTRICAL", "STEEL", "NONFERROUS", "CHEMICALS", "AGR"} <= set(world.sectors)
    assert set(world.services) == {"UTIL_CONSTR", "TRADE_TRANSPORT", "BUSINESS", "PUBLIC_OTHER"}
    assert len(world.meta.sector_names) == world.n_sectors


def test_default_world_passes_its_accounting_checks(world):
    world.check(tol=1e-9)


def test_default_world_orders_of_magnitude(world):
    usd_bn = 1e-3
    # world value added of the 80 ICIO economies in 2022 ~ USD 95-100 trillion
    assert 80_000 < world.value_added.sum() * usd_bn < 110_000
    usa, chn = world.country_index("USA"), world.country_index("CHN")
    assert 20_000 < world.value_added[usa] * usd_bn < 30_000
    assert 14_000 < world.value_added[chn] * usd_bn < 21_000
    assert world.deficit[usa] > 0 > world.deficit[chn]  # US deficit, Chinese surplus
    # US tariffs on China are far above those on Canada and Mexico (Section 301)
    t = world.tariffs
    goods = [world.sector_index(s) for s in world.goods]
    assert t[usa, chn, goods].mean() > 5 * t[usa, world.country_index("MEX"), goods].mean()
    assert np.all(t[:, :, [world.sector_index(s) for s in world.services]] == 0)


def test_april_2025_peak_on_default_world(world):
    cf = Counterfactual.from_world(world).tariff("USA", "CHN", "goods", 145).tariff("CHN", "USA", "goods", 125)
    eq = solve(world, cf)
    usa, chn = world.country_index("USA"), world.country_index("CHN")
    assert eq.welfare_hat[usa] < 1 and eq.welfare_hat[chn] < 1  # both lose
    assert eq.trade_flows[usa, chn].sum() < 0.5 * world.trade_flows[usa, chn].sum()
    assert eq.welfare_hat[world.country_index("VNM")] > 1  # trade diversion helps a third country


def test_demo_command(tmp_path, capsys):
    out = tmp_path / "peak.json"
    assert main(["whatif", "--preset", "april-2025-peak", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "April 2025 peak" in printed and "USD bn" in printed and "OECD ICIO 2025 release" in printed
    rec = json.loads(out.read_text())
    assert rec["meta"]["world"] == "oecd-icio-2022-compact" and rec["meta"]["solver"]["converged"]
