"""JSON payloads of strategy results for the HTTP API (:mod:`detente.web`).

The web layer validates the request and names the world; this module calls the
strategy functions and returns plain JSON-able dicts with units and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from detente._defaults import DEFAULT_PAIR

if TYPE_CHECKING:
    from detente.equilibrium import Closure

LEVERAGE_UNITS = (
    "losses: percent of baseline income and USD billion a year (equivalent variation at "
    "baseline income); leverage: target's USD loss per USD lost by the imposer"
)


def _reference(world, name: str, closure: Closure | None = None):
    from detente.equilibrium import Counterfactual

    ref = Counterfactual.from_world(world, closure=closure)
    if name != "baseline":
        from detente.presets import get_preset

        ref = ref.apply(*get_preset(name).instruments())
    return ref


def leverage_payload(
    world,
    players: Sequence[str] = DEFAULT_PAIR,
    *,
    reference: str = "baseline",
    nash: bool = False,
    horizon: str = "",
) -> dict:
    """The leverage table and threat points (and uniform Nash tariffs if ``nash``) as JSON."""
    from detente.store._records import jsonable
    from detente.strategy._leverage import leverage_table, threat_points

    a, b = players
    for p in (a, b):
        world.country_index(p)
    ref = _reference(world, reference)
    table = leverage_table(world, ((a, b), (b, a)), reference=ref)
    threats = threat_points(world, (a, b), reference=ref)
    out = {
        "world": world.meta.name,
        "vintage": world.meta.vintage,
        "elasticities": world.meta.elasticities,
        "horizon": horizon,
        "players": [a, b],
        "reference": ref.describe(),
        "units": LEVERAGE_UNITS,
        "objective": "real income",
        "leverage": table.to_dict(orient="records"),
        "threat_points": threats.to_dict(orient="records"),
        "threat_units": "objective U, percent of baseline income (100 x log real income change)",
        "nash": None,
    }
    if nash:
        from detente.strategy import PolicyModel, nash_tariffs

        res = nash_tariffs(PolicyModel(world), (a, b), uniform=True)
        out["nash"] = {
            "tariffs_pct": {k: float(v.iloc[0]) for k, v in res.rates_table().items()},
            "welfare_pct": res.welfare_table().loc[[a, b]].to_dict(),
            "converged": res.converged,
            "units": "uniform tariff in percent on all goods; welfare in % vs the 2022 baseline",
        }
    return jsonable(out)
