"""Sweeps: 1,000 compact what-ifs, serial against a local Dask cluster of 2 workers.

    .venv/bin/python benchmarks/bench_sweep.py                    # 1,000 what-ifs, chunks of 50
    .venv/bin/python benchmarks/bench_sweep.py --chunk-size 100 --workers 2
    .venv/bin/python benchmarks/bench_sweep.py --json out.json

The what-ifs are a 10 x 10 x 10 tariff grid on the default (compact, 20 x 22) world:
USA<-CHN, CHN<-USA and EUR<-CHN goods tariffs at 0-135 pp, every combination, run with
:func:`detente.sweep.run_sweep` (Parquet chunk files and the merge included). Serial runs
in this process; Dask uses a LocalCluster of ``--workers`` single-threaded processes
started before the clock (its start-up is reported apart). Each side runs once cold
(first touch: world loaded in each process) and once warm, into fresh directories.
Memory per worker: the resident set of each worker process after the sweeps (psutil).
The two sides' tables are compared exactly.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time

import pandas as pd


def spec(chunk_size: int):
    from detente.sweep import parse_sweep

    values = [0, 15, 30, 45, 60, 75, 90, 105, 120, 135]
    return parse_sweep(
        {
            "name": "bench-1000",
            "whatif": {"tariffs": []},
            "grid": {
                "tariffs": [
                    {"target": "USA<-CHN:goods", "values": values},
                    {"target": "CHN<-USA:goods", "values": values},
                    {"target": "EUR<-CHN:goods", "values": values},
                ]
            },
            "outputs": {"headlines": ["welfare_pct", "real_wage_pct", "cpi_pct"]},
            "chunk_size": chunk_size,
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunk-size", type=int, default=50)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()

    from detente.sweep import DaskExecutor, SerialExecutor, run_sweep

    sp = spec(a.chunk_size)
    out: dict = {
        "n_tasks": 1000,
        "chunk_size": a.chunk_size,
        "workers": a.workers,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    tmp = tempfile.mkdtemp(prefix="bench-sweep-")

    def timed(ex, tag):
        t = time.perf_counter()
        res = run_sweep(sp, ex, out=f"{tmp}/{tag}")
        return time.perf_counter() - t, res

    out["serial_cold_s"], _ = timed(SerialExecutor(), "serial-cold")
    out["serial_s"], ser = timed(SerialExecutor(), "serial")
    out["serial_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    ex = DaskExecutor("", n_workers=a.workers)
    out["dask_startup_s"] = time.perf_counter() - t
    try:
        out["dask_cold_s"], _ = timed(ex, "dask-cold")
        out["dask_s"], dk = timed(ex, "dask")
        mem = ex.worker_memory()
        out["worker_rss_mib"] = {k: round(v / 2**20, 1) for k, v in mem.items()}
    finally:
        ex.close()
    pd.testing.assert_frame_equal(ser.frame, dk.frame, check_exact=True)
    out["identical"] = True
    out["speedup_warm"] = out["serial_s"] / out["dask_s"]
    out["speedup_cold"] = out["serial_cold_s"] / out["dask_cold_s"]
    out["speedup_incl_startup"] = out["serial_cold_s"] / (out["dask_startup_s"] + out["dask_cold_s"])
    out["per_whatif_ms_serial"] = 1000 * out["serial_s"] / 1000
    out["per_whatif_ms_dask"] = 1000 * out["dask_s"] / 1000
    for k, v in out.items():
        print(f"{k:24s} {v:.3f}" if isinstance(v, float) else f"{k:24s} {v}")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
