"""The HTTP API (detente.web): every endpoint, the error cases, limits, jobs, and a load test.

Runs in-process with FastAPI's TestClient; one test starts `detente serve` in a
subprocess and one fires 50 concurrent what-ifs at it from a second process.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed (pip install 'detente[web]')")
pytest.importorskip("httpx", reason="the web extra is not installed (pip install 'detente[web]')")

from fastapi.testclient import TestClient

from detente.web import WebSettings, create_app
from detente.web._jobs import JobManager, TooManyJobs

ROOT = Path(__file__).resolve().parents[1]

try:
    import detente.store  # noqa: F401

    HAVE_STORE = True
except ImportError:
    HAVE_STORE = False
needs_store = pytest.mark.skipif(not HAVE_STORE, reason="the results store (detente.store) is not in this tree yet")

BAD_SCENARIO = """\
name: bad
period: {start: 2025-01-01, end: 2025-03-01, step: week}
events:
  - date: 2025-02-01
    tariff: {importer: USA, exporter: CHN, layer: x, op: set, rate_pp: -5}
"""
GOOD_SCENARIO = """\
name: small
title: A small test scenario
period: {start: 2025-01-01, end: 2025-03-01, step: month}
events:
  - id: t1
    date: 2025-02-01
    tariff: {importer: USA, exporter: CHN, layer: test, op: set, rate_pp: 50}
variants:
  none: {remove_events: [t1]}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "runs.duckdb"
    app = create_app(WebSettings(store_path=str(store), warm=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def wait_job(client, job_id: str, timeout: float = 60.0) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        info = client.get(f"/api/jobs/{job_id}").json()
        if info["status"] not in ("queued", "running"):
            return info
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {timeout} s")


def assert_error(resp, status: int | tuple[int, ...], code: str | None = None, contains: str | None = None) -> dict:
    assert resp.status_code in (status if isinstance(status, tuple) else (status,)), resp.text
    err = resp.json()["error"]
    assert set(err) == {"code", "message", "problems"}
    if code:
        assert err["code"] == code
    text = err["message"] + "\n".join(err["problems"])
    if contains:
        assert contains in text, text
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    return err


# ------------------------------------------------------------------ listing endpoints
def test_capabilities_and_openapi(client):
    caps = client.get("/api/capabilities").json()
    assert caps["limits"]["max_jobs"] >= 1 and caps["version"]
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for p in (
        "/api/whatif",
        "/api/replays",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/cancel",
        "/api/jobs/{job_id}/result",
        "/api/scenarios/validate",
        "/api/worlds",
        "/api/runs",
    ):
        assert p in paths
    assert client.get("/docs").status_code == 404  # no CDN-backed Swagger UI


def test_worlds(client):
    names = [w["name"] for w in client.get("/api/worlds").json()]
    assert "default" in names
    w = client.get("/api/worlds/default").json()
    assert "USA" in w["countries"] and "CHN" in w["countries"]
    assert set(w["sector_groups"]["all goods"]) == set(w["goods"])
    grouped = [s for g, ss in w["sector_groups"].items() if g != "all goods" for s in ss]
    assert sorted(grouped) == sorted(w["goods"])  # the groups partition the goods
    assert_error(client.get("/api/worlds/..%2F..%2Fetc%2Fpasswd"), (404, 422))
    assert_error(client.get("/api/worlds/nope"), 422, "invalid_request", "nope")


def test_scenarios(client):
    names = [s["name"] for s in client.get("/api/scenarios").json()]
    assert "us-china-2025" in names
    sc = client.get("/api/scenarios/us-china-2025").json()
    assert "no-geneva" in sc["variants"]
    assert "name: us-china-2025" in sc["text"]
    assert sc["events"] and all({"date", "kind", "text"} <= set(e) for e in sc["events"])
    assert [e["date"] for e in sc["events"]] == sorted(e["date"] for e in sc["events"])
    assert_error(client.get("/api/scenarios/nope"), 404, "not_found", "us-china-2025")
    schema = client.get("/api/schema/scenario").json()
    assert schema["title"] == "detente scenario"


# ------------------------------------------------------------------ validation
def test_validate_ok(client):
    r = client.post("/api/scenarios/validate", json={"text": GOOD_SCENARIO, "deep": True})
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["ok"] and v["name"] == "small" and v["variants"] == {"none": ""}
    assert "policy on every date of every variant" in v["checked"]


def test_validate_malformed_scenario(client):
    err = assert_error(client.post("/api/scenarios/validate", json={"text": BAD_SCENARIO}), 422, "invalid_scenario")
    assert any("line 5" in p and "events[0].tariff.rate_pp" in p for p in err["problems"]), err
    err = assert_error(
        client.post("/api/scenarios/validate", json={"text": "name: [unclosed"}), 422, "invalid_scenario"
    )
    assert "not valid YAML" in err["message"]


def test_validate_unknown_country(client):
    text = GOOD_SCENARIO.replace("exporter: CHN", "exporter: CHNA")
    err = assert_error(client.post("/api/scenarios/validate", json={"text": text}), 422, "invalid_scenario")
    assert any("CHNA" in p and "did you mean CHN" in p for p in err["problems"]), err


@pytest.mark.parametrize("world", ["/etc/passwd", "../x.nc", "~/w.nc"])
def test_scenario_cannot_name_a_file(client, world):
    text = GOOD_SCENARIO.replace("name: small", f"name: small\nworld: {world!r}")
    assert_error(client.post("/api/scenarios/validate", json={"text": text}), 422, "invalid_scenario", "not allowed")
    assert_error(client.post("/api/replays", json={"text": text}), 422, "invalid_scenario", "not allowed")


# ------------------------------------------------------------------ what-if
def test_whatif_matches_the_engine(client):
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_world

    body = {
        "tariffs": [
            {"importer": "USA", "exporter": "CHN", "sectors": "goods", "op": "add", "rate_pp": 100},
            {"importer": "CHN", "exporter": "USA", "sectors": ["AGR", "FOOD"], "op": "set", "rate_pp": 50},
        ]
    }
    r = client.post("/api/whatif", json=body)
    assert r.status_code == 200, r.text
    rec = r.json()
    w = load_world("default")
    eq = solve(
        w,
        Counterfactual.from_world(w)
        .tariff("USA", "CHN", "goods", 100)
        .tariff("CHN", "USA", ["AGR", "FOOD"], 50, op="set"),
    )
    table = eq.country_table()
    got = {row["country"]: row for row in rec["countries"]}
    for c in ("USA", "CHN", "MEX"):
        assert got[c]["welfare_pct"] == pytest.approx(table.loc[c, "welfare_pct"], abs=1e-9)
    assert rec["meta"]["solver"]["converged"]
    at = {(a["importer"], a["exporter"]): a for a in rec["average_tariffs"]}
    assert at[("USA", "CHN")]["counterfactual_pct"] == pytest.approx(at[("USA", "CHN")]["baseline_pct"] + 100)
    assert rec["bilateral"][0]["importer"] == "USA" and rec["request"]["tariffs"][0]["rate_pp"] == 100


def test_whatif_export_control_cuts_the_flow(client):
    base = client.post("/api/whatif", json={"pair": ["USA", "CHN"]}).json()
    ctrl = client.post(
        "/api/whatif",
        json={
            "pair": ["USA", "CHN"],
            "export_controls": [
                {"exporter": "CHN", "importers": "USA", "sectors": "NONFERROUS", "coverage": 0.5, "approval_share": 0.2}
            ],
        },
    ).json()

    def flow(rec):
        rows = next(b for b in rec["bilateral"] if b["importer"] == "USA")["rows"]
        return next(r for r in rows if r["sector"] == "NONFERROUS")["counterfactual"]

    assert flow(ctrl) < 0.75 * flow(base)  # 40% of the flow refused, plus price effects
    assert any("export licences" in c for c in ctrl["meta"]["changes"])


def test_whatif_csv_and_parquet(client):
    import pyarrow.parquet as pq

    body = {"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": 25}]}
    r = client.post("/api/whatif?format=csv", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("country,welfare_pct")
    r = client.post("/api/whatif?format=parquet", json=body)
    t = pq.read_table(io.BytesIO(r.content)).to_pandas()
    assert "USA" in set(t["country"]) and "welfare_pct" in t.columns


@pytest.mark.parametrize(
    "body, code, text",
    [
        ({"tariffs": [{"importer": "USA", "exporter": "CHNA", "rate_pp": 10}]}, "unknown_label", "did you mean CHN"),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "sectors": "CARS", "rate_pp": 10}]},
            "unknown_label",
            "CARS",
        ),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": 10, "layer": "x"}]},
            "invalid_request",
            "tariffs[0].layer: unknown key",
        ),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": "many"}]},
            "invalid_request",
            "tariffs[0].rate_pp",
        ),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "op": "set", "rate_pp": -5}]},
            "invalid_request",
            "rate_pp >= 0",
        ),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "op": "mul", "rate_pp": 5}]},
            "invalid_request",
            "tariffs[0].op",
        ),
        (
            {"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": 1e6}]},
            "invalid_request",
            "less than or equal to 1000",
        ),
        ({"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": -50}]}, "invalid_request", "negative"),
        ({"world": "/etc/passwd"}, "invalid_request", "world"),
        ({"countries": ["USA", "XXX"]}, "unknown_label", "XXX"),
        (
            {"export_controls": [{"exporter": "CHN", "sectors": "NONFERROUS", "coverage": 1, "approval_share": 0}]},
            "invalid_request",
            "infinite trade cost",
        ),
        ({"tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": 1}] * 65}, "invalid_request", "at most 64"),
    ],
)
def test_whatif_bad_input(client, body, code, text):
    assert_error(client.post("/api/whatif", json=body), 422, code, text)


def test_malformed_json_and_wrong_method(client):
    r = client.post("/api/whatif", content=b'{"tariffs": [', headers={"content-type": "application/json"})
    assert_error(r, 422, "invalid_request", "not valid JSON")
    assert_error(client.get("/api/whatif"), 405)
    assert_error(client.get("/api/nothing-here"), 404)


def test_oversized_request(client):
    limit = client.app.state.settings.max_body_bytes
    big = json.dumps({"title": "x" * (limit + 10)}).encode()
    assert_error(
        client.post("/api/whatif", content=big, headers={"content-type": "application/json"}), 413, "too_large"
    )

    def chunks():  # no content-length: the limit still holds
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    assert_error(
        client.post("/api/whatif", content=chunks(), headers={"content-type": "application/json"}), 413, "too_large"
    )


def test_internal_error_has_no_stack_trace(client, monkeypatch):
    from detente.report import whatif

    def boom(*a, **k):
        raise RuntimeError("secret internals /work/main/src")

    monkeypatch.setattr(whatif, "whatif_record", boom)
    err = assert_error(client.post("/api/whatif", json={}), 500, "internal", "ref ")
    assert "secret" not in json.dumps(err)


def test_host_header_and_security_headers(client):
    assert_error(client.get("/api/worlds", headers={"host": "evil.example:8765"}), 400, None, "not allowed")
    r = client.get("/")
    assert r.status_code == 200 and "<title>detente" in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_static_assets_are_local(client):
    html = client.get("/").text
    assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    r = client.get("/vendor/plotly.min.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and r.headers.get("content-encoding") == "gzip"
    assert len(r.content) > 1_000_000 and b"plotly" in r.content[:2000].lower()
    assert_error(client.get("/static/../_app.py"), 404)


# ------------------------------------------------------------------ replay jobs
def test_replay_job_and_results(client):
    import pyarrow.parquet as pq

    r = client.post("/api/replays", json={"scenario": "us-china-2025"})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["status"] == "done", job
    assert job["progress"]["done"] == job["progress"]["total"] > 50
    data = client.get(f"/api/jobs/{job['id']}/result?format=json&pair=USA,CHN&countries=USA,CHN").json()
    assert set(data["series"]["welfare_pct"]) == {"USA", "CHN"}
    n = len(data["dates"])
    assert (
        len(data["pairs"]["USA<-CHN"]["avg_tariff_pct"]) == n and max(data["pairs"]["USA<-CHN"]["avg_tariff_pct"]) > 100
    )
    assert data["events"] and data["meta"]["scenario"] == "us-china-2025"
    assert "/" not in data["meta"]["scenario_file"]  # no server paths
    csv = client.get(f"/api/jobs/{job['id']}/result?format=csv&table=country").text
    assert csv.splitlines()[0] == "country,date,welfare_pct,real_wage_pct,cpi_pct,tariff_revenue"
    r = client.get(f"/api/jobs/{job['id']}/result?format=parquet&table=sectors&pair=USA,CHN")
    t = pq.read_table(io.BytesIO(r.content)).to_pandas()
    assert set(t["importer"]) == {"USA", "CHN"} and len(t) == 2 * 22 * n
    assert_error(client.get(f"/api/jobs/{job['id']}/result?table=nope&format=csv"), 422, "invalid_request", "table")
    assert_error(client.get(f"/api/jobs/{job['id']}/result?pair=USA,XXX"), 422, "unknown_label")
    # the same request again reuses the finished job
    assert client.post("/api/replays", json={"scenario": "us-china-2025"}).json()["id"] == job["id"]
    assert any(j["id"] == job["id"] for j in client.get("/api/jobs").json())


def test_replay_of_edited_text_and_variant(client):
    r = client.post("/api/replays", json={"text": GOOD_SCENARIO, "variant": "none"})
    job = wait_job(client, r.json()["id"])
    assert job["status"] == "done", job
    data = client.get(f"/api/jobs/{job['id']}/result").json()
    assert data["meta"]["variant"] == "none"
    assert max(data["pairs"]["USA<-CHN"]["avg_additional_tariff_pct"]) == 0


def test_replay_with_shortage_paths(client):
    pytest.importorskip("detente.shortage", reason="the shortage model is not in this tree yet")
    from detente.policy import shipped_scenarios

    if "rare-earth-magnets-2025" not in shipped_scenarios():
        pytest.skip("the rare-earth-magnets-2025 scenario is not shipped")
    job = wait_job(client, client.post("/api/replays", json={"scenario": "rare-earth-magnets-2025"}).json()["id"])
    assert job["status"] == "done", job
    sh = client.get(f"/api/jobs/{job['id']}/result").json()["shortage"]
    assert sh["weeks"] and sh["output_pct"]
    assert min(min(v for v in y if v is not None) for y in sh["output_pct"].values()) < 100  # lines stop
    # a scenario without product controls has no shortage paths
    plain = wait_job(client, client.post("/api/replays", json={"text": GOOD_SCENARIO}).json()["id"])
    assert client.get(f"/api/jobs/{plain['id']}/result").json()["shortage"] is None


def test_replay_of_world_2025_has_the_partner_views(client):
    """world-2025: the US tariff on every partner, retaliation, welfare of every country and
    the change of each exporter's share of US goods imports, with units and provenance."""
    job = wait_job(client, client.post("/api/replays", json={"scenario": "world-2025"}).json()["id"], timeout=300)
    assert job["status"] == "done", job
    data = client.get(f"/api/jobs/{job['id']}/result?format=json&pair=USA,CHN").json()
    w = data["world"]
    n = len(data["dates"])
    assert w["importer"] == "USA" and w["multilateral"] and len(w["partners"]) == 19 and "USA" not in w["partners"]
    assert {"CHN", "MEX", "CAN", "EUR", "IND", "BRA"} <= set(w["moving_partners"])
    assert set(w["tariff_by_partner"]) == {"all", *w["partners"]} and all(
        len(v) == n for v in w["tariff_by_partner"].values()
    )
    assert max(w["tariff_by_partner"]["CHN"]) > 100 and max(w["tariff_by_partner"]["all"]) > 20
    assert "CHN" in w["retaliating_partners"] and max(w["retaliation"]["CHN"]) > 100
    assert len(w["welfare"]) == 20 and len(w["welfare_mean"]) == 20
    assert sum(w["share_base_pct"].values()) == pytest.approx(100)
    assert sum(w["share_change_mean_pp"].values()) == pytest.approx(0, abs=1e-4)
    t = data["dates"].index(w["default_at"])
    assert sum(v[t] for v in w["share_change_pp"].values()) == pytest.approx(0, abs=1e-4)
    assert w["share_change_mean_pp"]["CHN"] < -1
    assert w["units"]["shares"] == "percentage points of USA goods imports at factory prices"
    for key in ("world", "vintage", "elasticities", "closure"):
        assert w["provenance"][key] and w["provenance"][key] in w["provenance"]["footer"], key
    # the same numbers as the report's charts
    from detente.report import charts as C

    assert w["default_at"] == C.default_at(job_dataset(client, job["id"])).isoformat()


def job_dataset(client, job_id):
    return client.app.state.jobs.get(job_id).result.dataset


@pytest.mark.parametrize(
    "body, status, text",
    [
        ({"scenario": "nope"}, 404, "shipped"),
        ({"scenario": "us-china-2025", "variant": "nope"}, 422, "no variant"),
        ({"scenario": "us-china-2025", "text": GOOD_SCENARIO}, 422, "exactly one"),
        ({}, 422, "exactly one"),
        ({"scenario": "../../etc/passwd"}, 422, "scenario"),
        ({"text": BAD_SCENARIO}, 422, "rate_pp"),
    ],
)
def test_replay_bad_input(client, body, status, text):
    assert_error(client.post("/api/replays", json=body), status, None, text)


def test_job_errors(client):
    assert_error(client.get("/api/jobs/0123456789ab"), 404, "not_found")
    assert_error(client.post("/api/jobs/0123456789ab/cancel"), 404, "not_found")
    assert_error(client.get("/api/jobs/not-a-job!"), 422)
    assert_error(client.get("/api/jobs/0123456789ab/result"), 404)


def test_too_many_jobs_and_cancel(monkeypatch):
    """A cancelled replay stops between two dates and reads "cancelled" (never "done"): the
    replay is replaced by one that reports progress until the cancel stops it."""
    import time

    import detente.policy as policy

    started = threading.Event()

    def slow_replay(sc, world=None, *, progress=None, **kw):
        for k in range(100_000):
            progress(k, 100_000)  # raises JobCancelled once the cancel is seen
            started.set()
            time.sleep(0.005)
        raise AssertionError("the cancel never reached the replay")

    monkeypatch.setattr(policy, "replay", slow_replay)
    app = create_app(WebSettings(max_jobs=1, workers=1, warm=False, use_store=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        first = c.post("/api/replays", json={"scenario": "us-china-2025", "variant": "no-geneva"})
        assert first.status_code == 202
        second = c.post("/api/replays", json={"scenario": "us-china-2025", "variant": "rare-earth-ban"})
        assert_error(second, 429, "too_many_jobs", "limit 1")
        jid = first.json()["id"]
        assert_error(c.get(f"/api/jobs/{jid}/result"), 409, "conflict")
        assert started.wait(30)
        c.post(f"/api/jobs/{jid}/cancel")
        info = wait_job(c, jid)
        assert info["status"] == "cancelled"
        assert 0 < info["progress"]["done"] < info["progress"]["total"]
        monkeypatch.undo()
        assert (
            c.post("/api/replays", json={"scenario": "us-china-2025", "variant": "rare-earth-ban"}).status_code == 202
        )


def test_job_manager_cancel_limits_and_timeout():
    jm = JobManager(workers=1, max_active=2, max_seconds=0.3, keep_results=1)
    started = threading.Event()

    def slow(progress):
        started.set()
        for k in range(1000):
            time.sleep(0.01)
            progress(k + 1, 1000, f"step {k}")
        return "finished"

    a = jm.submit("test", "a", {}, slow)
    b = jm.submit("test", "b", {}, slow)  # queued behind a
    with pytest.raises(TooManyJobs):
        jm.submit("test", "c", {}, slow)
    assert started.wait(5)
    jm.cancel(b.id)
    assert jm.info(b.id)["status"] == "cancelled"  # never starts
    info = jm.wait(a.id, timeout=10)
    assert info["status"] == "cancelled" and "limit" in info["error"]  # stopped by the time limit
    assert 0 < info["progress"]["done"] < 1000
    quick = jm.submit("test", "q", {}, lambda progress: 42, key="k")
    assert jm.wait(quick.id)["status"] == "done" and jm.get(quick.id).result == 42
    assert jm.submit("test", "q", {}, lambda progress: 43, key="k").id == quick.id  # reused
    second = jm.submit("test", "r", {}, lambda progress: 44)
    jm.wait(second.id)
    assert jm.get(quick.id).result is None and jm.get(second.id).result == 44  # keep_results=1
    jm.shutdown()


def test_failed_job_reports_a_readable_error():
    jm = JobManager(workers=1)

    def bad(progress):
        from detente.errors import ScenarioError

        raise ScenarioError("events[2].tariff: layer driven negative")

    def crash(progress):
        raise ZeroDivisionError("internal detail")

    a, b = jm.submit("t", "a", {}, bad), jm.submit("t", "b", {}, crash)
    assert jm.wait(a.id)["error"] == "events[2].tariff: layer driven negative"
    err = jm.wait(b.id)["error"]
    assert err.startswith("internal error (ref ") and "internal detail" not in err
    jm.shutdown()


# ------------------------------------------------------------------ stored runs
@needs_store
def test_stored_runs(client):
    r = client.post("/api/replays", json={"text": GOOD_SCENARIO, "save": True})
    job = wait_job(client, r.json()["id"])
    assert job["status"] == "done" and job["run_id"], job
    wr = client.post(
        "/api/whatif", json={"save": True, "tariffs": [{"importer": "USA", "exporter": "CHN", "rate_pp": 10}]}
    ).json()
    runs = client.get("/api/runs").json()
    ids = {x["id"] for x in runs}
    assert {job["run_id"], wr["run_id"]} <= ids
    detail = client.get(f"/api/runs/{job['run_id']}").json()
    assert detail["kind"] == "replay" and detail["name"] == "small" and "welfare_pct" in detail["variables"]
    data = client.get(f"/api/runs/{job['run_id']}/result?format=json").json()
    assert data["dates"] and data["events"]
    csv = client.get(f"/api/runs/{wr['run_id']}/result?format=csv&table=country").text
    assert csv.startswith("country,")
    data = client.get(f"/api/runs/{wr['run_id']}/result").json()
    assert any(row["country"] == "USA" for row in data["countries"])
    assert_error(client.get("/api/runs/r-00000000-000000"), 404, "not_found")
    assert_error(client.get("/api/runs/..%2Fsecret"), (404, 422))


def test_store_disabled_is_a_clear_404():
    with TestClient(create_app(WebSettings(use_store=False, warm=False)), raise_server_exceptions=False) as c:
        assert c.get("/api/capabilities").json()["store"] is False
        assert_error(c.get("/api/runs"), 404, "not_found", "store")
        assert_error(c.post("/api/whatif", json={"save": True}), 404, "not_found", "store")


# ------------------------------------------------------------------ the server process
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_registers_and_defaults():
    import argparse

    from detente.cli.serve import register

    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command"))
    args = p.parse_args(["serve"])
    assert (args.host, args.port) == ("127.0.0.1", 8765) and callable(args.func)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`detente serve` in a subprocess on a free loopback port."""
    port = free_port()
    code = (
        "import argparse, sys; from detente.cli.serve import register; p = argparse.ArgumentParser(); "
        "register(p.add_subparsers(dest='c')); a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
    )
    env = {**os.environ, "DETENTE_STORE": str(tmp_path_factory.mktemp("serve") / "runs.duckdb")}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "/api/capabilities", timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read()) from None
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(10)


def test_serve_shows_the_dashboard_with_the_2025_replay(server):
    html = urllib.request.urlopen(server + "/", timeout=5).read().decode()
    assert 'id="chart-welfare"' in html
    end = time.monotonic() + 60
    while time.monotonic() < end:  # the server starts the default replay on start-up
        jobs = json.loads(urllib.request.urlopen(server + "/api/jobs", timeout=5).read())
        if any(j["params"]["scenario"] == "us-china-2025" and j["status"] == "done" for j in jobs):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"no finished us-china-2025 replay: {jobs}")


@pytest.mark.slow
def test_load_from_a_second_process(server):
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_web.py"),
            "--url",
            server,
            "--requests",
            "50",
            "--concurrency",
            "50",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["errors"] == 0 and res["ok"] == 50, res
    assert res["p99_ms"] < 30_000
    assert np.isfinite(res["p50_ms"])


def test_whatif_takes_elasticities_horizon_and_closure(client):
    body = {"tariffs": [{"importer": "USA", "exporter": "all", "sectors": "goods", "op": "add", "rate_pp": 25}]}
    out = {}
    for extra in ({}, {"horizon": "long"}, {"closure": "fixed-ratios"}, {"elasticities": "cp2015", "horizon": "long"}):
        r = client.post("/api/whatif", json={**body, **extra})
        assert r.status_code == 200, r.text
        rec = r.json()
        out[str(extra)] = {c["country"]: c["welfare_pct"] for c in rec["countries"]}["USA"]
        assert rec["meta"]["elasticities"] and rec["meta"]["closure"] == extra.get("closure", "fixed-deficits")
    assert len(set(out.values())) == 4  # each choice reaches the solver
    bad = client.post("/api/whatif", json={**body, "horizon": "soon"})
    assert bad.status_code == 422
