"""Static general equilibrium: the Caliendo-Parro (2015) multi-sector model with
input-output links in changes, and the one-sector gravity model as its special case.

Public names: :func:`solve`, :class:`Counterfactual`, :class:`Equilibrium`,
:func:`solve_gravity` (kernel), :func:`parse_tariff`; deficit closures
(:data:`CLOSURES`, :func:`deficit_rule`, :func:`purged_world`).
"""

from detente.equilibrium._batch import BatchResult, FailedMember, batch_bytes, solve_batch
from detente.equilibrium._closure import CLOSURES, Closure, deficit_rule
from detente.equilibrium._counterfactual import Counterfactual, parse_cut, parse_iceberg, parse_tariff
from detente.equilibrium._kernel import Shock, Solution, solve_gravity, solve_hat
from detente.equilibrium._sensitivity import (
    Sensitivities,
    elasticity_drivers,
    elasticity_sensitivities,
    share_warning,
    shares_moved,
)
from detente.equilibrium._solve import Diagnostics, Equilibrium, purged_world, solve

__all__ = [
    "CLOSURES",
    "Closure",
    "Counterfactual",
    "deficit_rule",
    "purged_world",
    "Diagnostics",
    "Equilibrium",
    "Shock",
    "Solution",
    "parse_cut",
    "parse_iceberg",
    "parse_tariff",
    "solve",
    "solve_gravity",
    "solve_hat",
    "Sensitivities",
    "elasticity_drivers",
    "elasticity_sensitivities",
    "share_warning",
    "shares_moved",
    "BatchResult",
    "FailedMember",
    "batch_bytes",
    "solve_batch",
]
