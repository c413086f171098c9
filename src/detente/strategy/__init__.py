"""Strategy: objectives, best responses, Nash tariffs, bargaining, leverage, truce game.

Public names:

- objectives: :class:`Objective`
- exact gradients through the equilibrium: :class:`PolicyModel` (needs JAX:
  ``pip install 'detente[strategy]'``)
- tariffs: :class:`TariffSpace`, :func:`best_response`, :func:`nash_tariffs`,
  :func:`efficient_tariffs`, :func:`nash_bargain`, :func:`mutually_preferred`
- leverage: :class:`TariffThreat`, :class:`TechControl`, :class:`CriticalInputCutoff`,
  :data:`CriticalInputLoss`, :func:`shortage_loss_model`, :func:`leverage_table`,
  :func:`threat_points`
- repeated truce game: :func:`build_stage_game`, :class:`StageGame`, :func:`play`,
  :func:`truce_survival`, :data:`STRATEGIES`, :func:`get_strategy`, :func:`register`
- Axelrod export: :func:`axelrod_payoffs`, :func:`axelrod_game`
- deterrence: :func:`deterrence`, :class:`Deterrence`, :func:`grim_threshold`,
  :func:`trust_threshold`, :func:`incentive_gap`, :func:`false_signal_rate`
- survival bands: :meth:`Survival.band`, :func:`binomial_band`
- war of attrition: :func:`attrition`, :class:`Attrition`, :func:`attrition_2025`,
  :func:`weekly_shortage_losses`, :func:`rare_earth_standoff`

docs/strategy.md explains the equations and shows the results on the default world.
"""

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "Agreement": "detente.strategy._bargain",
    "Attrition": "detente.strategy._attrition",
    "BestResponse": "detente.strategy._best_response",
    "ControlLadder": "detente.strategy._truce",
    "CriticalInputCutoff": "detente.strategy._leverage",
    "CriticalInputLoss": "detente.strategy._leverage",
    "DE_ESCALATE": "detente.strategy._strategies",
    "Deterrence": "detente.strategy._deterrence",
    "ESCALATE": "detente.strategy._strategies",
    "Evaluation": "detente.strategy._gradient",
    "HOLD": "detente.strategy._strategies",
    "Match": "detente.strategy._truce",
    "NashResult": "detente.strategy._nash",
    "Objective": "detente.strategy._objective",
    "PDPayoffs": "detente.strategy._axelrod",
    "PolicyModel": "detente.strategy._gradient",
    "STRATEGIES": "detente.strategy._strategies",
    "StageGame": "detente.strategy._truce",
    "Strategy": "detente.strategy._strategies",
    "Survival": "detente.strategy._truce",
    "TariffLadder": "detente.strategy._truce",
    "TariffSpace": "detente.strategy._best_response",
    "TariffThreat": "detente.strategy._leverage",
    "TechControl": "detente.strategy._leverage",
    "View": "detente.strategy._strategies",
    "attrition": "detente.strategy._attrition",
    "attrition_2025": "detente.strategy._attrition",
    "axelrod_game": "detente.strategy._axelrod",
    "axelrod_payoffs": "detente.strategy._axelrod",
    "best_response": "detente.strategy._best_response",
    "binomial_band": "detente.strategy._truce",
    "build_stage_game": "detente.strategy._truce",
    "curvature": "detente.strategy._best_response",
    "default_instruments": "detente.strategy._leverage",
    "default_ladders": "detente.strategy._truce",
    "deterrence": "detente.strategy._deterrence",
    "efficient_tariffs": "detente.strategy._bargain",
    "false_signal_rate": "detente.strategy._deterrence",
    "get_strategy": "detente.strategy._strategies",
    "grim_threshold": "detente.strategy._deterrence",
    "incentive_gap": "detente.strategy._deterrence",
    "leverage_table": "detente.strategy._leverage",
    "mutually_preferred": "detente.strategy._bargain",
    "nash_bargain": "detente.strategy._bargain",
    "nash_tariffs": "detente.strategy._nash",
    "objective_value": "detente.strategy._objective",
    "objective_values": "detente.strategy._gradient",
    "play": "detente.strategy._truce",
    "rare_earth_standoff": "detente.strategy._attrition",
    "register": "detente.strategy._strategies",
    "scripted": "detente.strategy._strategies",
    "shortage_loss_model": "detente.strategy._leverage",
    "threat_points": "detente.strategy._leverage",
    "truce_survival": "detente.strategy._truce",
    "trust_threshold": "detente.strategy._deterrence",
    "weekly_shortage_losses": "detente.strategy._attrition",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.strategy._attrition import (  # noqa: F401
        Attrition,
        attrition,
        attrition_2025,
        rare_earth_standoff,
        weekly_shortage_losses,
    )
    from detente.strategy._axelrod import PDPayoffs, axelrod_game, axelrod_payoffs  # noqa: F401
    from detente.strategy._bargain import Agreement, efficient_tariffs, mutually_preferred, nash_bargain  # noqa: F401
    from detente.strategy._best_response import BestResponse, TariffSpace, best_response, curvature  # noqa: F401
    from detente.strategy._deterrence import (  # noqa: F401
        Deterrence,
        deterrence,
        false_signal_rate,
        grim_threshold,
        incentive_gap,
        trust_threshold,
    )
    from detente.strategy._gradient import Evaluation, PolicyModel, objective_values  # noqa: F401
    from detente.strategy._leverage import (  # noqa: F401
        CriticalInputCutoff,
        CriticalInputLoss,
        TariffThreat,
        TechControl,
        default_instruments,
        leverage_table,
        shortage_loss_model,
        threat_points,
    )
    from detente.strategy._nash import NashResult, nash_tariffs  # noqa: F401
    from detente.strategy._objective import Objective, objective_value  # noqa: F401
    from detente.strategy._strategies import (  # noqa: F401
        DE_ESCALATE,
        ESCALATE,
        HOLD,
        STRATEGIES,
        Strategy,
        View,
        get_strategy,
        register,
        scripted,
    )
    from detente.strategy._truce import (  # noqa: F401
        ControlLadder,
        Match,
        StageGame,
        Survival,
        TariffLadder,
        binomial_band,
        build_stage_game,
        default_ladders,
        play,
        truce_survival,
    )

__getattr__, __dir__ = lazy(__name__, _EXPORTS)
__all__ = [
    "DE_ESCALATE",
    "ESCALATE",
    "HOLD",
    "STRATEGIES",
    "Agreement",
    "Attrition",
    "BestResponse",
    "ControlLadder",
    "CriticalInputCutoff",
    "CriticalInputLoss",
    "Deterrence",
    "Evaluation",
    "Match",
    "NashResult",
    "Objective",
    "PDPayoffs",
    "PolicyModel",
    "StageGame",
    "Strategy",
    "Survival",
    "TariffLadder",
    "TariffSpace",
    "TariffThreat",
    "TechControl",
    "View",
    "attrition",
    "attrition_2025",
    "axelrod_game",
    "axelrod_payoffs",
    "best_response",
    "binomial_band",
    "build_stage_game",
    "curvature",
    "default_instruments",
    "default_ladders",
    "deterrence",
    "efficient_tariffs",
    "false_signal_rate",
    "get_strategy",
    "grim_threshold",
    "incentive_gap",
    "leverage_table",
    "mutually_preferred",
    "nash_bargain",
    "nash_tariffs",
    "objective_value",
    "objective_values",
    "play",
    "rare_earth_standoff",
    "register",
    "scripted",
    "shortage_loss_model",
    "threat_points",
    "truce_survival",
    "trust_threshold",
    "weekly_shortage_losses",
]
