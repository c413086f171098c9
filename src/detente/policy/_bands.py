"""Uncertainty bands on a replay: every policy state solved for draws of the trade elasticities.

:func:`replay_bands` replays a scenario once at the central elasticities
(:func:`~detente.policy.replay`), then draws the elasticities ``n_draws`` times and
solves every distinct policy state of the replay for each draw with the batched solver
(:func:`~detente.equilibrium.solve_batch`). Per date and country it reports the central
value (the replay at the central elasticities) and the band (by default the 5th-95th
percentiles, ``level=0.9``) of real income and the key series.

The draws are those of ``detente whatif --bands`` and of ``detente sweep``
(:func:`detente.sweep.theta_mean_sd`, :func:`detente.sweep.draw_theta`): per sector,
log-normal with the elasticity set's published standard error (else
``relative_sd x theta``), sectors independent, draw ``k`` of seed ``s`` from
``numpy.random.SeedSequence([s, k])``. A draw scales the central theta of each sector by
the same factor on every date, so it also scales the horizon path (``adjustment:
path``) and the elasticity overrides of the scenario; the re-base of a ``baseline``
section and the purge of the ``balanced`` closure are redone with the draw's
elasticities, and export controls' licence wedges use them. The dates on which the
policy changes, and under ``adjustment: path`` the horizon of each date, are the central
replay's.

Percentiles are :func:`detente.sweep.quantiles` (Weibull plotting positions). A draw
that fails on a policy state (no equilibrium within ``max_iter``, or an answer that
fails the solver's checks; or its re-base or purge fails) is counted in ``n_failed`` on
every date of that state and listed in :attr:`ReplayBands.failed`; it never enters a
band.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from typing import Any, Literal, cast

import numpy as np

from detente.equilibrium import Closure
from detente.errors import DetenteError
from detente.instruments import licence_equivalent
from detente.policy._replay import Replay, replay
from detente.policy._schema import Scenario
from detente.policy._timeline import (
    apply_variant,
    export_tax_state,
    iceberg_state,
    layer_rates,
    refused_share,
    world_for,
)
from detente.world import World, load_world

#: the series given a band, by (country, date): name -> long name
SERIES = {
    "welfare_pct": "real income change vs baseline, %",
    "real_wage_pct": "real wage change vs baseline, %",
    "cpi_pct": "consumer prices relative to the own nominal wage, %",
    "goods_imports_pct": "goods imports (factory prices) vs baseline, %",
    "goods_exports_pct": "goods exports (factory prices) vs baseline, %",
}
#: the most draws accepted
MAX_DRAWS = 10_000

Progress = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True)
class FailedDraw:
    """A draw without an answer on one policy state (``state`` None: on all of them)."""

    draw: int
    state: str | None
    first_date: dt.date | None
    reason: str


@dataclasses.dataclass(frozen=True, eq=False)
class ReplayBands:
    """The result of :func:`replay_bands`.

    Attributes
    ----------
    dataset : xarray.Dataset
        By (country, date), for each series of :data:`SERIES`: ``<series>`` (central:
        the replay at the central elasticities), ``<series>_lower``, ``<series>_median``,
        ``<series>_upper``; by date: ``n_converged`` and ``n_failed`` (draws); by sector:
        ``theta`` (central, first date) and ``theta_lower`` / ``theta_median`` /
        ``theta_upper`` (the drawn elasticities on the first date). ``attrs``: the
        scenario, variant, elasticity set and horizon, seed, number of draws, level,
        how the s.d. were chosen, seconds.
    replay : Replay
        The central replay.
    failed : tuple of FailedDraw
        Every (draw, state) without an answer.
    """

    dataset: Any  # xarray.Dataset
    replay: Replay
    failed: tuple[FailedDraw, ...]
    states: tuple[tuple[str, dt.date], ...] = ()  # (state key, first date), in the order of the draws' axis
    _values: dict = dataclasses.field(repr=False, default_factory=dict)  # series -> (draw, state, country)
    _ok: np.ndarray | None = dataclasses.field(repr=False, default=None)  # (draw, state) converged

    @property
    def n_draws(self) -> int:
        return int(self.dataset.attrs["n_draws"])

    @property
    def level(self) -> float:
        return float(self.dataset.attrs["level"])

    @property
    def n_failed(self) -> int:
        """Number of (draw, policy state) solves without an answer."""
        return int(len(self.failed))

    def draws(self, series: str = "welfare_pct"):
        """The converged draws of ``series`` as a table (draw, state, first_date, country, value).

        Failed (draw, state) pairs are absent, not NaN.
        """
        import pandas as pd

        vals = self._values[series]
        keys = self.states
        rows = []
        countries = list(self.replay.world.countries)
        assert self._ok is not None  # replay_bands always sets it
        for k, s in zip(*np.nonzero(self._ok)):
            for c, v in zip(countries, vals[k, s]):
                rows.append((int(k), keys[s][0], keys[s][1], c, float(v)))
        return pd.DataFrame(rows, columns=["draw", "state", "first_date", "country", "value"])

    def to_frame(self):
        """One row per (date, country, series): central, lower, median, upper, n_converged, n_failed."""
        import pandas as pd

        ds = self.dataset
        parts = []
        for s in SERIES:
            f = ds[[s, f"{s}_lower", f"{s}_median", f"{s}_upper"]].to_dataframe().reset_index()
            f.columns = (
                ["country", "date", "central", "lower", "median", "upper"]
                if f.columns[0] == "country"
                else ["date", "country", "central", "lower", "median", "upper"]
            )
            f.insert(2, "series", s)
            parts.append(f)
        out = pd.concat(parts, ignore_index=True)
        counts = ds[["n_converged", "n_failed"]].to_dataframe().reset_index()
        out = out.merge(counts, on="date", how="left")
        return out[["date", "country", "series", "central", "lower", "median", "upper", "n_converged", "n_failed"]]

    def to_dict(self, countries: list[str] | None = None) -> dict:
        """JSON-able: the metadata, and per series and country the date series of central and band."""
        ds = self.dataset
        cs = countries or list(ds["country"].values)
        days = [str(d)[:10] for d in ds["date"].values]
        out = {k: (v.item() if hasattr(v, "item") else v) for k, v in ds.attrs.items()}
        out.update(
            dates=days,
            n_converged=[int(x) for x in ds["n_converged"].values],
            n_failed_by_date=[int(x) for x in ds["n_failed"].values],
            failed=[
                {
                    "draw": f.draw,
                    "state": f.state,
                    "first_date": str(f.first_date) if f.first_date else None,
                    "reason": f.reason,
                }
                for f in self.failed[:100]
            ],
            series={},
        )
        for s in SERIES:
            out["series"][s] = {
                c: {
                    q: [
                        None if not np.isfinite(x) else round(float(x), 6)
                        for x in ds[f"{s}{'' if q == 'central' else '_' + q}"].sel(country=c).values
                    ]
                    for q in ("central", "lower", "median", "upper")
                }
                for c in cs
            }
        return out


def relative_sd(world_name: str, set_name: str, horizon: str, relative: float = 0.25) -> tuple[np.ndarray, str]:
    """Per sector: the s.d. of theta over its mean (:func:`detente.sweep.theta_mean_sd`), and a note."""
    from detente.sweep._tasks import theta_mean_sd

    mean_t, sd_t, published = theta_mean_sd(world_name, set_name, horizon, relative)
    mean, sd = np.asarray(mean_t, float), np.asarray(sd_t, float)
    note = (
        f"s.d. published for {sum(published)} of {len(published)} sectors, else {relative:g} x theta"
        if set_name != "world"
        else f"s.d. {relative:g} x theta (the world file's elasticities)"
    )
    return sd / mean, note


def draw_factors(rel_sd: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
    """(draw, sector) multiplicative factors of theta: :func:`detente.sweep.draw_theta` around 1.

    Draw ``k`` uses ``numpy.random.SeedSequence([seed, k])``, as ``whatif --bands`` and
    sweeps do, so it does not depend on ``n_draws``.
    """
    from detente.sweep._tasks import draw_theta

    ones = np.ones(len(rel_sd))
    return (
        np.stack(
            [draw_theta(ones, rel_sd, np.random.default_rng(np.random.SeedSequence([seed, k]))) for k in range(n_draws)]
        )
        if n_draws
        else np.zeros((0, len(rel_sd)))
    )


def _summaries(eq, base_flows: np.ndarray, goods: np.ndarray) -> dict[str, np.ndarray]:
    """The banded series of one equilibrium, per country (axis order of ``SERIES``)."""
    t = eq.trade_flows[:, :, goods]  # (importer, exporter, sector)
    b = base_flows[:, :, goods]
    N = t.shape[0]
    off = ~np.eye(N, dtype=bool)[:, :, None]
    imp, imp0 = (t * off).sum(axis=(1, 2)), (b * off).sum(axis=(1, 2))
    exp, exp0 = (t * off).sum(axis=(0, 2)), (b * off).sum(axis=(0, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "welfare_pct": 100 * (eq.welfare_hat - 1),
            "real_wage_pct": 100 * (eq.real_wage_hat - 1),
            "cpi_pct": 100 * (eq.consumer_price_hat - 1),
            "goods_imports_pct": np.where(imp0 > 0, 100 * (imp / imp0 - 1), np.nan),
            "goods_exports_pct": np.where(exp0 > 0, 100 * (exp / exp0 - 1), np.nan),
        }


def replay_bands(
    scenario: Scenario | str,
    world: World | None = None,
    *,
    n_draws: int = 200,
    seed: int = 0,
    level: float = 0.9,
    variant: str | None = None,
    elasticities: str | None = None,
    horizon: str | None = None,
    adjustment: str | None = None,
    closure: str | None = None,
    relative: float = 0.25,
    max_iter: int = 3000,
    tol: float = 1e-12,
    central: Replay | None = None,
    workers: int = 1,
    progress: Progress | None = None,
) -> ReplayBands:
    """Bands of a replay from ``n_draws`` draws of the trade elasticities.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, or a shipped name or path (:func:`load_scenario`).
    world : World, optional
        The baseline; default the scenario's world.
    n_draws, seed : int
        Number of elasticity draws (2 to :data:`MAX_DRAWS`) and their seed.
    level : float
        Central coverage of the band: 0.9 for the 5th-95th percentiles.
    variant, elasticities, horizon, adjustment, closure :
        As in :func:`~detente.policy.replay`.
    relative : float
        s.d. of theta relative to theta where the set publishes no standard error.
    max_iter, tol : as in :func:`~detente.equilibrium.solve_batch`.
    central : Replay, optional
        The central replay, if already computed with the same options.
    workers : int
        Processes to share the draws among (forked; 1: in this process). The answers do
        not depend on it.
    progress : callable, optional
        ``progress(done, total)`` after each draw.

    Returns
    -------
    ReplayBands
    """
    import xarray as xr

    from detente.policy._schema import load_scenario
    from detente.world._theta import DEFAULT_HORIZON, DEFAULT_SET

    t0 = time.perf_counter()
    if isinstance(scenario, str):
        scenario = load_scenario(scenario)
    if not 2 <= n_draws <= MAX_DRAWS:
        raise DetenteError(f"--bands {n_draws}: give a number of draws between 2 and {MAX_DRAWS}")
    if workers < 1:
        raise DetenteError(f"workers={workers}: give at least 1")
    if not 0 < level < 1:
        raise DetenteError(f"--level {level}: give a coverage between 0 and 1, e.g. 0.9 for 5-95%")
    base = world if world is not None else load_world(scenario.world)
    opts: dict[str, Any] = dict(
        variant=variant, elasticities=elasticities, horizon=horizon, adjustment=adjustment, closure=closure
    )
    rp = central if central is not None else replay(scenario, base, tol=tol, **opts)
    sc = apply_variant(scenario, variant)
    set_name = elasticities or sc.settings.elasticities or DEFAULT_SET
    hz = horizon or sc.settings.horizon or DEFAULT_HORIZON
    rel, note = np.full(base.n_sectors, relative), f"s.d. {relative:g} x theta (no registry s.e. for this world)"
    for world_name in dict.fromkeys([sc.world, base.meta.name]):
        try:
            r, n = relative_sd(world_name, set_name, hz, relative)
        except DetenteError:
            continue
        if len(r) == base.n_sectors:
            rel, note = r, n
            break
    factors = draw_factors(rel, n_draws, seed)
    adjustment = rp.dataset.attrs["adjustment"]
    closure = rp.dataset.attrs["closure"]
    deficits = None if closure == "balanced" else sc.settings.deficits

    # the distinct states of the central replay, with their first date and the central world of that date
    days = rp.dates
    order: list[str] = list(dict.fromkeys(rp.state_keys))
    first = {k: rp.state_keys.index(k) for k in order}
    state_of_date = np.array([order.index(k) for k in rp.state_keys])
    S, N = len(order), rp.world.n_countries
    goods = np.array([s in set(rp.world.goods) for s in rp.world.sectors])
    w_run = world_for(sc, base, elasticities=elasticities, horizon=horizon)
    w_long = (
        world_for(sc, base, elasticities=elasticities, horizon=sc.baseline.horizon) if sc.baseline is not None else None
    )

    # what does not depend on theta, once per state: the layers' sum (pp), icebergs, refused shares
    fixed = []
    for key in order:
        d = days[first[key]]
        layers = sum(layer_rates(rp.world, sc, d).values(), np.zeros(rp.world.tariffs.shape))
        cf_central = rp.equilibria[key].counterfactual  # its critical-input cuts and their horizon
        fixed.append(
            (
                layers,
                iceberg_state(rp.world, sc, d),
                refused_share(rp.world, sc, d),
                (cf_central.critical_cuts, cf_central.critical_horizon),
                export_tax_state(rp.world, sc, d),
            )
        )
    horizon_years = rp.dataset["horizon_years"].values
    ctx = _DrawContext(
        sc,
        w_run,
        w_long,
        cast(Closure, closure),  # the central replay's closure, checked by its solves
        deficits,
        adjustment,
        tuple(order),
        tuple(days[first[key]] for key in order),
        tuple(horizon_years[first[key]] for key in order),
        tuple(np.asarray(rp.equilibria[key].world.theta) for key in order),
        tuple(fixed),
        goods,
        factors,
        tol,
        max_iter,
    )
    values = {s: np.full((n_draws, S, N), np.nan) for s in SERIES}
    ok = np.zeros((n_draws, S), dtype=bool)
    failed: list[FailedDraw] = []
    parts = _split(n_draws, workers)
    if len(parts) > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(len(parts), mp_context=mp.get_context("fork")) as pool:
            done = 0
            for ks, (v, o, fl) in zip(parts, pool.map(_solve_draws, [ctx] * len(parts), parts)):
                for name in SERIES:
                    values[name][ks] = v[name]
                ok[ks] = o
                failed += fl
                done += len(ks)
                if progress is not None:
                    progress(done, n_draws)
        failed.sort(key=lambda fd: (fd.draw, order.index(fd.state) if fd.state in order else -1))
    else:
        step = max(1, min(_DRAWS_PER_BATCH, n_draws))
        for start in range(0, n_draws, step):  # a few batches of draws: one solve_batch each
            ks = list(range(start, min(n_draws, start + step)))
            v, o, fl = _solve_draws(ctx, ks)
            for name in SERIES:
                values[name][ks] = v[name]
            ok[ks] = o
            failed += fl
            if progress is not None:
                progress(ks[-1] + 1, n_draws)

    band = _bands(values, ok, level)
    central_vals = {
        s: np.stack(
            [_summaries(rp.equilibria[key], np.asarray(rp.world.trade_flows), goods)[s] for key in order], axis=0
        )
        for s in SERIES
    }  # (state, country)
    data: dict[str, tuple[Any, ...]] = {}
    for s, long in SERIES.items():
        data[s] = (("country", "date"), central_vals[s][state_of_date].T, {"units": "%", "long_name": long})
        for q in ("lower", "median", "upper"):
            data[f"{s}_{q}"] = (
                ("country", "date"),
                band[s][q][state_of_date].T,
                {"units": "%", "long_name": f"{long}: {q} of the {100 * level:g}% band"},
            )
    n_ok = ok.sum(axis=0)
    data["n_converged"] = (("date",), n_ok[state_of_date])
    data["n_failed"] = (("date",), (n_draws - n_ok)[state_of_date])
    theta0 = np.asarray(rp.equilibria[order[0]].world.theta)
    tq = np.array([_quantiles(theta0[j] * factors[:, j], level) for j in range(len(theta0))])
    data["theta"] = (("sector",), theta0)
    for i, q in enumerate(("lower", "median", "upper")):
        data[f"theta_{q}"] = (("sector",), tq[:, i])
    attrs = {
        "scenario": rp.dataset.attrs["scenario"],
        "variant": rp.dataset.attrs.get("variant", ""),
        "world": rp.dataset.attrs["world"],
        "elasticity_set": set_name,
        "horizon": hz,
        "elasticities": rp.dataset.attrs["elasticities"],
        "adjustment": adjustment,
        "closure": closure,
        "seed": int(seed),
        "n_draws": int(n_draws),
        "level": float(level),
        "band": f"{50 * (1 - level):g}-{50 * (1 + level):g}%",
        "percentiles": "Weibull plotting positions",
        "draws": f"log-normal per sector around the central theta; {note}; numpy SeedSequence([seed, draw])",
        "n_states": S,
        "n_solves": int(S * n_draws),
        "n_failed": int(len(failed)),
        "n_failed_draws": int((~ok).any(axis=1).sum()),
        "seconds": round(time.perf_counter() - t0, 3),
        "detente_version": rp.dataset.attrs.get("detente_version", ""),
    }
    ds = xr.Dataset(
        data,
        coords={
            "country": list(rp.world.countries),
            "sector": list(rp.world.sectors),
            "date": rp.dataset["date"].values,
        },
        attrs=attrs,
    )
    states = tuple((key, days[first[key]]) for key in order)
    return ReplayBands(ds, rp, tuple(failed), states, values, ok)


#: draws solved together in one batch (one progress step each)
_DRAWS_PER_BATCH = 25


@dataclasses.dataclass(frozen=True, eq=False)
class _DrawContext:
    """Everything a draw needs (picklable, for the worker processes); per state in ``keys`` order."""

    scenario: Scenario
    w_run: World
    w_long: World | None
    closure: Closure
    deficits: Literal["baseline", "zero"] | None
    adjustment: str
    keys: tuple[str, ...]
    first_dates: tuple[dt.date, ...]
    horizon_years: tuple[float, ...]
    theta: tuple[np.ndarray, ...]  # the central theta of each state's date
    fixed: tuple[tuple, ...]  # layers (pp), icebergs, refused shares, (critical cuts, horizon), export taxes
    goods: np.ndarray
    factors: np.ndarray  # (draw, sector)
    tol: float
    max_iter: int


def _split(n: int, workers: int) -> list[list[int]]:
    """Draw indices in ``workers`` contiguous parts (fewer when there are few draws)."""
    w = max(1, min(int(workers), n))
    return [list(p) for p in np.array_split(np.arange(n), w) if len(p)]


def _solve_draws(ctx: _DrawContext, ks: list[int]):
    """Solve every policy state for the draws ``ks``: (values by series (k, state, country), ok, failed)."""
    from detente.equilibrium import Counterfactual, purged_world, solve_batch
    from detente.policy._baseline import rebase

    sc, S = ctx.scenario, len(ctx.keys)
    N = ctx.w_run.n_countries
    values = {name: np.full((len(ks), S, N), np.nan) for name in SERIES}
    ok = np.zeros((len(ks), S), dtype=bool)
    failed: list[FailedDraw] = []
    # members of every draw; worlds that differ only in theta share one batch (solve_batch
    # gives each member its own elasticities), re-based or purged worlds get their own
    batches: dict[object, tuple[World, list[tuple[int, int, int, Counterfactual, np.ndarray]]]] = {}
    shared = ctx.w_long is None and ctx.closure != "balanced"
    for r, k in enumerate(ks):
        f = ctx.factors[k]
        try:
            if ctx.w_long is not None:
                reb = rebase(ctx.w_long.replace(theta=ctx.w_long.theta * f), sc, tol=ctx.tol)
                wk = reb.replace(theta=ctx.w_run.theta * f)
            else:
                wk = ctx.w_run.replace(theta=ctx.w_run.theta * f)
            if ctx.closure == "balanced":
                wk = purged_world(wk)
        except DetenteError as e:
            failed += [FailedDraw(k, key, d, f"baseline of the draw: {e}") for key, d in zip(ctx.keys, ctx.first_dates)]
            continue
        tau_k = np.asarray(wk.tariffs)
        flows = np.asarray(wk.trade_flows)
        for s in range(S):
            hy = ctx.horizon_years[s]
            wd = wk if ctx.adjustment != "path" or not hy > 0 else wk.replace(theta=ctx.theta[s] * f)
            layers, ice, refused, (cuts, nest_h), tax = ctx.fixed[s]
            x = (
                licence_equivalent(refused, np.asarray(wd.theta)[None, None, :])
                if refused.any()
                else np.zeros_like(refused)
            )
            x = (1.0 + x) * (1.0 + tax) - 1.0
            ref = Counterfactual.from_world(wd, deficits=ctx.deficits, closure=ctx.closure)
            cf = dataclasses.replace(
                ref,
                tariffs=tau_k + layers / 100.0,
                iceberg=ice,
                export_taxes=x,
                label=f"{sc.name} draw {k} on {ctx.first_dates[s]}",
                critical_cuts=tuple(cuts),
                critical_horizon=nest_h,
            )
            key = "all" if shared else k
            batches.setdefault(key, (ctx.w_run if shared else wk, []))[1].append((r, k, s, cf, flows))
    for wb, members in batches.values():
        res = solve_batch(wb, [m[3] for m in members], tol=ctx.tol, max_iter=ctx.max_iter)
        bad = {fm.index: fm.reason for fm in res.failed}
        for j, (r, k, s, _, flows) in enumerate(members):
            eq = res.equilibria[j]
            if eq is None:
                failed.append(FailedDraw(k, ctx.keys[s], ctx.first_dates[s], bad.get(j, "no answer")))
                continue
            for name, v in _summaries(eq, flows, ctx.goods).items():
                values[name][r, s] = v
            ok[r, s] = True
    return values, ok, failed


def _quantiles(v: np.ndarray, level: float) -> tuple[float, float, float]:
    from detente.sweep._bands import quantiles

    v = np.asarray(v, float)
    v = v[np.isfinite(v)]
    return quantiles(v, level) if len(v) else (np.nan, np.nan, np.nan)


def _bands(values: dict[str, np.ndarray], ok: np.ndarray, level: float) -> dict[str, dict[str, np.ndarray]]:
    """series -> {lower, median, upper}: (state, country) percentiles over the converged draws."""
    out = {}
    for s, v in values.items():
        _, S, N = v.shape
        q = np.full((3, S, N), np.nan)
        for st in range(S):
            sub = v[ok[:, st], st, :]
            for c in range(N):
                q[:, st, c] = _quantiles(sub[:, c], level)
        out[s] = dict(zip(("lower", "median", "upper"), q))
    return out
