"""A world's trade elasticities from a published set at a horizon.

The trade elasticity theta^j is not one number: it grows with the time since a tariff
change (Boehm, Levchenko & Pandalai-Nayar 2023: about 0.76 after a year, about 2 in the
long run), and published sets disagree at every horizon. A world file carries the
elasticities it was built with; :func:`with_elasticities` replaces them by a set of the
registry (:mod:`detente.world.elasticities`) at a horizon and records the choice in
``world.meta.elasticities``, which every result then reports.

``ElasticityChoice`` is the one value that names a choice: ``set`` (registry name) and
``horizon`` (``"1y"``, ``"3y"``, ``"long"`` or a number of years). Defaults answer the
usual question "what does this policy do within about a year" (:data:`DEFAULT`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from detente._defaults import DEFAULT_HORIZON, DEFAULT_SET  # noqa: F401 (re-exported)
from detente.errors import DataError
from detente.world._world import World


@dataclasses.dataclass(frozen=True)
class ElasticityChoice:
    """Which trade elasticities: a registry set at a horizon.

    Parameters
    ----------
    set : str or None
        A name from :func:`detente.world.elasticities.list_sets`, ``"world"`` for the
        elasticities stored in the world file (no change), or None (the default):
        :data:`DEFAULT_SET` where the registry maps the world's sectors, else the world's
        own (a CP 2015 or user-supplied world), said so in the label.
    horizon : str
        ``"1y"``, ``"3y"``, ``"long"`` or years as a number (``"0.5"``); ignored for
        ``set="world"``.
    """

    set: str | None = None
    horizon: str = DEFAULT_HORIZON

    def __post_init__(self) -> None:
        object.__setattr__(self, "horizon", normalise_horizon(self.horizon))
        if self.set is not None and not isinstance(self.set, str):
            raise DataError(f"elasticity set {self.set!r}: give a set name")

    @property
    def label(self) -> str:
        if self.set == "world":
            return "as stored in the world file"
        from detente.world.elasticities import describe

        return describe(self.set or DEFAULT_SET, self.horizon)


def normalise_horizon(horizon: str | float | int) -> str:
    """``"1y"``, ``"3y"``, ``"long"``; numbers of years become ``"<x>y"``.

    Parsed by the registry (:func:`detente.world.elasticities.horizon_years`, the one
    definition of a horizon); this adds that a horizon is positive and at most 50 years.
    Raises :class:`DataError` naming the value otherwise.
    """
    from detente.world.elasticities._horizon import horizon_years

    if isinstance(horizon, str) and horizon.strip().lower() in {"long", "long-run", "lr"}:
        return "long"
    value = horizon_years(horizon)  # raises DataError naming the value
    if value <= 0 or value > 50:
        raise DataError(f"horizon {horizon!r}: the number of years must be in (0, 50]")
    return f"{value:g}y"


def with_elasticities(
    world: World, choice: ElasticityChoice | None = None, *, overrides: dict[str, float] | None = None
) -> World:
    """``world`` with the trade elasticities of ``choice`` (and single-sector overrides).

    The world's sectors must be OECD ICIO industry codes or the compact world's sector
    groups (anything the registry maps); other worlds (CP 2015's 1993 data, a user's CSV
    world) accept only ``set="world"``. ``overrides`` ({sector: theta}) replace single
    sectors afterwards and are named in the label.
    """
    from detente.errors import UnknownLabelError

    choice = choice or ElasticityChoice()
    theta = np.array(world.theta, dtype=float)
    label = world.meta.elasticities or "as stored in the world file"
    if choice.set != "world":
        from detente.world.elasticities import theta_for

        try:
            theta = np.asarray(theta_for(world.sectors, set=choice.set or DEFAULT_SET, horizon=choice.horizon), float)
            label = choice.label
        except UnknownLabelError as exc:
            if choice.set is not None:
                raise DataError(
                    f"elasticity set {choice.set!r} cannot be used on world "
                    f"{world.meta.name!r}: {exc}; use 'world' to keep the world file's "
                    "own elasticities"
                ) from None
            if "registry does not map" not in label:
                label += " (the registry does not map this world's sectors)"
    if overrides:
        theta = theta.copy()
        for sector, value in overrides.items():
            v = float(value)
            if not (np.isfinite(v) and v > 0):
                raise DataError(f"elasticity override {sector}={value!r}: must be a finite number > 0")
            theta[world.sector_index(sector)] = v
        label += "; overrides " + ", ".join(f"{k}={float(v):g}" for k, v in overrides.items())
    meta = dataclasses.replace(world.meta, elasticities=label)
    return world.replace(theta=theta, meta=meta)
