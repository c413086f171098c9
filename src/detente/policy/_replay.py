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
from collections.abc import Callable

import numpy as np

from detente.equilibrium import Counterfactual, Equilibrium, solve
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

    dataset: object
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


def average_tariff(weights: np.ndarray, tariffs: np.ndarray, goods: np.ndarray) -> np.ndarray:
    """(n, i) trade-weighted average of ``tariffs`` (n, i, j) over goods sectors.

    ``weights`` (n, i, j) are fixed import values (baseline flows at factory prices);
    pairs without goods trade get NaN.
    """
    w = weights[:, :, goods]
    tot = w.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (w * tariffs[:, :, goods]).sum(axis=2) / tot, np.nan)


def replay(scenario: Scenario, world: World | None = None, *, variant: str | None = None,
           progress: Progress | None = None, tol: float = 1e-12) -> Replay:
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
    w = rebase(world_for(sc, base), sc, tol=tol)
    days = dates(sc)
    N, J = w.n_countries, w.n_sectors
    goods = np.array([s in set(w.goods) for s in w.sectors])
    weights = np.array(w.trade_flows)
    layers = list(dict.fromkeys(list(sc.layers) + [e.tariff.layer for e in sc.events if e.kind == "tariff"]))
    T = len(days)
    out = {k: np.empty((N, T)) for k in ("welfare", "real_wage", "cpi", "revenue")}
    trade = np.empty((N, N, J, T))
    price = np.empty((N, J, T))
    tariff = np.empty((N, N, J, T))
    ice = np.empty((N, N, J, T))
    layer_avg = np.zeros((len(layers), N, N, T))
    equilibria: dict[str, Equilibrium] = {}
    keys: list[str] = []
    for t, d in enumerate(days):
        st = policy_state(w, sc, d)
        eq = equilibria.get(st.key)
        if eq is None:
            cf = Counterfactual(w, st.tariffs, st.iceberg,
                                Counterfactual.from_world(w, deficits=sc.settings.deficits).deficits,
                                label=f"{sc.name}{'/' + sc.variant if sc.variant else ''} on {d}")
            eq = solve(w, cf, tol=tol)
            equilibria[st.key] = eq
        keys.append(st.key)
        out["welfare"][:, t] = 100 * (eq.welfare_hat - 1)
        out["real_wage"][:, t] = 100 * (eq.real_wage_hat - 1)
        out["cpi"][:, t] = 100 * (eq.price_index_hat - 1)
        out["revenue"][:, t] = eq.solution.R
        trade[..., t] = eq.trade_flows
        price[..., t] = 100 * (eq.solution.P_hat - 1)
        tariff[..., t] = 100 * st.tariffs
        ice[..., t] = st.iceberg
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
            "welfare_pct": (("country", "date"), out["welfare"], {"units": "%", "long_name": "real income change vs baseline"}),
            "real_wage_pct": (("country", "date"), out["real_wage"], {"units": "%"}),
            "cpi_pct": (("country", "date"), out["cpi"], {"units": "%", "long_name": "consumer price index change"}),
            "tariff_revenue": (("country", "date"), out["revenue"], {"units": u}),
            "price_pct": (("country", "sector", "date"), price, {"units": "%", "long_name": "sectoral price index change vs baseline"}),
            "trade": (("importer", "exporter", "sector", "date"), trade, {"units": u, "long_name": "sales at factory prices"}),
            "trade_base": (("importer", "exporter", "sector"), weights, {"units": u}),
            "tariff_pct": (("importer", "exporter", "sector", "date"), tariff, {"units": "%"}),
            "trade_cost_factor": (("importer", "exporter", "sector", "date"), ice, {"units": "1", "long_name": "iceberg factor (export controls, NTMs)"}),
            "avg_tariff_pct": (("importer", "exporter", "date"), avg, {"units": "%", "long_name": "average tariff, baseline-import weights, goods"}),
            "avg_additional_tariff_pct": (("importer", "exporter", "date"), extra, {"units": "pp", "long_name": "average of the scenario's layers"}),
            "layer_pct": (("layer", "importer", "exporter", "date"), layer_avg, {"units": "pp"}),
            "state": (("date",), np.array(keys, dtype=object)),
        },
        coords={"country": c, "importer": c, "exporter": c, "sector": s, "layer": layers,
                "date": np.array(days, dtype="datetime64[D]")},
        attrs=_provenance(sc, w, len(equilibria)),
    )
    return Replay(ds, sc, w, equilibria, tuple(keys), len(equilibria))


def _provenance(sc: Scenario, w: World, n_solves: int) -> dict:
    from detente import __version__

    return {"scenario": sc.name, "scenario_file": sc.path, "variant": sc.variant or "",
            "world": w.meta.name, "vintage": w.meta.vintage, "units": w.meta.units,
            "deficits": sc.settings.deficits, "n_solves": n_solves, "detente_version": __version__,
            "numeraire": "world value added (fixed)",
            "reading": "each date: static equilibrium under the policy then in force, vs the baseline"}
