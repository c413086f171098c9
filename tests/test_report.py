"""Reports: the HTML report of the shipped scenario and a variant opens offline, every
chart has a title, units, dates and provenance, the PNGs are valid images, and the
``report`` command reads NetCDF files, store records and scenarios."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import sys
import types

import numpy as np
import pytest

pytest.importorskip("plotly", reason="reports need the 'report' extra (plotly)")
pytest.importorskip("matplotlib", reason="reports need the 'report' extra (matplotlib)")

from detente.cli.report import register  # noqa: E402
from detente.errors import DetenteError, UnknownLabelError  # noqa: E402
from detente.report import charts as C  # noqa: E402
from detente.report._runs import replay_dataset, resolve_run  # noqa: E402
from detente.report.html import report_from_records, write_report  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHART_KEYS = ("tariffs", "layers", "welfare", "trade", "prices", "compare-tariffs", "compare-welfare")
UNITS = ("percent", "% vs 2022 baseline", "USD bn at factory prices")


@pytest.fixture(scope="module")
def runs():
    from detente.policy import load_scenario, replay

    sc = load_scenario("us-china-2025")
    return {"as happened": replay_dataset(replay(sc)), "no-geneva": replay_dataset(replay(sc, variant="no-geneva"))}


@pytest.fixture(scope="module")
def report(runs, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    return write_report(runs, out, title="US-China 2025-2026")


def test_report_writes_html_and_valid_pngs(report):
    from PIL import Image

    assert report.name == "index.html" and report.stat().st_size > 1_000_000  # plotly.js is inlined
    for key in CHART_KEYS:
        png = report.parent / f"{key}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC, key
        with Image.open(png) as im:
            im.verify()
        with Image.open(png) as im:
            assert im.format == "PNG" and im.size[0] >= 800 and im.size[1] >= 400


def test_html_has_provenance_reading_guide_change_points_and_method(report, runs):
    text = report.read_text(encoding="utf-8")
    attrs = runs["as happened"].attrs
    for needle in (
        "US-China 2025-2026",
        attrs["world"],
        attrs["vintage"],
        attrs["units"],
        attrs["detente_version"],
        "no-geneva",
        "How to read",
        "static general equilibrium under the policy in force",
        "trade elasticities",
        "default (CP 2015 shrunk, BLP level) at 1 year",
        "Change points",
        "2025-05-14",
        "Geneva",
        "Busan",
        "IEEPA ruling",
        "fixed",
        "goods sectors only",
        "Report generated",
    ):
        assert needle in text, needle
    for key in CHART_KEYS:
        assert f"id='chart-{key}'" in text or f'id="chart-{key}"' in text, key


def _without_plotlyjs(text: str) -> str:
    import plotly.offline

    js = plotly.offline.get_plotlyjs()
    assert text.count(js) == 1, "the report must inline the packaged plotly.js exactly once"
    return text.replace(js, "")


def test_html_opens_offline_no_external_urls(report, runs):
    """No URL outside plotly.js's own bundle; nothing loads from outside the file.

    plotly.js contains URL strings (map tiles and topojson for geo/map traces, the
    Chart Studio address for a button we remove); they are only requested by trace types
    the report never draws, which we check on the figures themselves.
    """
    rest = _without_plotlyjs(report.read_text(encoding="utf-8"))
    low = rest.lower()
    for bad in ("http://", "https://", "//cdn", "@import", "url(", "<link", "<iframe", "mathjax.js", "fonts.g"):
        assert bad not in low, bad
    assert not re.search(r"<(script|img|source|video|audio|embed)[^>]*\bsrc\s*=", rest, re.I)
    for href in re.findall(r"href\s*=\s*['\"]([^'\"]*)['\"]", rest, re.I):
        assert href.startswith("#") or re.fullmatch(r"[\w.-]+\.png", href), href
    scripts = re.findall(r"<script[^>]*>", rest, re.I)
    assert all("src" not in s for s in scripts)
    for chart in C.all_charts(runs):
        fig = C.to_plotly(chart)
        assert {t.type for t in fig.data} <= {"scatter", "bar"}, chart.key  # no geo/map traces: no fetches


def _chromium(p):
    try:
        return p.chromium.launch()
    except Exception:  # noqa: BLE001 (no bundled browser: try the system's)
        exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if not exe:
            if os.environ.get("CI"):  # CI must run the browser check, never skip it
                pytest.fail("CI: no Chromium for the offline browser check", pytrace=False)
            pytest.skip("no Chromium for the offline browser check")
        return p.chromium.launch(executable_path=exe)


def test_html_renders_in_an_offline_browser_without_requests(report):
    sync_api = pytest.importorskip("playwright.sync_api")
    requests, errors = [], []
    with sync_api.sync_playwright() as p:
        browser = _chromium(p)
        try:
            page = browser.new_context(offline=True).new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 7")
            n = page.locator(".plotly-graph-div").count()
        finally:
            browser.close()
    assert n == len(CHART_KEYS)
    assert requests == [report.as_uri()], requests
    assert not errors


def test_every_chart_has_title_units_dates_and_provenance(runs):
    ds = runs["as happened"]
    a = ds.attrs
    for chart in C.all_charts(runs):
        assert chart.title and chart.footer
        for needle in (a["world"], a["vintage"], a["detente_version"], a["scenario"]):
            assert needle in chart.footer, (chart.key, needle)
        fig = C.to_plotly(chart)
        assert fig.layout.title.text == chart.title
        assert any(chart.footer == ann.text for ann in fig.layout.annotations)
        for panel, n in zip(chart.panels, range(1, len(chart.panels) + 1), strict=True):
            xa, ya = fig.layout[f"xaxis{'' if n == 1 else n}"], fig.layout[f"yaxis{'' if n == 1 else n}"]
            if panel.kind == "time":
                assert xa.type == "date" and xa.title.text == "date"
                assert ya.title.text in UNITS, (chart.key, ya.title.text)
            else:
                assert xa.title.text in UNITS and ya.title.text == panel.category_label, chart.key
        mfig = C.to_matplotlib(chart)
        assert mfig.get_suptitle() == chart.title
        assert chart.footer in [t.get_text() for t in mfig.texts]
        for ax, panel in zip(mfig.axes, chart.panels, strict=True):
            labels = (ax.get_xlabel(), ax.get_ylabel())
            assert any(u in labels for u in UNITS), (chart.key, labels)
            assert ax.get_title() == panel.title
            if panel.kind == "time":
                assert ax.get_xlabel() == "date"


def test_key_events_come_from_the_run(runs):
    marks = {m.date: m.label for m in C.key_events(runs["as happened"], ("USA", "CHN"))}
    assert marks == {
        dt.date(2025, 4, 10): "peak",
        dt.date(2025, 5, 14): "Geneva",
        dt.date(2025, 11, 10): "Busan",
        dt.date(2026, 2, 24): "IEEPA ruling",
    }
    no_geneva = {m.label for m in C.key_events(runs["no-geneva"], ("USA", "CHN"))}
    assert "Geneva" not in no_geneva and {"peak", "Busan"} <= no_geneva  # Busan still halves fentanyl


def test_layers_stack_to_the_average_tariff(runs):
    ds = runs["as happened"]
    chart = C.layer_composition(ds)
    for panel, (imp, exp) in zip(chart.panels, (("USA", "CHN"), ("CHN", "USA")), strict=True):
        total = sum(s.y for s in panel.series)
        np.testing.assert_allclose(total, ds["avg_tariff_pct"].sel(importer=imp, exporter=exp).values, atol=1e-9)


def test_price_chart_uses_sector_prices_when_present_and_says_so_otherwise(runs):
    ds = runs["as happened"]
    with_prices = C.price_effects(ds)
    assert "sector price" in with_prices.panels[1].title and with_prices.panels[1].value_label == "% vs 2022 baseline"
    without = C.price_effects(ds.drop_vars("price_pct"))
    assert "tariff by sector" in without.panels[1].title and "no sector prices" in without.note


def test_trade_chart_is_in_usd_bn_and_starts_from_the_baseline(runs):
    ds = runs["as happened"]
    chart = C.sector_trade(ds)
    bars = chart.panels[0].series
    assert bars[0].name == "baseline" and chart.panels[0].value_label == "USD bn at factory prices"
    top = ds["trade_base"].sel(importer="USA", exporter="CHN").max().item() / 1e3
    assert bars[0].y.max() == pytest.approx(top)


def test_report_from_records_labels_and_fills_provenance(runs, tmp_path):
    ds = runs["as happened"].copy()
    ds.attrs = {}
    recs = [
        types.SimpleNamespace(
            dataset=ds, name="us-china-2025", variant=None, id="r1", world="w", vintage="v", code_version="9.9"
        ),
        types.SimpleNamespace(dataset=runs["no-geneva"], name="us-china-2025", variant="no-geneva", id="r2"),
    ]
    index = report_from_records(recs, tmp_path, png=False)
    text = index.read_text(encoding="utf-8")
    assert "no-geneva" in text and "9.9" in text and not list(tmp_path.glob("*.png"))


def test_write_report_errors_are_actionable(runs, tmp_path):
    with pytest.raises(DetenteError, match="no runs"):
        write_report({}, tmp_path)
    with pytest.raises(DetenteError, match="missing trade"):
        write_report({"x": runs["as happened"].drop_vars("trade")}, tmp_path)
    with pytest.raises(UnknownLabelError, match="XYZ"):
        write_report(runs, tmp_path, pair=("USA", "XYZ"))


def test_missing_plotting_library_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "plotly", None)
    with pytest.raises(DetenteError, match=r"pip install 'detente\[report\]'"):
        C.require("plotly")


def _parser():
    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command", required=True))
    return p


def test_report_command_reads_netcdf_files_and_prints_a_summary(runs, tmp_path, capsys):
    from detente._files import write_netcdf

    a = write_netcdf(runs["as happened"], str(tmp_path / "a.nc"))
    b = write_netcdf(runs["no-geneva"], str(tmp_path / "b.nc"))
    args = _parser().parse_args(["report", str(a), str(b), "--out", str(tmp_path / "rep"), "--no-png"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    for needle in ("Change points", "Headline numbers", "Geneva", "no-geneva", "report written to"):
        assert needle in out, needle
    assert (tmp_path / "rep" / "index.html").is_file() and not list((tmp_path / "rep").glob("*.png"))


def test_report_command_run_resolution(runs, tmp_path):
    with pytest.raises(DetenteError, match="no such file"):
        resolve_run(str(tmp_path / "missing.nc"))
    with pytest.raises(DetenteError, match="give a scenario"):
        resolve_run("scenario:")

    class Store:
        def load(self, run_id):
            if run_id != "abc":
                raise UnknownLabelError(f"no run {run_id!r}")
            return types.SimpleNamespace(dataset=runs["no-geneva"], name="us-china-2025", variant="no-geneva", id="abc")

    label, ds = resolve_run("abc", store=Store())
    assert label == "no-geneva" and "avg_tariff_pct" in ds
    with pytest.raises(UnknownLabelError):
        resolve_run("nope", store=Store())


def test_replay_sector_prices_are_each_states_price_indices():
    """price_pct (country, sector, date) of a replay is 100 (P_hat - 1) of the equilibrium
    solved for each date's policy state (policy._replay), and moves at the April peak."""
    from detente.policy import load_scenario, replay

    rp = replay(load_scenario("us-china-2025"))
    p = rp.dataset["price_pct"]
    assert p.dims == ("country", "sector", "date") and np.isfinite(p.values).all()
    for d in ("2025-01-01", "2025-04-10", "2025-06-01"):
        k = int(np.searchsorted(rp.dataset.date.values, np.datetime64(d), side="right")) - 1
        P = rp.equilibria[rp.state_keys[k]].solution.P_hat
        np.testing.assert_allclose(p.isel(date=k).values, 100 * (P - 1), rtol=1e-12, atol=1e-12)
    assert float(abs(p.sel(date="2025-04-10")).max()) > float(abs(p.sel(date="2025-01-01")).max())


def test_terminal_summary_shows_headlines(runs):
    from rich.console import Console

    from detente.report.terminal_replay import print_runs_summary

    con = Console(record=True, width=120)
    print_runs_summary(con, runs)
    text = con.export_text()
    assert "120.3" in text and "peak" in text and "no-geneva" in text and "USA welfare, mean" in text


def test_report_has_2018_2026_history_and_shortage_sections(tmp_path):
    """The US-China report draws the 2018-2026 average-tariff series; a scenario with
    critical-input controls adds the weekly shortage figures beside the static model."""
    from detente.policy import load_scenario, replay
    from detente.report._runs import history, shortage_sections

    sc = load_scenario("rare-earth-magnets-2025")
    ds = replay(sc).dataset
    hist = history(ds, ("USA", "CHN"))
    assert hist is not None and str(hist["date"].min())[:4] == "2018" and str(hist["date"].max())[:4] == "2026"
    sections = shortage_sections(ds)
    keys = [x.key if isinstance(x, C.Chart) else x[0] for x in sections]
    assert keys == ["shortage-output", "shortage-inventory", "shortage-losses", "shortage-stockouts", "shortage-static"]
    # one idiom: the shortage figures are Chart specifications with units and a footer, like the rest
    for chart in (x for x in sections if isinstance(x, C.Chart)):
        assert chart.footer and "rare-earth-magnets-2025" in chart.footer and chart.panels[0].value_label
        assert all(len(s.x) == len(s.y) and str(s.x.dtype) == "datetime64[D]" for s in chart.panels[0].series)
    index = write_report({"magnets": ds}, tmp_path, png=True, history=hist, extra_sections=sections)
    assert (tmp_path / "shortage-output.png").read_bytes()[:8] == PNG_MAGIC
    html = index.read_text()
    for key in ("history", "shortage-output", "shortage-stockouts", "shortage-static"):
        assert f"id='{key}'" in html
    assert "2018-2026" in html


# ------------------------------------------------------------------ world-2025: many partners
WORLD_KEYS = ("partners", "partners-2024", "retaliation", "welfare-all", "diversion")
WORLD_UNITS = ("percent", "% vs 2022 baseline", "percentage points of USA goods imports")


@pytest.fixture(scope="module")
def world_run():
    from detente.policy import load_scenario, replay

    return replay_dataset(replay(load_scenario("world-2025")))


@pytest.fixture(scope="module")
def world_report(world_run, tmp_path_factory):
    """``detente report scenario:world-2025`` (the replay itself is the fixture's, not repeated)."""
    from detente.report._runs import partner_history

    out = tmp_path_factory.mktemp("world-report")
    return write_report({"world-2025": world_run}, out, extra_charts=partner_history(world_run, "USA"))


def test_us_china_run_is_not_multilateral_and_keeps_its_seven_charts(runs):
    assert not C.is_multilateral(runs["as happened"], "USA")
    assert tuple(c.key for c in C.all_charts(runs)) == CHART_KEYS


def test_world_report_has_partners_retaliation_welfare_and_diversion(world_report, world_run):
    text = world_report.read_text(encoding="utf-8")
    assert "world-2025: USA and its partners" in text
    for key in WORLD_KEYS:
        assert f"id='{key}'" in text and f'id="chart-{key}"' in text, key
        assert (world_report.parent / f"{key}.png").read_bytes()[:8] == PNG_MAGIC, key
    for needle in (
        "USA and each partner",
        "Trade diversion",
        "Partners&#x27; retaliation",
        "Welfare of every country",
        "USA on all partners %",
        world_run.attrs["elasticities"],
        "closure: fixed-deficits",
    ):
        assert needle in text, needle
    table = text[text.index("id='partners-table'") : text.index("</section>", text.index("id='partners-table'"))]
    assert all(f"<td>{c}</td>" in table for c in ("CHN", "MEX", "CAN", "EUR", "VNM", "IND", "BRA"))


def test_world_report_is_offline(world_report, world_run):
    rest = _without_plotlyjs(world_report.read_text(encoding="utf-8")).lower()
    for bad in ("http://", "https://", "//cdn", "@import", "url(", "<link", "<iframe"):
        assert bad not in rest, bad
    for chart in C.world_charts(world_run):
        assert {t.type for t in C.to_plotly(chart).data} <= {"scatter", "bar"}, chart.key  # no map: no topojson


def test_world_charts_state_units_dates_and_elasticities(world_run):
    a = world_run.attrs
    for chart in C.world_charts(world_run):
        for needle in (a["world"], a["vintage"], a["elasticities"], a["closure"], a["scenario"]):
            assert needle in chart.footer, (chart.key, needle)
        assert re.search(r"\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d", chart.title), chart.title
        fig = C.to_plotly(chart)
        for n, panel in enumerate(chart.panels, start=1):
            xa, ya = fig.layout[f"xaxis{'' if n == 1 else n}"], fig.layout[f"yaxis{'' if n == 1 else n}"]
            if panel.kind == "time":
                assert xa.type == "date" and ya.title.text in WORLD_UNITS, (chart.key, ya.title.text)
            else:
                assert xa.title.text in WORLD_UNITS and ya.title.text in ("country", "exporter")
                assert re.search(r"on \d{4}-\d\d-\d\d", panel.title)  # the date of the bars
        assert chart.note


def test_partner_tariffs_match_the_dataset_and_the_overall_average(world_run):
    ds = world_run
    chart = C.partner_tariffs(ds)
    lines = {s.name: s.y for s in chart.panels[0].series}
    assert {"CHN", "MEX", "CAN", "EUR"} <= set(lines) and len(lines) == 9
    np.testing.assert_allclose(lines["MEX"], ds["avg_tariff_pct"].sel(importer="USA", exporter="MEX").values)
    overall = lines["all partners (USA average)"]
    each = ds["avg_tariff_pct"].sel(importer="USA").drop_sel(exporter="USA")
    assert (overall <= each.max("exporter").values + 1e-9).all() and (
        overall >= each.min("exporter").values - 1e-9
    ).all()
    assert overall.max() > 20 and overall[0] < 5  # a broad 2025 increase from about 3%


def test_trade_diversion_shares_add_to_zero_and_china_loses(world_run):
    exps, shares, base = C.import_shares(world_run, "USA")
    np.testing.assert_allclose(shares.sum(axis=0), 100.0)
    assert base.sum() == pytest.approx(100.0) and "USA" not in exps
    chart = C.trade_diversion(world_run, at="2025-04-10")
    at, mean = chart.panels[0].series
    assert at.y.sum() == pytest.approx(0, abs=1e-9) and mean.y.sum() == pytest.approx(0, abs=1e-9)
    assert dict(zip(mean.x, mean.y))["CHN"] < -1  # China loses US market share, others gain
    assert max(mean.y) > 0.3


def test_welfare_of_every_country_and_retaliation(world_run):
    chart = C.welfare_all(world_run, at=dt.date(2025, 6, 15))  # between dates: the policy in force
    bars, lines = chart.panels
    assert len(bars.series[0].x) == len(lines.series) == world_run.sizes["country"]
    assert "on 2025-06-01" in bars.title or "on 2025-06-" in bars.title
    ret = C.retaliation_paths(world_run)
    solid = [s.name for s in ret.panels[0].series if not s.dash]
    assert "CHN" in solid and "all partners (what USA faces)" in solid
    rows = C.partner_table(world_run)
    chn = next(r for r in rows if r["partner"] == "CHN")
    assert chn["tariff_peak_pct"] > 100 and chn["retaliation_peak_pct"] > 100


def test_world_terminal_summary_lists_partners(world_run):
    from rich.console import Console

    from detente.report.terminal_replay import print_runs_summary

    con = Console(record=True, width=140)
    print_runs_summary(con, {"world-2025": world_run})
    text = con.export_text()
    assert "USA and its partners" in text and "MEX" in text and "share change" in text


def test_report_command_for_world_2025(world_run, tmp_path, monkeypatch, capsys):
    """``detente report scenario:world-2025 --at 2025-08-07``: resolve_run is the replay above."""
    from detente.cli import report as _cli

    monkeypatch.setattr(_cli, "resolve_run", lambda text, **kw: ("world-2025", world_run))
    args = _parser().parse_args(
        ["report", "scenario:world-2025", "--out", str(tmp_path / "w"), "--no-png", "--at", "2025-08-07", "--quiet"]
    )
    import detente.report.horizons as H

    monkeypatch.setattr(H, "horizon_table", lambda *a, **k: None)
    assert args.func(args) == 0
    html = (tmp_path / "w" / "index.html").read_text(encoding="utf-8")
    assert "real income on 2025-08-07" in html and "id='partners-2024'" in html
