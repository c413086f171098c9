"""Export-licence regimes on critical inputs, day by day and week by week.

A :class:`Restriction` is one dated step of a licence regime: exporter, importers,
product, approval share, review lag, licence type (``per_shipment``, ``general``,
``ban``), start and end. The steps of one regime form its path (0.25 -> 0.6 -> ...):
on each day the latest step in force defines the regime, the rule of the scenario
timeline (docs/scenarios.md). For one day and one (product, exporter, importer):

- ``ban``: approval 0;
- ``per_shipment``: 0 for the first ``review_days`` days after the step's date, then
  ``approval``;
- ``general``: ``approval`` from the first day (no review lag);
- no regime in force: 1.

Several regimes on the same cell combine by the minimum (the tightest binds). Weekly
approval is the mean of the week's seven days. :func:`shipped_share` turns approvals
into the share of a user country's orders that ship: licensed supply plus other
suppliers ramping up (``max_substitution`` of the refused supply, reached linearly over
``ramp_weeks`` from the first restricted week).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np

from detente.errors import DataError, ScenarioError
from detente.instruments import LICENCES, approval_on  # one reading for both models


@dataclasses.dataclass(frozen=True)
class Restriction:
    """One dated step of an export-licence regime on a critical input."""

    product: str
    exporter: str
    importers: tuple[str, ...] | str = "all"
    start: dt.date = dt.date(2025, 1, 1)
    end: dt.date | None = None  # first day no longer in force
    approval: float = 0.0
    review_days: int = 0
    licence: str = "per_shipment"
    regime: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        if self.licence not in LICENCES:
            raise DataError(f"restriction {self.label or self.product}: licence must be one of "
                            f"{LICENCES}, got {self.licence!r}")
        if not 0.0 <= self.approval <= 1.0:
            raise DataError(f"restriction {self.label or self.product}: approval share must be in "
                            f"[0, 1], got {self.approval}")
        if self.review_days < 0:
            raise DataError(f"restriction {self.label or self.product}: review_days must be >= 0")
        if self.end is not None and self.end <= self.start:
            raise DataError(f"restriction {self.label or self.product}: end {self.end} is not after "
                            f"start {self.start}")

    def approval_on(self, day: dt.date) -> float:
        """Approval share on ``day`` while this step is in force (the static model's reading too)."""
        return approval_on(self.licence, self.start, self.review_days, self.approval, day)

    def in_force(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


def restrictions_from_scenario(scenario, registry=None) -> list[Restriction]:
    """The export-control events of ``scenario`` that name a ``product``.

    Events without ``product`` act on the static model only. A product the registry
    does not know is an error naming the event.
    """
    out = []
    for k, e in enumerate(scenario.events):
        if e.kind != "export_control" or e.export_control.product is None:
            continue
        x = e.export_control
        if registry is not None and x.product not in registry:
            raise ScenarioError(f"{scenario.path}: {e.label(k)}.export_control.product = {x.product!r}: "
                                f"unknown critical input (known: {', '.join(registry.ids)})")
        imp = x.importers
        imp = tuple(s.strip() for s in (imp.split(",") if isinstance(imp, str) else imp) if s.strip())
        exp = [s.strip() for s in (x.exporter.split(",") if isinstance(x.exporter, str) else x.exporter)]
        for ex in exp:
            out.append(Restriction(product=x.product, exporter=ex, importers=imp, start=e.date, end=e.until,
                                   approval=x.approval_share, review_days=x.review_days, licence=x.licence,
                                   regime=x.regime or e.id or f"events[{k}]", label=e.label(k)))
    return out


def _countries(sel, world) -> list[int]:
    from detente.shortage._registry import world_countries_of

    names = [sel] if isinstance(sel, str) else list(sel)
    out: list[int] = []
    for s in names:
        if s.lower() in ("all", "*"):
            return list(range(world.n_countries))
        idx = world_countries_of(s, world)
        if not idx:
            world.country_index(s)  # raises with suggestions
        out.extend(idx)
    return sorted(set(out))


def approval_schedule(restrictions: Sequence[Restriction], world, products: Sequence[str],
                      week_starts: Sequence[dt.date]) -> np.ndarray:
    """(T, P, I, N) weekly approval share of exports of product p from i to n (1 = free)."""
    P, N, T = len(products), world.n_countries, len(week_starts)
    a = np.ones((T, P, N, N))
    pidx = {p: k for k, p in enumerate(products)}
    regimes: dict[tuple[str, str], list[Restriction]] = {}
    for r in restrictions:
        if r.product not in pidx:
            continue
        regimes.setdefault((r.regime or r.label, r.product), []).append(r)
    masks = {}
    for steps in regimes.values():
        for r in steps:
            m = np.zeros((N, N), dtype=bool)
            m[np.ix_(_countries(r.exporter, world), _countries(r.importers, world))] = True
            np.fill_diagonal(m, False)  # domestic sales are never licensed
            masks[id(r)] = m
    for t, w0 in enumerate(week_starts):
        for (_, prod), steps in regimes.items():
            p = pidx[prod]
            week = np.zeros((N, N))
            for dd in range(7):
                day = w0 + dt.timedelta(days=dd)
                live = [r for r in steps if r.in_force(day)]
                day_a = np.ones((N, N))
                if live:
                    r = max(live, key=lambda s: (s.start, steps.index(s)))
                    day_a[masks[id(r)]] = r.approval_on(day)
                week += day_a
            np.minimum(a[t, p], week / 7.0, out=a[t, p])
    return a


def licensed_share(a_tpin: np.ndarray, sourcing_pni: np.ndarray) -> np.ndarray:
    """(T, P, N) share of country n's orders of p that restricted-or-free suppliers ship.

    Suppliers outside ``sourcing`` (rows summing to less than one) are never restricted.
    """
    listed = np.einsum("pni,tpin->tpn", sourcing_pni, a_tpin)
    return listed + (1.0 - sourcing_pni.sum(axis=2))[None]


def shipped_share(licensed_tpn: np.ndarray, max_subst_p: np.ndarray, ramp_p: np.ndarray) -> np.ndarray:
    """(..., T, P, N) licensed share plus substitution by other suppliers.

    ``licensed_tpn`` may carry leading batch axes. Substitution replaces a share
    ``phi(t) = max_substitution * min(1, weeks since first restriction / ramp_weeks)``
    of the refused supply; it starts with the first week any supply is refused.
    """
    refused = np.clip(1.0 - licensed_tpn, 0.0, 1.0)
    restricted = refused > 1e-12
    started = np.cumsum(restricted, axis=-3) > 0
    weeks = np.cumsum(started, axis=-3)  # 1 in the first restricted week
    phi = max_subst_p[:, None] * np.minimum(1.0, weeks / ramp_p[:, None])
    return np.clip(licensed_tpn + phi * refused, 0.0, 1.0)


def week_starts(start: dt.date, n_weeks: int) -> list[dt.date]:
    return [start + dt.timedelta(days=7 * t) for t in range(n_weeks)]
