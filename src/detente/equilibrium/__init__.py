"""Static general equilibrium: the Caliendo-Parro (2015) multi-sector model with
input-output links in changes, and the one-sector gravity model as its special case.

Public names: :func:`solve`, :class:`Counterfactual`, :class:`Equilibrium`,
:func:`solve_gravity` (kernel), :func:`parse_tariff`.
"""

from detente.equilibrium._counterfactual import Counterfactual, parse_iceberg, parse_tariff
from detente.equilibrium._kernel import Shock, Solution, solve_gravity, solve_hat
from detente.equilibrium._solve import Diagnostics, Equilibrium, solve

__all__ = ["Counterfactual", "Diagnostics", "Equilibrium", "Shock", "Solution", "parse_iceberg",
           "parse_tariff", "solve", "solve_gravity", "solve_hat"]
