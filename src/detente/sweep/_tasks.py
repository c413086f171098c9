"""Expanding a sweep into tasks: plain, hashable inputs, keyed by a hash, in fixed chunks.

A task is a JSON-able dict holding everything its solve needs (tariff changes with their
rates, the elasticity set and horizon, the drawn elasticities themselves), so any worker
can run it and the same inputs always give the same key. Random draws are made here, on
the client, from ``numpy.random.SeedSequence([seed, draw])``: draw ``d`` of seed ``s`` is
the same whatever the executor, the chunking or the number of draws.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
from typing import cast

import numpy as np

from detente.sweep._spec import Sweep

#: bump when a task's meaning changes, so old chunk files are not reused
TASK_VERSION = 1


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(obj, n: int = 16) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()[:n]


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Tasks run together; ``key`` hashes the task keys (the chunk file's name)."""

    index: int
    key: str
    tasks: tuple[dict, ...]


@functools.lru_cache(maxsize=8)
def _base_world(name: str):
    from detente.world import load_world

    return load_world(name, elasticities="world")


@functools.lru_cache(maxsize=64)
def theta_mean_sd(world: str, set_name: str, horizon: str, relative_sd: float) -> tuple[tuple, tuple, tuple]:
    """Per world sector: the elasticity set's theta at ``horizon``, its s.d. and whether the s.d. is published.

    A compact-world sector is the import-weighted mean of its ICIO industries (the rule of
    :func:`detente.world.elasticities.theta_for`); its s.d. is the same weighted mean of
    the industries' s.d. (their errors taken as perfectly correlated within a sector: the
    conservative choice, and the right one where one number serves many industries).
    Industries without a published s.e. get ``relative_sd * theta``. Sectors are drawn
    independently of each other.
    """
    from detente.world.elasticities import compact_groups, elasticity_set, import_weights
    from detente.world.elasticities._horizon import g

    w = _base_world(world)
    if set_name == "world":
        theta = np.asarray(w.theta, float)
        return tuple(theta), tuple(relative_sd * theta), (False,) * len(theta)
    es = elasticity_set(set_name)
    factor = g(horizon) / g(es.horizon)
    table = es.table.set_index("industry")
    weights, groups = import_weights(), compact_groups()
    means, sds, published = [], [], []
    for code in w.sectors:
        members = groups.get(code, [code])
        t = table["theta"].reindex(members).to_numpy(float) * factor
        se = table["se"].reindex(members).to_numpy(float) * factor
        pub = np.isfinite(se)
        se = np.where(pub, se, relative_sd * t)
        wt = weights.reindex(members).to_numpy(float) if len(members) > 1 else np.ones(1)
        if not wt.sum() > 0:
            wt = np.ones(len(members))
        means.append(float(wt @ t / wt.sum()))
        sds.append(float(wt @ se / wt.sum()))
        published.append(bool(pub.all()))
    return tuple(means), tuple(sds), tuple(published)


def draw_theta(mean: np.ndarray, sd: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of theta: log-normal per sector with the given mean and s.d. (always > 0)."""
    mean, sd = np.asarray(mean, float), np.asarray(sd, float)
    s2 = np.log1p((sd / mean) ** 2)
    return mean * np.exp(np.sqrt(s2) * rng.standard_normal(mean.shape) - s2 / 2)


def _rate_text(target: str, op: str, rate: float) -> str:
    if op == "set":
        return f"{target}:={rate!r}"
    return f"{target}:{'+' if rate >= 0 else '-'}{abs(rate)!r}"


def expand(spec: Sweep) -> list[dict]:
    """Every task of ``spec``, in a fixed order (grid point, then seed, then draw)."""
    from detente.sweep._spec import DEFAULT_RELATIVE_SD  # noqa: F401

    g, d = spec.grid, spec.draws
    axes = [[(a.target, a.op, float(v)) for v in a.values] for a in g.tariffs]
    approvals: list[float | None] = [float(v) for v in g.approval_shares] or [None]
    inventories: list[float | None] = [float(v) for v in g.inventory_scales] or [None]
    n_draws = max(d.n, 1) if (d.n or d.tariffs or d.horizon) else 1
    random = d.n > 0
    base_changes = spec.whatif.changes() if spec.whatif is not None else []
    tasks: list[dict] = []
    for grid_point, (es, hz, approval, inventory, *rates) in enumerate(
        itertools.product(g.elasticities, g.horizons, approvals, inventories, *axes)
    ):
        point_rates = cast("list[tuple[str, str, float]]", rates)  # one (target, op, value) per tariff axis
        for seed in d.seed_list if random else [None]:
            for k in range(n_draws if random else 1):
                task: dict = {
                    "v": TASK_VERSION,
                    "kind": spec.kind,
                    "world": spec.world,
                    "elasticities": es,
                    "horizon": hz,
                    "grid_point": grid_point,
                    "seed": seed,
                    "draw": k if random else None,
                    "tol": spec.tol,
                    "max_iter": spec.max_iter,
                    "theta": None,
                }
                rng: np.random.Generator | None = None
                if random:
                    assert seed is not None  # seeds come from d.seed_list when random
                    rng = np.random.default_rng(np.random.SeedSequence([seed, k]))
                horizon = hz
                if rng is not None and d.horizon is not None:
                    horizon = f"{float(rng.uniform(d.horizon.low, d.horizon.high)):.6g}y"
                    task["horizon"] = horizon
                if spec.whatif is not None:
                    changes = list(base_changes) + [_rate_text(t, op, v) for t, op, v in point_rates]
                    if rng is not None:
                        changes += [_rate_text(t.target, t.op, float(rng.uniform(t.low, t.high))) for t in d.tariffs]
                    task.update(
                        tariffs=changes, closure=spec.whatif.closure, axes={f"{t}:{op}": v for t, op, v in point_rates}
                    )
                else:
                    r = spec.replay
                    assert r is not None  # a sweep has exactly one of whatif and replay (validated)
                    share = approval
                    if rng is not None and d.approval is not None:
                        share = float(rng.uniform(d.approval.low, d.approval.high))
                    scale = inventory
                    if rng is not None and d.inventory is not None:
                        lo, hi = np.log(d.inventory.low), np.log(d.inventory.high)
                        scale = float(np.exp(rng.uniform(lo, hi)))
                    axes_r: dict = {} if share is None else {"approval_share": share}
                    if scale is not None:
                        axes_r["inventory_scale"] = scale
                    task.update(
                        scenario=r.scenario,
                        variant=r.variant,
                        closure=r.closure,
                        dates=r.dates,
                        axes=axes_r,
                        model=r.model,
                    )
                    if share is not None:
                        task["approval_share"] = share
                    if scale is not None:
                        task["inventory_scale"] = scale
                if rng is not None and d.elasticities:
                    mean, sd, _ = theta_mean_sd(spec.world, es, horizon, d.relative_sd)
                    task["theta"] = [float(x) for x in draw_theta(np.array(mean), np.array(sd), rng)]
                task["key"] = digest(task)
                tasks.append(task)
    return tasks


def chunked(tasks: list[dict], size: int) -> list[Chunk]:
    """Tasks in chunks of ``size`` (the order of :func:`expand`), keyed by a hash of their keys."""
    out = []
    for i, start in enumerate(range(0, len(tasks), size)):
        part = tuple(tasks[start : start + size])
        out.append(Chunk(i, digest([t["key"] for t in part]), part))
    return out
