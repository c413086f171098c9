"""A 200-draw band of the us-china-2025 replay: batched bands against one serial replay per draw.

    .venv/bin/python benchmarks/bench_replay_bands.py                      # 200 draws, 10 reference draws
    .venv/bin/python benchmarks/bench_replay_bands.py --draws 50 --ref-draws 5 --json out.json

- **bands**: :func:`detente.policy._bands.replay_bands` (the central replay included):
  every distinct policy state solved per draw with ``solve_batch``, then the percentiles.
- **reference**: what a user would write without it: for each draw, the world with the
  drawn elasticities and ``detente.policy.replay(sc, world_k, elasticities="world")``
  (a serial ``solve`` per state). Timed on ``--ref-draws`` draws and extrapolated to
  ``--draws``; its real income is compared with the bands' draws (same draws).

Goal (issue 12): 200 draws under 1 minute on 2 cores.
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="us-china-2025")
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--ref-draws", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="process counts to time the bands with")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    import warnings

    from detente.policy import _bands as pb
    from detente.policy import load_scenario, replay, world_for
    from detente.world import load_world

    warnings.simplefilter("ignore", UserWarning)
    info = machine()
    print(json.dumps(info))
    sc = load_scenario(a.scenario)
    world = load_world(sc.world)
    replay(sc, world)  # warm caches (world arrays, rebase cache, imports)
    timings = {}
    for wk in a.workers:
        t = time.perf_counter()
        b = pb.replay_bands(sc, world, n_draws=a.draws, seed=a.seed, workers=wk)
        timings[wk] = time.perf_counter() - t
        at = b.dataset.attrs
        print(
            f"bands, {wk} process(es): {a.draws} draws x {at['n_states']} states = {at['n_solves']} solves in "
            f"{timings[wk]:.1f} s (central replay included); {at['n_failed']} failed",
            flush=True,
        )
        if wk == a.workers[0]:
            bands = b
        else:
            same = all(
                np.array_equal(b.dataset[v].values, bands.dataset[v].values, equal_nan=True)
                for v in b.dataset.data_vars
            )
            print(f"    identical to {a.workers[0]} process(es): {same}")
    t_bands = min(timings.values())

    rel, _ = pb.relative_sd(sc.world, "default", "1y")
    factors = pb.draw_factors(rel, a.ref_draws, a.seed)
    w_run = world_for(sc, world)
    t = time.perf_counter()
    worst = 0.0
    table = bands.draws("welfare_pct")
    for k in range(a.ref_draws):
        rp = replay(sc, w_run.replace(theta=w_run.theta * factors[k]), elasticities="world")
        for key, d in bands.states:
            ref = rp.dataset["welfare_pct"].sel(date=d.isoformat()).values
            got = table[(table["draw"] == k) & (table["state"] == key)]["value"].to_numpy()
            if len(got):
                worst = max(worst, float(np.abs(ref - got).max()))
    t_ref = time.perf_counter() - t
    t_ref_total = t_ref / a.ref_draws * a.draws
    print(
        f"reference: {a.ref_draws} serial replays in {t_ref:.1f} s -> {t_ref_total:.1f} s for {a.draws} "
        f"(extrapolated); ratio reference / fastest bands {t_ref_total / t_bands:.2f}x; max |d welfare| {worst:.1e} pp"
    )
    out = {
        "machine": info,
        "scenario": a.scenario,
        "draws": a.draws,
        "states": at["n_states"],
        "bands_s_by_workers": timings,
        "bands_s": t_bands,
        "failed": at["n_failed"],
        "ref_draws": a.ref_draws,
        "ref_s": t_ref,
        "ref_total_est_s": t_ref_total,
        "ratio": t_ref_total / t_bands,
        "max_abs_d_welfare_pp": worst,
        "loadavg_end": os.getloadavg(),
    }
    print(f"load average {info['loadavg']} -> {out['loadavg_end']}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
