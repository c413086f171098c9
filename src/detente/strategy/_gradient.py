"""Exact gradients of objectives through the equilibrium, by implicit differentiation.

The equilibrium is the fixed point :math:`z^* = G(z^*, p)` of the solver's sweep
(docs/model.md, section 11.1), with :math:`p = (\\tau', \\hat d)` the policy. For an
objective :math:`U(z, p)` evaluated at the fixed point the implicit function theorem
gives

.. math::

    \\frac{dU}{dp} = U_p + \\lambda^\\top G_p, \\qquad
    (I - G_z)^\\top \\lambda = U_z^\\top ,

one *adjoint* linear solve per objective, whatever the number of tariffs. The
vector-Jacobian products :math:`v^\\top G_z`, :math:`v^\\top G_p` come from the JAX twin
of the sweep (:mod:`._jax_kernel`); the adjoint system is solved with GMRES on a
:class:`scipy.sparse.linalg.LinearOperator` of VJPs (matrix-free, O(N^2 J) a
product), or densely for small worlds. The forward problem is solved by the numpy
kernel :func:`detente.equilibrium.solve_hat`, which refuses unconverged answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Literal

import numpy as np

from detente.equilibrium import Closure, Shock, solve_hat
from detente.errors import ConvergenceError, ShockError
from detente.strategy._jax_kernel import JaxKernel, pack
from detente.strategy._objective import Objective

DENSE_MAX = 400  # unknowns up to which the adjoint system is solved densely


@dataclasses.dataclass
class Counters:
    """Work done by a :class:`PolicyModel` (for benchmarks and reports)."""

    solves: int = 0
    sweeps: int = 0
    gradients: int = 0
    adjoint_products: int = 0


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Objective values at a policy, with their gradients when asked for.

    ``values`` (k,) in percent of income; ``grad_tau`` (k, N, N, J) in percent per unit
    of tariff (per 100 pp); ``grad_iceberg`` likewise per unit of iceberg factor.
    """

    values: np.ndarray
    grad_tau: np.ndarray | None
    grad_iceberg: np.ndarray | None
    solution: object


class PolicyModel:
    """A world with a deficit closure, ready to evaluate objectives and their gradients.

    Parameters
    ----------
    world : World
    deficits : "baseline" or "zero"
        Deficits of every counterfactual under the fixed-deficits closure.
    closure : "fixed-deficits", "fixed-ratios" or "balanced", optional
        The deficit closure (docs/model.md, section 4). Under "balanced" the world is
        purged of deficits first and every objective is relative to the purged world.
    tol : float
        Fixed-point tolerance of the forward solves.
    """

    def __init__(
        self,
        world,
        *,
        deficits: Literal["baseline", "zero"] = "baseline",
        closure: Closure | None = None,
        tol: float = 1e-12,
    ) -> None:
        from detente.equilibrium import Counterfactual, purged_world

        self.closure = closure or "fixed-deficits"
        if self.closure == "balanced":
            world = purged_world(world)
        self.world = world
        self.reference = Counterfactual.from_world(
            world, deficits=None if self.closure == "balanced" else deficits, closure=self.closure
        )
        self.D = np.array(self.reference.deficits)
        self.base = world.arrays()
        self.tol = tol
        self.counters = Counters()
        self._kernel: JaxKernel | None = None
        self._fns: dict = {}
        self._last_lambda: dict = {}  # warm starts of the adjoint solves, by objective

    # ------------------------------------------------------------------ plumbing
    @property
    def kernel(self) -> JaxKernel:
        if self._kernel is None:
            self._kernel = JaxKernel(self.base, self.D, closure=self.closure)
            self._build()
        return self._kernel

    def _build(self) -> None:
        k = self._kernel
        assert k is not None  # called by the kernel property once the kernel is made
        jax, jnp = k._jax, k._jnp
        va0 = jnp.asarray(self.world.va_share * self.world.gross_output)
        inc0 = jnp.asarray(k.income0)
        gva, alpha = k._c["gva"], k._c["alpha"]

        def objectives(z, tau, d, idx, phi):
            st = k._state(z, tau, d)
            lP = (alpha * st["lP"]).sum(axis=1)
            lw = jnp.log(st["income"] / inc0) - lP
            rva = gva * st["Y"] / jnp.exp(lP)[:, None]
            extra = (phi * (rva[idx] - va0[idx])).sum(axis=1) / inc0[idx]
            return 100.0 * (lw[idx] + extra)

        def vjp_all(z, tau, d, v):
            """v^T G_z, v^T G_tau, v^T G_d in one compiled function (GMRES uses the first)."""
            return jax.vjp(k._sweep, z, tau, d)[1](v)

        def first_pass(z, tau, d, idx, phi):
            """Values, their partial derivatives (z, tau, d_hat) and G(z), in one compiled call."""
            U, pull = jax.vjp(lambda q, t, e: objectives(q, t, e, idx, phi), z, tau, d)
            Uz, Ut, Ud = jax.vmap(pull)(jnp.eye(U.shape[0], dtype=U.dtype))
            return U, Uz, Ut, Ud, k._sweep(z, tau, d)

        self._fns = dict(
            U=jax.jit(objectives),
            first=jax.jit(first_pass),
            vjp=jax.jit(vjp_all),
            jac_z=jax.jit(jax.jacrev(k._sweep, argnums=0)),
        )

    def shock(self, tau: np.ndarray, d_hat: np.ndarray | None = None) -> Shock:
        tau = np.asarray(tau, float)
        d_hat = np.ones_like(tau) if d_hat is None else np.asarray(d_hat, float)
        if (tau <= -1).any():
            raise ShockError("tariffs must be above -100%")
        return Shock(tau, d_hat, self.D, self.closure)

    def solve(self, tau: np.ndarray, d_hat: np.ndarray | None = None):
        """The equilibrium :class:`~detente.equilibrium.Solution` (raises if unconverged)."""
        sol = solve_hat(self.base, self.shock(tau, d_hat), tol=self.tol)
        self.counters.solves += 1
        self.counters.sweeps += sol.iterations
        if not sol.converged:
            raise ConvergenceError(
                f"equilibrium did not converge ({sol.iterations} iterations, residuals "
                f"{max(sol.residuals.values()):.1e})",
                sol,
            )
        return sol

    @staticmethod
    def _targets(world, objectives: Sequence[Objective]):
        idx = np.array([world.country_index(o.country) for o in objectives], dtype=int)
        phi = np.stack([o.weights(world) for o in objectives]) if objectives else np.zeros((0, world.n_sectors))
        return idx, phi

    # ------------------------------------------------------------------ evaluation
    def evaluate(
        self,
        tau: np.ndarray,
        objectives: Sequence[Objective],
        d_hat: np.ndarray | None = None,
        *,
        gradient: bool = True,
        iceberg_gradient: bool = False,
        adjoint: str = "auto",
    ) -> Evaluation:
        """Values (and exact gradients) of ``objectives`` at tariffs ``tau`` (N, N, J).

        ``adjoint``: ``"gmres"`` (matrix-free), ``"dense"``, or ``"auto"`` (dense up to
        :data:`DENSE_MAX` unknowns).
        """
        k = self.kernel
        jnp = k._jnp
        shock = self.shock(tau, d_hat)
        sol = self.solve(shock.tau, shock.d_hat)
        z = pack(sol, self.base.X)
        idx, phi = self._targets(self.world, objectives)
        args = (jnp.asarray(z), jnp.asarray(shock.tau), jnp.asarray(shock.d_hat), jnp.asarray(idx), jnp.asarray(phi))
        if not gradient:
            return Evaluation(np.asarray(self._fns["U"](*args)), None, None, sol)
        values, Uz, Ut, Ud, Gz = (np.asarray(a) for a in self._fns["first"](*args))
        keys = [(int(n), p.tobytes()) for n, p in zip(idx, phi)]
        lam = self._adjoint(args[:3], Uz, adjoint, [self._last_lambda.get(k) for k in keys])
        self._last_lambda.update(zip(keys, lam))
        # first-order correction of the values for the fixed-point residual of z:
        # U(z*) = U(z) + lambda . (G(z) - z) + O(|G(z) - z|^2), which removes the solver's
        # tolerance from the values an optimiser compares in its line searches
        values = values + lam @ (Gz - z)
        pulled = [self._fns["vjp"](*args[:3], jnp.asarray(row)) for row in lam]
        self.counters.gradients += len(objectives)
        grad_tau = Ut + np.stack([np.asarray(p[1]) for p in pulled])
        grad_d = (Ud + np.stack([np.asarray(p[2]) for p in pulled])) if iceberg_gradient else None
        return Evaluation(values, grad_tau, grad_d, sol)

    def _adjoint(self, zp, Uz: np.ndarray, method: str, guesses=None) -> np.ndarray:
        """Solve (I - G_z)^T lambda = U_z^T for each row of ``Uz`` (k, size).

        ``guesses``: starting points for GMRES (the previous solution of the same
        objective), which cut the iterations when the optimiser takes small steps.
        """
        size = Uz.shape[1]
        if method == "dense" or (method == "auto" and size <= DENSE_MAX):
            Jz = np.asarray(self._fns["jac_z"](*zp))
            self.counters.adjoint_products += size
            return np.linalg.solve((np.eye(size) - Jz).T, Uz.T).T
        if method not in {"gmres", "auto"}:
            raise ValueError(f"adjoint must be 'auto', 'dense' or 'gmres', got {method!r}")
        from scipy.sparse.linalg import LinearOperator, gmres

        assert self._kernel is not None  # the forward pass made the kernel
        jnp = self._kernel._jnp
        vjp = self._fns["vjp"]

        def matvec(v):
            self.counters.adjoint_products += 1
            v = np.asarray(v, dtype=float).ravel()
            return v - np.asarray(vjp(*zp, jnp.asarray(v))[0])

        A = LinearOperator((size, size), matvec=matvec, dtype=float)
        out = np.empty_like(Uz)
        for r, rhs in enumerate(Uz):
            norm = float(np.abs(rhs).max())
            if norm == 0.0:
                out[r] = 0.0
                continue
            x0 = None if guesses is None or guesses[r] is None else guesses[r] / norm
            sol, info = gmres(A, rhs / norm, x0=x0, rtol=1e-12, atol=1e-14, restart=min(size, 200), maxiter=20)
            if info != 0:
                raise ConvergenceError(f"the adjoint system did not converge (GMRES info={info})")
            out[r] = sol * norm
        return out

    def values(self, tau: np.ndarray, objectives: Sequence[Objective], d_hat: np.ndarray | None = None) -> np.ndarray:
        """Objective values only (one forward solve, no JAX needed)."""
        sol = self.solve(tau, d_hat)
        return objective_values(self.world, sol, objectives, self.base)


def objective_values(world, sol, objectives: Sequence[Objective], base=None) -> np.ndarray:
    """Objectives of a numpy :class:`Solution` in percent of income (no JAX)."""
    base = base if base is not None else world.arrays()
    P = np.exp((world.final_shares * np.log(sol.P_hat)).sum(axis=1))
    lw = np.log(sol.I / world.income) - np.log(P)
    out = []
    for o in objectives:
        n = world.country_index(o.country)
        v = lw[n]
        phi = o.weights(world)
        if phi.any():
            rva = world.va_share[n] * sol.Y[n] / P[n]
            v += float(phi @ (rva - world.va_share[n] * world.gross_output[n])) / world.income[n]
        out.append(100.0 * v)
    return np.array(out)
