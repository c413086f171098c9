"""Load test of the HTTP API: concurrent what-ifs from a second process on loopback.

Starts ``detente serve`` in a subprocess on a free loopback port (or uses ``--url``),
waits for it, sends one warm-up what-if, then fires ``--requests`` what-ifs with
``--concurrency`` client threads (urllib, no extra dependency) from this process and
prints the latency percentiles and the number of errors. Each request asks for a
different tariff (USA on China, +1 ... +N pp on goods), so no two requests are equal.

    .venv/bin/python benchmarks/bench_web.py                       # 50 requests, 50 at once
    .venv/bin/python benchmarks/bench_web.py --requests 200 --concurrency 20
    .venv/bin/python benchmarks/bench_web.py --url http://127.0.0.1:8765 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVE = (
    "import argparse, sys; from detente.cli.serve import register; p = argparse.ArgumentParser(); "
    "register(p.add_subparsers(dest='c')); a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(url + "/api/capabilities", timeout=2).read()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise SystemExit(f"the server exited: {proc.stderr.read()}") from None
            time.sleep(0.1)
    raise SystemExit(f"the server at {url} did not answer within {timeout:.0f} s")


def whatif(url: str, k: int) -> tuple[float, int, str]:
    """One what-if; returns (seconds, HTTP status, error text or '')."""
    body = json.dumps(
        {"tariffs": [{"importer": "USA", "exporter": "CHN", "sectors": "goods", "op": "add", "rate_pp": 1 + k % 300}]}
    ).encode()
    req = urllib.request.Request(url + "/api/whatif", data=body, headers={"content-type": "application/json"})
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            rec = json.loads(r.read())
            status = r.status
            err = "" if rec["meta"]["solver"]["converged"] else "not converged"
    except urllib.error.HTTPError as exc:
        status, err = exc.code, exc.read()[:200].decode(errors="replace")
    except OSError as exc:
        status, err = 0, str(exc)
    return time.perf_counter() - t0, status, err


def percentile(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, round(q / 100 * len(s) + 0.5) - 1))
    return s[k]


def wait_idle(url: str, timeout: float = 120.0) -> None:
    """Wait until the server runs no job (it replays the default scenario on start-up)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        jobs = json.loads(urllib.request.urlopen(url + "/api/jobs", timeout=5).read())
        if not any(j["status"] in ("queued", "running") for j in jobs):
            return
        time.sleep(0.2)


def run(url: str, n: int, concurrency: int) -> dict:
    wait_idle(url)
    whatif(url, 0)  # warm-up: loads the world on the server
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda k: whatif(url, k), range(1, n + 1)))
    wall = time.perf_counter() - t0
    lat = [r[0] * 1000 for r in results]
    errors = [r for r in results if r[1] != 200 or r[2]]
    return {
        "requests": n,
        "concurrency": concurrency,
        "ok": n - len(errors),
        "errors": len(errors),
        "error_examples": [f"{s}: {e}" for _, s, e in errors[:3]],
        "p50_ms": round(percentile(lat, 50), 1),
        "p90_ms": round(percentile(lat, 90), 1),
        "p99_ms": round(percentile(lat, 99), 1),
        "max_ms": round(max(lat), 1),
        "wall_s": round(wall, 2),
        "throughput_rps": round(n / wall, 1),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="use a running server (default: start `detente serve` on a free port)")
    ap.add_argument("--requests", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = ap.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start_server(port)
    try:
        wait_ready(url, proc)
        res = run(url, args.requests, args.concurrency)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    if args.json:
        print(json.dumps(res))
    else:
        print(
            f"{res['requests']} what-ifs, {res['concurrency']} at once, against {url} "
            f"({res['cpus']} CPUs, Python {res['python']})"
        )
        print(f"  ok {res['ok']}, errors {res['errors']}")
        print(
            f"  latency p50 {res['p50_ms']:.0f} ms, p90 {res['p90_ms']:.0f} ms, p99 {res['p99_ms']:.0f} ms, "
            f"max {res['max_ms']:.0f} ms"
        )
        print(f"  wall {res['wall_s']:.2f} s, {res['throughput_rps']:.1f} requests/s")
        for e in res["error_examples"]:
            print(f"  error: {e}")
    return 0 if res["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
