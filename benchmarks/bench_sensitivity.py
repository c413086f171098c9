"""Benchmark: one equilibrium solve vs one full table of elasticity sensitivities.

Problems (same process, side by side):

- ``default``: the shipped default world (OECD ICIO 2022 compact, 20 x 22);
- ``80x50``: ``load_world("oecd-icio-2022")`` when built (``detente data build``),
  otherwise the seeded synthetic 80 x 50 world of ``bench_equilibrium.synthetic_world``
  (the output says which).

Shock: USA +145 pp on goods from China, China +125 pp on goods from the USA (all
sectors on the synthetic world, which lists no services). Table: welfare of every
country plus goods trade CHN->USA and USA->CHN, derivatives with respect to every
sector's ln theta (:func:`detente.equilibrium.elasticity_sensitivities`, default
options). Times are best of ``--repeats``; the first sensitivity call, which compiles
the JAX functions, is reported separately. Goal: a table in at most 3 solves.

Usage::

    python benchmarks/bench_sensitivity.py [--quick] [--repeats 5] [--threads 1] [--json out.json]

``--threads T`` sets ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``
(and, for T = 1, ``XLA_FLAGS`` single-threaded) before numpy and JAX are imported, for
runs on a machine shared with other jobs, where oversubscribed BLAS threads make the
timings erratic. Without it the environment is used as it is (printed either way).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _best(fn, repeats):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _problems(quick: bool):
    from detente.equilibrium import Counterfactual
    from detente.errors import DetenteError
    from detente.world import load_world

    w = load_world("default")
    yield (
        "default",
        w,
        "shipped default world",
        (Counterfactual.from_world(w).tariff("USA", "CHN", "goods", 145).tariff("CHN", "USA", "goods", 125)),
    )
    if quick:
        return
    try:
        w = load_world("oecd-icio-2022")
        note = "oecd-icio-2022 (built)"
    except (DetenteError, OSError) as exc:
        if str(HERE) not in sys.path:
            sys.path.insert(0, str(HERE))
        from bench_equilibrium import synthetic_world

        w = synthetic_world(80, 50, 20250409)
        note = f"SYNTHETIC 80 x 50 (seed 20250409): {str(exc).splitlines()[0]}"
    sel = "goods" if w.goods and len(w.goods) < w.n_sectors else "all"
    yield "80x50", w, note, (Counterfactual.from_world(w).tariff("USA", "CHN", sel, 145).tariff("CHN", "USA", sel, 125))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="default world only")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json")
    ap.add_argument("--threads", type=int, help="BLAS/OpenMP threads (1: XLA single-threaded too)")
    args = ap.parse_args(argv)
    if args.threads:
        if "numpy" in sys.modules:
            print("warning: numpy already imported, --threads may not take effect")
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[k] = str(args.threads)
        if args.threads == 1:
            os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

    import numpy as np

    from detente.equilibrium import elasticity_sensitivities, solve

    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "XLA_FLAGS")}
    info = dict(
        nproc=os.cpu_count(),
        affinity=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        python=platform.python_version(),
        numpy=np.__version__,
        env=env,
        load_start=os.getloadavg(),
    )
    import jax

    info["jax"] = jax.__version__
    print(
        f"nproc {info['nproc']} (affinity {info['affinity']}), python {info['python']}, numpy {info['numpy']}, "
        f"jax {info['jax']}, env {env}, load {info['load_start']}"
    )
    rows = []
    for key, w, note, cf in _problems(args.quick):
        heads = [f"welfare {c}" for c in w.countries]
        sel = "goods" if w.goods and len(w.goods) < w.n_sectors else "all"
        heads += [f"trade CHN->USA {sel}", f"trade USA->CHN {sel}"]
        t_solve, eq = _best(lambda w=w, cf=cf: solve(w, cf), args.repeats)
        t0 = time.perf_counter()
        s = elasticity_sensitivities(eq, heads)
        t_first = time.perf_counter() - t0
        t_sens, s = _best(lambda eq=eq, heads=heads: elasticity_sensitivities(eq, heads), args.repeats)
        t_both, _ = _best(
            lambda w=w, cf=cf, heads=heads: elasticity_sensitivities(solve(w, cf), heads), max(1, args.repeats // 2)
        )
        row = dict(
            problem=key,
            note=note,
            N=w.n_countries,
            J=w.n_sectors,
            unknowns=w.n_countries * (1 + 2 * w.n_sectors),
            headlines=len(heads),
            mode=s.mode,
            solver=s.solver,
            products=s.products,
            solve_s=t_solve,
            solve_iterations=eq.diagnostics.iterations,
            sens_s=t_sens,
            sens_first_s=t_first,
            solve_plus_sens_s=t_both,
            ratio=t_sens / t_solve,
        )
        rows.append(row)
        print(
            f"\n{key}: {note}\n  {w.n_countries} x {w.n_sectors}, {row['unknowns']} unknowns, {len(heads)} headlines x "
            f"{w.n_sectors} sectors; mode {s.mode}, solver {s.solver}, {s.products} batched products"
        )
        print(f"  solve            {1e3 * t_solve:9.1f} ms ({eq.diagnostics.iterations} iterations)")
        print(f"  sensitivities    {1e3 * t_sens:9.1f} ms  = {row['ratio']:.1f} x one solve")
        print(f"  first call       {1e3 * t_first:9.1f} ms (JAX compilation included)")
        print(f"  solve + table    {1e3 * t_both:9.1f} ms")
    info["load_end"] = os.getloadavg()
    print(f"\nload at end {info['load_end']}")
    if args.json:
        Path(args.json).write_text(json.dumps(dict(machine=info, results=rows), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
