"""The dashboard's strategy panel in a real browser, and its API endpoint.

Playwright drives Debian's chromium (/usr/bin/chromium), as in tests/test_web_browser.py,
against a server in a background thread on a free loopback port.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'detente[web]')")

from detente.web import WebSettings, create_app

CHROMIUM = os.environ.get("DETENTE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "tests" / "artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]


def test_leverage_endpoint_answers_with_units_and_labels():
    from fastapi.testclient import TestClient

    with TestClient(create_app(WebSettings(warm=False, use_store=False))) as client:
        r = client.post("/api/strategy/leverage", json={"reference": "geneva-2025"})
        assert r.status_code == 200, r.text
        rec = r.json()
        assert rec["players"] == ["USA", "CHN"] and "long run" in rec["elasticities"] and rec["horizon"] == "long"
        assert "percent of baseline income" in rec["units"] and "USD billion" in rec["units"]
        rows = {(x["imposer"], x["instrument"]) for x in rec["leverage"]}
        assert ("USA", "tariff threat") in rows and ("CHN", "critical-input cut-off") in rows
        assert [t["threat"] for t in rec["threat_points"]] == ["tariffs", "controls", "all"]
        assert "+30 pp" in rec["reference"] or "30" in rec["reference"]
        bad = client.post("/api/strategy/leverage", json={"players": ["USA", "XXX"]})
        assert bad.status_code == 422 and "XXX" in bad.json()["error"]["message"]
        same = client.post("/api/strategy/leverage", json={"players": ["USA", "USA"]})
        assert same.status_code == 422 and "two different countries" in json.dumps(same.json())
        unknown = client.post("/api/strategy/leverage", json={"horizon": "forever"})
        assert unknown.status_code == 422 and "horizon" in json.dumps(unknown.json())


# ------------------------------------------------------------------ browser
def _browser_ready():
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI: no chromium at {CHROMIUM}", pytrace=False)
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set DETENTE_CHROMIUM)")
    pytest.importorskip("playwright", reason="the Python package playwright is not installed")
    pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install 'detente[web]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _browser_ready()
    import uvicorn

    port = _free_port()
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


def test_dashboard_shows_the_leverage_table(server):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        ctx = browser.new_context(viewport={"width": 1366, "height": 768})
        page = ctx.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on(
            "console",
            lambda m: (
                problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" and "status of 4" not in m.text
                else None
            ),
        )
        page.on(
            "request",
            lambda r: (
                problems.append(f"external request: {r.url}")
                if not r.url.startswith((server, "data:", "blob:"))
                else None
            ),
        )
        try:
            page.goto(server + "/")
            expect(page.locator("body")).to_have_attribute("data-strategy-ready", "true", timeout=120_000)
            rows = page.locator("#leverage-table tbody tr")
            assert rows.count() == 4  # two instruments each for USA and CHN
            text = page.locator("#leverage-table").inner_text()
            assert "tariff threat" in text and "tech export controls" in text and "critical-input cut-off" in text
            caption = page.locator("#leverage-caption").inner_text()
            assert "percent of baseline income" in caption and "long run" in caption
            first = rows.nth(0).locator("td")
            assert first.nth(0).inner_text() == "USA"
            float(first.nth(2).inner_text())  # a number: the target's loss in % of income
            assert page.locator("#threat-table tbody tr").count() == 3
            assert "strategy module is not in this installation" not in page.content()
            expect(page.locator("#extras-note")).to_contain_text("strategy table below")
            # change the reference state and recompute
            page.select_option("#strategy-reference", "april-2025-peak")
            page.click("#strategy-btn")
            expect(page.locator("#strategy-provenance")).to_contain_text("145", timeout=60_000)
            # bad pair: a clear error, not a stack trace
            page.select_option("#strategy-b", "USA")
            page.click("#strategy-btn")
            expect(page.locator("#strategy-error")).to_contain_text("two different countries", timeout=30_000)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("#strategy-box").screenshot(path=str(ARTIFACTS / "strategy-leverage.png"))
        finally:
            ctx.close()
            browser.close()
    assert not problems, problems
