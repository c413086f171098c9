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

from detente.strategy._attrition import (
                                        Attrition,
                                        attrition,
                                        attrition_2025,
                                        rare_earth_standoff,
                                        weekly_shortage_losses,
)
from detente.strategy._axelrod import PDPayoffs, axelrod_game, axelrod_payoffs
from detente.strategy._bargain import (
                                        Agreement,
                                        efficient_tariffs,
                                        mutually_preferred,
                                        nash_bargain,
)
from detente.strategy._best_response import (
                                        BestResponse,
                                        TariffSpace,
                                        best_response,
                                        curvature,
)
from detente.strategy._deterrence import (
                                        Deterrence,
                                        deterrence,
                                        false_signal_rate,
                                        grim_threshold,
                                        incentive_gap,
                                        trust_threshold,
)
from detente.strategy._gradient import Evaluation, PolicyModel, objective_values
from detente.strategy._leverage import (
                                        CriticalInputCutoff,
                                        CriticalInputLoss,
                                        TariffThreat,
                                        TechControl,
                                        default_instruments,
                                        leverage_table,
                                        shortage_loss_model,
                                        threat_points,
)
from detente.strategy._nash import NashResult, nash_tariffs
from detente.strategy._objective import Objective, objective_value
from detente.strategy._strategies import (
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
from detente.strategy._truce import (
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
