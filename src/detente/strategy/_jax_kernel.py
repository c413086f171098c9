"""The equilibrium sweep under JAX: exact derivatives at a solution, and a jitted forward solve.

The map :func:`sweep` is *the* fixed-point sweep ``z -> G(z; tau', d_hat)`` of
``detente.equilibrium._kernel.solve_hat`` (docs/model.md, section 11.1): the same code,
:func:`detente.equilibrium._sweep.sweep`, run with ``jax.numpy`` (no twin to keep in
step), so that JAX can take vector-Jacobian products of it and run it on an accelerator. The unknowns are
packed exactly as in the numpy kernel::

    z = [ log w_hat (N),  log P_hat (N*J),  X' / Xbar (N*J) ]

with ``Xbar_n = sum_j X_n^j`` the baseline spending of country n. Axis names follow
:mod:`detente.world._world`: ``n`` importer, ``i`` exporter, ``j``/``k`` sectors.

The forward problem is solved by the numpy kernel (or by :func:`solve_warm`, which
iterates this sweep with the same Anderson acceleration from a warm start); JAX is
only needed for derivatives. JAX is an optional dependency (``pip install
'detente[strategy]'``); :func:`require_jax` raises a readable error without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.errors import DetenteError

_LOG_CAP = 600.0  # same overflow guard as the numpy kernel


def require_jax() -> Any:
    """Import JAX with float64 enabled, or raise a :class:`DetenteError` saying how to get it."""
    try:
        import jax
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DetenteError(
            "the strategy layer needs JAX for exact gradients through the equilibrium: "
            "install it with `pip install 'detente[strategy]'` (or `pip install jax`)"
        ) from exc
    jax.config.update("jax_enable_x64", True)
    return jax


def pack(solution, X0: np.ndarray) -> np.ndarray:
    """The fixed-point vector z of a numpy :class:`~detente.equilibrium.Solution`."""
    Xscale = np.maximum(X0.sum(axis=1), 1e-300)[:, None]
    return np.concatenate([np.log(solution.w_hat), np.log(solution.P_hat).ravel(), (solution.X / Xscale).ravel()])


class JaxKernel:
    """Jitted sweep, welfare and derivatives for one baseline (a :class:`Baseline`).

    Parameters
    ----------
    base : Baseline
        Plain arrays of the world (``world.arrays()``).
    D_new : (N,) array
        Counterfactual deficits (numeraire units), fixed for this kernel: the new
        deficits under ``closure="fixed-deficits"``, the reference deficits at baseline
        wages under ``"fixed-ratios"`` (then D' depends on the wages inside the sweep,
        :func:`detente.equilibrium._closure.deficit_rule`).
    closure : str
        ``"fixed-deficits"`` (default), ``"fixed-ratios"`` or ``"balanced"`` (zero
        deficits; pass the arrays of the purged world, ``purged_world(world).arrays()``).

    All functions take ``z`` (packed unknowns), ``tau`` (N, N, J) new tariff levels
    (fractions) and ``d_hat`` (N, N, J) iceberg factors.
    """

    def __init__(
        self, base, D_new: np.ndarray, closure: str = "fixed-deficits", export_tax: np.ndarray | None = None
    ) -> None:
        jax = require_jax()
        import jax.numpy as jnp

        from detente.equilibrium._kernel import Shock, _kernel_closure

        self.closure = closure
        # _kernel_closure reads only D and the closure: empty placeholders for the trade costs
        self._rule = _kernel_closure(Shock(np.empty(0), np.empty(0), np.asarray(D_new, float), closure))
        self._jax, self._jnp = jax, jnp
        X0, pi, tau0, theta, gva, gio, alpha, VA, D = (np.asarray(a, float) for a in base)
        self.N, self.J = X0.shape
        self.size = self.N + 2 * self.N * self.J
        self.X0 = X0
        self.income0 = VA + (pi * X0[:, None, :] / (1.0 + tau0) * tau0).sum(axis=(1, 2)) + D
        self._c = dict(
            pi=jnp.asarray(pi),
            tau0=jnp.asarray(tau0),
            theta=jnp.asarray(theta),
            gva=jnp.asarray(gva),
            gio=jnp.asarray(gio),
            alpha=jnp.asarray(alpha),
            VA=jnp.asarray(VA),
            D_new=jnp.asarray(np.asarray(D_new, float)),
            Xscale=jnp.asarray(np.maximum(X0.sum(axis=1), 1e-300)[:, None]),
            income0=jnp.asarray(self.income0),
            has=jnp.asarray(pi > 0),
            x=jnp.asarray(np.zeros_like(pi) if export_tax is None else np.asarray(export_tax, float)),
        )
        self.sweep = jax.jit(self._sweep)
        self.state = jax.jit(self._state)

    # ------------------------------------------------------------------ the map
    def _unpack(self, z):
        N, J, c = self.N, self.J, self._c
        return z[:N], z[N : N + N * J].reshape(N, J), z[N + N * J :].reshape(N, J) * c["Xscale"]

    def _state(self, z, tau, d_hat):
        """Everything one sweep computes from ``z`` (dict of jax arrays): the bilateral terms
        from ``tau`` and ``d_hat`` (differentiable), then the one sweep every kernel
        iterates (:func:`detente.equilibrium._sweep.sweep`, with ``jax.numpy``)."""
        from detente.equilibrium import _sweep as core

        jnp, c = self._jnp, self._c
        x = c["x"]  # export taxes (constant), revenue to the exporter; baseline has none
        kappa = (1.0 + tau) / (1.0 + c["tau0"]) * d_hat * (1.0 + x)
        safe_pi = jnp.where(c["has"], c["pi"], 1.0)
        bk = jnp.where(c["has"], safe_pi * kappa ** (-c["theta"]), 0.0)  # (n, i, j)
        Gt = bk / (1.0 + tau)  # importer spending -> border value
        G = Gt / (1.0 + x)  # -> producer value

        def T(a):
            return jnp.transpose(a, (2, 0, 1))[None]

        A = core.Bilateral(T(bk), T(G), T(Gt), T(G * x), c["D_new"][None], jnp.asarray([self._rule == "fixed-ratios"]))
        const = {k: c[k] for k in ("theta", "gva", "gio", "alpha", "VA", "Xscale")}
        z_new, aux = core.sweep(jnp, const, A, z[None])
        return dict(
            z_new=z_new[0],
            lw=z[: self.N],
            lP=aux["lP"][0],
            X=aux["X"][0],
            Y=aux["Y"][0].T,
            R=aux["R"][0],
            income=aux["income"][0],
            w=aux["w"][0],
            D=aux["D"][0],
        )

    def _sweep(self, z, tau, d_hat):
        return self._state(z, tau, d_hat)["z_new"]

    # ------------------------------------------------------------------ welfare
    def log_welfare(self, z, tau, d_hat):
        """(N,) log real income change ln(I_hat / P_hat), equation of docs/model.md section 6."""
        st = self._state(z, tau, d_hat)
        return self._jnp.log(st["income"] / self._c["income0"]) - (self._c["alpha"] * st["lP"]).sum(axis=1)

    def real_value_added(self, z, tau, d_hat):
        """(N, J) new value added by sector deflated by the consumer price index."""
        st = self._state(z, tau, d_hat)
        P = self._jnp.exp((self._c["alpha"] * st["lP"]).sum(axis=1))
        return self._c["gva"] * st["Y"] / P[:, None]

    # ------------------------------------------------------------------ forward solve
    def solve_warm(self, tau, d_hat, z0: np.ndarray | None = None, *, tol: float = 1e-12, max_iter: int = 3000):
        """Iterate the jitted sweep with Anderson acceleration from ``z0`` (warm start).

        Returns ``(z, FixedPointResult)``. The result is the same fixed point as the numpy
        kernel's (tests check 1e-10); use it inside optimisers, where consecutive
        problems are close, and re-check final answers with :func:`detente.equilibrium.solve`.
        """
        from detente.equilibrium._anderson import anderson

        jt, jd = self._jnp.asarray(tau), self._jnp.asarray(d_hat)
        if z0 is None:
            z0 = np.concatenate(
                [np.zeros(self.N * (1 + self.J)), (self.X0 / self.X0.sum(axis=1, keepdims=True)).ravel()]
            )

        def g(z):
            return np.asarray(self.sweep(self._jnp.asarray(z), jt, jd))

        fp = anderson(g, np.asarray(z0, float), tol=tol, max_iter=max_iter, memory=10)
        return fp.x, fp

    # ------------------------------------------------------------------ batched forward solve
    def batched_solver(self, *, memory: int = 10, tol: float = 1e-11, max_iter: int = 500, ridge: float = 1e-12):
        """A jitted ``solve(z0, tau, d_hat) -> (z, iterations, residual, converged)`` for a
        batch: the sweep ``jax.vmap``-ed over members, iterated with Anderson acceleration
        (``memory``, regularised normal equations per member, converged members frozen)
        inside one ``lax.while_loop``. It runs on whatever device JAX uses (an accelerator
        when one is present). Callers check every member's answer with the numpy kernel
        (:func:`detente.equilibrium.solve_batch` with ``backend="jax"`` does).
        """
        jax, jnp = self._jax, self._jnp
        G = jax.vmap(self._sweep, in_axes=(0, 0, 0))

        def solve(z0, tau, d_hat):
            B, n = z0.shape
            g0 = G(z0, tau, d_hat)
            f0 = g0 - z0
            r0 = jnp.max(jnp.abs(f0), axis=1)
            init = dict(
                x=g0,
                g_prev=g0,
                f_prev=f0,
                dG=jnp.zeros((B, memory, n)),
                dF=jnp.zeros((B, memory, n)),
                k=jnp.zeros((), jnp.int32),
                it=jnp.ones(B, jnp.int32),
                res=r0,
                done=r0 < tol,
            )

            def cond(st):
                return (st["k"] < max_iter) & ~jnp.all(st["done"])

            def body(st):
                x = st["x"]
                g = G(x, tau, d_hat)
                f = g - x
                res = jnp.max(jnp.abs(f), axis=1)
                slot = st["k"] % memory
                dG = st["dG"].at[:, slot].set(g - st["g_prev"])
                dF = st["dF"].at[:, slot].set(f - st["f_prev"])
                filled = jnp.arange(memory) < jnp.minimum(st["k"] + 1, memory)
                dFm = jnp.where(filled[None, :, None], dF, 0.0)
                A = jnp.einsum("bmn,bpn->bmp", dFm, dFm)
                scale = jnp.maximum(jnp.trace(A, axis1=1, axis2=2), 1e-300)[:, None, None]
                eye = jnp.eye(memory)[None]
                A = A + (ridge * scale + (~filled)[None, :, None] * eye) * eye
                rhs = jnp.einsum("bmn,bn->bm", dFm, f)
                gamma = jnp.linalg.solve(A, rhs[..., None])[..., 0]
                x_and = g - jnp.einsum("bm,bmn->bn", gamma, jnp.where(filled[None, :, None], dG, 0.0))
                ok = jnp.all(jnp.isfinite(x_and), axis=1) & (jnp.max(jnp.abs(x_and - g), axis=1) < 50.0)
                x_new = jnp.where(ok[:, None], x_and, g)  # a plain step where the mix blows up
                done = st["done"] | (res < tol)
                x_new = jnp.where(done[:, None], x, x_new)
                return dict(
                    x=x_new,
                    g_prev=g,
                    f_prev=f,
                    dG=dG,
                    dF=dF,
                    k=st["k"] + 1,
                    it=st["it"] + (~done).astype(jnp.int32),
                    res=jnp.where(st["done"], st["res"], res),
                    done=done,
                )

            out = jax.lax.while_loop(cond, body, init)
            return out["x"], out["it"], out["res"], out["done"]

        return jax.jit(solve)
