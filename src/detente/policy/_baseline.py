"""Re-basing a world before a scenario's timeline: the scenario's ``baseline`` section.

A scenario that replays history from before the world's year (the 2018-2020 trade war on
a 2022 world) first sets the baseline tariffs of some cells to their pre-war level. The
world's equilibrium is solved at those tariffs and becomes the replay's baseline
(:meth:`detente.equilibrium.Equilibrium.to_world`), so welfare in the replay is measured
against the re-based world, and the scenario's tariff layers stack on its tariffs.
"""

from __future__ import annotations

import warnings

import numpy as np

from detente.errors import DetenteError, ScenarioError
from detente.policy._schema import Scenario
from detente.policy._timeline import _sel, world_for
from detente.world import World
from detente.world._plausibility import check_rebase

#: re-based bilateral trade above this multiple of the base year's is flagged (warned)
REBASE_LIMIT = 2.0


class RebaseWarning(UserWarning):
    """A re-based world has bilateral trade far above what the base year observed."""


_CACHE: dict[tuple[int, str, str], tuple[World, World]] = {}
_CACHE_SIZE = 8


def baseline_tariffs(world: World, scenario: Scenario) -> np.ndarray:
    """(N, N, J) tariffs (fractions): ``world.tariffs`` with the scenario's baseline entries.

    Each entry sets its cells to ``coverage * rate_pct / 100 + (1 - coverage) * tau``;
    entries apply in file order; domestic cells stay untaxed. Without a ``baseline``
    section this is ``world.tariffs``.
    """
    tau = np.array(world.tariffs, dtype=float)
    if scenario.baseline is None:
        return tau
    d = np.arange(world.n_countries)
    for k, bt in enumerate(scenario.baseline.tariffs):
        loc = f"{scenario.path}: baseline.tariffs[{k}]"
        m = np.zeros(tau.shape, dtype=bool)
        m[
            np.ix_(
                _sel(world, bt.importer, "country", loc),
                _sel(world, bt.exporter, "country", loc),
                _sel(world, bt.sectors, "sector", loc),
            )
        ] = True
        m[d, d, :] = False
        tau[m] = bt.coverage * bt.rate_pct / 100.0 + (1.0 - bt.coverage) * tau[m]
    return tau


def rebase(world: World, scenario: Scenario, *, tol: float = 1e-12) -> World:
    """``world`` re-based to the scenario's ``baseline`` tariffs (``world`` if none).

    Solves the equilibrium of ``world`` at :func:`baseline_tariffs` (iceberg costs and
    deficits unchanged) and returns it as a new world, named ``<world>+<scenario>-baseline``.
    The result is cached per (world object, baseline section), so the variants of one
    scenario and repeated replays re-base once.
    """
    if scenario.baseline is None:
        return world
    key = (id(world), world.meta.name, scenario.baseline.model_dump_json())
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is world:
        return hit[1]
    from detente.equilibrium import Counterfactual, solve

    tau = baseline_tariffs(world, scenario)
    cf = Counterfactual(world, tau, np.ones_like(tau), np.array(world.deficit), label=f"{scenario.name} baseline")
    new = solve(world, cf, tol=tol).to_world(name=f"{world.meta.name}+{scenario.name}-baseline")
    implausible = check_rebase(world, new, REBASE_LIMIT)
    if implausible:
        import dataclasses

        more = f" (and {len(implausible) - 5} more)" if len(implausible) > 5 else ""
        note = (
            f"re-base warning: {len(implausible)} bilateral flows exceed {REBASE_LIMIT:g}x the "
            f"base year's: " + "; ".join(implausible[:5]) + more
        )
        new = new.replace(meta=dataclasses.replace(new.meta, notes=new.meta.notes + (note,)))
        warnings.warn(RebaseWarning(f"scenario {scenario.name!r}: {note}"), stacklevel=2)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = (world, new)
    return new


def check_baseline(world: World, scenario: Scenario) -> str:
    """Solve the scenario's own baseline as a replay would, or raise a :class:`ScenarioError`.

    ``world`` is the scenario's world before its elasticities are applied. The baseline
    is that world at the scenario's elasticities, re-based to the ``baseline`` section (if
    any), purged of deficits under the ``balanced`` closure, and solved with no policy
    change under the scenario's deficit setting. The solver's contract (elasticities in range, positive output and
    spending) is checked first, so a scenario that could not replay fails here, in
    ``validate``, with the solver's reason. Returns the solve's diagnostics as text.
    """
    from detente.equilibrium import Counterfactual, purged_world, solve
    from detente.equilibrium._solve import check_inputs

    st = scenario.settings
    try:
        w = world_for(scenario, world)
        if scenario.baseline is not None:
            w_long = world_for(scenario, world, horizon=scenario.baseline.horizon)
            w = rebase(w_long, scenario).replace(theta=w.theta)
        if st.closure == "balanced":
            w = purged_world(w)
        cf = Counterfactual.from_world(
            w,
            deficits=None if st.closure == "balanced" else st.deficits,
            closure=st.closure,
            label=f"{scenario.name} baseline",
        )
        check_inputs(w, cf)
        eq = solve(w, cf)
    except DetenteError as exc:
        raise ScenarioError(
            f"{scenario.path}: scenario {scenario.name!r} cannot solve its own baseline "
            f"(world {world.meta.name!r}): {exc}"
        ) from None
    return str(eq.diagnostics)
