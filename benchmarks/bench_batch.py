"""Batched counterfactuals: a serial ``solve`` loop against ``solve_batch``, in one process.

    .venv/bin/python benchmarks/bench_batch.py                  # 1,000 on default + 100 on 80 x 50
    .venv/bin/python benchmarks/bench_batch.py --n 10000        # 10,000 on default (in blocks of 1,000)
    .venv/bin/python benchmarks/bench_batch.py --only default --n 200 --n-large 0
    .venv/bin/python benchmarks/bench_batch.py --json out.json
    .venv/bin/python benchmarks/bench_batch.py --only default --n 10000 --dask-workers 2   # + Dask
    .venv/bin/python benchmarks/bench_batch.py --only large --n-large 1000 --serial-n 100
    .venv/bin/python benchmarks/bench_batch.py --only default --n 300 --critical   # + rare-earth cuts

``--dask-workers W`` adds a third side: a ``dask.distributed.LocalCluster`` of W
single-threaded worker processes (started, and each worker's world loaded, before the
clock), each block of ``--block`` shocks one task that builds its shocks on the worker
and runs ``solve_batch``; the answers are compared with the in-process batch. Memory per
worker: each worker's resident set after the run and its peak (``ru_maxrss``).
The large world is ``--large-world`` (default ``oecd-icio-2022``, built by ``detente data
build``), else ``random_world(80, 50, seed=0)``.

Shocks: random tariff what-ifs, one importer on one exporter, "all" or "goods" sectors,
+1 to +150 pp (seeded). The counterfactuals are built before the clocks start; both
sides are timed on the same shocks, serial first. Agreement is the largest absolute
difference in ``welfare_hat`` over all members and countries. Memory: the tracemalloc
peak of one ``solve_batch`` call on the first block (numpy buffers included; a separate,
untimed run) and the process peak RSS at the end.

``--critical`` adds to every what-if a cut of China's rare earths and magnets to a random
importer (the three registry products of ``CN_CRITICAL_2025``, 20-100% refused): the
users' nested CES block, whose markups ``solve_batch`` iterates with the rest of a chunk
(default world only).
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
    info = {
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "env": {
            k: os.environ.get(k)
            for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_CORETYPE")
        },
        "loadavg": os.getloadavg(),
    }
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


def shocks(world, n: int, seed: int, critical: bool = False) -> list[Counterfactual]:
    from detente.strategy._leverage import CN_CRITICAL_2025

    rng = np.random.default_rng(seed)
    cf0 = Counterfactual.from_world(world)
    C = world.countries
    has_goods = bool(world.meta.services) if hasattr(world.meta, "services") else False
    out = []
    for k in range(n):
        a, b = rng.choice(len(C), 2, replace=False)
        sec = "goods" if (has_goods and k % 2) else "all"
        cf = cf0.tariff(C[a], C[b], sec, float(rng.uniform(1, 150)))
        if critical:
            importer = C[int(rng.choice([i for i in range(len(C)) if C[i] != "CHN"]))]
            refused = float(rng.uniform(0.2, 1.0))
            for product in CN_CRITICAL_2025:
                cf = cf.critical_input_cut(product, "CHN", importer, refused)
        out.append(cf.with_label(f"what-if {k}"))
    return out


_WORLDS: dict = {}


def _cache() -> dict:
    """Per-process cache of worlds: on a Dask worker, held by the worker (this module's globals
    travel by value with each task, so they would start empty every time)."""
    try:
        from dask.distributed import get_worker

        w = get_worker()
    except (ImportError, ValueError):
        return _WORLDS
    if not hasattr(w, "_bench_worlds"):
        w._bench_worlds = {}
    return w._bench_worlds


def _world(name: str):
    """The world ``name`` (``random:N:J:SEED`` for a random one), cached per process."""
    cache = _cache()
    if name not in cache:
        if name.startswith("random:"):
            from detente.world import random_world

            _, n, j, sd = name.split(":")
            cache[name] = random_world(int(n), int(j), seed=int(sd))
        else:
            import detente

            cache[name] = detente.load_world(name)
        cache[name].arrays()
    return cache[name]


def _dask_block(name: str, count: int, seed: int, max_bytes: int, chunk_size: int | None, serial: bool = False):
    """One Dask task: build ``count`` shocks of seed ``seed`` on the worker and solve them
    (``solve_batch``, or a ``solve`` loop when ``serial``)."""
    w = _world(name)
    cfs = shocks(w, count, seed)
    if serial:
        from detente.errors import DetenteError

        eqs, failed = [], 0
        for cf in cfs:
            try:
                eqs.append(solve(w, cf))
            except DetenteError:
                eqs.append(None)
                failed += 1
    else:
        res = solve_batch(w, cfs, max_bytes=max_bytes, chunk_size=chunk_size)
        eqs, failed = res.equilibria, len(res.failed)
    wel = np.array([np.full(w.n_countries, np.nan) if e is None else e.welfare_hat for e in eqs])
    return wel, failed


def _worker_memory() -> dict:
    import psutil

    return {
        "rss": psutil.Process().memory_info().rss,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def run_dask(
    name: str,
    n: int,
    block: int,
    seed: int,
    max_bytes: int,
    chunk_size: int | None,
    workers: int,
    reference: list[np.ndarray],
    serial: bool = False,
) -> dict:
    """The same blocks as :func:`run` on a LocalCluster of ``workers`` processes."""
    import cloudpickle
    from dask.distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    t = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        env={"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
    )
    client = Client(cluster)
    startup = time.perf_counter() - t
    try:
        for addr in client.scheduler_info()["workers"]:  # each worker loads the world and warms up
            client.submit(_dask_block, name, 2, seed, max_bytes, chunk_size, workers=[addr], pure=False).result()
        cpu0 = client.run(time.process_time)
        t = time.perf_counter()
        futs = [
            client.submit(
                _dask_block, name, min(block, n - start), seed + start, max_bytes, chunk_size, serial, pure=False
            )
            for start in range(0, n, block)
        ]
        results = client.gather(futs)
        t_dask = time.perf_counter() - t
        mem = client.run(_worker_memory)
        cpu = {k: v - cpu0[k] for k, v in client.run(time.process_time).items()}
    finally:
        client.close()
        cluster.close()
    worst = 0.0
    for (wel, _), ref in zip(results, reference):
        ok = np.isfinite(wel).all(axis=1) & np.isfinite(ref).all(axis=1)
        if ok.any():
            worst = max(worst, float(np.abs(wel[ok] - ref[ok]).max()))
    return {
        "dask_workers": workers,
        "dask_solver": "serial solve" if serial else "solve_batch",
        "dask_startup_s": startup,
        "dask_s": t_dask,
        "dask_per_ms": 1e3 * t_dask / n,
        "dask_failed": int(sum(f for _, f in results)),
        "dask_max_abs_d_welfare_vs_batch": worst,
        "worker_cpu_s": [round(v, 2) for v in cpu.values()],
        "worker_rss_mib": [round(v["rss"] / 2**20, 1) for v in mem.values()],
        "worker_peak_rss_mib": [round(v["peak"] / 2**20, 1) for v in mem.values()],
    }


def run(
    world,
    n: int,
    block: int,
    seed: int,
    max_bytes: int,
    serial_n: int | None,
    chunk_size: int | None = None,
    dask_workers: int = 0,
    name: str | None = None,
    dask_serial: bool = False,
    critical: bool = False,
) -> dict:
    """Serial loop and batch (and Dask) on the same shocks, ``block`` counterfactuals at a time."""
    t_serial = t_batch = 0.0
    n_serial = 0
    worst = 0.0
    failed = 0
    iters = []
    chunks = 0
    peak = None
    batch_welfare = []
    for start in range(0, n, block):
        cfs = shocks(world, min(block, n - start), seed + start, critical)
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
            if e is not None:
                worst = max(worst, float(np.abs(wh - e.welfare_hat).max()))
        if dask_workers:
            batch_welfare.append(
                np.array([np.full(world.n_countries, np.nan) if e is None else e.welfare_hat for e in res.equilibria])
            )
        del res, cfs
    per_s = t_serial / max(n_serial, 1)
    per_b = t_batch / n
    return {
        "world": world.meta.name + (" + critical cuts" if critical else ""),
        "N": world.n_countries,
        "J": world.n_sectors,
        "n": n,
        "n_serial": n_serial,
        "serial_s": t_serial,
        "serial_per_ms": 1e3 * per_s,
        "serial_total_est_s": per_s * n,
        "batch_s": t_batch,
        "batch_per_ms": 1e3 * per_b,
        "ratio": per_s / per_b,
        "max_abs_d_welfare": worst,
        "failed": failed,
        "chunks": chunks,
        "chunk_size": chunk_size,
        "bytes_per_member": batch_bytes(world.n_countries, world.n_sectors),
        "tracemalloc_peak_mib": peak / 2**20,
        "iterations_mean": float(np.mean(iters)),
        "iterations_max": int(np.max(iters)),
    } | (
        run_dask(name, n, block, seed, max_bytes, chunk_size, dask_workers, batch_welfare, dask_serial)
        if dask_workers
        else {}
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="what-ifs on the default world")
    ap.add_argument("--block", type=int, default=1000, help="counterfactuals per solve_batch call")
    ap.add_argument("--n-large", type=int, default=100, help="what-ifs on the 80 x 50 world")
    ap.add_argument(
        "--large-world",
        default="oecd-icio-2022",
        help="the large world (default %(default)s when built, else random_world(80, 50, seed=0))",
    )
    ap.add_argument("--dask-workers", type=int, default=0, help="also run the blocks on a LocalCluster of W workers")
    ap.add_argument(
        "--dask-solver",
        choices=["batch", "serial"],
        default="batch",
        help="what each Dask task runs: solve_batch (default) or a solve loop (better on 80 x 50)",
    )
    ap.add_argument(
        "--serial-n", type=int, default=None, help="time the serial loop on only this many (extrapolated to n)"
    )
    ap.add_argument("--max-bytes", type=float, default=2**30)
    ap.add_argument("--chunk-size", type=int, default=None, help="members per chunk (default: solve_batch's)")
    ap.add_argument("--only", choices=["default", "large"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--critical", action="store_true", help="add a cut of China's rare earths to every what-if")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    from detente.errors import DetenteError

    out = {"machine": machine(), "results": []}
    print(json.dumps(out["machine"]))
    jobs = []
    if a.only in (None, "default") and a.n:
        jobs.append(("default", a.n, a.block))
    if a.only in (None, "large") and a.n_large:
        large = a.large_world
        try:
            _world(large)
        except (DetenteError, OSError) as exc:
            print(f"{large!r} is not available ({str(exc).splitlines()[0]}); using random_world(80, 50, seed=0)")
            large = "random:80:50:0"
        jobs.append((large, a.n_large, min(a.n_large, a.block)))
    print(
        f"{'world':>40} {'N x J':>7} {'n':>6} {'serial ms/cf':>12} {'batch ms/cf':>11} {'ratio':>6} "
        f"{'max|dW|':>8} {'failed':>6} {'chunks':>6} {'iter':>9} {'peak MiB':>8}"
    )
    for name, n, block in jobs:
        w = _world(name)
        r = run(
            w,
            n,
            block,
            a.seed,
            int(a.max_bytes),
            a.serial_n,
            a.chunk_size,
            a.dask_workers,
            name,
            a.dask_solver == "serial",
            a.critical and name == "default",
        )
        out["results"].append(r)
        print(
            f"{r['world']:>40} {r['N']:>3}x{r['J']:<3} {n:>6} {r['serial_per_ms']:>12.2f} "
            f"{r['batch_per_ms']:>11.2f} {r['ratio']:>5.2f}x {r['max_abs_d_welfare']:>8.1e} "
            f"{r['failed']:>6} {r['chunks']:>6} {r['iterations_mean']:>5.1f}/{r['iterations_max']:<3} "
            f"{r['tracemalloc_peak_mib']:>8.0f}",
            flush=True,
        )
        print(
            f"    serial {r['serial_s']:.2f} s for {r['n_serial']} ({r['serial_total_est_s']:.1f} s for {n} at that "
            f"rate), batch {r['batch_s']:.2f} s for {n}"
        )
        if a.dask_workers:
            print(
                f"    Dask {r['dask_workers']} workers ({r['dask_solver']}): {r['dask_s']:.2f} s for {n} ({r['dask_per_ms']:.2f} ms/cf; "
                f"start-up {r['dask_startup_s']:.1f} s apart); serial/Dask {r['serial_total_est_s'] / r['dask_s']:.2f}x, "
                f"batch/Dask {r['batch_s'] / r['dask_s']:.2f}x; max|dW| vs batch {r['dask_max_abs_d_welfare_vs_batch']:.1e}; "
                f"failed {r['dask_failed']}; worker CPU {r['worker_cpu_s']} s; worker RSS {r['worker_rss_mib']} MiB (peak {r['worker_peak_rss_mib']})"
            )
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
