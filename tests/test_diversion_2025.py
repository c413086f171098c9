"""The diversion-2025 study: world-2025 replayed on the default world (1 year, default
elasticities) against the observed 2024-25 change of US import shares by partner."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from detente.validation import list_studies, reproduce
from detente.validation._studies import observations, window_weights


@pytest.fixture(scope="module")
def study():
    return reproduce("diversion-2025")


def test_the_study_is_registered():
    assert "diversion-2025" in list_studies()


def test_table_has_the_expected_partners(study):
    table = {r["partner"]: r for r in study.extra["table"]}
    assert {"CHN", "MEX", "CAN", "TWN", "VNM", "JPN", "KOR", "DEU", "EUR", "IND", "ASE"} <= set(table)
    for c in ("CHN", "MEX", "CAN", "TWN", "VNM"):
        assert table[c]["observed_change_pp"] is not None and table[c]["sign_agrees"] is not None
    assert table["VNM"]["observed_is_lower_bound"]
    assert all(r["observed_change_pp"] is None for c, r in table.items() if c in ("JPN", "KOR", "EUR"))
    # model shares are shares: the baseline shares of all partners add to at most 100
    assert sum(r["model_base_share_pct"] for r in table.values()) < 100


def test_observed_shares_are_computed_from_the_sourced_levels():
    obs = observations()["diversion_2025"]
    tot = obs["total"]
    chn = next(p for p in obs["partners"] if p["exporter"] == "CHN")
    assert 100 * chn["2024"] / tot["2024"] == pytest.approx(13.35, abs=0.01)  # "13.4% in 2024"
    assert 100 * chn["2025"] / tot["2025"] < 10  # "less than 10 percent in 2025"
    for p in obs["partners"]:
        assert p["source"] and "http" in p["source"]


def test_china_loses_share_as_observed_and_within_the_preset_tolerance(study):
    row = next(r for r in study.rows if r.quantity.startswith("CHN share") and "2025 vs 2024" in r.quantity)
    assert row.published == pytest.approx(-4.36, abs=0.01)
    assert row.model < 0  # the sign agrees: China's share of US imports falls
    assert row.tolerance == 2.0  # set before the first run (observations.yaml)
    assert row.within  # |model - observed| <= 2 pp
    may = next(r for r in study.rows if "2025-05" in r.quantity)
    assert may.model < row.model < 0  # the post-Geneva spring state cuts China's share more than the year


def test_signs_of_the_change_are_reported(study):
    table = {r["partner"]: r for r in study.extra["table"]}
    assert table["CHN"]["sign_agrees"] and table["TWN"]["sign_agrees"] and table["VNM"]["sign_agrees"]
    assert "of 5 partners" in study.notes[-1]


def test_window_weights_count_days_in_force():
    days = [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 2, 4), dt.date(2026, 1, 1)]
    w = window_weights(days, "2025-01-01", "2025-12-31")
    np.testing.assert_array_equal(w, [31, 3, 365 - 34, 0])
    w = window_weights(days, "2025-05-01", "2025-05-31")
    np.testing.assert_array_equal(w, [0, 0, 31, 0])
    assert window_weights(days[-1:], "2026-06-01", "2026-06-30").tolist() == [30]
