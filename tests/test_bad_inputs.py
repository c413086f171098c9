"""The corpus of bad inputs (issue 14): every one refused with the exact error it must give.

``tests/bad_inputs/expected.yaml`` lists each scenario file of ``tests/bad_inputs/``, a few
generated files too large to keep, command lines and HTTP requests, with the error text
each must give. Checked here, for every scenario file:

- ``detente validate FILE`` and ``detente replay FILE`` exit with code 2 and print the
  error (naming the field and value) and no traceback. They run in-process through
  :func:`detente.cli.main` (the same code path as the command), and the most dangerous
  files also as real subprocesses, under a 30 s timeout and a 4 GB address-space limit;
- ``POST /api/scenarios/validate`` and ``POST /api/replays`` answer 422 (or the status
  given) with the error, never a 5xx.

The whole corpus runs in well under a minute and a half on two cores.
"""

from __future__ import annotations

import functools
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from detente.cli import main

CORPUS = Path(__file__).parent / "bad_inputs"
TABLE = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
FILES: dict[str, dict] = TABLE["files"]
GENERATED: dict[str, dict] = TABLE["generated"]
CLI: list[dict] = TABLE["cli"]
API: list[dict] = TABLE["api"]
ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT = 30.0  # seconds, any one command
MEMORY_LIMIT = 4 * 1024**3  # bytes of address space, any one command
#: run as real processes too (the cases that once hung, crashed or ran out of memory)
SUBPROCESS = [
    "alias-bomb.yaml",
    "alias-bomb-large.yaml",
    "period-year-1-to-9999.yaml",
    "nesting-2000.yaml",
    "not-utf8.yaml",
    "until-9999.yaml",
    "events-20000",
    "text-5mb",
]

HEAD = "name: big\nperiod: {start: 2025-01-01, end: 2025-06-30, step: month}\n"


def generated_text(name: str) -> str:
    """The text of a generated member of the corpus (too large to keep in the repository)."""
    notice = "  - {{id: e{0}, date: 2025-02-01, notice: {{text: n}}}}\n"
    if name == "events-20000":
        return HEAD + "events:\n" + "".join(notice.format(k) for k in range(20_000))
    if name == "overrides-3000":
        return (
            HEAD + "overrides:\n" + "".join(f"  o{k}: {{compose: [o{k + 1}]}}\n" for k in range(3000)) + "  o3000: {}\n"
        )
    if name == "compose-chain-999":
        return (
            HEAD + "overrides:\n" + "".join(f"  o{k}: {{compose: [o{k + 1}]}}\n" for k in range(998)) + "  o998: {}\n"
        )
    if name == "text-5mb":
        return HEAD + "description: |\n" + ("  " + "x" * 98 + "\n") * 50_000
    if name == "replace-events-10001":
        return (
            HEAD
            + "events:\n  - {id: a, date: 2025-02-01, notice: {}}\nvariants:\n  big:\n    replace_events:\n"
            + "".join(f"      r{k}: {{date: 2025-02-01, notice: {{}}}}\n" for k in range(10_001))
        )
    raise KeyError(name)


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory) -> dict[str, Path]:
    """Every scenario file of the corpus by name: the kept ones and the generated ones."""
    out = {name: CORPUS / name for name in FILES}
    folder = tmp_path_factory.mktemp("generated")
    for name in GENERATED:
        path = folder / f"{name}.yaml"
        path.write_text(generated_text(name), encoding="utf-8")
        out[name] = path
    return out


def entry(name: str) -> dict:
    return FILES.get(name) or GENERATED[name]


def assert_error(text: str, e: dict, where: str) -> None:
    assert "Traceback" not in text, f"{where}: a stack trace\n{text}"
    assert e["error"] in text, f"{where}: expected {e['error']!r} in\n{text}"
    if e.get("field"):
        assert e["field"] in text, f"{where}: expected the field {e['field']!r} in\n{text}"


# ============================================================================ the table itself
def test_the_corpus_is_complete_and_large_enough():
    on_disk = {p.name for p in CORPUS.glob("*.yaml")} - {"expected.yaml"}
    assert on_disk == set(FILES), (
        f"files without an entry: {on_disk - set(FILES)}; entries without a file: {set(FILES) - on_disk}"
    )
    assert len(FILES) + len(GENERATED) + len(CLI) + len(API) >= 60
    for name, e in {**FILES, **GENERATED}.items():
        assert e["error"], name


# ============================================================================ command line
@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    """In-process CLI: worlds loaded once (load_world is a pure function of its name) and
    a private results store, should a bad file ever be accepted and replayed."""
    import detente.policy._commands as commands
    from detente.world import load_world

    mp = pytest.MonkeyPatch()
    mp.setattr(commands, "load_world", functools.lru_cache(maxsize=4)(load_world))
    mp.setenv("DETENTE_STORE", str(tmp_path_factory.mktemp("store") / "runs.duckdb"))
    yield
    mp.undo()


def run_main(args: list[str], capsys) -> tuple[int, str]:
    t0 = time.perf_counter()
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code
    out = capsys.readouterr()
    assert time.perf_counter() - t0 < TIME_LIMIT, f"{args[:2]} took {time.perf_counter() - t0:.1f} s"
    return code, out.out + out.err


@pytest.mark.parametrize("name", sorted(FILES) + sorted(GENERATED))
def test_validate_and_replay_refuse_the_file(name, corpus_files, cli_env, capsys):
    path, e = str(corpus_files[name]), entry(name)
    for args in (["validate", path], ["replay", path, "--quiet", "--no-save"]):
        code, text = run_main(args, capsys)
        assert code == e.get("code", 2), f"{args[0]} {name}: exit code {code}\n{text}"
        assert_error(text, e, f"{args[0]} {name}")
        assert "detente: error:" in text


@pytest.mark.parametrize("case", CLI, ids=lambda c: " ".join(c["args"])[:60])
def test_command_line_arguments(case, cli_env, capsys):
    code, text = run_main([a.replace("tests/", str(ROOT / "tests") + "/") for a in case["args"]], capsys)
    assert code == case.get("code", 2), text
    assert_error(text, case, " ".join(case["args"])[:80])


def _limits() -> None:  # in the child, before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_the_dangerous_files_as_real_processes(corpus_files, tmp_path):
    """Real processes, each under 30 s and 4 GB: exit 2, the error, no traceback, no MemoryError."""
    env = {
        **os.environ,
        "DETENTE_STORE": str(tmp_path / "runs.duckdb"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
    }
    runs = [
        (name, args)
        for name in SUBPROCESS
        for args in (["validate", str(corpus_files[name])], ["replay", str(corpus_files[name]), "--quiet", "--no-save"])
    ]

    def run(item):
        name, args = item
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "detente.cli", *args],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            preexec_fn=_limits,
            env=env,
            cwd=ROOT,
            check=False,
        )
        return name, args[0], proc, time.perf_counter() - t0

    with ThreadPoolExecutor(2) as pool:
        for name, command, proc, seconds in pool.map(run, runs):
            text = proc.stdout + proc.stderr
            assert proc.returncode == entry(name).get("code", 2), f"{command} {name}: {proc.returncode}\n{text}"
            assert "MemoryError" not in text
            assert_error(text, entry(name), f"{command} {name} (process, {seconds:.1f} s)")


# ============================================================================ HTTP API
fastapi = pytest.importorskip("fastapi", reason="the web extra is not installed")
pytest.importorskip("httpx", reason="the web extra is not installed")


@pytest.fixture(scope="module")
def client():
    from fastapi.testclient import TestClient

    from detente.web import WebSettings, create_app

    app = create_app(WebSettings(warm=False, use_store=False, workers=1, job_seconds=30))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def error_text(r) -> str:
    assert r.status_code < 500, f"server error {r.status_code}: {r.text}"
    err = r.json()["error"]
    assert {"code", "message", "problems"} <= set(err), err
    return "\n".join([err["message"], *err["problems"]])


def wait_failed(client, job_id: str) -> str:
    end = time.monotonic() + TIME_LIMIT
    while time.monotonic() < end:
        info = client.get(f"/api/jobs/{job_id}").json()
        if info["status"] not in ("queued", "running"):
            assert info["status"] == "failed", info
            return info["error"]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still running after {TIME_LIMIT} s")


@pytest.mark.parametrize("name", sorted(n for n in FILES if FILES[n].get("api") != "skip") + sorted(GENERATED))
def test_the_api_refuses_the_file(name, corpus_files, client):
    e = entry(name)
    text = corpus_files[name].read_text(encoding="utf-8")
    status = e.get("api_status", 422)
    deep = e.get("api") == "deep"
    t0 = time.perf_counter()
    r = client.post("/api/scenarios/validate", json={"text": text, "deep": deep})
    assert r.status_code == status, r.text[:2000]
    if status == 413:
        assert "request body too large" in error_text(r)
    else:
        assert_error(error_text(r), e, f"validate {name}")
    r = client.post("/api/replays", json={"text": text})
    if deep:  # refused only when the policy is evaluated: the job fails with the error
        assert r.status_code == 202, r.text
        assert_error(wait_failed(client, r.json()["id"]), e, f"replay job {name}")
    else:
        assert r.status_code == status, r.text[:2000]
        if status != 413:
            assert_error(error_text(r), e, f"replay {name}")
    assert time.perf_counter() - t0 < TIME_LIMIT


@pytest.mark.parametrize("case", API, ids=lambda c: f"{c['method']} {c['url']} {str(c.get('body', ''))[:40]}")
def test_api_requests(case, client):
    kwargs = {}
    if "raw" in case:
        kwargs = {"content": case["raw"], "headers": {"content-type": "application/json"}}
    elif "body" in case or "text_chars" in case:
        body = case.get("body", {})
        if "text_chars" in case:
            body = {**body, "text": "x" * case["text_chars"]}
        kwargs = {"json": body}
    r = client.request(case["method"], case["url"], **kwargs)
    assert r.status_code == case["status"], r.text[:2000]
    assert_error(error_text(r), case, f"{case['method']} {case['url']}")
    if r.status_code == 405:
        assert r.headers.get("allow")
