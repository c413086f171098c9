"""Bands on replays (detente.policy._bands): reproducible, right coverage, failures counted."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from detente.policy import _bands as pb
from detente.policy import load_scenario, replay
from detente.sweep import quantiles


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("us-china-2025")


@pytest.fixture(scope="module")
def central(scenario):
    return replay(scenario)


def test_same_seed_same_bands_and_metadata(scenario, central):
    a = pb.replay_bands(scenario, n_draws=6, seed=3, central=central)
    b = pb.replay_bands(scenario, n_draws=6, seed=3, central=central)
    c = pb.replay_bands(scenario, n_draws=6, seed=4, central=central)
    for s in pb.SERIES:
        for q in ("lower", "median", "upper"):
            np.testing.assert_array_equal(a.dataset[f"{s}_{q}"].values, b.dataset[f"{s}_{q}"].values)
    assert not np.allclose(a.dataset["welfare_pct_upper"].values, c.dataset["welfare_pct_upper"].values)
    at = a.dataset.attrs
    assert (at["seed"], at["n_draws"], at["level"], at["horizon"], at["elasticity_set"]) == (3, 6, 0.9, "1y", "default")
    assert "1 year" in at["elasticities"] and at["n_states"] == central.n_solves
    ds = a.dataset
    assert (ds["welfare_pct_lower"] <= ds["welfare_pct_median"]).all()
    assert (ds["welfare_pct_median"] <= ds["welfare_pct_upper"]).all()
    assert (ds["n_converged"] + ds["n_failed"] == 6).all()
    np.testing.assert_allclose(ds["welfare_pct"].values, central.dataset["welfare_pct"].values, atol=1e-12)
    d = a.to_dict(["USA", "CHN"])
    json.dumps(d, allow_nan=False)
    assert d["seed"] == 3 and len(d["series"]["welfare_pct"]["USA"]["upper"]) == len(central.dates)


def test_processes_give_the_same_bands(scenario, central):
    a = pb.replay_bands(scenario, n_draws=4, seed=2, central=central)
    b = pb.replay_bands(scenario, n_draws=4, seed=2, central=central, workers=2)
    # the draws are the same; the batches differ, so the answers agree to rounding
    for s in pb.SERIES:
        np.testing.assert_allclose(a.dataset[f"{s}_upper"].values, b.dataset[f"{s}_upper"].values, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(a.dataset["n_failed"].values, b.dataset["n_failed"].values)


def test_draw_k_does_not_depend_on_the_number_of_draws():
    rel = np.array([0.1, 0.3, 0.5])
    np.testing.assert_array_equal(pb.draw_factors(rel, 5, 7), pb.draw_factors(rel, 9, 7)[:5])


def test_central_draws_reproduce_the_replay(scenario, central, monkeypatch):
    """Every draw at the central elasticities: the band collapses onto the replay (batched = serial)."""
    monkeypatch.setattr(pb, "draw_factors", lambda rel, n, seed: np.ones((n, len(rel))))
    b = pb.replay_bands(scenario, n_draws=2, central=central)
    for s in ("welfare_pct", "real_wage_pct", "cpi_pct"):
        for q in ("lower", "median", "upper"):
            np.testing.assert_allclose(b.dataset[f"{s}_{q}"].values, central.dataset[s].values, atol=1e-9, rtol=0)
    assert b.n_failed == 0


def test_central_draws_reproduce_a_rebased_replay(monkeypatch):
    """us-china-2018-2020 re-bases the world (a baseline section): each draw re-bases it again."""
    sc = load_scenario("us-china-2018-2020")
    rp = replay(sc)
    monkeypatch.setattr(pb, "draw_factors", lambda rel, n, seed: np.ones((n, len(rel))))
    b = pb.replay_bands(sc, n_draws=2, central=rp)
    for q in ("lower", "upper"):
        np.testing.assert_allclose(
            b.dataset[f"welfare_pct_{q}"].values, rp.dataset["welfare_pct"].values, atol=1e-9, rtol=0
        )


def test_failed_draws_are_counted_never_used(scenario, central):
    b = pb.replay_bands(scenario, n_draws=8, seed=1, central=central, max_iter=40)
    ds = b.dataset
    assert b.n_failed > 0, "max_iter=40 should leave some (draw, state) solves unconverged"
    assert int(ds["n_failed"].max()) > 0 and int(ds["n_converged"].max()) > 0
    assert (ds["n_converged"] + ds["n_failed"] == 8).all()
    assert ds.attrs["n_failed"] == b.n_failed
    assert all("converge" in f.reason for f in b.failed)
    table = b.draws("welfare_pct")
    bad = {(f.draw, f.state) for f in b.failed}
    assert not bad & set(zip(table["draw"], table["state"]))
    assert len(table) == (8 * len(b.states) - len(bad)) * central.world.n_countries
    assert np.isfinite(table["value"]).all()
    # each band is the percentiles of the converged draws alone
    for key, d in b.states:
        sub = table[(table["state"] == key) & (table["country"] == "CHN")]["value"].to_numpy()
        dd = d.isoformat()
        if len(sub) == 0:
            assert np.isnan(float(ds["welfare_pct_upper"].sel(country="CHN", date=dd)))
            continue
        lo, med, hi = quantiles(sub, 0.9)
        assert float(ds["welfare_pct_lower"].sel(country="CHN", date=dd)) == pytest.approx(lo, abs=1e-14)
        assert float(ds["welfare_pct_upper"].sel(country="CHN", date=dd)) == pytest.approx(hi, abs=1e-14)
        assert int(ds["n_converged"].sel(date=dd)) == len(sub)


def test_theta_band_matches_the_log_normal_closed_form():
    """The draws of theta are log-normal with a known law: their band is its quantiles."""
    rel = np.array([0.05, 0.25, 0.6])
    f = pb.draw_factors(rel, 20_000, 11)
    s = np.sqrt(np.log1p(rel**2))
    z = stats.norm.ppf([0.05, 0.5, 0.95])
    exact = np.exp(-(s[:, None] ** 2) / 2 + s[:, None] * z[None, :])  # (sector, q), mean 1
    emp = np.array([pb._quantiles(f[:, j], 0.9) for j in range(3)])
    np.testing.assert_allclose(emp, exact, rtol=0.02)
    np.testing.assert_allclose(f.mean(axis=0), 1.0, atol=0.01)


def test_band_coverage_on_a_known_normal():
    """Weibull percentiles of n draws cover, on average, exactly the level of the law."""
    rng = np.random.default_rng(20261202)
    n, reps, level = 200, 4000, 0.9
    x = rng.standard_normal((reps, n))
    lo, hi = np.quantile(x, [0.05, 0.95], axis=1, method="weibull")
    cover = stats.norm.cdf(hi) - stats.norm.cdf(lo)
    assert cover.mean() == pytest.approx(level, abs=0.003)
    one = quantiles(x[0], level)
    assert one[0] == pytest.approx(lo[0]) and one[2] == pytest.approx(hi[0])
    assert one[1] == pytest.approx(np.median(x[0]))
    # numpy's default (linear) positions would under-cover: level (n - 1) / (n + 1)
    lin = np.quantile(x, [0.05, 0.95], axis=1)
    assert (stats.norm.cdf(lin[1]) - stats.norm.cdf(lin[0])).mean() < level - 0.005


def test_cli_replay_bands(tmp_path, capsys):
    from detente.cli import main

    out = tmp_path / "bands.json"
    assert (
        main(
            [
                "replay",
                "us-china-2025",
                "--bands",
                "3",
                "--seed",
                "5",
                "--level",
                "0.8",
                "--quiet",
                "--no-save",
                "--bands-out",
                str(out),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "10-90%" in text and "3 draws" in text
    d = json.loads(out.read_text())
    assert (d["seed"], d["n_draws"], d["level"], d["horizon"]) == (5, 3, 0.8, "1y")
    assert set(d["series"]) == set(pb.SERIES)


def test_cli_refuses_bad_bands(capsys):
    from detente.cli import main

    assert main(["replay", "us-china-2025", "--bands", "1", "--quiet", "--no-save"]) == 2
    assert "--bands 1" in capsys.readouterr().err
    assert main(["replay", "us-china-2025", "--bands", "5", "--level", "1.5", "--quiet", "--no-save"]) == 2
    assert "--level" in capsys.readouterr().err


def test_report_draws_the_band(scenario, central, tmp_path):
    from detente.report import charts as C
    from detente.report.html import write_report

    b = pb.replay_bands(scenario, n_draws=4, central=central).dataset
    assert C.bands_match(central.dataset, b)
    chart = C.welfare_bands(b, ("USA", "CHN"))
    usa = chart.panels[0].series[0]
    assert usa.band is not None and (usa.band[0] <= usa.band[1]).all()
    fig = C.to_plotly(chart)
    assert sum(1 for t in fig.data if getattr(t, "fill", None) == "tonexty") == 4  # 2 countries x 2 panels
    shaded = C.welfare_paths(central.dataset, ("USA", "CHN"), bands=b)
    assert shaded.panels[0].series[0].band is not None and shaded.panels[0].series[2].band is None
    assert "4 draws" in shaded.note and "seed 0" in shaded.note
    assert C.welfare_paths(central.dataset, ("USA", "CHN")).panels[0].series[0].band is None
    C.to_matplotlib(chart)
    index = write_report({"run": central.dataset}, tmp_path, png=False, bands=b)
    html = index.read_text()
    assert "chart-welfare-bands" in html and "5-95%" in html


def test_web_replay_with_bands():
    import time

    from fastapi.testclient import TestClient

    from detente.web import WebSettings, create_app

    with TestClient(create_app(WebSettings(use_store=False, warm=False)), raise_server_exceptions=False) as c:
        assert c.post("/api/replays", json={"scenario": "us-china-2025", "bands": 1}).status_code == 422
        job = c.post("/api/replays", json={"scenario": "us-china-2025", "bands": 3, "seed": 2}).json()
        end = time.monotonic() + 120
        while c.get(f"/api/jobs/{job['id']}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < end
            time.sleep(0.1)
        data = c.get(f"/api/jobs/{job['id']}/result?format=json").json()
    bands = data["bands"]
    assert (bands["n_draws"], bands["seed"], bands["band"]) == (3, 2, "5-95%")
    usa = bands["series"]["welfare_pct"]["USA"]
    assert len(usa["lower"]) == len(data["dates"]) and all(lo <= hi for lo, hi in zip(usa["lower"], usa["upper"]))
