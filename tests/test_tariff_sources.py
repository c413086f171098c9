"""Baseline tariff and elasticity tables: reproducibility, known ranges, loader rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detente.errors import DataError, UnknownLabelError
from detente.world._elasticities import elasticity_table, trade_elasticities
from detente.world._tariffs import baseline_tariffs, read_tariff_file, tariff_table

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATA = REPO / "src" / "detente" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED / "us_tariffs_hs2").is_dir(),
    reason=f"shared source data not found at {SHARED} (needed to rebuild the tables)",
)

ICIO_GOODS = (
    "A01 A02 A03 B05 B06 B07 B08 B09 C10T12 C13T15 C16 C17_18 C19 C20 C21 C22 C23 "
    "C24A C24B C25 C26 C27 C28 C29 C301 C302T309 C31T33"
).split()


def _script():
    spec = importlib.util.spec_from_file_location("build_tariff_tables", REPO / "scripts" / "build_tariff_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_shared
def test_build_is_reproducible_and_matches_shipped(tmp_path):
    script = _script()
    script.build(SHARED, tmp_path / "a")
    script.build(SHARED, tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == ["baseline_tariffs_icio.csv", "elasticities_icio.csv", "hs2_to_icio.csv", "mfn_averages.csv"]
    for name in names:
        first = (tmp_path / "a" / name).read_bytes()
        assert first == (tmp_path / "b" / name).read_bytes(), name
        assert first == (DATA / name).read_bytes(), f"{name} differs from the shipped file"


@needs_shared
def test_headline_us_china_numbers():
    script = _script()
    census = script.read_census(SHARED)
    china = census[(census["code"] == "5700") & (census["hs2"].astype(int) <= 97)]
    collected = 100 * china["duty"].sum() / china["imports"].sum()
    # Duties collected / imports, Census 2024 (exclusions and composition included).
    assert 9.0 < collected < 14.0
    # Statutory rates incl. Section 301 (simple HS6 mean, 2020-02-14): 15-30%.
    assert 15.0 < script.us_on_china_statutory(SHARED) < 30.0
    hs6 = script.china_on_us_hs6(SHARED)
    assert 15.0 < hs6["tariff"].mean() < 27.0
    # Phase One halving: lines with the 1 Sept 2019 tranche lose 2.5 or 5 points.
    assert set(np.round(hs6.loc[hs6["tranche"] > 0, "tranche"] / 2, 6)) <= {2.5, 5.0}


def test_shipped_us_china_pair_in_range():
    countries, industries = ["CHN", "USA", "DEU"], ICIO_GOODS
    tau = baseline_tariffs(countries, industries)
    goods = [k for k, j in enumerate(industries) if j != "B09"]
    us_on_cn = 100 * tau[1, 0, goods].mean()
    cn_on_us = 100 * tau[0, 1, goods].mean()
    assert 8.0 < us_on_cn < 25.0
    assert 15.0 < cn_on_us < 27.0
    assert tau[1, 0, goods].min() >= 0 and tau[0, 1, goods].max() < 0.5


def test_concordance_shares_sum_to_one():
    with (DATA / "hs2_to_icio.csv").open() as handle:
        conc = pd.read_csv(handle, dtype={"hs2": str})
    sums = conc.groupby("hs2")["share"].sum()
    assert np.allclose(sums, 1.0)
    assert set(sums.index) == {f"{h:02d}" for h in range(1, 100)}
    assert set(conc["industry"]) <= set(ICIO_GOODS) | {"EXCLUDED"}


def test_shipped_table_properties():
    countries = ["USA", "CHN", "DEU", "FRA", "VNM", "ROW"]
    industries = ["A01", "C26", "C29", "B09", "D", "K"]
    tau = baseline_tariffs(countries, industries)
    assert tau.shape == (6, 6, 6)
    assert np.all(tau[np.arange(6), np.arange(6)] == 0)
    assert np.all(tau[:, :, 3:] == 0)  # B09 and services
    assert np.all(tau[2, 3, :] == 0) and np.all(tau[3, 2, :] == 0)  # intra-EU
    assert tau[1, 4, 1] == 0  # China-ASEAN
    assert 0 < tau[5, 0, 1] < 0.2  # unknown importer: world default
    assert np.isfinite(tau).all() and (tau >= 0).all()
    table = tariff_table()
    assert list(table.columns) == ["importer", "exporter", "industry", "tariff_pct", "source"]


def test_wildcard_precedence(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(
        "importer,exporter,industry,tariff_pct,source\n"
        "*,*,*,1,world\n"
        "AAA,*,GOODS,2,imp goods\n"
        "AAA,*,AG,3,imp ag\n"
        "AAA,*,C26,4,imp c26\n"
        "AAA,BBB,GOODS,5,pair goods\n"
        "AAA,BBB,NONAG,6,pair nonag\n"
        "*,BBB,C29,7,any importer from BBB\n"
    )
    table = read_tariff_file(path)
    countries, industries = ["AAA", "BBB", "CCC"], ["A01", "C26", "C29", "K"]
    tau = 100 * baseline_tariffs(countries, industries, table)
    assert np.allclose(tau[0, 2], [3, 4, 2, 1])  # importer rows; '*' industry reaches services
    assert np.allclose(tau[0, 1], [5, 6, 6, 1])  # exporter-specific beats industry-specific
    assert np.allclose(tau[2, 1], [1, 1, 7, 1])  # importer '*' with exporter named
    assert np.allclose(tau[2, 0], [1, 1, 1, 1])
    assert np.all(tau[[0, 1, 2], [0, 1, 2]] == 0)


def test_unmatched_goods_cell_is_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("importer,exporter,industry,tariff_pct\nAAA,*,AG,3\nBBB,*,AG,2\n")
    table = read_tariff_file(path)
    tau = baseline_tariffs(["AAA", "BBB"], ["A01", "K"], table)
    assert tau[0, 1, 0] == pytest.approx(0.03) and tau[0, 1, 1] == 0
    with pytest.raises(DataError, match="importer 'AAA'.*industry 'C26'"):
        baseline_tariffs(["AAA", "BBB"], ["A01", "C26"], table)
    with pytest.raises(UnknownLabelError, match="XYZ"):
        baseline_tariffs(["AAA", "BBB"], ["XYZ"], table)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("importer,exporter,industry,tariff_pct\nAAA,*,AG,-1\n", r"row 1, column 'tariff_pct'.*'-1'.*negative"),
        ("importer,exporter,industry,tariff_pct\nAAA,*,AG,NaN\n", r"row 1, column 'tariff_pct'.*'NaN'"),
        (
            "importer,exporter,industry,tariff_pct\nAAA,*,AG,1\nAAA,*,C26,ten\n",
            r"row 2, column 'tariff_pct'.*'ten'.*not a number",
        ),
        ("importer,exporter,industry,tariff_pct,rate\nAAA,*,AG,1,2\n", r"unknown column 'rate'"),
        ("importer,exporter,tariff_pct\nAAA,*,1\n", r"missing column 'industry'"),
        ("importer,exporter,industry,tariff_pct\nAAA,*,AG,1\nAAA,*,AG,2\n", r"row 2: duplicate key"),
        ("importer,exporter,industry,tariff_pct\n,*,AG,1\n", r"row 1, column 'importer': empty"),
        ('importer,exporter\n"AAA,*,AG,1\n', r"not a readable CSV|unknown column|missing column"),
    ],
)
def test_bad_files_name_the_field_and_value(tmp_path, body, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(DataError, match=pattern) as info:
        read_tariff_file(path)
    assert "bad.csv" in str(info.value)


def test_binary_and_missing_files(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x00\x81\x00garbage\x00")
    with pytest.raises(DataError, match="bin.csv"):
        read_tariff_file(path)
    with pytest.raises(DataError, match="not found"):
        read_tariff_file(tmp_path / "none.csv")


def test_elasticities_sources_and_overrides():
    industries = ["A01", "C19", "C29", "C301", "K"]
    code = trade_elasticities(industries)
    paper = trade_elasticities(industries, source="theta_paper_table1")
    assert list(code) == [9.11, 64.85, 8.22, 8.22, 8.22]
    assert list(paper) == [9.11, 64.85, 1.84, 0.39, 8.22]
    over = trade_elasticities(industries, overrides={"C19": 8.22, "C29": 4})
    assert over[1] == 8.22 and over[2] == 4.0 and over[0] == 9.11
    assert len(elasticity_table()) == 50
    assert 3.95 < trade_elasticities(["C26"])[0] < 12.95


@pytest.mark.parametrize(
    ("overrides", "pattern"),
    [
        ({"ZZZ": 4.0}, "unknown industry 'ZZZ'"),
        ({"C19": 0.0}, "'C19'.*value 0.0.*> 0"),
        ({"C19": -2}, "'C19'.*value -2"),
        ({"C19": float("nan")}, "'C19'.*nan"),
        ({"C19": "abc"}, "'C19'.*'abc'.*not a number"),
    ],
)
def test_bad_elasticity_overrides(overrides, pattern):
    with pytest.raises(DataError, match=pattern):
        trade_elasticities(["A01", "C19"], overrides=overrides)


def test_bad_elasticity_source_and_industry():
    with pytest.raises(DataError, match="unknown elasticity source 'simonovska'"):
        trade_elasticities(["A01"], source="simonovska")
    with pytest.raises(UnknownLabelError, match="'XYZ'"):
        trade_elasticities(["XYZ"])
