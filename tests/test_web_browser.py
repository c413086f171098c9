"""The dashboard in a real browser: Playwright driving Debian's chromium (/usr/bin/chromium).

The server runs in a background thread on a free loopback port. Screenshots go to
``tests/artifacts/`` (git-ignored); ``docs/img/dashboard.png`` (the README's picture) is
written when it is missing or when ``DETENTE_DOCS_SCREENSHOT=1``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("DETENTE_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).is_file():
    if os.environ.get("CI"):  # CI must run the browser tests, never skip them
        pytest.fail(f"CI: no chromium at {CHROMIUM} (.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(
        f"no chromium at {CHROMIUM} (apt-get install chromium, or set DETENTE_CHROMIUM)", allow_module_level=True
    )
pytest.importorskip("playwright", reason="the Python package playwright is not installed (pip install playwright)")
pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'detente[web]')")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install 'detente[web]')")

from playwright.sync_api import expect, sync_playwright  # noqa: E402 (after the skips above)

from detente.web import WebSettings, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_SHOT = ROOT / "docs" / "img" / "dashboard.png"
VIEWPORT = {"width": 1366, "height": 768}
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    app = create_app(WebSettings(store_path=str(tmp_path_factory.mktemp("store") / "runs.duckdb")))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    end = time.monotonic() + 60
    while not srv.started:
        if time.monotonic() > end or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, request):
    ctx = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    pg = ctx.new_page()
    problems: list[str] = []
    pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    pg.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" and "status of 4" not in m.text
            else None
        ),
    )  # 4xx: the API's answer to bad input
    pg.on(
        "request",
        lambda r: (
            problems.append(f"external request: {r.url}") if not r.url.startswith((server, "data:", "blob:")) else None
        ),
    )
    pg.goto(server + "/")
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"))
    ctx.close()
    assert not problems, problems


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path))
    return path


def wait_replay_done(pg, timeout: float = 60_000) -> None:
    expect(pg.locator("#replay-status")).to_have_text(re.compile(r"^done: \d+ dates"), timeout=timeout)


def chart_data(pg, chart_id: str) -> list[dict]:
    return pg.evaluate("(id) => document.getElementById(id).data.map(t => ({name: t.name, x: t.x, y: t.y}))", chart_id)


def post(server: str, path: str, body: dict) -> dict:
    req = urllib.request.Request(
        server + path, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    return json.loads(urllib.request.urlopen(req, timeout=30).read())


# ------------------------------------------------------------------ tests
def test_page_loads_with_the_2025_replay(page):
    wait_replay_done(page)
    expect(page.locator("#replay-heading")).to_contain_text("US-China 2025")
    welfare = chart_data(page, "chart-welfare")
    names = [t["name"] for t in welfare]
    assert "USA" in names and "CHN" in names
    usa = next(t for t in welfare if t["name"] == "USA")
    assert min(v for v in usa["y"] if v is not None) < -0.1  # the April 2025 peak hurts
    tariffs = chart_data(page, "chart-tariffs")
    assert max(v for v in tariffs[0]["y"] if v is not None) > 100  # USA on CHN above 100% in April 2025
    for cid in ("chart-wages", "chart-prices", "chart-trade"):
        assert chart_data(page, cid), cid
    assert page.locator("#timeline tbody tr").count() > 20
    # readable on a laptop: no horizontal scrolling at 1366 x 768
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    path = shot(page, "dashboard-replay")
    if os.environ.get("DETENTE_DOCS_SCREENSHOT") == "1" or not DOCS_SHOT.exists():
        DOCS_SHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOT)


def test_every_control_has_a_label(page):
    wait_replay_done(page)
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea, progress')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                      && !el.getAttribute('aria-labelledby'))
        .map(el => el.id || el.outerHTML.slice(0, 80))""")
    assert unlabeled == []
    tabs = page.locator('[role="tab"]')
    assert tabs.count() == 4
    tabs.nth(0).focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-whatif")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#panel-whatif")).to_be_visible()


def test_change_a_tariff_and_see_the_new_numbers(page, server):
    page.click("#tab-whatif")
    key = page.locator("#key-welfare-a")
    expect(key).to_have_text("+0.000 %", timeout=30_000)  # no change yet: the baseline
    page.fill("#t-ab-0-n", "100")  # USA on CHN, all goods, +100 pp
    expect(key).not_to_have_text("+0.000 %", timeout=10_000)
    expect(page.locator("#whatif-status")).to_contain_text("solved in")
    expected = post(
        server,
        "/api/whatif",
        {
            "tariffs": [{"importer": "USA", "exporter": "CHN", "sectors": "goods", "op": "add", "rate_pp": 100}],
            "pair": ["USA", "CHN"],
        },
    )
    want = {r["country"]: r for r in expected["countries"]}
    bars = chart_data(page, "chart-whatif-countries")
    welfare = dict(zip(bars[0]["x"], bars[0]["y"]))
    assert welfare["USA"] == pytest.approx(want["USA"]["welfare_pct"], abs=1e-9)
    assert welfare["CHN"] == pytest.approx(want["CHN"]["welfare_pct"], abs=1e-9)
    assert float(key.get_attribute("data-value")) == pytest.approx(want["USA"]["welfare_pct"], abs=1e-9)
    assert key.inner_text() == f"{want['USA']['welfare_pct']:+.3f} %"
    tariffs = chart_data(page, "chart-whatif-tariffs")
    assert tariffs[1]["y"][0] == pytest.approx(tariffs[0]["y"][0] + 100)
    # the slider moved with the number, and the export-licence slider works too
    assert page.input_value("#t-ab-0") == "100"
    page.locator("#lic-approval").fill("0")
    expect(page.locator("#lic-approval-out")).to_have_text("0%")
    expect(page.locator("#whatif-status")).to_contain_text("2 change(s)", timeout=10_000)
    shot(page, "whatif-tariff-changed")


def test_run_a_variant_of_the_2025_replay(page):
    wait_replay_done(page)
    page.select_option("#variant-select", "no-geneva")
    expect(page.locator("#replay-heading")).to_contain_text("no-geneva", timeout=60_000)
    wait_replay_done(page)
    tariffs = chart_data(page, "chart-tariffs")
    dates, usa_on_chn = tariffs[0]["x"], tariffs[0]["y"]
    after_geneva = [v for d, v in zip(dates, usa_on_chn) if "2025-06-01" <= d <= "2025-10-01"]
    assert min(after_geneva) > 100  # without Geneva the 125 pp stay
    expect(page.locator("#dl-replay-csv")).to_have_attribute(
        "href", re.compile(r"/api/jobs/[0-9a-f]+/result\?format=csv")
    )
    with page.expect_download() as dl:
        page.click("#dl-replay-csv")
    path = ARTIFACTS / "replay-no-geneva.csv"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    dl.value.save_as(path)
    assert path.read_text().startswith("country,date,welfare_pct")
    shot(page, "replay-no-geneva")


def test_shortage_paths_for_a_product_control(page, server):
    names = [s["name"] for s in json.loads(urllib.request.urlopen(server + "/api/scenarios", timeout=120).read())]
    caps = json.loads(urllib.request.urlopen(server + "/api/capabilities", timeout=120).read())
    if not caps["shortage"] or "rare-earth-magnets-2025" not in names:
        pytest.skip("the shortage model or the rare-earth-magnets-2025 scenario is not in this tree")
    wait_replay_done(page)
    expect(page.locator("#chart-shortage")).to_be_hidden()  # us-china-2025 names no product
    page.select_option("#scenario-select", "rare-earth-magnets-2025")
    expect(page.locator("#chart-shortage")).to_be_visible(timeout=60_000)
    wait_replay_done(page)
    traces = chart_data(page, "chart-shortage")
    assert traces and min(min(v for v in t["y"] if v is not None) for t in traces) < 100
    expect(page.locator("#extras-note")).to_contain_text("% of GDP")
    shot(page, "shortage-paths")


def test_compare_two_variants(page):
    wait_replay_done(page)
    page.click("#tab-compare")
    page.select_option("#compare-a", "variant:")
    page.select_option("#compare-b", "variant:truce-collapses-aug-2025")
    page.select_option("#compare-country", "CHN")
    page.click("#compare-btn")
    expect(page.locator("#compare-status")).to_contain_text("compared", timeout=60_000)
    traces = chart_data(page, "chart-compare-welfare")
    assert len(traces) == 2 and traces[0]["y"] != traces[1]["y"]
    rows = page.locator("#compare-table tbody tr")
    assert rows.count() >= 2
    chn = page.locator("#compare-table tbody tr", has_text="CHN").first.locator("td")
    diff = float(chn.nth(3).inner_text())
    assert diff < 0  # the truce collapsing costs China real income
    shot(page, "compare-variants")


def test_bad_input_shows_a_readable_error(page):
    wait_replay_done(page)
    page.click("#editor-box summary")
    text = page.input_value("#scenario-text")
    bad = re.sub(r"rate_pp: \d+", "rate_pp: -5", text, count=1)
    assert bad != text
    page.fill("#scenario-text", bad)
    page.click("#validate-btn")
    err = page.locator("#replay-error")
    expect(err).to_be_visible(timeout=20_000)
    expect(err).to_contain_text("problem(s) in scenario")
    expect(err).to_contain_text(re.compile(r"line \d+: events\[\d+\]\.tariff\.rate_pp = -5"))
    expect(err).to_contain_text("greater than or equal to 0")
    assert "Traceback" not in err.inner_text()
    shot(page, "bad-scenario")
    # and an impossible tariff in the what-if panel
    page.click("#tab-whatif")
    expect(page.locator("#key-welfare-a")).to_be_visible(timeout=30_000)
    page.fill("#t-ba-0-n", "5000")
    werr = page.locator("#whatif-error")
    expect(werr).to_be_visible(timeout=10_000)
    expect(werr).to_contain_text("tariffs[0].rate_pp = 5000: Input should be less than or equal to 1000")
    shot(page, "bad-tariff")


def test_world_2025_partner_and_diversion_views(page, server):
    """world-2025 in the dashboard: the US tariff on each partner and the trade diversion render,
    the bar date can be changed, and every chart names its units and provenance."""
    names = [s["name"] for s in json.loads(urllib.request.urlopen(server + "/api/scenarios", timeout=120).read())]
    if "world-2025" not in names:
        pytest.skip("the world-2025 scenario is not shipped")
    wait_replay_done(page)
    page.select_option("#scenario-select", "world-2025")
    expect(page.locator("#replay-heading")).to_contain_text("2025", timeout=10_000)
    expect(page.locator("#replay-status")).to_have_text(re.compile(r"^done: \d+ dates, 50 "), timeout=240_000)
    expect(page.locator("#world-box")).to_be_visible()
    partners = chart_data(page, "chart-partners")
    names = [t["name"] for t in partners]
    assert names[0] == "all partners" and {"CHN", "MEX", "CAN"} <= set(names) and len(names) == 9
    chn = next(t for t in partners if t["name"] == "CHN")
    assert max(v for v in chn["y"] if v is not None) > 100
    bars = chart_data(page, "chart-diversion")[0]
    share = dict(zip(bars["y"], bars["x"]))
    assert len(share) == 19 and "USA" not in share and share["CHN"] < -1
    assert sum(share.values()) == pytest.approx(0, abs=1e-4)
    title = page.evaluate("document.getElementById('chart-diversion').layout.title.text")
    assert "on 2025-04-10" in title and "percentage points of USA goods imports" in page.evaluate(
        "document.getElementById('chart-diversion').layout.xaxis.title.text"
    )
    page.select_option("#world-at", "mean")
    expect(page.locator("#chart-diversion .gtitle")).to_contain_text("period mean")
    mean = dict(zip(*[chart_data(page, "chart-diversion")[0][k] for k in ("y", "x")]))
    assert mean != share and mean["CHN"] < -1
    welfare = chart_data(page, "chart-welfare-bars")[0]
    assert len(welfare["y"]) == 20
    assert len(chart_data(page, "chart-retaliation")) >= 3
    note = page.locator("#world-note").inner_text()
    for needle in ("percent", "% vs 2022 baseline", "elasticities", "at 1 year", "closure", "2025-01-01"):
        assert needle in note, needle
    page.check("#world-all-lines")
    assert len(chart_data(page, "chart-welfare")) == 20
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]
    shot(page, "world-2025-partners")


# ------------------------------------------------------------------ layout: charts and event labels
def overlap(a: dict, b: dict, tol: float = 0.5) -> bool:
    """Whether two bounding boxes (Playwright's x, y, width, height) share more than a hairline."""
    return (
        a["x"] < b["x"] + b["width"] - tol
        and b["x"] < a["x"] + a["width"] - tol
        and a["y"] < b["y"] + b["height"] - tol
        and b["y"] < a["y"] + a["height"] - tol
    )


def settled(read, timeout: float = 5.0):
    """``read()`` once two readings a quarter of a second apart agree (charts re-measure after a
    layout change), or the last reading when ``timeout`` seconds have passed."""
    last, end = read(), time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(0.25)
        now = read()
        if now == last:
            return now
        last = now
    return last


def chart_boxes(pg) -> dict[str, tuple[dict, dict]]:
    """For each visible chart of the replay panel: the box of its drawing (plotly's SVG) and of its figure."""
    ids = pg.evaluate(
        "() => [...document.querySelectorAll('#panel-replay .js-plotly-plot')]"
        ".filter(e => e.offsetParent !== null && !e.closest('[hidden]')).map(e => e.id)"
    )
    return {
        cid: (
            pg.locator(f"#{cid} .main-svg").first.bounding_box(),
            pg.locator(f"#{cid}").locator("xpath=ancestor::figure[1]").bounding_box(),
        )
        for cid in ids
    }


@pytest.mark.parametrize("width", [1280, 800])
def test_charts_never_overlap_when_the_editor_opens_or_closes(page, width):
    """The open scenario editor widens the controls column (on wide screens): every chart is
    drawn again for its new box, so no drawing sticks out of its figure over the next chart."""
    page.set_viewport_size({"width": width, "height": 900})
    wait_replay_done(page)
    for state in ("open", "closed"):
        page.click("#editor-box summary")
        expect(page.locator("#editor-box")).to_have_js_property("open", state == "open")
        boxes = settled(lambda: chart_boxes(page))
        assert len(boxes) >= 5, boxes
        for cid, (drawing, figure) in boxes.items():
            assert drawing["x"] >= figure["x"] - 1, (state, cid, drawing, figure)
            assert drawing["x"] + drawing["width"] <= figure["x"] + figure["width"] + 1, (state, cid, drawing, figure)
            assert drawing["width"] >= figure["width"] - 12, (state, cid, drawing, figure)  # and fills it
        drawings = sorted((cid, d) for cid, (d, _) in boxes.items())
        for k, (a, da) in enumerate(drawings):
            for b, db in drawings[k + 1 :]:
                assert not overlap(da, db), (state, width, a, da, b, db)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, state
        shot(page, f"editor-{state}-{width}")


def replay_result(server: str, scenario: str) -> dict:
    job = post(server, "/api/replays", {"scenario": scenario})
    end = time.monotonic() + 120
    while job["status"] not in ("done", "failed", "cancelled"):
        assert time.monotonic() < end, job
        time.sleep(0.2)
        job = json.loads(urllib.request.urlopen(f"{server}/api/jobs/{job['id']}", timeout=30).read())
    assert job["status"] == "done", job
    return json.loads(urllib.request.urlopen(f"{server}/api/jobs/{job['id']}/result?format=json", timeout=30).read())


def label_boxes(pg) -> list[dict]:
    labels = pg.locator("#chart-tariffs g.annotation rect.bg")
    return [labels.nth(k).bounding_box() for k in range(labels.count())]


def test_every_event_line_has_a_readable_label(page, server):
    """The tariff chart's dotted lines at the policy changes of us-china-2025 (many, some days
    apart) each carry one label: the event's short name, its full text and source on hover,
    and no label on top of another, on a laptop screen and at 800 px."""
    want = replay_result(server, "us-china-2025")["change_dates"][1:]
    assert len(want) > 20
    wait_replay_done(page)
    layout = page.evaluate("""() => { const l = document.getElementById('chart-tariffs').layout;
        return {lines: (l.shapes || []).filter(s => s.type === 'line').map(s => s.x0),
                labels: (l.annotations || []).map(a => ({x: a.x, text: a.text, hover: a.hovertext || ''}))}; }""")
    assert sorted(layout["lines"]) == want
    assert sorted(a["x"] for a in layout["labels"]) == want  # one label per line
    for a in layout["labels"]:
        assert 0 < len(a["text"]) <= 30 and a["x"][:4] in a["hover"], a
    k, apr10 = next((k, a) for k, a in enumerate(layout["labels"]) if a["x"] == "2025-04-10")
    assert apr10["text"].startswith("us-recip-125")
    for needle in ("10 Apr 2025", "ieepa-reciprocal set 125 pp", "source: E045; EO 14266", "cn-retaliation-84"):
        assert needle in apr10["hover"], needle
    for width in (VIEWPORT["width"], 800):
        page.set_viewport_size({"width": width, "height": VIEWPORT["height"]})
        boxes = settled(lambda: label_boxes(page))
        chart = page.locator("#chart-tariffs").bounding_box()
        assert len(boxes) == len(want)
        for i, a in enumerate(boxes):
            assert chart["x"] <= a["x"] and a["x"] + a["width"] <= chart["x"] + chart["width"], (width, a)
            for b in boxes[i + 1 :]:
                assert not overlap(a, b), (width, a, b)
    shot(page, "event-labels-800")
    page.set_viewport_size(VIEWPORT)
    label = page.locator(f"#chart-tariffs g.annotation[data-index='{k}'] rect.bg")
    expect(label).to_be_visible()
    box = settled(label.bounding_box)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#chart-tariffs .hoverlayer")).to_contain_text("EO 14266")
    shot(page, "event-labels-hover")
