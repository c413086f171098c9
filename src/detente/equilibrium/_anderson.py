"""Safeguarded Anderson acceleration for fixed-point problems x = g(x).

Type-II Anderson mixing (Walker & Ni 2011, SIAM J. Numer. Anal. 49(4)) with a
least-squares step over the last ``memory`` residual differences, and two safeguards:
a restart from the best iterate when the residual blows up, and a damped plain step
after a restart. It converges where the plain iteration converges and usually in far
fewer maps; on a linear map it is equivalent to GMRES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FixedPointResult:
    x: np.ndarray
    residual: float  # max |g(x) - x| at the returned x
    iterations: int  # map evaluations
    converged: bool
    restarts: int


def anderson(
    g: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    *,
    tol: float = 1e-12,
    max_iter: int = 2000,
    memory: int = 8,
    damping: float = 1.0,
    blowup: float = 1e4,
) -> FixedPointResult:
    """Solve ``x = g(x)`` to ``max|g(x) - x| <= tol``.

    Parameters
    ----------
    g : callable
        The fixed-point map on flat float arrays; may return non-finite values for
        iterates outside its domain, which triggers a restart.
    x0 : array
        Starting point.
    memory : int
        Number of past differences in the least-squares step (0 = plain iteration).
    damping : float
        Mixing parameter beta in (0, 1]; the step is x + beta * (accelerated residual).
    """
    x = np.array(x0, dtype=float, copy=True)
    n = x.size
    m = max(int(memory), 0)
    dX = np.empty((max(m, 1), n))  # ring buffers of the last m differences (rows)
    dF = np.empty((max(m, 1), n))
    filled = 0
    head = 0
    best_x, best_r = x.copy(), np.inf
    x_prev = f_prev = None
    restarts = 0
    beta = damping
    for it in range(1, max_iter + 1):
        gx = g(x)
        f = gx - x
        r = float(np.max(np.abs(f))) if np.all(np.isfinite(f)) else np.inf
        if r <= tol:
            return FixedPointResult(x, r, it, True, restarts)
        if r < best_r:
            best_x, best_r = x.copy(), r
        if not np.isfinite(r) or r > blowup * best_r:
            # restart from the best point with a damped plain step and no memory
            restarts += 1
            filled = head = 0
            x_prev = f_prev = None
            beta = max(0.1, beta * 0.5)
            x = best_x.copy()
            x = x + beta * (g(x) - x)
            continue
        if x_prev is not None and m > 0:
            dX[head] = x - x_prev
            dF[head] = f - f_prev
            head = (head + 1) % m
            filled = min(filled + 1, m)
        x_prev, f_prev = x, f
        if filled:
            Fm = dF[:filled]
            # least squares min |f - Fm' gamma| via the (small) normal equations on
            # scaled differences, with a tiny ridge for conditioning
            A = Fm @ Fm.T
            scale = np.sqrt(np.diag(A)).copy()
            scale[scale == 0] = 1.0
            A = A / np.outer(scale, scale)
            A[np.diag_indices_from(A)] += 1e-12
            gamma, *_ = np.linalg.lstsq(A, (Fm @ f) / scale, rcond=None)
            gamma = gamma / scale
            x = x - gamma @ dX[:filled] + beta * (f - gamma @ Fm)
        else:
            x = x + beta * f
    gx = g(best_x)
    r = float(np.max(np.abs(gx - best_x))) if np.all(np.isfinite(gx)) else np.inf
    return FixedPointResult(best_x, r, max_iter, r <= tol, restarts)
