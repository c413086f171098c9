"""Precision-weighted (empirical Bayes) shrinkage of sector elasticities.

Random-effects model: theta_j = mu + u_j + e_j, u_j ~ (0, tau^2), e_j ~ (0, se_j^2).
tau^2 is estimated by DerSimonian & Laird (1986)::

    w_j = 1/se_j^2,  theta_FE = sum w theta / sum w,  Q = sum w (theta - theta_FE)^2
    tau^2 = max(0, (Q - (k - 1)) / (sum w - sum w^2 / sum w))

the mean by mu = sum w*_j theta_j / sum w*_j with w*_j = 1/(se_j^2 + tau^2), and each
estimate is replaced by its posterior mean::

    theta_j* = (theta_j/se_j^2 + mu/tau^2) / (1/se_j^2 + 1/tau^2)

An estimate without a standard error gets the median of the available ones (documented).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Shrinkage:
    theta: np.ndarray  # raw estimates
    se: np.ndarray  # standard errors used (imputed where missing)
    imputed: np.ndarray  # bool: se imputed
    tau2: float  # between-sector variance (DerSimonian-Laird)
    mu: float  # random-effects mean
    shrunk: np.ndarray  # posterior means
    weight_on_own: np.ndarray  # (1/se^2) / (1/se^2 + 1/tau^2)


def dersimonian_laird(theta, se) -> tuple[float, float]:
    """(tau^2, random-effects mean) of estimates ``theta`` with standard errors ``se``."""
    theta = np.asarray(theta, dtype=float)
    se = np.asarray(se, dtype=float)
    w = 1.0 / se**2
    k = theta.size
    fe = (w @ theta) / w.sum()
    q = w @ (theta - fe) ** 2
    denom = w.sum() - (w**2).sum() / w.sum()
    tau2 = max(0.0, (q - (k - 1)) / denom) if denom > 0 else 0.0
    ws = 1.0 / (se**2 + tau2)
    mu = float((ws @ theta) / ws.sum())
    return float(tau2), mu


def shrink(theta, se) -> Shrinkage:
    """Shrink ``theta`` toward the random-effects mean by precision (see module docstring)."""
    theta = np.asarray(theta, dtype=float)
    se = np.asarray(se, dtype=float).copy()
    imputed = ~np.isfinite(se) | (se <= 0)
    if imputed.all():
        raise ValueError("shrinkage needs at least one standard error")
    se[imputed] = float(np.median(se[~imputed]))
    tau2, mu = dersimonian_laird(theta, se)
    prec = 1.0 / se**2
    if tau2 <= 0:
        own = np.zeros_like(theta)
    else:
        own = prec / (prec + 1.0 / tau2)
    shrunk = own * theta + (1.0 - own) * mu
    return Shrinkage(theta=theta, se=se, imputed=imputed, tau2=tau2, mu=mu, shrunk=shrunk, weight_on_own=own)
