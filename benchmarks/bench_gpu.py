"""A batched, jitted forward solve in JAX on an accelerator, against ``solve_batch`` (numpy) on the CPU.

    python benchmarks/bench_gpu.py                         # needs a GPU; otherwise says so and exits 0
    python benchmarks/bench_gpu.py --world oecd-icio-2022 --n 1000 --batch 250 --json out.json
    python benchmarks/bench_gpu.py --cpu --n 20            # run the JAX path on the CPU anyway (a check)

Without a GPU (``jax.devices("gpu")`` empty, or JAX not installed) the script prints why
and exits 0 without measuring, so CPU-only CI can run it. On a GPU machine install JAX
for it first (``pip install 'jax[cuda12]'``).

What runs:

- **JAX**: ``JaxKernel.batched_solver`` (``detente.strategy._jax_kernel``; also behind
  ``solve_batch(..., backend="jax")``): the one sweep of every kernel
  (``detente.equilibrium._sweep``) under ``jax.numpy``, ``jax.vmap``-ed over a batch of
  tariff shocks, iterated with Anderson acceleration (memory 10, regularised normal
  equations per member, converged members frozen) inside one ``jax.jit``-ed
  ``lax.while_loop``, ``--batch`` members per call, float64. Compilation is timed apart.
- **numpy reference**: ``detente.equilibrium.solve_batch`` on the same shocks, on the CPU.

Printed: seconds per equilibrium on each side, the ratio, the largest difference of the
fixed points (packed unknowns ``z``) and of welfare, and how many members did not
converge on either side (never counted as answers). Shocks are those of
``bench_batch.py`` (one importer on one exporter, +1 to +150 pp, seeded).
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

from bench_batch import machine, shocks  # noqa: E402


def accelerator(allow_cpu: bool):
    """The JAX device to use, or (None, why)."""
    try:
        import jax
    except ImportError as exc:
        return None, f"JAX is not installed ({exc}); pip install 'jax[cuda12]' on a GPU machine"
    try:
        gpus = jax.devices("gpu")
    except RuntimeError:
        gpus = []
    if gpus:
        return gpus[0], ""
    if allow_cpu:
        return jax.devices("cpu")[0], ""
    return None, (
        f"no GPU visible to JAX (devices: {jax.devices()}); nothing to measure here. Run this script on "
        "a machine with a CUDA GPU and jax[cuda12], or pass --cpu to check the JAX path on the CPU."
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", default="default", help="world name (default %(default)s; oecd-icio-2022 for 80 x 50)")
    ap.add_argument("--n", type=int, default=1000, help="equilibria")
    ap.add_argument("--batch", type=int, default=250, help="members per jitted call")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-iter", type=int, default=500)
    ap.add_argument("--cpu", action="store_true", help="run the JAX path on the CPU when there is no GPU (a check)")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    info = machine()
    print(json.dumps(info))
    device, why = accelerator(a.cpu)
    if device is None:
        print(f"bench_gpu: skipped: {why}")
        return 0
    import jax
    import jax.numpy as jnp

    from detente.equilibrium import solve_batch
    from detente.strategy._jax_kernel import JaxKernel, pack, require_jax
    from detente.world import load_world

    require_jax()  # float64
    world = load_world(a.world)
    base = world.arrays()
    X0 = np.asarray(base[0])
    cfs = shocks(world, a.n, a.seed)
    print(
        f"device {device} ({device.platform}); world {world.meta.name} {world.n_countries} x {world.n_sectors}; "
        f"{a.n} shocks, batches of {a.batch}"
    )

    t = time.perf_counter()
    ref = solve_batch(world, cfs)
    t_np = time.perf_counter() - t
    print(f"numpy solve_batch (CPU): {t_np:.2f} s, {1e3 * t_np / a.n:.2f} ms each, {len(ref.failed)} failed")

    with jax.default_device(device):
        kernel = JaxKernel(base, np.asarray(world.deficit, float))
        solve = kernel.batched_solver(max_iter=a.max_iter)  # the library's jitted batched solve
        z0 = np.concatenate([np.zeros(kernel.N * (1 + kernel.J)), (X0 / X0.sum(axis=1, keepdims=True)).ravel()])
        batches = [cfs[s : s + a.batch] for s in range(0, a.n, a.batch)]

        def arrays(batch):
            tau = jnp.asarray(np.stack([cf.tariffs for cf in batch]))
            d = jnp.asarray(np.stack([cf.iceberg for cf in batch]))
            return jnp.asarray(np.tile(z0, (len(batch), 1))), tau, d

        t = time.perf_counter()
        jax.block_until_ready(solve(*arrays(batches[0])))
        t_compile = time.perf_counter() - t
        if len(batches[-1]) != len(batches[0]):  # a second shape compiles too
            jax.block_until_ready(solve(*arrays(batches[-1])))
        t = time.perf_counter()
        outs = []
        for batch in batches:
            outs.append(jax.block_until_ready(solve(*arrays(batch))))
        t_jax = time.perf_counter() - t
    z = np.concatenate([np.asarray(o[0]) for o in outs])
    its = np.concatenate([np.asarray(o[1]) for o in outs])
    done = np.concatenate([np.asarray(o[3]) for o in outs])
    worst = 0.0
    for k, e in enumerate(ref.equilibria):
        if e is not None and done[k]:
            worst = max(worst, float(np.abs(pack(e.solution, X0) - z[k]).max()))
    out = {
        "machine": info,
        "device": str(device),
        "platform": device.platform,
        "world": world.meta.name,
        "N": world.n_countries,
        "J": world.n_sectors,
        "n": a.n,
        "batch": a.batch,
        "numpy_s": t_np,
        "numpy_failed": len(ref.failed),
        "jax_compile_s": t_compile,
        "jax_s": t_jax,
        "jax_not_converged": int((~done).sum()),
        "jax_iterations_mean": float(its.mean()),
        "ratio_numpy_over_jax": t_np / t_jax,
        "max_abs_dz": worst,
        "loadavg_end": os.getloadavg(),
    }
    print(
        f"JAX ({device.platform}): {t_jax:.2f} s, {1e3 * t_jax / a.n:.2f} ms each (compilation {t_compile:.1f} s "
        f"apart); {int((~done).sum())} not converged; iterations mean {its.mean():.1f}"
    )
    print(f"ratio numpy / JAX: {t_np / t_jax:.2f}x; max |dz| against numpy: {worst:.1e}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
