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

``--truce`` times the default ``detente truce`` instead: the stage game (81 solves) and
the Monte Carlo of the seven default strategy pairs, 1000 runs each, and runs one pair
with the reference loop (the per-period numpy loop ``play`` had before, kept here as
``_play_reference``) to check that the results are identical and report the ratio. The
issue's target: the default truce run in under 20 s.

Usage::

    python benchmarks/bench_nash.py                     # exact vs finite differences
    python benchmarks/bench_nash.py --truce             # the default truce run
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


def _play_reference(game, strategies, *, periods, noise, rng, trust_prior=0.5, opportunist_rate=0.3, grace=4):
    """The truce match loop before the tuple rewrite: numpy arrays updated every period."""
    import numpy as np

    from detente.strategy._strategies import ESCALATE, View
    from detente.strategy._truce import Match, _misread, _update_trust

    K, L = game.n_instruments, game.max_level
    levels = np.zeros((2, K), int)
    start = levels.copy()
    states = [s.start(rng) for s in strategies]
    acts = np.zeros((periods, 2, K), int)
    obs = np.zeros((periods, 2, K), int)
    lev = np.zeros((periods + 1, 2, K), int)
    pay = np.zeros((periods, 2))
    trust = np.zeros((periods + 1, 2))
    lev[0], trust[0] = levels, trust_prior
    break_period = breaker = None
    run_start, run_len = None, 0
    scale = game.period_days / 365.0
    own_hist, obs_hist = [[], []], [[], []]
    agreed_t = [tuple(int(x) for x in start[s]) for s in (0, 1)]
    for t in range(periods):
        for s in (0, 1):
            view = View(
                t,
                tuple(own_hist[s]),
                tuple(obs_hist[s]),
                tuple(int(x) for x in lev[t, s]),
                agreed_t[s],
                L,
                float(trust[t, s]),
            )
            acts[t, s] = tuple(strategies[s].act(view, states[s], rng))
        lev[t + 1] = np.clip(lev[t] + acts[t], 0, L)
        for s in (0, 1):
            obs[t, s] = [_misread(x, rng) if noise > 0 and rng.random() < noise else x for x in acts[t, 1 - s]]
            trust[t + 1, s] = _update_trust(
                trust[t, s], bool((obs[t, s] == ESCALATE).any()), noise, opportunist_rate, K
            )
            own_hist[s].append(tuple(int(x) for x in acts[t, s]))
            obs_hist[s].append(tuple(int(x) for x in obs[t, s]))
        pay[t] = game.payoff(lev[t + 1, 0], lev[t + 1, 1]) * scale
        if break_period is None:
            above = (lev[t + 1] > start).any(axis=1)
            if above.any():
                if run_len == 0:
                    run_start, first = t, (2 if above.all() else int(np.argmax(above)))
                run_len += 1
                if run_len >= grace:
                    break_period, breaker = run_start, first
            else:
                run_len = 0
    return Match(acts, obs, lev, pay, trust, break_period, breaker)


def bench_truce(args) -> int:
    """The default ``detente truce`` run, timed, with one pair checked against the reference loop."""
    import math

    import numpy as np

    from detente.equilibrium import Counterfactual
    from detente.strategy import (
        build_stage_game,
        default_ladders,
        get_strategy,
        truce_survival,
    )
    from detente.world import load_world

    pairs = (
        "tit-for-tat",
        "generous-tit-for-tat",
        "grim-trigger",
        "win-stay-lose-shift",
        "escalation-ladder",
        "pending-approval",
        "trust-threshold",
    )
    t0, c0 = time.perf_counter(), time.process_time()
    world = load_world(args.world, horizon="long")
    game = build_stage_game(
        world, ("USA", "CHN"), default_ladders(("USA", "CHN")), reference=Counterfactual.from_world(world)
    )
    t_game = time.perf_counter() - t0
    res = [
        truce_survival(game, (get_strategy(p), get_strategy(p)), runs=1000, days=365, noise=0.03, seed=0) for p in pairs
    ]
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    # the reference loop on the first pair, same seeds
    strat = (get_strategy(pairs[0]), get_strategy(pairs[0]))
    periods = math.ceil(365 / game.period_days)
    t1 = time.perf_counter()
    ref = [
        _play_reference(game, strat, periods=periods, noise=0.03, rng=np.random.default_rng(c))
        for c in np.random.SeedSequence(0).spawn(1000)
    ]
    t_ref = time.perf_counter() - t1
    t2 = time.perf_counter()
    new = truce_survival(game, strat, runs=1000, days=365, noise=0.03, seed=0)
    t_new = time.perf_counter() - t2
    same = (np.array([m.break_period if m.break_period is not None else -1 for m in ref]) == new.break_periods).all()
    same = bool(same and np.allclose(sum(m.payoffs.sum(axis=0) for m in ref) / 1000, new.mean_payoff, rtol=0, atol=0))
    print(
        f"default truce run (stage game {t_game:.1f} s + 7 pairs x 1000 runs): {wall:.1f} s wall, {cpu:.1f} s CPU; "
        f"target under 20 s: {'met' if wall < 20 else 'NOT met'}"
    )
    print(
        f"one pair, 1000 runs: reference loop {t_ref:.2f} s, tuple loop {t_new:.2f} s, ratio {t_ref / t_new:.2f}x; "
        f"results identical: {same}"
    )
    for p, r in zip(pairs, res, strict=True):
        print(f"  {p:<22} holds 90d {r.holds_after(90):.3f}  1y {r.holds_after(365):.3f}")
    if args.json:
        p = Path(args.json)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            json.dumps(
                {
                    "machine": platform.platform(),
                    "cores": args.cores,
                    "wall_seconds": wall,
                    "cpu_seconds": cpu,
                    "stage_game_seconds": t_game,
                    "reference_pair_seconds": t_ref,
                    "pair_seconds": t_new,
                    "identical": same,
                },
                indent=2,
            )
        )
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", default="default")
    ap.add_argument("--cores", type=int, default=2, help="CPU cores to run on (default 2)")
    ap.add_argument("--derivative-free", action="store_true", help="also run Powell best responses (slow)")
    ap.add_argument("--json", help="write the results to this JSON file")
    ap.add_argument("--truce", action="store_true", help="time the default detente truce run instead")
    args = ap.parse_args(argv)
    _limit_cores(args.cores)
    if args.truce:
        return bench_truce(args)

    import numpy as np

    from detente.strategy import Objective, PolicyModel, nash_tariffs
    from detente.world import load_world

    world = load_world(args.world)
    players = ("USA", "CHN")
    print(
        f"world {world.meta.name}: {world.n_countries} countries x {world.n_sectors} sectors, "
        f"{len(world.goods)} goods; {len(players)} x {len(world.goods)} = {len(players) * len(world.goods)} rates; "
        f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'} cores"
    )
    rows = {}

    # exact gradients: a fresh model, so the time includes JAX's compilation
    t0 = time.perf_counter()
    model = PolicyModel(world)
    model.evaluate(np.array(world.tariffs), [Objective("USA")])  # compiles the JAX functions
    compile_s = time.perf_counter() - t0
    exact = nash_tariffs(model, players)
    rows["exact"] = {
        "seconds": exact.seconds,
        "seconds_with_compile": exact.seconds + compile_s,
        "compile_seconds": compile_s,
        "solves": exact.solves,
        "rounds": len(exact.history),
        "gradients": model.counters.gradients,
        "converged": exact.converged,
    }

    fd_model = PolicyModel(world)
    fd = nash_tariffs(fd_model, players, method="finite-difference")
    rows["finite-difference"] = {
        "seconds": fd.seconds,
        "solves": fd.solves,
        "rounds": len(fd.history),
        "converged": fd.converged,
    }
    results = {"exact": exact, "finite-difference": fd}
    if args.derivative_free:
        df_ = nash_tariffs(PolicyModel(world), players, method="derivative-free", raise_on_failure=False)
        rows["derivative-free"] = {
            "seconds": df_.seconds,
            "solves": df_.solves,
            "rounds": len(df_.history),
            "converged": df_.converged,
        }
        results["derivative-free"] = df_

    ref = np.concatenate(exact.rates)
    print(f"\n{'method':<20}{'seconds':>10}{'solves':>9}{'rounds':>8}{'max diff (pp)':>15}{'ratio':>9}")
    for name, r in rows.items():
        diff = 100 * float(np.abs(np.concatenate(results[name].rates) - ref).max())
        r["max_rate_diff_pp"] = diff
        r["ratio_vs_exact"] = r["seconds"] / rows["exact"]["seconds"]
        print(
            f"{name:<20}{r['seconds']:>10.2f}{r['solves']:>9d}{r['rounds']:>8d}{diff:>15.2e}{r['ratio_vs_exact']:>9.1f}"
        )
    print(
        f"{'exact + compile':<20}{rows['exact']['seconds_with_compile']:>10.2f}"
        f"   (JAX compilation {compile_s:.1f} s, once per process and world)"
    )
    ratio_c = rows["finite-difference"]["seconds"] / rows["exact"]["seconds_with_compile"]
    print(
        f"\nfinite differences / exact: {rows['finite-difference']['ratio_vs_exact']:.1f}x "
        f"({ratio_c:.1f}x counting compilation); target: exact under 60 s on 2 cores: "
        f"{'met' if rows['exact']['seconds_with_compile'] < 60 else 'NOT met'}"
    )
    print("\nNash tariffs (%):")
    print(exact.rates_table().round(2).to_string())
    if args.json:
        p = Path(args.json)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(
            json.dumps(
                {
                    "world": world.meta.name,
                    "machine": platform.platform(),
                    "python": platform.python_version(),
                    "cores": args.cores,
                    "methods": rows,
                    "nash_tariffs_pct": exact.rates_table().to_dict(),
                },
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
