"""Time `detente replay world-2025` on the default world and on the 80 x 50 world.

    python benchmarks/bench_world_2025.py

The 80 x 50 world must be built first (`detente data build`); it is skipped otherwise.
Prints wall times of the scenario load, the replay and the number of solves.
"""

from __future__ import annotations

import os
import time

from detente.policy import load_scenario, replay
from detente.world import load_world


def main() -> None:
    print(
        f"nproc={os.cpu_count()} OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')} "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}"
    )
    t0 = time.perf_counter()
    sc = load_scenario("world-2025")
    print(f"load world-2025: {time.perf_counter() - t0:.2f} s ({len(sc.events)} events)")
    for name in ("default", "oecd-icio-2022"):
        try:
            w = load_world(name)
        except Exception as exc:  # noqa: BLE001 - the full world may not be built
            print(f"{name}: skipped ({exc})")
            continue
        t0 = time.perf_counter()
        rp = replay(sc, w)
        print(
            f"{name} ({w.n_countries} x {w.n_sectors}): replay {time.perf_counter() - t0:.1f} s, "
            f"{len(rp.dates)} dates, {rp.n_solves} solves"
        )


if __name__ == "__main__":
    main()
