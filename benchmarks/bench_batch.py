"""Batched counterfactuals: a serial ``solve`` loop against ``solve_batch``, in one process.

    .venv/bin/python benchmarks/bench_batch.py                  # 1,000 on default + 100 on 80 x 50
    .venv/bin/python benchmarks/bench_batch.py --n 10000        # 10,000 on default (in blocks of 1,000)
    .venv/bin/python benchmarks/bench_batch.py --only default --n 200 --n-large 0
    .venv/bin/python benchmarks/bench_batch.py --json out.json

Shocks: random tariff what-ifs, one importer on one exporter, "all" or "goods" sectors,
+1 to +150 pp (seeded). The counterfactuals are built before the clocks start; both
sides are timed on the same shocks, serial first. Agreement is the largest absolute
difference in ``welfare_hat`` over all members and countries. Memory: the tracemalloc
peak of one ``solve_batch`` call on the first block (numpy buffers included; a separate,
untimed run) and the process peak RSS at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import tracemalloc

import numpy as np

from detente.equilibrium import Counterfactual, batch_bytes, solve, solve_batch


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "numpy": np.__version__,
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                    "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")},
            "loadavg": os.getloadavg()}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # pragma: no cover - older numpy
        info["blas"] = "unknown"
    try:
        from threadpoolctl import threadpool_info

        info["blas_threads"] = [p.get("num_threads") for p in threadpool_info()]
    except ImportError:
        info["blas_threads"] = "threadpoolctl not installed"
    return info


def shocks(world, n: int, seed: int) -> list[Counterfactual]:
    rng = np.random.default_rng(seed)
    cf0 = Counterfactual.from_world(world)
    C = world.countries
    has_goods = bool(world.meta.services) if hasattr(world.meta, "services") else False
    out = []
    for k in range(n):
        a, b = rng.choice(len(C), 2, replace=False)
        sec = "goods" if (has_goods and k % 2) else "all"
        out.append(cf0.tariff(C[a], C[b], sec, float(rng.uniform(1, 150))).with_label(f"what-if {k}"))
    return out


def run(world, n: int, block: int, seed: int, max_bytes: int, serial_n: int | None,
        chunk_size: int | None = None) -> dict:
    """Serial loop and batch on the same shocks, ``block`` counterfactuals at a time."""
    t_serial = t_batch = 0.0
    n_serial = 0
    worst = 0.0
    failed = 0
    iters = []
    chunks = 0
    peak = None
    for start in range(0, n, block):
        cfs = shocks(world, min(block, n - start), seed + start)
        if peak is None:  # memory of one call, untimed
            tracemalloc.start()
            solve_batch(world, cfs, max_bytes=max_bytes, chunk_size=chunk_size)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        m = len(cfs) if serial_n is None else max(0, min(len(cfs), serial_n - n_serial))
        t = time.perf_counter()
        ser = [solve(world, cf).welfare_hat for cf in cfs[:m]]
        t_serial += time.perf_counter() - t
        n_serial += m
        t = time.perf_counter()
        res = solve_batch(world, cfs, max_bytes=max_bytes, chunk_size=chunk_size)
        t_batch += time.perf_counter() - t
        failed += len(res.failed)
        chunks += res.chunks
        iters += [e.diagnostics.iterations for e in res.equilibria if e is not None]
        for wh, e in zip(ser, res.equilibria):
            worst = max(worst, float(np.abs(wh - e.welfare_hat).max()))
        del res, cfs
    per_s = t_serial / max(n_serial, 1)
    per_b = t_batch / n
    return {"world": world.meta.name, "N": world.n_countries, "J": world.n_sectors, "n": n,
            "n_serial": n_serial, "serial_s": t_serial, "serial_per_ms": 1e3 * per_s,
            "serial_total_est_s": per_s * n, "batch_s": t_batch, "batch_per_ms": 1e3 * per_b,
            "ratio": per_s / per_b, "max_abs_d_welfare": worst, "failed": failed,
            "chunks": chunks, "chunk_size": chunk_size, "bytes_per_member": batch_bytes(world.n_countries, world.n_sectors),
            "tracemalloc_peak_mib": peak / 2**20, "iterations_mean": float(np.mean(iters)),
            "iterations_max": int(np.max(iters))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="what-ifs on the default world")
    ap.add_argument("--block", type=int, default=1000, help="counterfactuals per solve_batch call")
    ap.add_argument("--n-large", type=int, default=100, help="what-ifs on random_world(80, 50, seed=0)")
    ap.add_argument("--serial-n", type=int, default=None,
                    help="time the serial loop on only this many (extrapolated to n)")
    ap.add_argument("--max-bytes", type=float, default=2**30)
    ap.add_argument("--chunk-size", type=int, default=None, help="members per chunk (default: solve_batch's)")
    ap.add_argument("--only", choices=["default", "large"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    import detente
    from detente.world import random_world

    out = {"machine": machine(), "results": []}
    print(json.dumps(out["machine"]))
    jobs = []
    if a.only in (None, "default") and a.n:
        jobs.append((detente.load_world("default"), a.n, a.block))
    if a.only in (None, "large") and a.n_large:
        jobs.append((random_world(80, 50, seed=0), a.n_large, a.n_large))
    print(f"{'world':>26} {'N x J':>7} {'n':>6} {'serial ms/cf':>12} {'batch ms/cf':>11} {'ratio':>6} "
          f"{'max|dW|':>8} {'failed':>6} {'chunks':>6} {'iter':>9} {'peak MiB':>8}")
    for w, n, block in jobs:
        r = run(w, n, block, a.seed, int(a.max_bytes), a.serial_n, a.chunk_size)
        out["results"].append(r)
        print(f"{r['world']:>26} {r['N']:>3}x{r['J']:<3} {n:>6} {r['serial_per_ms']:>12.2f} "
              f"{r['batch_per_ms']:>11.2f} {r['ratio']:>5.2f}x {r['max_abs_d_welfare']:>8.1e} "
              f"{r['failed']:>6} {r['chunks']:>6} {r['iterations_mean']:>5.1f}/{r['iterations_max']:<3} "
              f"{r['tracemalloc_peak_mib']:>8.0f}", flush=True)
        print(f"    serial {r['serial_s']:.2f} s for {r['n_serial']}, batch {r['batch_s']:.2f} s for {n}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["peak_rss_mib"] = rss
    out["loadavg_end"] = os.getloadavg()
    print(f"process peak RSS {rss:.0f} MiB; load average {out['machine']['loadavg']} -> {out['loadavg_end']}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
