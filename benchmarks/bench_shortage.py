"""Benchmark: weekly shortage model vs BoARIO (adaptive regional input-output model).

Times, in one process, on the same network (the full OECD ICIO world, 80 countries x
50 industries = 4,000 nodes, when built with `detente data build`; else the compact
world) and the same horizon (52 weekly steps):

1. detente: one 52-week run of a magnet restriction (CHN -> all, 25% approved after a
   63-day review) with downstream propagation;
2. detente: 1,000 Monte Carlo draws (uncertain inventories and approval shares) on
   ``--workers`` processes (default 2);
3. BoARIO 0.7.x ``ARIOPsiModel`` on a pymrio IOSystem built from the same world, one
   weekly step per temporal unit (``iotable_year_to_temporal_unit_factor=52``), 52
   steps, a production-capacity shock to the same users; its 1,000-draw cost is
   extrapolated from ``--boario-runs`` real runs (divided by the workers, as if it
   parallelised perfectly). ``--boario-runs 0`` (or no boario installed) times detente
   only.

Ratios are BoARIO time / detente time. Run: ``python benchmarks/bench_shortage.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time

import numpy as np


def _world(name):
    from detente.world import load_world

    try:
        return load_world(name)
    except Exception as exc:  # noqa: BLE001
        print(f"world {name!r} not available ({exc}); using the compact world")
        return load_world("default")


def bench_detente(world, workers: int, draws: int, repeats: int):
    from detente.shortage import Restriction, build_model, monte_carlo, simulate
    from detente.shortage._kernel import run_kernel
    from detente.shortage._licensing import week_starts

    start = dt.date(2025, 3, 31)
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), dt.date(2025, 4, 4), None, 0.25, 63, "per_shipment")]
    t0 = time.perf_counter()
    model = build_model(world, products=["ndfeb-magnets"])
    t_build = time.perf_counter() - t0
    ws = week_starts(start, 52)
    ship = model.shipped(model.licensed(r, ws))
    inp = model.inputs(ship[:, None])
    run_kernel(inp, 52)  # warm-up
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run_kernel(inp, 52)
        runs.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    simulate(world, r, start=start, weeks=52, model=model)
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    mc = monte_carlo(model, r, start=start, weeks=52, n_draws=draws, seed=0, workers=workers)
    t_mc = time.perf_counter() - t0
    q = mc.dataset.cum_va_lost.sel(country="USA").quantile([0.05, 0.5, 0.95]).values
    return {
        "build_s": t_build,
        "kernel_52w_s": statistics.median(runs),
        "simulate_52w_labelled_s": t_sim,
        "mc_s": t_mc,
        "mc_draws": draws,
        "mc_usa_va_lost_q05_q50_q95": [float(v) for v in q],
        "nodes": world.n_countries * world.n_sectors,
    }


def _iosystem(world):
    import pandas as pd
    import pymrio

    N, J = world.n_countries, world.n_sectors
    pi = np.asarray(world.trade_shares) / (1.0 + np.asarray(world.tariffs))  # factory-price shares
    Y = np.asarray(world.gross_output)
    spend = np.asarray(world.io_shares) * Y[:, None, :]  # (n, k, j) input k bought by (n, j)
    Z = np.einsum("nik,nkj->iknj", pi, spend).reshape(N * J, N * J)
    fd = np.asarray(world.final_shares) * np.asarray(world.income)[:, None]  # (n, k)
    F = np.einsum("nik,nk->ikn", pi, fd).reshape(N * J, N)
    idx = pd.MultiIndex.from_product([world.countries, world.sectors], names=["region", "sector"])
    cols = pd.MultiIndex.from_product([world.countries, ["final demand"]], names=["region", "category"])
    io = pymrio.IOSystem(Z=pd.DataFrame(Z, index=idx, columns=idx), Y=pd.DataFrame(F, index=idx, columns=cols))
    io.calc_all()
    io.meta.change_meta("name", world.meta.name)
    return io


def bench_boario(world, runs: int):
    import boario
    from boario.event import EventKapitalRecover
    from boario.extended_models import ARIOPsiModel
    from boario.simulation import Simulation

    t0 = time.perf_counter()
    io = _iosystem(world)
    t_io = time.perf_counter() - t0
    users = [
        s
        for s in world.sectors
        if s
        in (
            "C29",
            "C27",
            "C28",
            "C26",
            "C302T309",
            "MOTOR",
            "ELECTRICAL",
            "MACHINERY",
            "ELECTRONICS",
            "OTHER_TRANSPORT",
        )
    ]
    times, inits = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        model = ARIOPsiModel(
            io,
            iotable_year_to_temporal_unit_factor=52,
            main_inv_dur=3,
            alpha_tau=52,
            rebuild_tau=8,
            monetary_factor=10**6,
        )
        sim = Simulation(model, n_temporal_units_to_sim=52)
        # from_scalar_regions_sectors returns None in boario 0.7.2: build the impact series
        import pandas as pd

        idx = pd.MultiIndex.from_product([["USA"], users], names=["region", "sector"])
        ev = EventKapitalRecover(
            impact=pd.Series(5e10 / len(users), index=idx), recovery_tau=12, occurrence=8, duration=1
        )
        sim.add_event(ev)
        inits.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sim.loop()
        times.append(time.perf_counter() - t0)
    return {
        "version": boario.__version__,
        "iosystem_build_s": t_io,
        "init_s": statistics.median(inits),
        "loop_52w_s": statistics.median(times),
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--world", default="oecd-icio-2022")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--boario-runs", type=int, default=2)
    ap.add_argument("--json", help="also write the results here")
    a = ap.parse_args()
    world = _world(a.world)
    print(
        f"world {world.meta.name}: {world.n_countries} x {world.n_sectors} = "
        f"{world.n_countries * world.n_sectors} nodes; 52 weeks; {os.cpu_count()} CPUs; {platform.processor()}"
    )
    ours = bench_detente(world, a.workers, a.draws, a.repeats)
    try:
        import boario  # noqa: F401
    except ImportError:
        a.boario_runs = 0
        print("boario is not installed: timing detente only")
    if a.boario_runs == 0:
        print(f"detente  one run (kernel, 52 weeks):       {ours['kernel_52w_s']:8.3f} s")
        print(f"detente  one run labelled (simulate):     {ours['simulate_52w_labelled_s']:8.3f} s")
        print(f"detente  {a.draws} Monte Carlo draws, {a.workers} workers: {ours['mc_s']:8.2f} s")
        if a.json:
            with open(a.json, "w") as fh:
                json.dump({"world": world.meta.name, "detente": ours}, fh, indent=2)
        return
    theirs = bench_boario(world, a.boario_runs)
    one_ours = ours["kernel_52w_s"]
    one_theirs = theirs["loop_52w_s"]
    mc_theirs = (theirs["init_s"] + one_theirs) * a.draws / a.workers
    res = {
        "world": world.meta.name,
        "detente": ours,
        "boario": theirs,
        "ratio_single_run": one_theirs / one_ours,
        "ratio_single_run_incl_setup": (theirs["init_s"] + one_theirs) / (ours["simulate_52w_labelled_s"]),
        "boario_mc_extrapolated_s": mc_theirs,
        "ratio_mc": mc_theirs / ours["mc_s"],
    }
    print(f"detente  one run (kernel, 52 weeks):       {one_ours:8.3f} s")
    print(f"detente  one run labelled (simulate):     {ours['simulate_52w_labelled_s']:8.3f} s")
    print(f"detente  {a.draws} Monte Carlo draws, {a.workers} workers: {ours['mc_s']:8.2f} s")
    print(f"BoARIO {theirs['version']} one run (loop, 52 steps):  {one_theirs:8.3f} s (init {theirs['init_s']:.2f} s)")
    print(f"BoARIO   {a.draws} draws (extrapolated, {a.workers} workers): {mc_theirs:8.1f} s")
    print(
        f"ratio BoARIO / detente: single run {res['ratio_single_run']:.1f}x, "
        f"with setup {res['ratio_single_run_incl_setup']:.1f}x, Monte Carlo {res['ratio_mc']:.1f}x"
    )
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
