"""Cooperation and bargaining over tariffs between two (or more) governments.

- :func:`efficient_tariffs`: the tariffs that maximise a weighted sum
  :math:`\\sum_k \\omega_k U_k` of the players' objectives (a point on the Pareto
  frontier of what tariffs between them can achieve; other countries' tariffs fixed).
- :func:`nash_bargain`: the Nash bargaining solution
  :math:`\\max \\prod_k (U_k - d_k)` over the players' tariffs on each other, with the
  disagreement point :math:`d` (by default the trade war: the Nash tariffs). It is
  efficient and gives every player at least its disagreement value. This is the
  "cooperative tariffs" of Ossa (2014, section VI).
- :func:`mutually_preferred`: on a grid of uniform tariff pairs, the objectives of
  both players and whether both prefer the pair to the disagreement point.

All optimisers use exact gradients (:class:`~detente.strategy.PolicyModel`) and
L-BFGS-B with bounds :math:`0 \\le \\tau \\le` ``upper``, preconditioned by the diagonal
curvature of the weighted objective.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Literal

import numpy as np
from scipy.optimize import minimize

from detente._defaults import DEFAULT_PAIR
from detente.errors import DetenteError
from detente.strategy._best_response import TariffSpace
from detente.strategy._gradient import PolicyModel
from detente.strategy._objective import Objective


@dataclasses.dataclass(frozen=True)
class JointSpace:
    """Several players' tariff spaces stacked into one vector."""

    spaces: tuple[TariffSpace, ...]

    @property
    def size(self) -> int:
        return sum(s.size for s in self.spaces)

    def _slices(self):
        a = 0
        for s in self.spaces:
            yield s, slice(a, a + s.size)
            a += s.size

    def get(self, tau):
        return np.concatenate([s.get(tau) for s in self.spaces])

    def set(self, tau, x):
        for s, sl in self._slices():
            tau = s.set(tau, x[sl])
        return tau

    def pullback(self, grad_tau):
        return np.concatenate([s.pullback(grad_tau) for s in self.spaces])

    def split(self, x) -> tuple[np.ndarray, ...]:
        return tuple(np.asarray(x[sl]) for _, sl in self._slices())


@dataclasses.dataclass(frozen=True)
class Agreement:
    """Tariffs the players agree on, with their objectives and gains."""

    kind: str  # "efficient" or "nash-bargain"
    players: tuple[str, ...]
    spaces: tuple[TariffSpace, ...]
    rates: tuple[np.ndarray, ...]  # per player, fractions by space.labels
    tariffs: np.ndarray
    values: np.ndarray  # U_k at the agreement, percent of baseline income
    disagreement: np.ndarray | None  # d_k (NaN where none)
    converged: bool
    message: str
    seconds: float
    evaluations: int

    @property
    def gains(self) -> np.ndarray:
        """U_k - d_k: each player's gain over the disagreement point (percentage points)."""
        return self.values - (self.disagreement if self.disagreement is not None else np.nan)

    def rates_table(self):
        import pandas as pd

        cols = {f"{sp.chooser} on {'+'.join(sp.targets)}": 100 * r for sp, r in zip(self.spaces, self.rates)}
        return pd.DataFrame(cols, index=pd.Index(self.spaces[0].labels, name="sector"))


def _spaces(world, players, sectors, uniform):
    players = tuple(players)
    if len(players) < 2 or len(set(players)) != len(players):
        raise DetenteError(f"bargaining needs at least two distinct players, got {players}")
    return players, JointSpace(
        tuple(TariffSpace.of(world, p, [q for q in players if q != p], sectors, uniform) for p in players)
    )


def _model(world_or_model, deficits) -> PolicyModel:
    return world_or_model if isinstance(world_or_model, PolicyModel) else PolicyModel(world_or_model, deficits=deficits)


def _maximise(model, tau, joint: JointSpace, objectives, combine, x0, upper, d_hat, max_iter=300):
    """Maximise ``combine(values) -> (F, dF/dvalues)`` over ``joint`` with L-BFGS-B."""
    n_eval = [0]

    def fun_x(x):
        n_eval[0] += 1
        ev = model.evaluate(joint.set(tau, x), objectives, d_hat)
        F, dF = combine(ev.values)
        g = sum(dF[k] * joint.pullback(ev.grad_tau[k]) for k in range(len(objectives)))
        return F, g, ev.values

    # diagonal preconditioner: second differences of the players' summed objectives
    x0 = np.clip(np.asarray(x0, float), 0.0, upper)
    step = 0.01
    f0 = model.values(joint.set(tau, x0), objectives, d_hat).sum()
    curv = np.empty(joint.size)
    for r in range(joint.size):
        xa, xb = x0.copy(), x0.copy()
        xa[r] += step
        xb[r] += 2 * step
        fa = model.values(joint.set(tau, xa), objectives, d_hat).sum()
        fb = model.values(joint.set(tau, xb), objectives, d_hat).sum()
        curv[r] = -(fb - 2 * fa + f0) / step**2
    pos = curv[curv > 1e-8]
    root = np.sqrt(np.where(curv > 1e-8, curv, np.median(pos) if pos.size else 1.0))

    def fun(y):
        F, g, _ = fun_x(y / root)
        return -F, -g / root

    res = minimize(
        fun,
        x0 * root,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, upper * r) for r in root],
        options=dict(maxiter=max_iter, gtol=1e-7, ftol=1e-14),
    )
    x = np.clip(res.x / root, 0.0, upper)
    msg = res.message if isinstance(res.message, str) else str(res.message)
    return x, bool(res.success) or "REL_REDUCTION_OF_F" in msg, msg, n_eval[0]


def efficient_tariffs(
    world_or_model,
    players: Sequence[str] = DEFAULT_PAIR,
    *,
    weights: Sequence[float] | None = None,
    sectors: str | Sequence[str] = "goods",
    uniform: bool = False,
    objectives: Sequence[Objective] | None = None,
    start: np.ndarray | None = None,
    upper: float = 5.0,
    d_hat: np.ndarray | None = None,
    deficits: Literal["baseline", "zero"] = "baseline",
) -> Agreement:
    """Tariffs between ``players`` that maximise ``sum_k weights_k U_k`` (equal weights by default)."""
    t0 = time.perf_counter()
    model = _model(world_or_model, deficits)
    players, joint = _spaces(model.world, players, sectors, uniform)
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    w = np.full(len(players), 1.0 / len(players)) if weights is None else np.asarray(weights, float)
    tau = np.array(model.world.tariffs if start is None else start, dtype=float)
    x, ok, msg, n = _maximise(model, tau, joint, objectives, lambda v: (float(w @ v), w), joint.get(tau), upper, d_hat)
    tau = joint.set(tau, x)
    values = model.values(tau, objectives, d_hat)
    return Agreement(
        "efficient",
        tuple(players),
        joint.spaces,
        joint.split(x),
        tau,
        values,
        None,
        ok,
        msg,
        time.perf_counter() - t0,
        n,
    )


def nash_bargain(
    world_or_model,
    players: Sequence[str] = DEFAULT_PAIR,
    disagreement: Sequence[float] | np.ndarray | None = None,
    *,
    war=None,
    sectors: str | Sequence[str] = "goods",
    uniform: bool = False,
    objectives: Sequence[Objective] | None = None,
    start: np.ndarray | None = None,
    upper: float = 5.0,
    d_hat: np.ndarray | None = None,
    deficits: Literal["baseline", "zero"] = "baseline",
) -> Agreement:
    """The Nash bargaining solution over the players' tariffs on each other.

    ``disagreement``: the players' objectives if talks fail (percent of baseline
    income); by default the values at ``war`` (a :class:`NashResult`), which is computed
    when not given. ``start``: the tariffs other countries keep and the starting point
    (default: the world's tariffs, or the war's tariffs when ``war`` is given).
    """
    from detente.strategy._nash import nash_tariffs

    t0 = time.perf_counter()
    model = _model(world_or_model, deficits)
    players, joint = _spaces(model.world, players, sectors, uniform)
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    if disagreement is None:
        if war is None:
            war = nash_tariffs(model, players, sectors=sectors, uniform=uniform, objectives=objectives, d_hat=d_hat)
        disagreement = model.values(war.tariffs, objectives, d_hat)
    d = np.asarray(disagreement, float)
    tau = np.array(
        start if start is not None else (war.tariffs if war is not None else model.world.tariffs), dtype=float
    )
    # start from a point both prefer to disagreement: the given one, else free trade between them
    x0 = joint.get(tau)
    if (model.values(joint.set(tau, x0), objectives, d_hat) <= d).any():
        x0 = np.zeros(joint.size)
    eps = 1e-6

    def combine(v):
        gap = v - d
        # log(gap), continued below eps by its second-order Taylor expansion (smooth, finite)
        safe = np.maximum(gap, eps)
        F = np.where(gap >= eps, np.log(safe), np.log(eps) + (gap - eps) / eps - (gap - eps) ** 2 / (2 * eps**2))
        dF = np.where(gap >= eps, 1.0 / safe, 1.0 / eps - (gap - eps) / eps**2)
        return float(F.sum()), dF

    x, ok, msg, n = _maximise(model, tau, joint, objectives, combine, x0, upper, d_hat)
    tau = joint.set(tau, x)
    values = model.values(tau, objectives, d_hat)
    if (values < d - 1e-9).any():
        ok, msg = False, f"no agreement found that every player prefers to the disagreement point ({msg})"
    return Agreement(
        "nash-bargain",
        tuple(players),
        joint.spaces,
        joint.split(x),
        tau,
        values,
        d,
        ok,
        msg,
        time.perf_counter() - t0,
        n,
    )


def mutually_preferred(
    world_or_model,
    players: Sequence[str] = DEFAULT_PAIR,
    disagreement: Sequence[float] | np.ndarray = (0.0, 0.0),
    *,
    grid: Sequence[float] = tuple(np.linspace(0.0, 1.0, 21)),
    sectors: str | Sequence[str] = "goods",
    start: np.ndarray | None = None,
    objectives: Sequence[Objective] | None = None,
    d_hat: np.ndarray | None = None,
    deficits: Literal["baseline", "zero"] = "baseline",
):
    """Uniform tariff pairs both players prefer to ``disagreement``.

    Returns a pandas DataFrame with one row per pair: ``tariff_A``, ``tariff_B``
    (fractions: A's uniform tariff on B and B's on A), ``U_A``, ``U_B`` (percent of
    baseline income) and ``both_prefer``. Costs ``len(grid)**2`` equilibrium solves.
    """
    import pandas as pd

    model = _model(world_or_model, deficits)
    players, joint = _spaces(model.world, players, sectors, True)
    if len(players) != 2:
        raise DetenteError("the mutually-preferred set is drawn for two players")
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    d = np.asarray(disagreement, float)
    tau = np.array(model.world.tariffs if start is None else start, dtype=float)
    rows = []
    for a in grid:
        for b in grid:
            v = model.values(joint.set(tau, np.array([a, b])), objectives, d_hat)
            rows.append({"tariff_A": a, "tariff_B": b, "U_A": v[0], "U_B": v[1], "both_prefer": bool((v >= d).all())})
    df = pd.DataFrame(rows)
    df.attrs.update(players=players, disagreement=d.tolist())
    return df
