"""Best responses: the tariffs that maximise a government's objective, others' given.

A :class:`TariffSpace` says which tariffs a government chooses: its tariffs on one or
more partners, in a set of sectors, either one uniform rate or one rate per sector.
:func:`best_response` maximises an :class:`~detente.strategy.Objective` over that space
with L-BFGS-B (bounds ``0 <= tau <= upper``) using

- ``method="gradient"``: the exact gradient by implicit differentiation
  (:class:`~detente.strategy.PolicyModel`, JAX);
- ``method="finite-difference"``: the same optimiser with forward-difference gradients
  (one extra equilibrium solve per tariff per gradient, the approach of Ossa 2014);
- ``method="derivative-free"``: Powell's method on the bounded box (no gradients).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

from detente.errors import DetenteError
from detente.strategy._objective import Objective

METHODS = ("gradient", "finite-difference", "derivative-free")


@dataclasses.dataclass(frozen=True)
class TariffSpace:
    """The tariffs one government sets: ``chooser``'s tariffs on ``targets`` in ``sectors``.

    ``uniform=True`` gives one rate for all the cells; otherwise one rate per sector
    (the same rate on every target). Rates are fractions (0.25 = 25%).
    """

    world: object
    chooser: str
    targets: tuple[str, ...]
    sectors: tuple[str, ...]
    uniform: bool = False

    @classmethod
    def of(
        cls,
        world,
        chooser: str,
        targets: str | Sequence[str],
        sectors: str | Sequence[str] = "goods",
        uniform: bool = False,
    ) -> TariffSpace:
        """Build from labels; ``sectors`` may be ``"goods"``, ``"all"`` or a list."""
        targets = (targets,) if isinstance(targets, str) else tuple(targets)
        if isinstance(sectors, str):
            sectors = {"goods": world.goods, "all": world.sectors}.get(sectors, tuple(sectors.split(",")))
        world.country_index(chooser)
        for t in targets:
            world.country_index(t)
            if t == chooser:
                raise DetenteError(f"a country cannot set tariffs on itself ({chooser})")
        for s in sectors:
            world.sector_index(s)
        return cls(world, chooser, targets, tuple(sectors), uniform)

    @property
    def size(self) -> int:
        return 1 if self.uniform else len(self.sectors)

    @property
    def labels(self) -> tuple[str, ...]:
        return ("uniform",) if self.uniform else self.sectors

    def _cells(self):
        w = self.world
        n = w.country_index(self.chooser)
        i = np.array([w.country_index(t) for t in self.targets])
        j = np.array([w.sector_index(s) for s in self.sectors])
        return n, i, j

    def get(self, tau: np.ndarray) -> np.ndarray:
        """The chooser's rates in ``tau`` (mean over targets, and over sectors if uniform)."""
        n, i, j = self._cells()
        block = tau[n][np.ix_(i, j)]  # (targets, sectors)
        per_sector = block.mean(axis=0)
        return np.array([per_sector.mean()]) if self.uniform else per_sector

    def set(self, tau: np.ndarray, x: np.ndarray) -> np.ndarray:
        """A copy of ``tau`` with the chooser's cells set from ``x``."""
        n, i, j = self._cells()
        out = np.array(tau, dtype=float, copy=True)
        vals = np.broadcast_to(np.asarray(x, float), (len(j),)) if self.uniform else np.asarray(x, float)
        out[n, i[:, None], j[None, :]] = vals[None, :]
        return out

    def pullback(self, grad_tau: np.ndarray) -> np.ndarray:
        """The gradient with respect to ``x`` from a gradient with respect to ``tau``."""
        n, i, j = self._cells()
        g = grad_tau[n][np.ix_(i, j)].sum(axis=0)
        return np.array([g.sum()]) if self.uniform else g


@dataclasses.dataclass(frozen=True)
class BestResponse:
    """The result of :func:`best_response`; ``rates`` are fractions by ``space.labels``."""

    space: TariffSpace
    objective: Objective
    rates: np.ndarray
    value: float  # objective at the optimum, percent of baseline income
    tariffs: np.ndarray  # full (N, N, J) tariffs with the best response in place
    method: str
    iterations: int
    evaluations: int  # objective evaluations by the optimiser
    solves: int  # equilibrium solves, finite differences included
    seconds: float
    converged: bool
    message: str
    scale: np.ndarray  # diagonal curvature used to precondition
    at_upper: tuple[str, ...] = ()

    def table(self):
        import pandas as pd

        return pd.Series(
            100 * self.rates,
            index=pd.Index(self.space.labels, name="sector"),
            name=f"{self.space.chooser} tariff on {'+'.join(self.space.targets)} (%)",
        )


def curvature(
    model,
    tau: np.ndarray,
    space: TariffSpace,
    objective: Objective,
    *,
    d_hat: np.ndarray | None = None,
    step: float = 0.01,
    floor: float = 1e-6,
) -> np.ndarray:
    """Minus the diagonal of the objective's Hessian in ``space`` (second differences).

    Used to precondition the optimiser: the Hessian of a tariff objective is close to
    diagonal but its diagonal spans four orders of magnitude (it scales with the trade
    flow the tariff taxes), and dividing by its square root brings the condition number
    near 1 (docs/strategy.md). Costs ``2 * space.size + 1`` equilibrium solves.
    """
    x = space.get(tau)
    f0 = model.values(tau, [objective], d_hat)[0]
    out = np.empty(space.size)
    for r in range(space.size):
        h = step if x[r] >= step else -step  # central difference, or one-sided at the bound
        xa, xb = x.copy(), x.copy()
        if h > 0:
            xa[r] += h
            xb[r] -= h
            fa = model.values(space.set(tau, xa), [objective], d_hat)[0]
            fb = model.values(space.set(tau, xb), [objective], d_hat)[0]
            out[r] = -(fa - 2 * f0 + fb) / h**2
        else:
            xa[r] += step
            xb[r] += 2 * step
            fa = model.values(space.set(tau, xa), [objective], d_hat)[0]
            fb = model.values(space.set(tau, xb), [objective], d_hat)[0]
            out[r] = -(fb - 2 * fa + f0) / step**2
    pos = out[out > floor]
    fill = float(np.median(pos)) if pos.size else 1.0
    return np.where(out > floor, out, fill)


def best_response(
    model,
    tau: np.ndarray,
    space: TariffSpace,
    objective: Objective | None = None,
    *,
    d_hat: np.ndarray | None = None,
    method: str = "gradient",
    optimizer: str = "newton-diagonal",
    upper: float = 5.0,
    x0: np.ndarray | None = None,
    scale: np.ndarray | None = None,
    xtol: float = 1e-6,
    fd_step: float = 1e-6,
    max_iter: int = 100,
) -> BestResponse:
    """The tariffs in ``space`` that maximise ``objective`` given the rest of ``tau``.

    Parameters
    ----------
    model : PolicyModel
        The world and its deficit closure.
    tau : (N, N, J) array
        Tariffs in force (fractions); the cells outside ``space`` stay as they are.
    objective : Objective
        Defaults to the chooser's real income.
    method : str
        Where gradients come from: ``"gradient"`` (exact, implicit differentiation),
        ``"finite-difference"`` (forward differences of step ``fd_step``) or
        ``"derivative-free"`` (Powell's method; ``optimizer`` is ignored).
    optimizer : str
        ``"newton-diagonal"`` (default): projected Newton steps with a diagonal Hessian
        from :func:`curvature`, refreshed by per-tariff secant updates, with
        backtracking. The Hessian of a tariff objective is nearly diagonal (off-diagonal
        terms are small once scaled by the diagonal), so this converges in a dozen
        steps. ``"lbfgsb"``: scipy's L-BFGS-B on the preconditioned variables.
    upper : float
        Upper bound on each rate (5.0 = 500%); results at the bound are listed in
        ``at_upper``.
    x0 : array
        Starting rates (default: the rates in ``tau``); a 2-d array gives several
        starting points, and the best of the optima is returned (a guard against flat
        regions: a prohibitive tariff has a zero gradient).
    scale : array
        Diagonal curvature (minus the Hessian's diagonal) to start from; computed with
        :func:`curvature` when not given, and returned (updated) in the result so that
        repeated best responses (Nash) reuse it.
    xtol : float
        Stop when the (predicted) Newton step moves no rate by more than this (fraction).
    """
    if method not in METHODS:
        raise DetenteError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if x0 is not None and np.ndim(x0) == 2:  # several starting points: keep the best optimum
        runs = [
            best_response(
                model,
                tau,
                space,
                objective,
                d_hat=d_hat,
                method=method,
                optimizer=optimizer,
                upper=upper,
                x0=x,
                scale=scale,
                xtol=xtol,
                fd_step=fd_step,
                max_iter=max_iter,
            )
            for x in np.asarray(x0, float)
        ]
        best = max(runs, key=lambda r: r.value)
        return dataclasses.replace(
            best,
            evaluations=sum(r.evaluations for r in runs),
            solves=sum(r.solves for r in runs),
            seconds=sum(r.seconds for r in runs),
        )
    if optimizer not in ("newton-diagonal", "lbfgsb"):
        raise DetenteError(f"optimizer must be 'newton-diagonal' or 'lbfgsb', got {optimizer!r}")
    objective = objective or Objective(space.chooser)
    if objective.country != space.chooser:
        raise DetenteError(f"the objective is {objective.country}'s but {space.chooser} chooses the tariffs")
    t0 = time.perf_counter()
    solves0 = model.counters.solves
    start = np.clip(space.get(tau) if x0 is None else np.asarray(x0, float), 0.0, upper)
    if scale is None:
        scale = curvature(model, space.set(tau, start), space, objective, d_hat=d_hat)
    scale = np.asarray(scale, float)
    n_eval = [0]

    def value(x):
        n_eval[0] += 1
        return float(model.values(space.set(tau, x), [objective], d_hat)[0])

    def value_grad(x):
        if method == "gradient":
            n_eval[0] += 1
            ev = model.evaluate(space.set(tau, x), [objective], d_hat)
            return float(ev.values[0]), space.pullback(ev.grad_tau[0])
        f0 = value(x)  # forward differences, stepping inwards at the upper bound
        g = np.empty_like(x)
        for r in range(x.size):
            h = fd_step if x[r] + fd_step <= upper else -fd_step
            xp = x.copy()
            xp[r] += h
            g[r] = (value(xp) - f0) / h
        return f0, g

    if method == "derivative-free" or optimizer == "lbfgsb":
        root = np.sqrt(scale)  # optimise over y = root * x, Hessian close to the identity
        bounds = [(0.0, upper * r) for r in root]
        if method == "derivative-free":
            res = minimize(
                lambda y: -value(y / root),
                start * root,
                method="Powell",
                bounds=bounds,
                options=dict(maxiter=max_iter * 50, xtol=xtol, ftol=1e-14),
            )
        else:

            def fun(y):
                f, g = value_grad(y / root)
                return -f, -g / root

            res = minimize(
                fun,
                start * root,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options=dict(maxiter=max_iter, gtol=1e-6 if method == "gradient" else 1e-5, ftol=1e-14),
            )
        x, f = np.clip(np.asarray(res.x, float) / root, 0.0, upper), -float(res.fun)
        msg = res.message if isinstance(res.message, str) else str(res.message)
        converged, iterations = bool(res.success) or "REL_REDUCTION_OF_F" in msg, int(getattr(res, "nit", 0))
    else:
        x, f, scale, iterations, converged, msg = _diagonal_newton(value_grad, start, scale, upper, xtol, max_iter)
    at_upper = tuple(lbl for lbl, v in zip(space.labels, x) if v >= upper - 1e-6)
    return BestResponse(
        space,
        objective,
        x,
        f,
        space.set(tau, x),
        method,
        iterations,
        n_eval[0],
        model.counters.solves - solves0,
        time.perf_counter() - t0,
        converged,
        msg,
        scale,
        at_upper,
    )


def _diagonal_newton(
    value_grad, x0: np.ndarray, h0: np.ndarray, upper: float, xtol: float, max_iter: int, radius: float = 0.05
):
    """Maximise with projected diagonal-Newton steps on ``0 <= x <= upper``.

    ``value_grad(x) -> (f, g)``; ``h0`` > 0 is minus the Hessian's diagonal. Each step
    is ``g / h``, each component capped at a trust radius (0.05 = 5 pp at first) and
    clipped to the box, and halved until the value does not fall. The radius doubles
    after a full step and shrinks to the accepted step after a backtrack. Then each
    ``h_j`` becomes the secant ``-(g_j' - g_j) / (x_j' - x_j)`` where that is positive.
    Returns ``(x, f, h, iterations, converged, message)``.
    """
    x, h = np.array(x0, float), np.array(h0, float)
    f, g = value_grad(x)
    for it in range(1, max_iter + 1):
        newton = np.clip(x + g / h, 0.0, upper) - x
        if np.abs(newton).max() <= xtol:
            return x, f, h, it - 1, True, f"converged: the Newton step is below {xtol:g}"
        step = np.clip(newton, -radius, radius)
        lam = 1.0
        while True:
            xn = x + lam * step
            fn, gn = value_grad(xn)
            if fn >= f - 1e-13 * max(1.0, abs(f)):
                break
            lam *= 0.5
            if lam < 1e-4:
                return x, f, h, it, False, "line search failed: no ascent along the Newton step"
        radius = min(2 * radius, upper) if lam == 1.0 else max(lam * np.abs(step).max(), 1e-6)
        dx, dg = xn - x, gn - g
        moved = np.abs(dx) > 1e-9
        with np.errstate(divide="ignore", invalid="ignore"):
            sec = np.where(moved, -dg / np.where(moved, dx, 1.0), h)
        h = np.where(np.isfinite(sec) & (sec > 0), sec, h)
        x, f, g = xn, fn, gn
    return x, f, h, max_iter, False, f"stopped after {max_iter} steps"
