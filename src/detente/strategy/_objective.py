"""What a government maximises: real income, political weights, a security weight.

For country n the objective, in percent of baseline income, is

.. math::

    U_n = 100 \\Big[\\ln \\hat W_n
          + \\sum_j \\phi_n^j \\frac{RVA_n'^j - VA_n^j}{I_n}
          - \\sigma_n \\frac{S_n}{I_n}\\Big]

- :math:`\\hat W_n = \\hat I_n / \\hat P_n`, the change in real income of the
  equilibrium model (docs/model.md, section 6);
- :math:`\\phi_n^j \\ge 0`, political-economy weights on industries: the government
  values a dollar of value added earned in sector j at :math:`1 + \\phi_n^j` dollars
  of household income, in the spirit of the weights on industry profits in Ossa
  (2014, section V) and Grossman & Helpman (1994); :math:`RVA_n'^j =
  \\gamma_n^j Y_n'^j / \\hat P_n` is the sector's new value added deflated by the
  consumer price index and :math:`VA_n^j` its baseline value;
- :math:`\\sigma_n \\ge 0`, a security weight on shortage losses :math:`S_n` (value
  added lost to critical-input stock-outs, from the shortage model, USD million a
  year). Shortage losses depend on export controls, not on tariffs, so they shift
  the objective by a constant when tariffs are optimised; they matter for leverage and
  for the truce game (:mod:`._leverage`, :mod:`._truce`).

With all weights zero, :math:`U_n = 100 \\ln \\hat W_n`, which is close to the percent
change in real income.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from detente.errors import UnknownLabelError


@dataclasses.dataclass(frozen=True)
class Objective:
    """A government's objective (see the module docstring).

    Parameters
    ----------
    country : str
        The government's country label.
    political_weights : mapping sector -> weight
        Extra weight :math:`\\phi^j` on value added in these sectors (0 = none).
    security_weight : float
        Weight :math:`\\sigma` on shortage losses (1 = a dollar of lost output counts
        like a dollar of income on top of its effect in the equilibrium model).
    """

    country: str
    political_weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    security_weight: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "political_weights", dict(self.political_weights))
        for s, v in self.political_weights.items():
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"political weight of {s!r} must be a finite number >= 0, got {v!r}")
        if not np.isfinite(self.security_weight) or self.security_weight < 0:
            raise ValueError(f"security_weight must be >= 0, got {self.security_weight!r}")

    def weights(self, world) -> np.ndarray:
        """(J,) political weights aligned with ``world.sectors``."""
        phi = np.zeros(world.n_sectors)
        for s, v in self.political_weights.items():
            if s not in world.sectors:
                raise UnknownLabelError(
                    f"political weight on unknown sector {s!r}; sectors: {', '.join(world.sectors)}"
                )
            phi[world.sector_index(s)] = v
        return phi

    @property
    def is_welfare(self) -> bool:
        return not any(self.political_weights.values())

    def describe(self) -> str:
        parts = [f"{self.country}: real income"]
        if not self.is_welfare:
            parts.append("political weights " + ", ".join(f"{k}={v:g}" for k, v in self.political_weights.items() if v))
        if self.security_weight:
            parts.append(f"security weight {self.security_weight:g}")
        return "; ".join(parts)


def objective_value(equilibrium, objective: Objective, shortage_loss: float = 0.0) -> float:
    """:math:`U_n` of a solved :class:`~detente.equilibrium.Equilibrium`, percent of income.

    ``shortage_loss`` is :math:`S_n`, USD million (world units) a year.
    """
    w = equilibrium.world
    n = w.country_index(objective.country)
    value = np.log(equilibrium.welfare_hat[n])
    phi = objective.weights(w)
    if phi.any():
        rva = w.va_share[n] * equilibrium.solution.Y[n] / equilibrium.price_index_hat[n]
        va0 = w.va_share[n] * w.gross_output[n]
        value += float(phi @ (rva - va0)) / w.income[n]
    value -= objective.security_weight * shortage_loss / w.income[n]
    return float(100.0 * value)
