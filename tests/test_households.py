"""Households by economy (src/detente/data/households.csv) and welfare per household.

The table covers the 80 economies of oecd-icio-2022 and the 20 of the compact default
world; its regions (EUR, ASE, LAM, ROW) are the sums of their members. Two codes are
documented as unknown: ARE (no household count or average household size was found for
the United Arab Emirates) and so ROW, of which ARE is a member; both show "n/a".
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from importlib import resources

import numpy as np
import pytest

from detente.world._build import COMPACT_REGIONS, ICIO_COUNTRIES

UNKNOWN = {"ARE", "ROW"}  # see the module docstring and docs/data.md


def _rows() -> dict[str, dict[str, str]]:
    text = resources.files("detente").joinpath("data", "households.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return {r["country"]: r for r in csv.DictReader(io.StringIO("\n".join(lines)))}


@pytest.fixture(scope="module")
def default_world():
    from detente.world import load_world

    return load_world("default")


@pytest.fixture(scope="module")
def eq(default_world):
    from detente.equilibrium import Counterfactual, solve

    return solve(default_world, Counterfactual.from_world(default_world).tariff("USA", "CHN", "all", 50))


def test_the_table_covers_every_economy_of_both_shipped_worlds(default_world):
    rows = _rows()
    assert len(ICIO_COUNTRIES) == 80
    codes = set(ICIO_COUNTRIES) | set(default_world.countries)
    assert codes <= set(rows), sorted(codes - set(rows))
    empty = {c for c, r in rows.items() if not r["households_million"].strip()}
    assert empty == UNKNOWN
    for c, r in rows.items():
        if c in UNKNOWN:
            assert r["method"].startswith("not found"), c
        else:
            assert r["year"] and r["source"] and r["method"], c
            assert r["url"] or r["method"].startswith("sum of members"), c


def test_values_are_positive_and_plausible():
    from detente.world import households

    rows = _rows()
    vals = {c: float(r["households_million"]) for c, r in rows.items() if c not in UNKNOWN}
    assert all(0.01 < v < 600 for v in vals.values()), {c: v for c, v in vals.items() if not 0.01 < v < 600}
    assert 120 <= vals["USA"] <= 140  # US Census: ~130 million households (ACS 2022)
    assert 450 <= vals["CHN"] <= 550  # 2020 census: 494 million family households
    assert 50 <= vals["JPN"] <= 60 and 38 <= vals["DEU"] <= 44 and 250 <= vals["IND"] <= 350
    # Eurostat counted 197 million private households in the EU-27 in 2021
    eu27 = households(["DEU", "FRA", "ITA", "EUR"]).sum()
    assert 185 <= eu27 <= 205
    for c, r in rows.items():
        if c not in UNKNOWN and not r["method"].startswith("sum of members"):
            assert 2008 <= int(r["year"]) <= 2024, (c, r["year"])


def test_aggregates_are_the_sums_of_their_members():
    from detente.world import households

    rows = _rows()
    for region, members in COMPACT_REGIONS.items():
        if len(members) == 1:
            continue
        got = households([region])[0]
        parts = households(members)
        if np.isnan(parts).any():
            assert math.isnan(got), region
            assert not rows[region]["households_million"].strip(), region
            continue
        assert got == pytest.approx(parts.sum(), rel=1e-12), region
        assert float(rows[region]["households_million"]) == pytest.approx(parts.sum(), abs=1e-3), region
        assert rows[region]["method"] == "sum of members: " + " ".join(members)
    # the region label names something else where its members are economies of the same
    # world (the OECD's own ROW region of an ICIO file): unknown, not the compact sum
    assert math.isnan(households(["ROW", "AGO", "CHE"])[0])
    assert np.isnan(households(["XXX", "C00"])).all()  # labels the table does not know


def test_world_units_in_usd():
    from detente.errors import DataError
    from detente.world._households import usd_per_unit

    assert usd_per_unit("USD million") == 1e6
    assert usd_per_unit("USD bn") == 1e9 == usd_per_unit("USD billion")
    assert usd_per_unit("USD") == 1.0
    for bad in ("EUR million", "model units", "USD zillion"):
        with pytest.raises(DataError, match="cannot be converted to USD"):
            usd_per_unit(bad)


def test_welfare_per_household_checks_the_units(eq, default_world):
    from detente.world import households

    assert default_world.meta.units == "USD million"
    t = eq.country_table()
    hh = households(default_world.countries)  # millions
    # welfare_value is in USD million: * 1e6 -> USD; households are millions: * 1e6 -> count
    want = t["welfare_value"].to_numpy() * 1e6 / (hh * 1e6)
    np.testing.assert_allclose(t["welfare_per_household"].to_numpy(), want, rtol=1e-12)
    assert np.isnan(t.loc["ROW", "welfare_per_household"])
    usa = t.loc["USA"]
    assert usa.welfare_per_household == pytest.approx(usa.welfare_value * 1e6 / 129.870928e6, rel=1e-9)
    assert 0 < abs(usa.welfare_per_household) < 5_000  # USD a year, not USD million or per person
    assert t.attrs["welfare_per_household"].startswith("USD per private household")


def test_unknown_units_give_not_available_with_the_reason(default_world):
    from detente.equilibrium import Counterfactual, solve

    w = default_world.replace(meta=dataclasses.replace(default_world.meta, units="EUR million"))
    t = solve(w, Counterfactual.from_world(w).tariff("USA", "CHN", "all", 50)).country_table()
    assert t["welfare_per_household"].isna().all()
    assert "EUR million" in t.attrs["welfare_per_household"]
    assert t["welfare_value"].notna().all()


def test_whatif_record_and_terminal_table(eq):
    from rich.console import Console

    from detente.report.terminal import print_whatif
    from detente.report.whatif import whatif_record

    rec = whatif_record(eq, countries=["USA", "CHN", "EUR", "ROW"], pair=("USA", "CHN"))
    assert "USD a year" in rec["columns"]["welfare_per_household"]
    rows = {r["country"]: r for r in rec["countries"]}
    assert rows["ROW"]["welfare_per_household"] is None
    assert rows["USA"]["welfare_per_household"] == pytest.approx(rows["USA"]["welfare_value"] * 1e6 / 129.870928e6)
    console = Console(width=100, record=True, highlight=False, soft_wrap=False)
    print_whatif(console, eq, rec)
    text = console.export_text()
    table = text[text.index("Effects by country") : text.index("prices/wage:")]
    assert "household" in table and "USD bn/yr" in table and "…" not in table
    assert max(len(line.rstrip()) for line in table.splitlines()) <= 100
    (row_line,) = [ln for ln in table.splitlines() if ln.strip().startswith("ROW")]
    assert row_line.rstrip().endswith("n/a")
    (usa_line,) = [ln for ln in table.splitlines() if ln.strip().startswith("USA")]
    assert usa_line.split()[-1] == f"{rows['USA']['welfare_per_household']:+.1f}"
