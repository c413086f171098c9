"""Observed tariff schedules for the strategy tools: the world's own, or a named preset.

:func:`schedule_tariffs` gives the (N, N, J) tariffs of a schedule, :func:`preset_equilibrium`
the solved equilibrium of a preset between two players (the reference point the Nash
tables are compared with), and :func:`revealed_pair` both players' revealed political
weights at a schedule (:func:`detente.strategy._revealed.revealed_weights`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detente.equilibrium import Closure


def schedule_tariffs(world, name: str):
    """(N, N, J) tariffs (percent) of a named schedule: ``baseline`` (the world's) or a preset on top."""
    import numpy as np

    from detente.equilibrium import Counterfactual

    if name == "baseline":
        return np.array(world.tariffs)
    from detente.presets import get_preset

    cf = Counterfactual.from_world(world).apply(*get_preset(name).instruments())
    return np.array(cf.tariffs)


def preset_equilibrium(world, name: str, players: tuple[str, str], closure: Closure | None = None):
    """The solved preset ``name`` when its tariff changes are between exactly ``players``, else None."""
    from detente.equilibrium import Counterfactual, solve
    from detente.presets import get_preset

    preset = get_preset(name)
    moves = preset.instruments()
    if {frozenset((t.importer, t.exporter)) for t in moves} != {frozenset(players)}:
        return None
    cf = Counterfactual.from_world(world, closure=closure).apply(*moves)
    return solve(world, cf.with_label(preset.title))


def revealed_pair(world, model, a: str, b: str, schedule: str, progress=None) -> list:
    """Revealed weights of ``a`` against ``b`` and of ``b`` against ``a`` at ``schedule``."""
    from detente.strategy._revealed import revealed_weights

    tau = schedule_tariffs(world, schedule)
    out = []
    for k, (c, p) in enumerate(((a, b), (b, a))):
        out.append(revealed_weights(world, c, p, tau, schedule=schedule, model=model))
        if progress:
            progress(k + 1, 2, c)
    return out
