"""Benchmark: the detente equilibrium engine against the published CP (2015) algorithm.

Times, in one process, :func:`detente.equilibrium.solve_hat` (the kernel, on
``World.arrays()``), :func:`detente.equilibrium.solve` (the full labelled solve) and the
reference implementation of Caliendo & Parro (2015), appendix C
(:mod:`reference_cp`: damped wage loop, inner price fixed point, dense NJ x NJ
expenditure solve every outer iteration) on two problems:

(a) ``cp-nafta``: the CP 31 x 40 data of 1993, re-based to zero deficits, under the
    2005 NAFTA tariffs among Canada, Mexico and the USA (the paper's experiment);
    skipped when ``../shared/data/cp2015`` is absent.
(b) ``oecd-80x50``: the full OECD ICIO world (``load_world("oecd-icio-2022")``) when it
    is built; otherwise a synthetic, internally consistent 80 x 50 world from
    :func:`synthetic_world` (the output says which). Shock: the USA +145 pp on all
    goods from China and China +125 pp on all goods from the USA.

For each it prints seconds (best of ``--repeats`` for the engine, one run of the
reference when slow), the ratio, the largest absolute difference of real-wage and
welfare changes between engine and reference, engine iterations and peak memory
(tracemalloc peak of the solve; the process peak RSS is printed at the end).

Usage::

    python benchmarks/bench_equilibrium.py            # both problems, reference on both
    python benchmarks/bench_equilibrium.py --quick    # no reference on the 80 x 50 problem
    python benchmarks/bench_equilibrium.py --json results/bench.json

Importing this module has no side effects (the test suite imports
:func:`synthetic_world` from it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # make ``reference_cp`` importable when run as a script
    sys.path.insert(0, str(HERE))

from reference_cp import real_wage_hat, solve_reference, welfare_hat  # noqa: E402

from detente.equilibrium import Counterfactual, Shock, solve, solve_hat  # noqa: E402
from detente.world import World, WorldMeta  # noqa: E402

CP_DIR = HERE.parents[1] / "shared" / "data" / "cp2015"

# ISO codes for the first synthetic economies (largest first); the rest are R081, ...
_CODES = (
    "USA",
    "CHN",
    "DEU",
    "JPN",
    "IND",
    "GBR",
    "FRA",
    "ITA",
    "BRA",
    "CAN",
    "RUS",
    "MEX",
    "AUS",
    "KOR",
    "ESP",
    "IDN",
    "NLD",
    "TUR",
    "SAU",
    "CHE",
    "POL",
    "TWN",
    "BEL",
    "ARG",
    "SWE",
    "IRL",
    "AUT",
    "THA",
    "ISR",
    "NOR",
    "SGP",
    "ARE",
    "VNM",
    "PHL",
    "BGD",
    "MYS",
    "DNK",
    "COL",
    "HKG",
    "ZAF",
    "CHL",
    "FIN",
    "ROU",
    "EGY",
    "CZE",
    "PRT",
    "NZL",
    "PER",
    "KAZ",
    "GRC",
    "HUN",
    "UKR",
    "MAR",
    "SVK",
    "ECU",
    "DOM",
    "CRI",
    "LUX",
    "BGR",
    "HRV",
    "LTU",
    "SVN",
    "TUN",
    "JOR",
    "LVA",
    "EST",
    "CYP",
    "ISL",
    "MLT",
    "KHM",
    "LAO",
    "MMR",
    "NGA",
    "BRN",
    "PAK",
    "BLR",
    "SRB",
    "GEO",
    "AGO",
    "ROW",
)


# --------------------------------------------------------------------------- synthetic world
def synthetic_world(
    n_countries: int = 80,
    n_sectors: int = 50,
    seed: int = 20250409,
    *,
    goods_share: float = 0.55,
    zero_flow_share: float = 0.03,
    n_nontradable: int = 2,
) -> World:
    """A seeded random, internally consistent world built with :meth:`World.from_flows`.

    The generator (documented so the benchmark is reproducible without data):

    - country size ``S_n`` lognormal (sigma 1.4), sorted so ``USA`` and ``CHN`` (the first
      two codes) are the two largest; countries sit at random points of the unit square;
    - the first ``goods_share`` of sectors are goods with trade elasticities
      log-uniform on [1.5, 13]; the rest are services with theta uniform on [4, 8];
    - bilateral trade costs ``t_ni^j = (1 + b^j) (1 + 2 dist_ni)^0.6`` abroad and 1 at
      home, with ``b^j`` in [0.5, 1.2] for goods and [1, 2.5] for services (strong home
      bias in services); the last ``n_nontradable`` sectors are not traded at all;
    - tariffs: goods only, an MFN rate per (importer, sector) uniform on [0, 12%] (zero
      for a fifth of them), bilateral noise, free trade inside random agreements (15%
      of pairs), none at home;
    - trade shares ``pi_ni^j`` proportional to ``A_i^j (t_ni^j (1 + tau_ni^j))^(-theta^j)``
      with supply capacities ``A_i^j = S_i`` times lognormal(0, 1) comparative advantage;
      a share ``zero_flow_share`` of foreign goods flows set to exactly zero;
    - input-output: intermediate share of gross output uniform on [0.45, 0.65] (goods) or
      [0.35, 0.55] (services); input mix per using sector from a global Dirichlet(0.3)
      technology with a strong own-sector diagonal, perturbed by country (lognormal 0.3);
    - final demand shares: Dirichlet(1) per country with services weighted three to one;
    - levels: final spending starts at ``S_n`` and the market-clearing equations
      ``X = gamma Y + alpha I``, ``Y_i = sum_n pi_ni X_n / (1 + tau_ni)``,
      ``I = VA + R + D*`` (target deficits ``D*`` within +-3% of value added, summing to
      zero) are iterated (at most 400 times). The flows then go through ``World.from_flows`` (uses at
      purchaser prices), which makes every accounting identity hold exactly; the baseline
      deficits are whatever the last iterate implies (close to ``D*``).
    """
    rng = np.random.default_rng(seed)
    N, J = n_countries, n_sectors
    countries = list(_CODES[:N]) + [f"R{k:03d}" for k in range(len(_CODES), N)]
    sectors = [f"S{j:02d}" for j in range(J)]
    Jg = max(1, int(round(goods_share * J)))
    goods = np.arange(J) < Jg

    size = np.sort(rng.lognormal(0.0, 1.4, N))[::-1]
    theta = np.where(goods, np.exp(rng.uniform(np.log(1.5), np.log(13.0), J)), rng.uniform(4.0, 8.0, J))

    xy = rng.uniform(0.0, 1.0, (N, 2))
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    b = np.where(goods, rng.uniform(0.5, 1.2, J), rng.uniform(1.0, 2.5, J))
    tcost = (1.0 + b)[None, None, :] * ((1.0 + 2.0 * dist) ** 0.6)[:, :, None]
    idx = np.arange(N)
    tcost[idx, idx, :] = 1.0

    mfn = rng.uniform(0.0, 0.12, (N, J)) * (rng.uniform(size=(N, J)) > 0.2)
    tau = mfn[:, None, :] * rng.uniform(0.7, 1.3, (N, N, J))
    fta = rng.uniform(size=(N, N)) < 0.15
    fta = fta | fta.T
    tau[fta] = 0.0
    tau[:, :, ~goods] = 0.0
    tau[idx, idx, :] = 0.0

    A = size[:, None] * rng.lognormal(0.0, 1.0, (N, J))  # (i, j)
    weight = A[None, :, :] * (tcost * (1.0 + tau)) ** (-theta)
    zero = (rng.uniform(size=(N, N, J)) < zero_flow_share) & goods[None, None, :]
    zero[idx, idx, :] = False
    weight[zero] = 0.0
    if n_nontradable > 0:
        nt = np.arange(J - n_nontradable, J)
        weight[:, :, nt] = 0.0
        weight[idx[:, None], idx[:, None], nt[None, :]] = 1.0
    pi = weight / weight.sum(axis=1, keepdims=True)

    inter = np.where(goods, rng.uniform(0.45, 0.65, (N, J)), rng.uniform(0.35, 0.55, (N, J)))  # (n, k)
    tech = rng.dirichlet(np.full(J, 0.3), size=J).T  # (j input, k user), columns sum to 1
    tech += 3.0 * np.eye(J) / J
    mix = tech[None, :, :] * rng.lognormal(0.0, 0.3, (N, J, J))
    mix /= mix.sum(axis=1, keepdims=True)
    gio = mix * inter[:, None, :]  # (n, j, k)
    gva = 1.0 - inter

    alpha = rng.dirichlet(np.ones(J), size=N) * np.where(goods, 1.0, 3.0)
    alpha /= alpha.sum(axis=1, keepdims=True)

    pit = pi / (1.0 + tau)
    d_frac = rng.uniform(-0.03, 0.03, N)
    X = alpha * size[:, None]
    I = size.copy()
    for _ in range(400):
        Y = np.einsum("nij,nj->ij", pit, X)
        VA = (gva * Y).sum(axis=1)
        R = (pit * tau * X[:, None, :]).sum(axis=(1, 2))
        D = VA * (d_frac - (d_frac @ VA) / VA.sum())
        I = VA + R + D
        X_new = np.einsum("njk,nk->nj", gio, Y) + alpha * I[:, None]
        done = np.abs(X_new - X).max() <= 1e-12 * X.max()
        X = X_new
        if done:
            break
    Y = np.einsum("nij,nj->ij", pit, X)
    trade = pit * X[:, None, :]
    inter_use = gio * Y[:, None, :]
    final_use = X - inter_use.sum(axis=2)
    meta = WorldMeta(
        name=f"synthetic-{N}x{J}",
        vintage=f"seeded random input-output table (seed {seed})",
        units="model units",
        sources=("benchmarks/bench_equilibrium.py:synthetic_world",),
        notes=(
            "Synthetic: realistic shapes (home bias, intermediate shares 0.35-0.65, "
            "theta 1.5-13, zero flows), not data.",
        ),
    )
    return World.from_flows(
        countries,
        sectors,
        trade=trade,
        tariffs=tau,
        inter_use=inter_use,
        final_use=final_use,
        theta=theta,
        uses_at="purchaser",
        meta=meta,
    )


# --------------------------------------------------------------------------- problems
def problem_cp_nafta(cp_dir: Path = CP_DIR):
    """(world, counterfactual, note) for the CP NAFTA experiment, or a skip message."""
    if not (cp_dir / "xbilat1993.txt").is_file():
        return f"skipped: CP 2015 data folder {str(cp_dir)!r} is absent"
    from detente.world import load_cp2015
    from detente.world._cp2015 import nafta_tariffs

    w0 = load_cp2015(cp_dir)
    world = solve(w0, Counterfactual.from_world(w0, deficits="zero")).to_world("cp2015-zero-deficits")
    cf = Counterfactual(
        world,
        nafta_tariffs(world, cp_dir),
        np.ones_like(world.tariffs),
        np.zeros(world.n_countries),
        label="NAFTA 2005 tariffs",
        changes=("NAFTA: 2005 tariffs among CAN, MEX, USA",),
    )
    return world, cf, "CP 2015 data (1993) re-based to zero deficits; 2005 NAFTA tariffs"


def problem_oecd(name: str = "oecd-icio-2022", seed: int = 20250409):
    """(world, counterfactual, note): the full OECD world if built, else synthetic 80 x 50."""
    from detente.errors import DetenteError
    from detente.world import load_world

    try:
        world = load_world(name)
        note = f"world {name!r} ({world.meta.vintage or 'no vintage'})"
    except (DetenteError, OSError, ImportError) as exc:
        world = synthetic_world(80, 50, seed)
        note = f"SYNTHETIC 80 x 50 world (seed {seed}): {name!r} is not available ({str(exc).splitlines()[0]})"
    cf = (
        Counterfactual.from_world(world, label="US-China 2025 peak")
        .tariff("USA", "CHN", "all", 145.0)
        .tariff("CHN", "USA", "all", 125.0)
    )
    return world, cf, note


# --------------------------------------------------------------------------- measuring
def _best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _traced_peak(fn: Callable[[], object]) -> tuple[float, object]:
    """Peak bytes allocated (tracemalloc, numpy buffers included) while ``fn`` runs."""
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, out


def _maxrss_bytes() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def run_problem(
    key: str, world: World, cf: Counterfactual, note: str, *, repeats: int, reference: bool, ref_repeats: int, log=print
) -> dict:
    base = world.arrays()
    shock = Shock(cf.tariffs, cf.iceberg, cf.deficits)
    N, J = world.n_countries, world.n_sectors
    log(f"\n[{key}] {N} x {J}: {note}")
    log(f"  shock: {cf.describe()}")

    solve_hat(base, shock)  # warm-up (imports, BLAS threads)
    t_hat, sol = _best_time(lambda: solve_hat(base, shock), repeats)
    t_solve, eq = _best_time(lambda: solve(world, cf), repeats)
    mem_engine, _ = _traced_peak(lambda: solve(world, cf))
    rss_engine = _maxrss_bytes()
    log(
        f"  engine solve_hat best of {repeats}: {t_hat:.4f} s ({sol.iterations} map evaluations, "
        f"converged={sol.converged}); solve(): {t_solve:.4f} s; {eq.diagnostics}"
    )
    out = {
        "problem": key,
        "N": N,
        "J": J,
        "note": note,
        "shock": cf.describe(),
        "engine_solve_hat_s": t_hat,
        "engine_solve_s": t_solve,
        "engine_iterations": int(sol.iterations),
        "engine_converged": bool(sol.converged),
        "engine_residuals": sol.residuals,
        "engine_peak_bytes": int(mem_engine),
        "process_peak_rss_after_engine_bytes": rss_engine,
    }
    if not reference:
        log("  reference: skipped (--quick)")
        return out

    if ref_repeats > 1:
        t_ref, ref = _best_time(lambda: solve_reference(base, shock), ref_repeats)
        mem_ref, _ = _traced_peak(lambda: solve_reference(base, shock))
        how = f"best of {ref_repeats}"
    else:  # slow: a single run, under tracemalloc (few large allocations: negligible overhead)
        log("  reference: one run (dense NJ x NJ LU every outer iteration) ...")
        t0 = time.perf_counter()
        mem_ref, ref = _traced_peak(lambda: solve_reference(base, shock, verbose=True))
        t_ref = time.perf_counter() - t0
        how = "one run"
        step = -0.5
        while not ref["converged"] and step < -0.06:
            # the published step (v = -0.5) can diverge on real data; say so and retry smaller
            log(
                f"  reference with the published wage step v={step} did NOT converge "
                f"({ref['iterations']} outer iterations, {t_ref:.1f} s); retrying with v={step / 2:g}"
            )
            out.setdefault("reference_diverged_steps", []).append(step)
            step /= 2
            t0 = time.perf_counter()
            mem_ref, ref = _traced_peak(
                lambda s=step: solve_reference(base, shock, wage_step=s, max_iter=300, verbose=True)
            )
            t_ref = time.perf_counter() - t0
            how = f"one run, wage step v={step:g}"
    d_rw = float(np.abs(eq.real_wage_hat - real_wage_hat(base, ref)).max())
    d_wf = float(np.abs(eq.welfare_hat - welfare_hat(base, ref)).max())
    d_w = float(np.abs(eq.solution.w_hat - ref["w_hat"]).max())
    d_P = float(np.abs(np.log(eq.solution.P_hat) - np.log(ref["P_hat"])).max())
    log(
        f"  reference {how}: {t_ref:.3f} s ({ref['iterations']} outer / {ref['price_iterations']} "
        f"inner iterations, converged={ref['converged']}, trade-balance residual "
        f"{ref['trade_balance']:.1e} of world VA)"
    )
    log(f"  max |diff| real wage {d_rw:.2e}, welfare {d_wf:.2e}, w_hat {d_w:.2e}, log P_hat {d_P:.2e}")
    out.update(
        {
            "reference_s": t_ref,
            "reference_timing": how,
            "reference_outer_iterations": int(ref["iterations"]),
            "reference_inner_iterations": int(ref["price_iterations"]),
            "reference_converged": bool(ref["converged"]),
            "reference_peak_bytes": int(mem_ref),
            "ratio_reference_over_solve_hat": t_ref / t_hat,
            "ratio_reference_over_solve": t_ref / t_solve,
            "max_abs_diff_real_wage_hat": d_rw,
            "max_abs_diff_welfare_hat": d_wf,
            "max_abs_diff_w_hat": d_w,
            "max_abs_diff_log_P_hat": d_P,
        }
    )
    return out


# --------------------------------------------------------------------------- machine
def machine_info() -> dict:
    info: dict = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "env": {
            k: v
            for k, v in os.environ.items()
            if any(s in k.upper() for s in ("BLAS", "OMP_", "MKL", "CORETYPE", "NUM_THREADS"))
        },
    }
    try:
        with open("/proc/cpuinfo") as fh:
            models = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        info["cpu_model"] = models[0] if models else None
    except OSError:
        info["cpu_model"] = platform.processor() or None
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info["blas"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration")}
    except Exception:  # older numpy: no dict mode
        info["blas"] = None
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "version", "num_threads", "architecture", "threading_layer")}
            for p in threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = _openblas_probe()
    return info


def _openblas_probe() -> list[dict] | None:
    """Core type and threads of numpy's bundled OpenBLAS, without threadpoolctl."""
    import ctypes
    import glob

    libs = glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "lib*openblas*.so*"))
    out = []
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "")):
            try:
                core = getattr(lib, f"{prefix}_get_corename{suffix}")
                nthr = getattr(lib, f"{prefix}_get_num_threads{suffix}")
            except AttributeError:
                continue
            core.restype, nthr.restype = ctypes.c_char_p, ctypes.c_int
            out.append(
                {
                    "internal_api": "openblas",
                    "library": os.path.basename(path),
                    "architecture": core().decode(),
                    "num_threads": int(nthr()),
                }
            )
            break
    return out or None


def _fmt_bytes(b) -> str:
    return "-" if b is None else f"{b / 2**20:.0f} MiB"


def print_table(rows: list[dict], log=print) -> None:
    head = (
        f"{'problem':<12} {'N x J':>7} {'solve_hat s':>11} {'solve s':>8} {'reference s':>11} "
        f"{'ratio':>7} {'|d real w|':>10} {'|d welfare|':>11} {'iters':>5} {'engine mem':>10} "
        f"{'ref mem':>8}"
    )
    log("\n" + head)
    log("-" * len(head))
    for r in rows:
        ref = "reference_s" in r
        log(
            f"{r['problem']:<12} {r['N']:>3}x{r['J']:<3} {r['engine_solve_hat_s']:>11.4f} "
            f"{r['engine_solve_s']:>8.4f} "
            f"{(format(r['reference_s'], '.3f') if ref else 'skipped'):>11} "
            f"{(format(r['ratio_reference_over_solve_hat'], '.1f') + 'x' if ref else '-'):>7} "
            f"{(format(r['max_abs_diff_real_wage_hat'], '.1e') if ref else '-'):>10} "
            f"{(format(r['max_abs_diff_welfare_hat'], '.1e') if ref else '-'):>11} "
            f"{r['engine_iterations']:>5} {_fmt_bytes(r['engine_peak_bytes']):>10} "
            f"{_fmt_bytes(r.get('reference_peak_bytes')):>8}"
        )
    log(
        "ratio = reference seconds / engine solve_hat seconds; |d ...| = max absolute difference "
        "of the change factors (x_hat) between engine and reference; mem = tracemalloc peak of one solve"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="skip the reference on the 80 x 50 problem")
    ap.add_argument("--json", metavar="PATH", help="write the results and machine info as JSON")
    ap.add_argument("--repeats", type=int, default=5, help="engine repeats (best is reported)")
    ap.add_argument("--world", default="oecd-icio-2022", help="world for the large problem")
    ap.add_argument("--cp-dir", default=str(CP_DIR), help="folder of the CP 2015 data")
    ap.add_argument("--only", choices=("cp-nafta", "oecd-80x50"), help="run one problem")
    args = ap.parse_args(argv)

    info = machine_info()
    print(
        f"machine: {info['cpu_model']}, {info['cpu_count']} CPUs (affinity {info['cpu_affinity']}), "
        f"python {info['python']}, numpy {info['numpy']}, BLAS {info['blas']}"
    )
    print(f"BLAS threads: {info['threadpools']}")
    print(f"environment: {info['env'] or 'no BLAS/OMP variables set'}; load average {info['load_average']}")
    if info["load_average"] and info["load_average"][0] > 0.5:
        print("note: other processes are using the CPUs; timings will be noisy (best-of repeats help)")

    rows, skipped = [], []
    if args.only in (None, "cp-nafta"):
        p = problem_cp_nafta(Path(args.cp_dir))
        if isinstance(p, str):
            print(f"\n[cp-nafta] {p}")
            skipped.append({"problem": "cp-nafta", "reason": p})
        else:
            rows.append(run_problem("cp-nafta", *p, repeats=args.repeats, reference=True, ref_repeats=3))
    if args.only in (None, "oecd-80x50"):
        world, cf, note = problem_oecd(args.world)
        rows.append(
            run_problem("oecd-80x50", world, cf, note, repeats=args.repeats, reference=not args.quick, ref_repeats=1)
        )
    print_table(rows)
    rss = _maxrss_bytes()
    print(
        f"process peak RSS (whole run): {_fmt_bytes(rss)}; load average at the end "
        f"{os.getloadavg() if hasattr(os, 'getloadavg') else None}"
    )
    if args.json:
        path = Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "machine": info,
                    "results": rows,
                    "skipped": skipped,
                    "process_peak_rss_bytes": rss,
                    "load_average_end": os.getloadavg() if hasattr(os, "getloadavg") else None,
                    "date": time.strftime("%Y-%m-%d %H:%M:%S"),
                },
                indent=2,
                default=float,
            )
        )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
