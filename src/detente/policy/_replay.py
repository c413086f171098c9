"""Replaying a scenario: the equilibrium under the policy in force at each date.

Each date's policy state (tariffs and iceberg factors) is solved as a static general
equilibrium relative to the world's baseline: the numbers on a date read "if the policy
in force on that date held for a year, compared with the baseline year". Identical
states are solved once (cached by :func:`~detente.policy._timeline.state_key`).

Average tariffs follow the trackers (PIIE's US-China tariff chart): the tariff each
country applies to a partner, averaged over goods sectors with fixed weights, the
baseline bilateral imports at factory prices by sector (pre-war weights, so the average
moves only with the tariffs). ``avg_tariff_pct`` includes the baseline (MFN, 2018-19
Section 301, retaliation in the world data); ``avg_additional_tariff_pct`` is the sum of
the scenario's layers only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import warnings
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from detente.equilibrium import Closure, Counterfactual, Equilibrium, share_warning, solve
from detente.errors import ScenarioError
from detente.policy._baseline import rebase
from detente.policy._schema import Scenario, check_labels
from detente.policy._timeline import apply_variant, dates, events_on, policy_state, world_for
from detente.world import World, load_world

Progress = Callable[[int, int, dt.date], None]


@dataclasses.dataclass(frozen=True, eq=False)
class Replay:
    """The result of :func:`replay`: labelled time series and the solved states.

    Attributes
    ----------
    dataset : xarray.Dataset
        Series with a ``date`` dimension (see :func:`replay` for the variables).
    scenario : Scenario
        The scenario with the variant applied.
    world : World
        The world solved (elasticity overrides applied).
    equilibria : dict
        Solved :class:`~detente.equilibrium.Equilibrium` by state key.
    state_keys : tuple of str
        The state key on each date (aligned with ``dataset.date``).
    n_solves : int
        Number of equilibrium solves (distinct policy states).
    """

    dataset: Any  # xarray.Dataset
    scenario: Scenario
    world: World
    equilibria: dict[str, Equilibrium]
    state_keys: tuple[str, ...]
    n_solves: int

    @property
    def dates(self) -> list[dt.date]:
        return [d.astype("datetime64[D]").astype(dt.date) for d in self.dataset["date"].values]

    def change_points(self) -> list[tuple[dt.date, str, list[str]]]:
        """(date, state key, events) at the first date and each date the state changes."""
        out, prev = [], None
        for d, k in zip(self.dates, self.state_keys, strict=True):
            if k != prev:
                out.append((d, k, events_on(self.scenario, d)))
            prev = k
        return out

    def equilibrium_on(self, date: dt.date) -> Equilibrium:
        """The solved equilibrium for the policy in force on ``date`` (a replay date)."""
        return self.equilibria[self.state_keys[self.dates.index(date)]]

    def in_force(self, date: dt.date) -> dt.date:
        """The replay date whose policy is in force on ``date``: the last one on or before it."""
        days = [d for d in self.dates if d <= date]
        if not days:
            raise ScenarioError(f"{date} is before the replay's first date {self.dates[0]}")
        return days[-1]


def average_tariff(weights: np.ndarray, tariffs: np.ndarray, goods: np.ndarray) -> np.ndarray:
    """(n, i) trade-weighted average of ``tariffs`` (n, i, j) over goods sectors.

    ``weights`` (n, i, j) are fixed import values (baseline flows at factory prices);
    pairs without goods trade get NaN.
    """
    w = weights[:, :, goods]
    tot = w.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (w * tariffs[:, :, goods]).sum(axis=2) / tot, np.nan)


def replay(
    scenario: Scenario,
    world: World | None = None,
    *,
    variant: str | None = None,
    elasticities: str | None = None,
    horizon: str | None = None,
    adjustment: str | None = None,
    closure: str | None = None,
    progress: Progress | None = None,
    tol: float = 1e-12,
) -> Replay:
    """Solve the equilibrium under the policy in force at each date of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (:func:`load_scenario`).
    world : World, optional
        The baseline; default ``load_world(scenario.world)``. A scenario with a
        ``baseline`` section re-bases it first (:func:`~detente.policy.rebase`): the
        equilibrium at the baseline tariffs becomes the replay's world, so welfare,
        prices and the average-tariff weights are relative to the re-based world.
    variant : str, optional
        A variant name, or several joined by ``+`` (composed left to right).
    elasticities, horizon, adjustment : str, optional
        Replace the scenario's ``settings`` of the same names: the trade-elasticity set,
        its horizon (``1y``, ``3y``, ``long`` or years) and ``"fixed"`` (every date at
        the horizon) or ``"path"`` (each date at the time elapsed since the policy
        changes in force, :func:`elapsed_horizon`). The re-base (``baseline`` section)
        uses the baseline's own horizon (default long run).
    closure : str, optional
        Replaces ``settings.closure``: ``fixed-deficits``, ``fixed-ratios`` or
        ``balanced`` (the world is purged of deficits first and every date is relative
        to the purged world).
    progress : callable, optional
        Called as ``progress(done, total, date)`` after each date.

    Returns
    -------
    Replay
        ``dataset`` holds, by ``date``: ``welfare_pct``, ``real_wage_pct``, ``cpi_pct``,
        ``tariff_revenue`` (country); ``price_pct`` (country, sector: sectoral price
        index change); ``trade`` (importer, exporter, sector; factory
        prices, world units), ``tariff_pct`` (importer, exporter, sector; total tariff);
        ``trade_cost_factor`` (iceberg); ``avg_tariff_pct`` and
        ``avg_additional_tariff_pct`` (importer, exporter); ``layer_pct`` (layer,
        importer, exporter; trade-weighted average of each layer); ``state`` (key).
    """
    import xarray as xr

    sc = apply_variant(scenario, variant)
    base = world if world is not None else load_world(sc.world)
    check_labels(sc, base)
    adjustment = adjustment or sc.settings.adjustment
    if adjustment not in ("fixed", "path"):
        raise ScenarioError(f"adjustment {adjustment!r}: choose 'fixed' or 'path'")
    if adjustment == "path" and (elasticities or sc.settings.elasticities) == "world":
        raise ScenarioError(
            "adjustment 'path' needs an elasticity set with a horizon path; "
            "'world' (the world file's own elasticities) has none"
        )
    w_run = world_for(sc, base, elasticities=elasticities, horizon=horizon)
    if sc.baseline is not None:
        w_long = world_for(sc, base, elasticities=elasticities, horizon=sc.baseline.horizon)
        rebased = rebase(w_long, sc, tol=tol)
        w = rebased.replace(
            theta=w_run.theta,
            meta=dataclasses.replace(
                rebased.meta, elasticities=w_run.meta.elasticities + f"; re-based at {w_long.meta.elasticities}"
            ),
        )
    else:
        w = w_run
    closure = closure or sc.settings.closure
    if closure == "balanced":
        from detente.equilibrium import purged_world

        w = purged_world(w)
    deficits = None if closure == "balanced" else sc.settings.deficits
    horizon_label = w_run.meta.elasticities
    if adjustment == "path":
        horizon_label = (
            f"{elasticities or sc.settings.elasticities or 'default'} on an adjustment path "
            "(each date: the time elapsed since the policy changes in force)"
        )
    days = dates(sc)
    N, J = w.n_countries, w.n_sectors
    goods = np.array([s in set(w.goods) for s in w.sectors])
    weights = np.array(w.trade_flows)
    layers = list(
        dict.fromkeys(
            list(sc.layers) + [e.tariff.layer for e in sc.events if e.kind == "tariff" and e.tariff is not None]
        )
    )
    T = len(days)
    out = {k: np.empty((N, T)) for k in ("welfare", "real_wage", "cpi", "revenue")}
    trade = np.empty((N, N, J, T))
    price = np.empty((N, J, T))
    tariff = np.empty((N, N, J, T))
    ice = np.empty((N, N, J, T))
    xt = np.empty((N, N, J, T))
    layer_avg = np.zeros((len(layers), N, N, T))
    equilibria: dict[str, Equilibrium] = {}
    keys: list[str] = []
    clock = _ChangeClock(w) if adjustment == "path" else None
    from detente.world._theta import DEFAULT_HORIZON, normalise_horizon

    nest_horizon = normalise_horizon(horizon or sc.settings.horizon or DEFAULT_HORIZON)
    warned: list[str] = []
    horizons = np.full(T, np.nan)
    for t, d in enumerate(days):
        st = policy_state(w, sc, d)
        wd, key = w, st.key
        if clock is not None:
            assert st.export_taxes is not None  # policy_state always sets them
            years = clock.advance(d, st.tariffs, st.iceberg * (1.0 + st.export_taxes))
            horizons[t] = years
            if years > 0:
                wd = world_for(sc, w, elasticities=elasticities, horizon=f"{years:g}y")
                st = policy_state(wd, sc, d)  # export controls' iceberg equivalents use the date's theta
                key = f"{st.key}@{years:g}y"
        eq = equilibria.get(key)
        if eq is None:
            # from_world checks the closure's value
            ref = Counterfactual.from_world(wd, deficits=deficits, closure=cast(Closure, closure))
            if st.critical:  # the nest at the date's horizon (docs/model.md, section 5b)
                nest_h = f"{horizons[t]:g}y" if clock is not None and horizons[t] > 0 else nest_horizon
                ref = dataclasses.replace(ref, critical_horizon=nest_h)
            cf = dataclasses.replace(st.apply(ref), label=f"{sc.name}{'/' + sc.variant if sc.variant else ''} on {d}")
            eq = solve(wd, cf, tol=tol)
            equilibria[key] = eq
            moved = share_warning(eq)
            if moved:
                warned.append(f"{d}: {moved}")
        keys.append(key)
        out["welfare"][:, t] = 100 * (eq.welfare_hat - 1)
        out["real_wage"][:, t] = 100 * (eq.real_wage_hat - 1)
        out["cpi"][:, t] = 100 * (eq.consumer_price_hat - 1)
        out["revenue"][:, t] = eq.solution.R
        trade[..., t] = eq.trade_flows
        price[..., t] = 100 * (eq.solution.P_hat - 1)
        tariff[..., t] = 100 * st.tariffs
        ice[..., t] = st.iceberg
        assert st.export_taxes is not None  # policy_state always sets them
        xt[..., t] = 100 * st.export_taxes
        for li, name in enumerate(layers):
            layer_avg[li, :, :, t] = average_tariff(weights, st.layers.get(name, np.zeros((N, N, J))), goods)
        if progress is not None:
            progress(t + 1, T, d)
    avg = np.stack([average_tariff(weights, tariff[..., t], goods) for t in range(T)], axis=-1)
    extra = np.nansum(layer_avg, axis=0) if layers else np.zeros((N, N, T))
    c, s = list(w.countries), list(w.sectors)
    u = w.meta.units
    ds = xr.Dataset(
        {
            "welfare_pct": (
                ("country", "date"),
                out["welfare"],
                {"units": "%", "long_name": "real income change vs baseline"},
            ),
            "real_wage_pct": (("country", "date"), out["real_wage"], {"units": "%"}),
            "cpi_pct": (
                ("country", "date"),
                out["cpi"],
                {"units": "%", "long_name": "consumer prices relative to the own nominal wage"},
            ),
            "tariff_revenue": (("country", "date"), out["revenue"], {"units": u}),
            "price_pct": (
                ("country", "sector", "date"),
                price,
                {"units": "%", "long_name": "sectoral price index change vs baseline"},
            ),
            "trade": (
                ("importer", "exporter", "sector", "date"),
                trade,
                {"units": u, "long_name": "sales at factory prices"},
            ),
            "trade_base": (("importer", "exporter", "sector"), weights, {"units": u}),
            "tariff_pct": (("importer", "exporter", "sector", "date"), tariff, {"units": "%"}),
            "trade_cost_factor": (
                ("importer", "exporter", "sector", "date"),
                ice,
                {"units": "1", "long_name": "iceberg factor (non-tariff measures)"},
            ),
            "licence_wedge_pct": (
                ("importer", "exporter", "sector", "date"),
                xt,
                {"units": "%", "long_name": "export-tax equivalent of export licences (rent to the exporter)"},
            ),
            "avg_tariff_pct": (
                ("importer", "exporter", "date"),
                avg,
                {"units": "%", "long_name": "average tariff, baseline-import weights, goods"},
            ),
            "avg_additional_tariff_pct": (
                ("importer", "exporter", "date"),
                extra,
                {"units": "pp", "long_name": "average of the scenario's layers"},
            ),
            "layer_pct": (("layer", "importer", "exporter", "date"), layer_avg, {"units": "pp"}),
            "state": (("date",), np.array(keys, dtype=object)),
            "horizon_years": (
                ("date",),
                horizons,
                {
                    "units": "years",
                    "long_name": "elasticity horizon on each date (adjustment path; NaN: fixed horizon)",
                },
            ),
        },
        coords={
            "country": c,
            "importer": c,
            "exporter": c,
            "sector": s,
            "layer": layers,
            "date": np.array(days, dtype="datetime64[D]"),
        },
        attrs={
            **_provenance(sc, w, len(equilibria)),
            "elasticities": horizon_label,
            "adjustment": adjustment,
            "closure": closure,
            "warnings": json.dumps(warned),
        },
    )
    if warned:
        warnings.warn(
            f"{len(warned)} of the {len(equilibria)} policy states move trade shares by more "
            f"than 10x; the first on {warned[0]}",
            UserWarning,
            stacklevel=2,
        )
    return Replay(ds, sc, w, equilibria, tuple(keys), len(equilibria))


def _provenance(sc: Scenario, w: World, n_solves: int) -> dict:
    from detente import __version__

    return {
        "scenario": sc.name,
        "scenario_file": sc.path,
        "variant": sc.variant or "",
        "world": w.meta.name,
        "vintage": w.meta.vintage,
        "units": w.meta.units,
        "deficits": sc.settings.deficits,
        "n_solves": n_solves,
        "detente_version": __version__,
        "numeraire": "world value added (fixed)",
        "reading": "each date: static equilibrium under the policy then in force, vs the baseline",
    }


def goods_trade_change(
    ds, world: World, importer: str, exporter: str, start: str | None = None, end: str | None = None
) -> float:
    """Mean % change of goods sales exporter -> importer over the replay dates in [start, end]
    (default: the whole period), against the replay's baseline."""
    goods = [s for s in world.sectors if s in set(world.goods)]
    t = ds["trade"].sel(importer=importer, exporter=exporter, sector=goods).sum("sector")
    b = float(ds["trade_base"].sel(importer=importer, exporter=exporter, sector=goods).sum())
    return float(100 * (t.sel(date=slice(start, end)).mean() / b - 1))


class _ChangeClock:
    """Time since the policy changes in force, for the adjustment path.

    Each cell (importer, exporter, sector) remembers the date its trade cost last
    changed. On a date, the horizon is the mean age of the cells whose trade cost
    differs from the baseline, weighted by baseline flow x |log trade-cost change|,
    floored at one week; 0 when nothing differs (no solve needs a horizon then).
    Limits (docs/elasticities.md): one horizon per date for all flows; a change of a
    cell restarts its clock, even a partial reversal.
    """

    FLOOR_YEARS = 7 / 365.25

    def __init__(self, world: World) -> None:
        self.flows = np.array(world.trade_flows)
        self.tau0 = np.array(world.tariffs)
        self.last: np.ndarray | None = None
        self.since: np.ndarray | None = None

    def advance(self, date: dt.date, tariffs: np.ndarray, iceberg: np.ndarray) -> float:
        logk = np.log((1.0 + tariffs) / (1.0 + self.tau0) * iceberg)
        day = np.datetime64(date, "D")
        if self.last is None:
            self.since = np.full(logk.shape, day)
        else:
            assert self.since is not None  # set together with self.last
            changed = ~np.isclose(logk, self.last, rtol=0, atol=1e-12)
            self.since = np.where(changed, day, self.since)
        self.last = logk
        weight = self.flows * np.abs(logk)
        total = weight.sum()
        if total <= 0:
            return 0.0
        age_days = (day - self.since).astype(float)
        years = max(float((weight * age_days).sum() / total) / 365.25, self.FLOOR_YEARS)
        return round(years * 52) / 52  # whole weeks, so equal ages share one solve
