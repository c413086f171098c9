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


def anderson(g: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, *, tol: float = 1e-12,
             max_iter: int = 2000, memory: int = 8, damping: float = 1.0,
             blowup: float = 1e4) -> FixedPointResult:
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
    dX: list[np.ndarray] = []
    dF: list[np.ndarray] = []
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
            dX.clear()
            dF.clear()
            x_prev = f_prev = None
            beta = max(0.1, beta * 0.5)
            x = best_x.copy()
            gx = g(x)
            f = gx - x
            x = x + beta * f
            continue
        if x_prev is not None and memory > 0:
            dX.append(x - x_prev)
            dF.append(f - f_prev)
            if len(dX) > memory:
                dX.pop(0)
                dF.pop(0)
        x_prev, f_prev = x, f
        if dF:
            Fm = np.stack(dF, axis=1)
            Xm = np.stack(dX, axis=1)
            scale = np.linalg.norm(Fm, axis=0)
            scale[scale == 0] = 1.0
            gamma, *_ = np.linalg.lstsq(Fm / scale, f, rcond=1e-12)
            gamma = gamma / scale
            x = x - Xm @ gamma + beta * (f - Fm @ gamma)
        else:
            x = x + beta * f
    gx = g(best_x)
    r = float(np.max(np.abs(gx - best_x))) if np.all(np.isfinite(gx)) else np.inf
    return FixedPointResult(best_x, r, max_iter, r <= tol, restarts)
