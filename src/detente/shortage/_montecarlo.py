"""Monte Carlo over uncertain inventories and approval shares.

Each draw has its own generator, spawned from ``numpy.random.SeedSequence(seed)``, so
a draw's numbers do not depend on the chunk size or the number of workers (serial
equals parallel). Per draw:

- inventory cover of every (user node, product) is multiplied by a lognormal factor
  ``exp(s_I z - s_I^2 / 2)`` (mean 1);
- the approved part of every restricted flow of product p is multiplied by
  ``exp(s_A z_p - s_A^2 / 2)``, capped at the restricted supply (approval <= 1).

Draws are simulated in batches along the kernel's draw axis ``d``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np

from detente.errors import DataError
from detente.shortage._kernel import run_kernel
from detente.shortage._licensing import Restriction, week_starts
from detente.shortage._simulate import MAX_RUN_BYTES, ShortageModel

_STATE: dict[str, Any] = {}


@dataclasses.dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """``dataset`` by draw: losses by week and country, first stock-out week by user node."""

    dataset: Any

    def quantiles(self, var: str = "cum_output_lost", q=(0.05, 0.5, 0.95)):
        return self.dataset[var].quantile(list(q), dim="draw")


def _draws(seed: int, n: int, U: int, P: int, inv_sd: float, app_sd: float):
    """(n, U, P) inventory multipliers and (n, P) approval multipliers, one generator per draw."""
    children = np.random.SeedSequence(seed).spawn(n)
    inv = np.empty((n, U, P))
    app = np.empty((n, P))
    for d, ss in enumerate(children):
        rng = np.random.default_rng(ss)
        inv[d] = np.exp(inv_sd * rng.standard_normal((U, P)) - inv_sd**2 / 2)
        app[d] = np.exp(app_sd * rng.standard_normal(P) - app_sd**2 / 2)
    return inv, app


def _chunk(args: tuple[int, int]) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    lo, hi = args
    s = _STATE
    model: ShortageModel = s["model"]
    inv, app = s["inv"][lo:hi], s["app"][lo:hi]
    lic = s["free"][None] + np.minimum(app[:, None, :, None, None] * s["restricted"][None], s["cap"][None])
    ship = model.shipped(lic)  # (D, T, P, R, Q)
    cover = model.critical.cover_up[None] * inv
    out = run_kernel(
        model.inputs(np.ascontiguousarray(ship.transpose(1, 0, 2, 3, 4)), cover),
        s["weeks"],
        record="summary",
        dtype=np.float32,
    )
    return lo, out.first_stockout_du, out.cum_shortfall_dm, out.loss_tdn


def _cells(a: np.ndarray) -> np.ndarray:
    """1 on restricted cells (approval below 1), 0 elsewhere."""
    return (a < 1.0 - 1e-12).astype(float)


def _restricted(a: np.ndarray) -> np.ndarray:
    """The approval on restricted cells, 0 elsewhere."""
    return np.where(a < 1.0 - 1e-12, a, 0.0)


def monte_carlo(
    model: ShortageModel,
    restrictions: Sequence[Restriction],
    *,
    start: dt.date,
    weeks: int,
    n_draws: int = 1000,
    seed: int = 0,
    inventory_sd: float = 0.3,
    approval_sd: float = 0.3,
    chunk: int = 48,
    workers: int = 1,
) -> MonteCarloResult:
    """Simulate ``n_draws`` draws; ``workers > 1`` splits batches over processes (fork)."""
    import xarray as xr

    if n_draws < 1 or chunk < 1 or workers < 1:
        raise DataError("n_draws, chunk and workers must be >= 1")
    model.check_size(weeks)  # one draw must fit; a batch holds as many as fit the same limit
    chunk = max(1, min(chunk, MAX_RUN_BYTES // model.run_bytes(weeks)))
    ws = week_starts(start, weeks)
    a, overlays = model.approvals(restrictions, ws)  # (T, P, I, N), users' own licences
    # each row's (user's) cohort mix of suppliers or routes:
    restricted = model.sourced(_restricted(a), [(p, u, _restricted(x)) for p, u, x in overlays])  # (T, P, R, Q)
    cap = model.sourced(_cells(a), [(p, u, _cells(x)) for p, u, x in overlays])
    free = 1.0 - cap  # unrestricted cells (approval exactly 1) and suppliers outside sourcing
    U, P = model.critical.cover_up.shape
    inv, app = _draws(seed, n_draws, U, P, inventory_sd, approval_sd)
    _STATE.update(model=model, inv=inv, app=app, free=free, restricted=restricted, cap=cap, weeks=weeks)
    spans = [(lo, min(lo + chunk, n_draws)) for lo in range(0, n_draws, chunk)]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_chunk, spans)
    else:
        parts = [_chunk(s) for s in spans]
    _STATE.clear()
    N, J = model.world.n_countries, model.world.n_sectors
    first = np.empty((n_draws, U), dtype=np.int64)
    cum = np.empty((n_draws, N * J))
    loss = np.empty((weeks, n_draws, N))
    for lo, f, c, lt in parts:
        first[lo : lo + f.shape[0]] = f
        cum[lo : lo + f.shape[0]] = c
        loss[:, lo : lo + f.shape[0]] = lt
    Yw = model.output_year_m / 52.0
    cum_lost = (cum * Yw).reshape(n_draws, N, J)
    cum_va = (cum * Yw * model.va_share_m).reshape(n_draws, N, J).sum(axis=-1)
    w = model.world
    J_ = w.n_sectors
    units = w.meta.units
    ds = xr.Dataset(
        {
            "cum_output_lost": (("draw", "country", "sector"), cum_lost, {"units": units}),
            "cum_va_lost": (("draw", "country"), cum_va, {"units": units}),
            "va_lost_pct_gdp": (("draw", "country"), 100 * cum_va / np.asarray(w.value_added)[None], {"units": "%"}),
            "output_lost": (("draw", "week", "country"), loss.transpose(1, 0, 2), {"units": f"{units} per week"}),
            "first_stockout_week": (("draw", "user"), first, {"units": "week index (-1: never)"}),
        },
        coords={
            "draw": np.arange(n_draws),
            "week": np.arange(weeks),
            "week_start": ("week", np.array(ws, dtype="datetime64[D]")),
            "country": list(w.countries),
            "sector": list(w.sectors),
            "user": np.arange(U),
            "user_country": ("user", [w.countries[m // J_] for m in model.critical.user_nodes]),
            "user_sector": ("user", [w.sectors[m % J_] for m in model.critical.user_nodes]),
        },
        attrs={
            "seed": seed,
            "n_draws": n_draws,
            "inventory_sd": inventory_sd,
            "approval_sd": approval_sd,
            "world": w.meta.name,
            "registry": model.registry_version,
        },
    )
    return MonteCarloResult(ds)
