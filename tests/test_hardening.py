"""Hardening of the results store and the web server.

- a read-only reader in another process never makes a save fail (the save goes to a
  pending file, merged later), and `detente replay --out` still writes its file;
- the store refuses files that are not its own (SQLite, a foreign DuckDB database);
- API error messages carry no local paths and no process ids;
- 405 answers carry an ``Allow`` header;
- job states survive a killed server (interrupted jobs read "failed: server restarted");
- slow clients are cut off (request headers and bodies have a time limit).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from detente.errors import StoreError
from detente.store import RunStore

duckdb = pytest.importorskip("duckdb")
sys.path.insert(0, str(Path(__file__).parent))
from test_store import assert_exact, row_counts, synthetic_record  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL_SCENARIO = """\
name: small
title: A small test scenario
period: {start: 2025-01-01, end: 2025-03-01, step: month}
events:
  - id: t1
    date: 2025-02-01
    tariff: {importer: USA, exporter: CHN, layer: test, op: set, rate_pp: 50}
"""


def hold(path: Path, *, read_only: bool) -> subprocess.Popen:
    """A separate process holding ``duckdb.connect(path, read_only=...)`` until killed."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(path)!r}, read_only={read_only!r})
        con.execute("SELECT count(*) FROM runs").fetchone()
        print("holding", flush=True)
        time.sleep(120)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(10)


# ============================================================================ store: readers
def test_read_only_reader_does_not_block_saves(tmp_path):
    path = tmp_path / "runs.duckdb"
    store = RunStore(path)
    first = store.save(synthetic_record(seed=1))
    reader = hold(path, read_only=True)
    try:
        t0 = time.monotonic()
        second = store.save(synthetic_record(seed=2))
        third = store.save(synthetic_record(seed=3))
        assert time.monotonic() - t0 < 8, "a save waited for the reader"
        pending = store.pending_dir
        assert sorted(f.name for f in pending.iterdir()) == sorted([f"{second}.duckdb", f"{third}.duckdb"])
        # detente's own reads see the store and the pending runs together, while the reader holds on
        assert set(store.list()["id"]) == {first, second, third}
        assert store.resolve("latest") in {second, third}
        assert_exact(store.load(second).dataset, synthetic_record(seed=2).dataset)
        assert store.delete(third) == third and not (pending / f"{third}.duckdb").exists()
    finally:
        stop(reader)
    fourth = store.save(synthetic_record(seed=4))  # the next save merges the pending run
    assert not list(store.pending_dir.iterdir())
    assert row_counts(path)["runs"] == {first: 1, second: 1, fourth: 1}
    assert_exact(store.load(second).dataset, synthetic_record(seed=2).dataset)


def test_a_read_only_connection_in_this_process_does_not_block_saves(tmp_path):
    path = tmp_path / "runs.duckdb"
    store = RunStore(path, timeout=0.5)
    first = store.save(synthetic_record(seed=1))
    con = duckdb.connect(str(path), read_only=True)  # a notebook's connection
    try:
        second = store.save(synthetic_record(seed=2))
        assert set(store.list()["id"]) == {first, second}
    finally:
        con.close()
    assert set(store.list()["id"]) == {first, second} and not list(store.pending_dir.iterdir())


def test_pending_runs_are_merged_by_a_read_when_the_reader_is_gone(tmp_path):
    path = tmp_path / "runs.duckdb"
    store = RunStore(path)
    store.save(synthetic_record(seed=1))
    reader = hold(path, read_only=True)
    try:
        second = store.save(synthetic_record(seed=2))
    finally:
        stop(reader)
    assert second in set(store.list()["id"])
    assert not list(store.pending_dir.iterdir())
    assert second in row_counts(path)["runs"]


def test_replay_out_is_written_while_a_reader_holds_the_store(tmp_path, monkeypatch):
    path = tmp_path / "runs.duckdb"
    RunStore(path).save(synthetic_record(seed=1))
    monkeypatch.setenv("DETENTE_STORE", str(path))
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL_SCENARIO)
    out = tmp_path / "small.nc"
    reader = hold(path, read_only=True)
    try:
        from detente.cli import main

        assert main(["replay", str(scenario), "--out", str(out), "--quiet"]) == 0
    finally:
        stop(reader)
    assert out.is_file() and out.stat().st_size > 0
    runs = RunStore(path).list()
    assert "small" in set(runs["name"])


# ============================================================================ store: foreign files
def test_foreign_duckdb_file_is_refused(tmp_path):
    path = tmp_path / "analysis.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE prices (x INTEGER)")
    con.execute("INSERT INTO prices VALUES (1)")
    con.close()
    for action in (lambda s: s.save(synthetic_record()), lambda s: s.list(), lambda s: s.load("latest")):
        with pytest.raises(StoreError, match=r"analysis\.duckdb.*not a detente results store"):
            action(RunStore(path))
    con = duckdb.connect(str(path), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert tables == {"prices"}, "detente wrote into a foreign database"
    assert not RunStore(path).pending_dir.exists()

    empty = tmp_path / "empty.duckdb"  # a DuckDB database with no marker at all
    duckdb.connect(str(empty)).close()
    with pytest.raises(StoreError, match=r"empty\.duckdb.*not a detente results store"):
        RunStore(empty).save(synthetic_record())


def test_sqlite_and_other_files_are_refused_before_duckdb_opens_them(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = path.read_bytes()
    opened = []
    real = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real(*a, **k))
    with pytest.raises(StoreError, match=r"runs\.sqlite.*SQLite"):
        RunStore(path).save(synthetic_record())
    with pytest.raises(StoreError, match=r"runs\.sqlite.*SQLite"):
        RunStore(path).list()
    text = tmp_path / "notes.duckdb"
    text.write_text("not a database\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.duckdb.*not a DuckDB file"):
        RunStore(text).save(synthetic_record())
    assert not opened, "DuckDB was given a foreign file (it would try to load an extension for it)"
    assert path.read_bytes() == before


def test_an_empty_file_becomes_a_store(tmp_path):
    path = tmp_path / "new.duckdb"
    path.touch()
    store = RunStore(path)
    rid = store.save(synthetic_record())
    assert list(store.list()["id"]) == [rid]
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT value FROM store_info WHERE key = 'application'").fetchone() == ("detente-runs",)
    con.close()


def test_a_store_made_by_an_older_detente_is_still_accepted(tmp_path):
    path = tmp_path / "old.duckdb"
    store = RunStore(path)
    rid = store.save(synthetic_record())
    con = duckdb.connect(str(path))
    con.execute("DELETE FROM store_info WHERE key = 'application'")  # as written before the marker row
    con.close()
    assert list(store.list()["id"]) == [rid]
    store.save(synthetic_record(seed=2))
    assert len(store.list()) == 2


# ============================================================================ web: messages, 405, jobs
fastapi = pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="the web extra is not installed")
from fastapi.testclient import TestClient  # noqa: E402

from detente.web import WebSettings, create_app  # noqa: E402
from detente.web._jobs import RESTARTED, JobManager  # noqa: E402
from detente.web._middleware import public_text  # noqa: E402


def assert_no_local_detail(text: str, *secrets: str) -> None:
    for s in secrets:
        assert s not in text, f"{s!r} leaked into {text!r}"
    assert "PID" not in text and "Conflicting lock" not in text, text


def test_busy_or_foreign_store_errors_carry_no_paths_or_pids(tmp_path):
    path = tmp_path / "runs.duckdb"
    RunStore(path).save(synthetic_record())
    writer = hold(path, read_only=False)
    try:
        with TestClient(create_app(WebSettings(store_path=str(path), warm=False)), raise_server_exceptions=False) as c:
            r = c.get("/api/runs")  # the store is held by a writer: reads wait, then fail
            assert 400 <= r.status_code < 500, r.text
            assert_no_local_detail(r.text, str(tmp_path), str(writer.pid))
            assert "runs.duckdb" in r.json()["error"]["message"]
            r = c.post("/api/whatif", json={"save": True})  # a save never fails: it is pending
            assert r.status_code == 200, r.text
            assert (RunStore(path).pending_dir / f"{r.json()['run_id']}.duckdb").is_file()
    finally:
        stop(writer)
    sqlite = tmp_path / "runs.sqlite"
    con = sqlite3.connect(sqlite)
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    with TestClient(create_app(WebSettings(store_path=str(sqlite), warm=False)), raise_server_exceptions=False) as c:
        r = c.get("/api/runs")
        assert r.status_code == 422 and "SQLite" in r.text
        assert_no_local_detail(r.text, str(tmp_path))


def test_public_text_keeps_urls_and_drops_local_details():
    msg = (
        "cannot open the results store '/home/ann/my data/runs.duckdb': IO Error: Could not set lock on "
        'file "/home/ann/my data/runs.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 4242) by user ann'
    )
    out = public_text(msg)
    assert out.startswith("cannot open the results store '<local>/runs.duckdb'")
    assert_no_local_detail(out, "/home/ann", "4242", "python3", "by user")
    assert (
        public_text("no such page or endpoint: /api/x/y (see /openapi.json)")
        == "no such page or endpoint: /api/x/y (see /openapi.json)"
    )
    assert public_text(r"world file C:\Users\ann\w.nc not built") == "world file <local>/w.nc not built"
    assert public_text("USA<-CHN:goods:+125, 1/2") == "USA<-CHN:goods:+125, 1/2"


def test_405_answers_carry_an_allow_header():
    with TestClient(create_app(WebSettings(warm=False, use_store=False)), raise_server_exceptions=False) as c:
        for method, url, allow in [
            ("GET", "/api/replays", "POST"),
            ("DELETE", "/api/jobs", "GET"),
            ("PUT", "/api/whatif", "POST"),
            ("POST", "/api/capabilities", "GET"),
            ("POST", "/static/app.js", "GET, HEAD"),
            ("GET", "/api/jobs/abc/cancel", "POST"),
        ]:
            r = c.request(method, url)
            assert r.status_code == 405, (method, url, r.text)
            assert r.headers.get("allow") == allow, (method, url, r.headers)
            err = r.json()["error"]
            assert err["code"] == "method_not_allowed" and allow in err["message"]


def test_job_states_persist_and_interrupted_jobs_fail(tmp_path):
    state = tmp_path / "jobs.json"
    release = threading.Event()
    jm = JobManager(workers=2, state_path=state)

    class Result:
        run_id = "r-20250101-abcdef"

    done = jm.submit("replay", "quick", {"n": 1}, lambda progress: Result())
    assert jm.wait(done.id)["status"] == "done"

    def slow(progress):
        progress(1, 10, "2025-01-01")
        release.wait(30)
        return Result()

    running = jm.submit("replay", "slow", {"n": 2}, slow)
    queued = jm.submit("replay", "queued", {"n": 3}, slow)
    end = time.monotonic() + 10
    while time.monotonic() < end:  # the file follows the state (written just after each change)
        on_disk = {j["id"]: j for j in json.loads(state.read_text())["jobs"]}
        if on_disk[running.id]["status"] == "running":
            break
        time.sleep(0.02)
    assert on_disk[running.id]["status"] == "running" and on_disk[done.id]["run_id"] == Result.run_id

    after = JobManager(state_path=state)  # a new server on the same file
    for jid in (running.id, queued.id):
        info = after.info(jid)
        assert info["status"] == "failed" and info["error"] == RESTARTED, info
    info = after.info(done.id)
    assert info["status"] == "done" and info["run_id"] == Result.run_id and "json" not in info["links"]
    assert [j["id"] for j in after.list()][-1] == done.id
    release.set()
    jm.shutdown()

    damaged = state.with_name("damaged.jobs.json")  # (the first manager may still write `state`)
    damaged.write_text("{not json")
    assert JobManager(state_path=damaged).list() == []  # a damaged file is ignored, not fatal


# ============================================================================ the server process
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVE = (
    "import argparse, sys; from detente.cli.serve import register; p = argparse.ArgumentParser(); "
    "register(p.add_subparsers(dest='c')); a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
)


def start_server(port: int, store: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            SERVE,
            "serve",
            "--port",
            str(port),
            "--store",
            str(store),
            "--no-warm",
            "--header-timeout",
            "1.5",
            "--body-timeout",
            "1.5",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/api/capabilities", timeout=1).read()
            return proc
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read()) from None
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


def get_json(url: str):
    return json.loads(urllib.request.urlopen(url, timeout=10).read())


def post_json(url: str, body: dict):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"content-type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


def long_scenario(weeks: int = 100) -> str:
    events = "\n".join(
        f"  - date: {time.strftime('%Y-%m-%d', time.gmtime(1736035200 + 7 * 86400 * k))}\n"
        f"    tariff: {{importer: USA, exporter: CHN, layer: test, op: set, rate_pp: {10 + k}}}"
        for k in range(weeks)
    )
    return f"name: long\nperiod: {{start: 2025-01-01, end: 2026-12-31, step: week}}\nevents:\n{events}\n"


def test_server_survives_a_kill_and_reports_the_interrupted_jobs(tmp_path):
    port, store = free_port(), tmp_path / "runs.duckdb"
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port, store)
    try:
        job = post_json(url + "/api/replays", {"text": long_scenario()})
        end = time.monotonic() + 60
        while get_json(f"{url}/api/jobs/{job['id']}")["status"] == "queued" and time.monotonic() < end:
            time.sleep(0.1)
        assert get_json(f"{url}/api/jobs/{job['id']}")["status"] == "running"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert (tmp_path / "runs.duckdb.jobs.json").is_file()
    proc = start_server(port, store)
    try:
        info = get_json(f"{url}/api/jobs/{job['id']}")
        assert info["status"] == "failed" and info["error"] == "server restarted", info
        assert any(j["id"] == job["id"] for j in get_json(url + "/api/jobs"))
        try:
            urllib.request.urlopen(f"{url}/api/jobs/{job['id']}/result", timeout=10)
        except urllib.error.HTTPError as exc:
            assert exc.code == 409
        else:
            raise AssertionError("an interrupted job has a result")
        check_slow_clients_are_cut_off(port)
    finally:
        proc.terminate()
        proc.wait(10)


def check_slow_clients_are_cut_off(port: int) -> None:
    # headers a byte at a time: the connection is closed after --header-timeout (1.5 s)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        t0 = time.monotonic()
        closed = False
        for ch in b"GET /api/capabilities HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200:
            try:
                s.sendall(bytes([ch]))
                s.settimeout(0.2)
                if s.recv(1024) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed and time.monotonic() - t0 < 8, "a slow client kept its connection"
    # a body that never comes: 408 after --body-timeout
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(
            b"POST /api/scenarios/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text":'
        )
        t0 = time.monotonic()
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 408"), reply
        assert time.monotonic() - t0 < 8
    # an ordinary client is unaffected
    assert get_json(f"http://127.0.0.1:{port}/api/capabilities")["version"]


# ============================================================================ web: input limits (issue 14)
def test_the_api_checks_the_date_limit_before_building_any_date(monkeypatch):
    from detente import policy

    built = []
    real = policy.dates
    monkeypatch.setattr(policy, "dates", lambda sc: built.append(sc.name) or real(sc))
    long_daily = "name: daily\nperiod: {start: 2020-01-01, end: 2030-12-31, step: day}\n"
    with TestClient(create_app(WebSettings(warm=False, use_store=False)), raise_server_exceptions=False) as c:
        for url in ("/api/scenarios/validate", "/api/replays"):
            r = c.post(url, json={"text": long_daily})
            assert r.status_code == 422, r.text
            assert "has up to 4,018 dates" in r.json()["error"]["message"]
            assert "the server's limit is 2,000" in r.json()["error"]["message"]
        assert built == [], "dates were built before the limit was checked"
        r = c.post("/api/scenarios/validate", json={"text": SMALL_SCENARIO})
        assert r.status_code == 200 and "the baseline solves" in r.json()["checked"], r.text
        r = c.post(
            "/api/scenarios/validate",
            json={"text": "name: x\nperiod: {start: 0001-01-01, end: 9999-12-31, step: day}\n"},
        )
        assert r.status_code == 422 and "dates must lie between 1900-01-01 and 2100-12-31" in r.text


def test_allow_names_only_the_documented_methods_of_the_path():
    with TestClient(create_app(WebSettings(warm=False, use_store=False)), raise_server_exceptions=False) as c:
        r = c.request("OPTIONS", "/api/scenarios/validate")  # /api/scenarios/{name} (GET) matches the URL too
        assert r.status_code == 405 and r.headers["allow"] == "POST", r.headers
