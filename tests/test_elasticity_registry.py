"""Tests of the elasticity registry detente.world.elasticities."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import DataError, UnknownLabelError
from detente.world._build import COMPACT_SECTORS
from detente.world._icio import ICIO_INDUSTRY_NAMES
from detente.world.elasticities import (
    HORIZONS,
    describe,
    elasticity_set,
    horizon_factor,
    import_weights,
    list_sets,
    theta_for,
)
from detente.world.elasticities._sets import default_shrinkage

ICIO = list(ICIO_INDUSTRY_NAMES)


def test_list_sets_default_first():
    names = list_sets()
    assert names[0] == "default"
    assert {"cp2015", "cp2015-paper", "blp2023", "simonovska-waugh-2014", "fontagne2022"} <= set(names)


@pytest.mark.parametrize("name", list_sets())
def test_every_set_loads_and_maps_every_industry(name):
    es = elasticity_set(name)
    assert es.name == name and es.citation and es.horizon in HORIZONS
    assert list(es.table.columns) == ["industry", "theta", "se", "note"]
    assert sorted(es.table["industry"]) == sorted(ICIO)
    theta = es.table["theta"].to_numpy(float)
    assert np.all(np.isfinite(theta)) and np.all(theta > 0)
    t = theta_for(ICIO, set=name, horizon="long")
    assert np.all(np.isfinite(t)) and np.all(t > 0)


def test_cp2015_keeps_todays_numbers_and_has_standard_errors():
    from detente.world._elasticities import trade_elasticities

    es = elasticity_set("cp2015").table.set_index("industry")
    assert es.loc["C19", "theta"] == pytest.approx(64.85)
    assert es.loc["C29", "theta"] == pytest.approx(8.22)
    assert np.isfinite(es.loc["C19", "se"]) and es.loc["C19", "se"] > 0
    assert np.isnan(es.loc["C29", "se"])  # the code's 8.22 is not an estimate
    assert np.isnan(es.loc["K", "se"])
    np.testing.assert_allclose(theta_for(ICIO, "cp2015", "long"), trade_elasticities(ICIO, "cp2015_code"))
    np.testing.assert_allclose(theta_for(ICIO, "cp2015-paper", "long"), trade_elasticities(ICIO, "paper_table1"))
    paper = elasticity_set("cp2015-paper").table.set_index("industry")
    assert paper.loc["C29", "theta"] == pytest.approx(1.84) and np.isfinite(paper.loc["C29", "se"])


def test_shrinkage_moves_imprecise_estimates_more():
    sh = default_shrinkage()
    move = np.abs(sh.shrunk - sh.theta) / np.abs(sh.theta - sh.mu)
    names = list(elasticity_set("cp2015").table.index)  # noqa: F841
    from detente.world.elasticities._sets import cp_sectors

    sectors = list(cp_sectors().index)
    petroleum, food = sectors.index("Petroleum"), sectors.index("Food")
    assert sh.tau2 > 0
    assert move[petroleum] > 0.9 and move[food] < 0.1
    assert sh.weight_on_own[petroleum] < sh.weight_on_own[food]
    assert sh.shrunk[petroleum] < 0.25 * sh.theta[petroleum]
    # precision order = shrinkage order
    order = np.argsort(sh.se)
    assert np.all(np.diff(sh.weight_on_own[order]) <= 1e-12)


def test_default_level_is_blp_long_run():
    w = import_weights().reindex(ICIO).to_numpy(float)
    t = theta_for(ICIO, "default", "long")
    assert w @ t / w.sum() == pytest.approx(2.0)
    assert w @ theta_for(ICIO, "default", "1y") / w.sum() == pytest.approx(0.76)


def test_horizon_factor_monotone_and_one_at_reference():
    hs = [0, 0.5, 1, 1.5, 2, 3, 5, 7, 10, 15]
    f = [horizon_factor(h) for h in hs]
    assert np.all(np.diff(f) >= 0)
    assert horizon_factor("long") == pytest.approx(1.0)
    assert horizon_factor("3y", reference="3y") == pytest.approx(1.0)
    assert horizon_factor("1y") == pytest.approx(0.38)
    assert horizon_factor("1y") < horizon_factor("3y") < horizon_factor("long")
    assert horizon_factor("2y") == pytest.approx(horizon_factor(2.0))


def test_compact_aggregation_matches_hand_computation():
    members = COMPACT_SECTORS["TRADE_TRANSPORT"]
    assert members == ["G", "H49", "H50", "H51", "H52", "H53", "I"]
    members = COMPACT_SECTORS["OTHER_MANUF"]  # C16 C17_18 C31T33: different thetas
    w = import_weights().reindex(members).to_numpy(float)
    v = theta_for(members, "cp2015", "long")
    expected = (w * v).sum() / w.sum()
    assert theta_for(["OTHER_MANUF"], "cp2015", "long")[0] == pytest.approx(expected)
    # same rule as detente.world._aggregate: world imports 2022 from the shipped weights
    assert len(set(np.round(v, 6))) == 3
    assert theta_for(["C19", "PETROLEUM"], "default", "1y")[0] == pytest.approx(
        theta_for(["PETROLEUM"], "default", "1y")[0]
    )


def test_weights_table_covers_all_industries():
    w = import_weights()
    assert sorted(w.index) == sorted(ICIO)
    assert np.all(w.to_numpy() >= 0) and w.sum() > 1e7  # USD million: > 10 trillion


def test_describe():
    assert describe("default", "1y") == "default (CP 2015 shrunk, BLP level) at 1 year"
    assert "long run" in describe("cp2015", "long")


@pytest.mark.parametrize("bad", ["cp2016", "", "DEFAULT"])
def test_unknown_set_raises_naming_value(bad):
    with pytest.raises(DataError, match=repr(bad)) as info:
        elasticity_set(bad)
    assert "cp2015" in str(info.value)
    with pytest.raises(DataError, match=repr(bad)):
        theta_for(["A01"], set=bad)


@pytest.mark.parametrize("bad", ["2 years", "short", -1, float("nan"), None, "5m"])
def test_bad_horizon_raises_naming_value(bad):
    with pytest.raises(DataError, match="horizon") as info:
        theta_for(["A01"], horizon=bad)
    assert repr(bad) in str(info.value)
    with pytest.raises(DataError):
        horizon_factor(bad)


def test_unknown_sector():
    with pytest.raises(UnknownLabelError, match="XYZ"):
        theta_for(["XYZ"])
