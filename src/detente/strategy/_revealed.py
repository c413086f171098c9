"""Revealed objectives: political weights that make observed tariffs best responses.

Governments chose tariffs of 20-145% in 2025, far above the Nash tariffs of a
real-income objective. Following Ossa (2014, section V, "political economy"), who
recovers the weights on industry profits that make observed tariffs optimal, we ask
which political weights :math:`\\phi^j \\ge 0` on value added (the objective of
:mod:`._objective`) make an observed tariff schedule satisfy each government's
first-order conditions.

The objective is linear in the weights,

.. math::

    U(\\tau; \\phi) = 100 \\ln \\hat W(\\tau) + \\sum_j \\phi^j\\, v^j(\\tau),
    \\qquad v^j = 100\\,\\frac{RVA'^j - VA^j}{I},

so at the observed tariffs :math:`\\tau^*` the first-order conditions on the chooser's
tariffs :math:`\\tau_k` (one per tariffed sector k) are the linear system

.. math::

    \\underbrace{\\partial_{\\tau_k} 100\\ln\\hat W}_{a_k}
    + \\sum_j \\underbrace{\\partial_{\\tau_k} v^j}_{B_{kj}}\\, \\phi^j = 0 .

All derivatives are exact (implicit differentiation, :class:`PolicyModel`): one
adjoint solve for the welfare term and one per sector for :math:`v^j`. The weights
solve :math:`B\\phi = -a` by non-negative least squares (the weights are restricted to
the tariffed sectors, so the system is square); the fit is the gradient left at the
observed tariffs, reported per sector. Where the unconstrained solution is
non-negative the fit is exact. A zero observed tariff is a corner: its condition is an
inequality and is left out.

Reference: Ossa, R. (2014), "Trade Wars and Trade Talks with Data", American Economic
Review 104(12): 4104-4146, section V; Grossman, G. M. and Helpman, E. (1994),
"Protection for Sale", American Economic Review 84(4): 833-850.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from scipy.optimize import nnls

from detente.errors import DetenteError
from detente.strategy._objective import Objective


@dataclasses.dataclass(frozen=True)
class RevealedWeights:
    """Political weights that rationalise ``country``'s observed tariffs on ``partner``.

    ``weights`` (sector -> phi >= 0); ``gradient_welfare`` and ``gradient_revealed``:
    the first-order conditions (d objective / d tariff, % of income per unit of tariff,
    i.e. per 100 pp) at the observed tariffs with real income alone and with the
    revealed weights; ``tariffs_pct``: the observed tariffs.
    """

    country: str
    partner: str
    schedule: str
    sectors: tuple[str, ...]
    weights: dict
    tariffs_pct: np.ndarray
    gradient_welfare: np.ndarray
    gradient_revealed: np.ndarray
    exact: bool

    @property
    def objective(self) -> Objective:
        """The revealed objective, usable in :func:`best_response` and :func:`nash_tariffs`."""
        return Objective(self.country, {s: w for s, w in self.weights.items() if w > 0})

    @property
    def fit(self) -> float:
        """Largest first-order-condition residual left, % of income per 100 pp."""
        return float(np.abs(self.gradient_revealed).max()) if self.gradient_revealed.size else 0.0

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {
                "tariff_pct": self.tariffs_pct,
                "weight": [self.weights[s] for s in self.sectors],
                "foc_real_income": self.gradient_welfare,
                "foc_revealed": self.gradient_revealed,
            },
            index=pd.Index(self.sectors, name="sector"),
        )


def revealed_weights(
    world,
    country: str,
    partner: str,
    tariffs: np.ndarray | None = None,
    *,
    sectors: str | Sequence[str] = "goods",
    schedule: str = "baseline",
    model=None,
) -> RevealedWeights:
    """The weights that make ``country``'s tariffs on ``partner`` in ``tariffs`` a best response.

    Parameters
    ----------
    world : World
        The baseline (its elasticities and closure matter: the answer is "given this
        model, which weights would rationalise the tariffs").
    tariffs : (N, N, J) array, optional
        The observed tariff schedule, fractions (default: the world's, i.e. the
        baseline year's applied tariffs). Every other country's tariffs are held at
        these values.
    sectors : "goods" or a list
        The tariffed sectors; the weights live on these.
    schedule : str
        A label for the schedule (e.g. "2022 applied", "April 2025 peak").
    model : PolicyModel, optional
        Reused if given (its world must be ``world``).
    """
    from detente.strategy._gradient import PolicyModel

    model = model or PolicyModel(world)
    tau = np.array(world.tariffs if tariffs is None else tariffs, dtype=float)
    if tau.shape != world.tariffs.shape:
        raise DetenteError(f"tariffs: expected shape {world.tariffs.shape}, got {tau.shape}")
    sel = world.goods if sectors == "goods" else tuple(sectors)
    n, i = world.country_index(country), world.country_index(partner)
    if n == i:
        raise DetenteError(f"a country has no tariffs on itself ({country})")
    cols = np.array([world.sector_index(s) for s in sel])
    rates = tau[n, i, cols]
    inner = rates > 1e-9  # zero tariffs are corners: their condition is an inequality
    objectives = [Objective(country)] + [Objective(country, {s: 1.0}) for s in sel]
    ev = model.evaluate(tau, objectives)
    g = ev.grad_tau[:, n, i, :][:, cols]  # (1 + K, K): d objective / d tau_k
    a = g[0]
    B = (g[1:] - a[None, :]).T  # B[k, j] = d v^j / d tau_k
    phi = np.zeros(len(sel))
    if inner.any():
        sub = B[np.ix_(inner, np.ones(len(sel), bool))]
        phi, _ = nnls(sub, -a[inner])
    resid = a + B @ phi
    resid = np.where(inner, resid, np.nan)
    exact = bool(np.nanmax(np.abs(resid)) < 1e-6 * max(1.0, float(np.abs(a).max()))) if inner.any() else True
    return RevealedWeights(
        country,
        partner,
        schedule,
        tuple(sel),
        dict(zip(sel, phi.tolist(), strict=True)),
        100 * rates,
        np.where(inner, a, np.nan),
        resid,
        exact,
    )
