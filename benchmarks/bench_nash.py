"""Benchmark: US-China Nash tariffs by sector with exact gradients vs finite differences.

Problem: the default world (OECD ICIO 2022 compact, 20 regions x 22 sectors), the USA
and China each choose one tariff per goods sector on the other (2 x 18 = 36 rates),
every other tariff at the 2022 baseline, baseline deficits. Nash tariffs by iterated
best responses (:func:`detente.strategy.nash_tariffs`, tolerance 0.01 pp).

Runs in one process, on the same problem, with the same best-response optimiser
(projected diagonal Newton with the same curvature preconditioner and secant updates):

- ``exact``: gradients by implicit differentiation (adjoint GMRES on JAX
  vector-Jacobian products of the solver's sweep): one equilibrium solve plus one
  adjoint solve per gradient;
- ``finite-difference``: forward differences (step 1e-6), one extra equilibrium
  solve per rate per gradient, as in Ossa (2014)'s MATLAB computation (reported to take
  about 96 minutes for his problem);
- ``derivative-free`` (``--derivative-free``; slow): Powell's method per best response.

It prints seconds (the exact method with and without JAX's one-off compilation),
equilibrium solves, rounds, the largest difference of the Nash rates between methods
(percentage points) and the ratio of times.

Usage::

    python benchmarks/bench_nash.py                     # exact vs finite differences
    python benchmarks/bench_nash.py --cores 2 --json results/bench_nash.json
    python benchmarks/bench_nash.py --derivative-free   # adds Powell (minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path


def _limit_cores(n: int) -> None:
    if hasattr(os, "sched_setaffinity"):
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, cpus[:n])
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="default")
    ap.add_argument("--cores", type=int, default=2, help="CPU cores to run on (default 2)")
    ap.add_argument("--derivative-free", action="store_true", help="also run Powell best responses (slow)")
    ap.add_argument("--json", help="write the results to this JSON file")
    args = ap.parse_args(argv)
    _limit_cores(args.cores)

    import numpy as np

    from detente.strategy import Objective, PolicyModel, nash_tariffs
    from detente.world import load_world

    world = load_world(args.world)
    players = ("USA", "CHN")
    print(f"world {world.meta.name}: {world.n_countries} countries x {world.n_sectors} sectors, "
          f"{len(world.goods)} goods; {len(players)} x {len(world.goods)} = {len(players) * len(world.goods)} rates; "
          f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} cores")
    rows = {}

    # exact gradients: a fresh model, so the time includes JAX's compilation
    t0 = time.perf_counter()
    model = PolicyModel(world)
    model.evaluate(np.array(world.tariffs), [Objective("USA")])  # compiles the JAX functions
    compile_s = time.perf_counter() - t0
    exact = nash_tariffs(model, players)
    rows["exact"] = {"seconds": exact.seconds, "seconds_with_compile": exact.seconds + compile_s,
                     "compile_seconds": compile_s, "solves": exact.solves, "rounds": len(exact.history),
                     "gradients": model.counters.gradients, "converged": exact.converged}

    fd_model = PolicyModel(world)
    fd = nash_tariffs(fd_model, players, method="finite-difference")
    rows["finite-difference"] = {"seconds": fd.seconds, "solves": fd.solves, "rounds": len(fd.history),
                                 "converged": fd.converged}
    results = {"exact": exact, "finite-difference": fd}
    if args.derivative_free:
        df_ = nash_tariffs(PolicyModel(world), players, method="derivative-free", raise_on_failure=False)
        rows["derivative-free"] = {"seconds": df_.seconds, "solves": df_.solves, "rounds": len(df_.history),
                                   "converged": df_.converged}
        results["derivative-free"] = df_

    ref = np.concatenate(exact.rates)
    print(f"\n{'method':<20}{'seconds':>10}{'solves':>9}{'rounds':>8}{'max diff (pp)':>15}{'ratio':>9}")
    for name, r in rows.items():
        diff = 100 * float(np.abs(np.concatenate(results[name].rates) - ref).max())
        r["max_rate_diff_pp"] = diff
        r["ratio_vs_exact"] = r["seconds"] / rows["exact"]["seconds"]
        print(f"{name:<20}{r['seconds']:>10.2f}{r['solves']:>9d}{r['rounds']:>8d}{diff:>15.2e}{r['ratio_vs_exact']:>9.1f}")
    print(f"{'exact + compile':<20}{rows['exact']['seconds_with_compile']:>10.2f}"
          f"   (JAX compilation {compile_s:.1f} s, once per process and world)")
    ratio_c = rows["finite-difference"]["seconds"] / rows["exact"]["seconds_with_compile"]
    print(f"\nfinite differences / exact: {rows['finite-difference']['ratio_vs_exact']:.1f}x "
          f"({ratio_c:.1f}x counting compilation); target: exact under 60 s on 2 cores: "
          f"{'met' if rows['exact']['seconds_with_compile'] < 60 else 'NOT met'}")
    print("\nNash tariffs (%):")
    print(exact.rates_table().round(2).to_string())
    if args.json:
        p = Path(args.json)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps({"world": world.meta.name, "machine": platform.platform(),
                                 "python": platform.python_version(), "cores": args.cores, "methods": rows,
                                 "nash_tariffs_pct": exact.rates_table().to_dict()}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
