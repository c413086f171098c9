"""Who blinks first: a war of attrition over a tariff standoff.

Two sides hold a *standoff* state (say the April 2025 peak: US +145 pp, China +125 pp)
instead of a *truce* state they could have by talking (say the Geneva terms). Each week
of the standoff costs side i

.. math::  c_i(w) = \\frac{U_i(\\text{truce}) - U_i(\\text{standoff})}{52} + 100\\,(1+\\sigma_i)\\frac{S_i(w)}{I_i}

in percent of annual baseline income: the weekly share of the annual objective lost in
the static equilibrium of the standoff against the truce (real income by default, or
revealed political objectives), plus the value added lost that week to critical-input
shortages ``S_i(w)`` (USD million a week, from the weekly shortage model when given,
:func:`weekly_shortage_losses`), weighted by one plus the objective's security weight.
Shortages build up as inventories run down, so the cost path is not linear.

Side i *blinks* (must seek talks) in the week its cumulative cost
``C_i(w) = sum_{v <= w} c_i(v)`` crosses its threshold ``theta_i`` (percent of annual
income; user-set). The crossing is interpolated linearly within the week. The side
that crosses first is the one that must seek talks; it does so at its crossing date.

This is the simplest reading of a war of attrition (Maynard Smith 1974; Fudenberg and
Tirole 1986): each side concedes when the cost of holding out reaches what it is
prepared to lose; with equal thresholds the side whose costs grow faster concedes
first. :meth:`Attrition.cost_at` gives the costs borne by a date, i.e. the tolerance a
side *revealed* if it sought talks then.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, SupportsFloat, cast

import numpy as np

from detente._defaults import DEFAULT_PAIR
from detente.errors import DetenteError
from detente.strategy._objective import Objective

START_2025 = dt.date(2025, 4, 7)  # Monday of the week the April 2025 peak took effect (10-12 April)
EVENTS_2025 = {
    "Geneva talks (10-12 May 2025)": dt.date(2025, 5, 10),
    "London talks (9-10 June 2025)": dt.date(2025, 6, 9),
}


@dataclasses.dataclass(frozen=True)
class Attrition:
    """Weekly and cumulative standoff costs, the threshold crossings and who blinks first."""

    players: tuple[str, ...]
    start: dt.date
    weeks: int
    tariff_cost: np.ndarray  # (P,) % of annual income per week, from the equilibrium
    shortage_cost: np.ndarray  # (weeks, P) % of annual income per week
    thresholds: np.ndarray  # (P,) cumulative, % of annual income
    income: np.ndarray  # (P,) baseline income, world units (USD million)
    objectives: tuple[Objective, ...]
    notes: tuple[str, ...] = ()

    @property
    def weekly(self) -> np.ndarray:
        """(weeks, P) cost per week, % of annual income."""
        return self.tariff_cost[None, :] + self.shortage_cost

    @property
    def cumulative(self) -> np.ndarray:
        """(weeks, P) cumulative cost at the end of each week, % of annual income."""
        return np.cumsum(self.weekly, axis=0)

    def crossing_week(self, player: int | str) -> float:
        """Weeks from ``start`` until the player's cumulative cost reaches its threshold (inf if never)."""
        k = self._index(player)
        return crossing(self.weekly[:, k], float(self.thresholds[k]))

    def crossing_date(self, player: int | str) -> dt.date | None:
        w = self.crossing_week(player)
        return None if not math.isfinite(w) else self.start + dt.timedelta(days=round(7 * w))

    @property
    def first(self) -> str | None:
        """The side that blinks first (None if neither crosses within the horizon)."""
        w = [self.crossing_week(k) for k in range(len(self.players))]
        k = int(np.argmin(w))
        return None if not math.isfinite(w[k]) else self.players[k]

    def cost_at(self, day: dt.date) -> np.ndarray:
        """(P,) cumulative cost borne by ``day`` (interpolated within the week), % of annual income."""
        x = (day - self.start).days / 7.0
        cum = np.vstack([np.zeros(len(self.players)), self.cumulative])
        if x <= 0:
            return cum[0]
        i = min(int(math.floor(x)), self.weeks - 1)
        f = min(x - i, 1.0)
        return cum[i] + f * (cum[i + 1] - cum[i])

    def _index(self, player) -> int:
        return self.players.index(player) if isinstance(player, str) else int(player)

    def table(self):
        """pandas DataFrame: week, date, weekly and cumulative costs by player (% of income and USD bn)."""
        import pandas as pd

        rows = []
        cum = self.cumulative
        for w in range(self.weeks):
            row = {"week": w + 1, "week_end": (self.start + dt.timedelta(days=7 * (w + 1))).isoformat()}
            for k, p in enumerate(self.players):
                row[f"{p}_tariff_pct"] = float(self.tariff_cost[k])
                row[f"{p}_shortage_pct"] = float(self.shortage_cost[w, k])
                row[f"{p}_cum_pct"] = float(cum[w, k])
                row[f"{p}_cum_usd_bn"] = float(cum[w, k] / 100 * self.income[k] / 1000)
            rows.append(row)
        return pd.DataFrame(rows).set_index("week")

    def summary(self) -> dict:
        out: dict[str, Any] = {
            "players": list(self.players),
            "start": self.start.isoformat(),
            "weeks": self.weeks,
            "first": self.first,
            "notes": list(self.notes),
            "sides": [],
        }
        for k, p in enumerate(self.players):
            w = self.crossing_week(k)
            d = self.crossing_date(k)
            out["sides"].append(
                {
                    "player": p,
                    "threshold_pct": float(self.thresholds[k]),
                    "threshold_usd_bn": float(self.thresholds[k] / 100 * self.income[k] / 1000),
                    "tariff_cost_pct_per_week": float(self.tariff_cost[k]),
                    "tariff_cost_usd_bn_per_week": float(self.tariff_cost[k] / 100 * self.income[k] / 1000),
                    "shortage_cost_pct_total": float(self.shortage_cost[:, k].sum()),
                    "crossing_week": float(w) if math.isfinite(w) else None,
                    "crossing_date": d.isoformat() if d else None,
                }
            )
        return out


def crossing(weekly: np.ndarray, threshold: float) -> float:
    """Weeks until the cumulative sum of ``weekly`` reaches ``threshold``, interpolated within the week."""
    if threshold <= 0:
        return 0.0
    cum = 0.0
    for w, c in enumerate(np.asarray(weekly, float)):
        if c > 0 and cum + c >= threshold:
            return float(w + (threshold - cum) / c)
        cum += c
    return math.inf


def weekly_shortage_losses(world, restrictions, *, start: dt.date, weeks: int, registry=None) -> dict[str, np.ndarray]:
    """Value added lost each week by country (USD million a week) under ``restrictions``.

    Runs :func:`detente.shortage.simulate` on ``world``; countries with no loss are left out.
    """
    from detente.shortage import simulate

    ds = simulate(world, list(restrictions), start=start, weeks=weeks, registry=registry).dataset
    va = ds["va_lost"].sum("sector")
    out = {}
    for c in world.countries:
        v = np.asarray(va.sel(country=c).values, float)
        if v.any():
            out[c] = v
    return out


def rare_earth_standoff(start: dt.date = START_2025, scenario: str = "rare-earth-magnets-2025", registry=None):
    """China's rare-earth licences as of ``start``, frozen: the standoff without any relief.

    Takes the scenario's licence steps already in force at ``start`` (for 2025: the
    4 April 2025 regime, per-shipment licences with a 4-9 week review and low approval
    shares) and keeps them for ever (later steps, London's relief included, are dropped).
    """
    from detente.policy import load_scenario
    from detente.shortage import load_registry, restrictions_from_scenario

    registry = registry or load_registry()
    rs = restrictions_from_scenario(load_scenario(scenario), registry)
    keep = [dataclasses.replace(r, end=None) for r in rs if r.start <= start and (r.end is None or r.end > start)]
    if not keep:
        raise DetenteError(f"scenario {scenario!r} has no licence step in force on {start}")
    return keep


def attrition(
    world,
    players: Sequence[str] = DEFAULT_PAIR,
    *,
    standoff,
    truce=None,
    objectives: Sequence[Objective] | None = None,
    thresholds: float | Sequence[float] | Mapping = 0.1,
    shortage: Mapping[str, np.ndarray] | None = None,
    weeks: int = 26,
    start: dt.date = START_2025,
) -> Attrition:
    """Cost paths, threshold crossings and who blinks first (module docstring).

    ``standoff``, ``truce``: Counterfactuals (the truce defaults to the world's baseline).
    ``thresholds``: cumulative cost at which each side seeks talks, percent of annual
    income (one value for all, a sequence, or a mapping by player). ``shortage``: value
    added lost by country, USD million a week by week from ``start`` (e.g.
    :func:`weekly_shortage_losses`); missing weeks count as zero.
    """
    from detente.equilibrium import Counterfactual, solve
    from detente.strategy._gradient import objective_values

    players = tuple(players)
    if weeks < 1:
        raise DetenteError(f"weeks must be >= 1, got {weeks}")
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    if [o.country for o in objectives] != list(players):
        raise DetenteError("objectives must be given in the order of the players")
    if isinstance(thresholds, Mapping):
        th = np.array([float(thresholds[p]) for p in players])
    elif np.ndim(thresholds) == 0:
        th = np.full(len(players), float(cast("SupportsFloat", thresholds)))  # 0-d: a single number
    else:
        th = np.asarray(thresholds, float)
        if th.shape != (len(players),):
            raise DetenteError(f"need one threshold per player, got {thresholds!r}")
    truce = truce if truce is not None else Counterfactual.from_world(world)
    u_s = objective_values(world, solve(world, standoff).solution, objectives)
    u_t = objective_values(world, solve(world, truce).solution, objectives)
    tariff = (np.asarray(u_t) - np.asarray(u_s)) / 52.0
    income = np.array([world.income[world.country_index(p)] for p in players], float)
    short = np.zeros((weeks, len(players)))
    for k, (p, o) in enumerate(zip(players, objectives)):
        v = np.asarray((shortage or {}).get(p, ()), float)[:weeks]
        short[: len(v), k] = 100.0 * (1.0 + o.security_weight) * v / income[k]
    notes = (
        f"standoff: {standoff.describe()}",
        f"truce: {truce.describe()}",
        "objectives: " + "; ".join(o.describe() for o in objectives),
        "shortage losses: " + ("weekly shortage model" if shortage else "none"),
    )
    return Attrition(players, start, weeks, tariff, short, th, income, objectives, notes)


def attrition_2025(
    world,
    *,
    shortage: bool = True,
    thresholds: float | Sequence[float] | Mapping = 0.1,
    truce: str = "geneva-2025",
    objectives=None,
    weeks: int = 26,
    registry=None,
) -> Attrition:
    """The April 2025 standoff: the peak tariffs (+ China's frozen rare-earth licences) vs ``truce``.

    ``truce``: ``"geneva-2025"`` (the terms on offer: US +30, China +10 pp) or
    ``"baseline"`` (the 2022 tariffs).
    """
    from detente.equilibrium import Counterfactual

    def preset(name):
        from detente.presets import get_preset

        return Counterfactual.from_world(world).apply(*get_preset(name).instruments()).with_label(name)

    if truce not in ("geneva-2025", "baseline"):
        raise DetenteError(f"truce must be 'geneva-2025' or 'baseline', got {truce!r}")
    losses = None
    if shortage:
        losses = weekly_shortage_losses(
            world, rare_earth_standoff(START_2025, registry=registry), start=START_2025, weeks=weeks, registry=registry
        )
    t_cf = preset("geneva-2025") if truce == "geneva-2025" else Counterfactual.from_world(world)
    return attrition(
        world,
        DEFAULT_PAIR,  # the 2025 presets are between the default pair
        standoff=preset("april-2025-peak"),
        truce=t_cf,
        objectives=objectives,
        thresholds=thresholds,
        shortage=losses,
        weeks=weeks,
        start=START_2025,
    )
