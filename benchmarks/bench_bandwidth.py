"""One 80 x 50 solve against the memory-bandwidth bound (a STREAM-like numpy copy), in one process.

    .venv/bin/python benchmarks/bench_bandwidth.py                 # the 80 x 50 world, best of 5
    .venv/bin/python benchmarks/bench_bandwidth.py --repeats 3 --json out.json

What is compared:

- **solve**: ``detente.equilibrium.solve_hat`` on ``World.arrays()`` (the kernel alone,
  no labelled result), best of ``--repeats``; its map evaluations ``K`` are read from the
  solution (plus 2: the final sweep and the residual check).
- **bytes per map evaluation** ``b``: what one sweep must stream at the least. The
  bilateral (n, i, j) arrays are read once each by a contraction: ``pi kappa^-theta``
  (prices), ``G`` (gross output), ``G_t`` (spending net of tariffs) and ``G b`` (the
  wage step's own-sales weight), 4 x N^2 J x 8 bytes (5 with export taxes, 0 here); the
  input-output array ``gio`` (N, J, J) twice (input costs, expenditure); the Anderson
  state, 2 x memory past differences of the N + 2 N J unknowns read once. Everything
  else is (N, J) and smaller.
- **bandwidth** ``B``: the best of ``--repeats`` of ``np.copyto(dst, src)`` on two
  256 MiB float64 arrays, counted as STREAM does (read + write = 2 x 256 MiB per copy);
  and, for scale, a read-only pass (``src.sum()``) over an array the size of the
  kernel's working set (``b`` bytes), which may sit in the last-level cache.

The bound is ``K x b / B``; the ratio is the solve time over it (1.0 = at the bound).
Goal (issue 12): within 3x. The 80 x 50 world is ``oecd-icio-2022`` when built
(``detente data build``), otherwise the synthetic world of ``bench_equilibrium.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_batch import machine  # noqa: E402


def best(fn, repeats: int) -> float:
    out = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def copy_bandwidth(mib: int = 256, repeats: int = 5) -> float:
    """Bytes per second of ``np.copyto`` (read + write counted, as STREAM's copy)."""
    src = np.random.default_rng(0).standard_normal(mib * 2**20 // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch both
    return 2 * src.nbytes / best(lambda: np.copyto(dst, src), repeats)


def read_bandwidth(nbytes: int, repeats: int = 20) -> float:
    """Bytes per second of one read-only pass (``sum``) over ``nbytes`` of float64."""
    a = np.random.default_rng(1).standard_normal(max(nbytes // 8, 1))
    a.sum()
    return a.nbytes / best(a.sum, repeats)


def bytes_per_sweep(N: int, J: int, *, export_taxes: bool = False, memory: int = 10) -> dict:
    big = 8 * N * N * J
    nz = N + 2 * N * J
    parts = {"bilateral": (5 if export_taxes else 4) * big, "gio": 2 * 8 * N * J * J, "anderson": 2 * memory * 8 * nz}
    parts["total"] = sum(parts.values())
    return parts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--world", default="oecd-icio-2022")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    from bench_equilibrium import problem_oecd

    from detente.equilibrium._kernel import Shock, solve_hat

    info = machine()
    print(json.dumps(info))
    world, cf, note = problem_oecd(a.world)
    N, J = world.n_countries, world.n_sectors
    base = world.arrays()
    shock = Shock(cf.tariffs, cf.iceberg, cf.deficits, cf.closure, None)
    sol = solve_hat(base, shock)  # warm-up, and the iteration count
    t_solve = best(lambda: solve_hat(base, shock), a.repeats)
    K = sol.iterations + 2
    b = bytes_per_sweep(N, J)
    B_copy = copy_bandwidth(repeats=a.repeats)
    B_read = read_bandwidth(b["total"])
    bound_copy = K * b["total"] / B_copy
    bound_read = K * b["total"] / B_read
    out = {
        "machine": info,
        "world": note,
        "N": N,
        "J": J,
        "converged": bool(sol.converged),
        "map_evaluations": K,
        "bytes_per_sweep": b,
        "solve_s": t_solve,
        "copy_GBps": B_copy / 1e9,
        "read_working_set_GBps": B_read / 1e9,
        "bound_copy_s": bound_copy,
        "ratio_copy": t_solve / bound_copy,
        "bound_read_s": bound_read,
        "ratio_read": t_solve / bound_read,
        "achieved_GBps": K * b["total"] / t_solve / 1e9,
        "loadavg_end": os.getloadavg(),
    }
    print(f"{note}: {N} x {J}, converged {sol.converged}, {K} map evaluations")
    print(
        f"bytes per map evaluation: {b['total'] / 2**20:.1f} MiB (bilateral {b['bilateral'] / 2**20:.1f}, "
        f"gio {b['gio'] / 2**20:.1f}, Anderson {b['anderson'] / 2**20:.1f})"
    )
    print(f"solve_hat best of {a.repeats}: {t_solve:.3f} s  ({out['achieved_GBps']:.1f} GB/s of minimal traffic)")
    print(f"STREAM-like copy: {B_copy / 1e9:.1f} GB/s -> bound {bound_copy:.3f} s -> ratio {out['ratio_copy']:.1f}x")
    print(
        f"read of a working-set-sized array: {B_read / 1e9:.1f} GB/s -> bound {bound_read:.3f} s -> "
        f"ratio {out['ratio_read']:.1f}x"
    )
    print(f"load average {info['loadavg']} -> {out['loadavg_end']}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
