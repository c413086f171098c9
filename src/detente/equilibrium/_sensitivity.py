"""Exact sensitivities of headline results to the trade elasticities theta^j.

The equilibrium is the fixed point :math:`z^* = G(z^*; \\theta)` of the solver's sweep
(docs/model.md, section 11.1). The elasticities enter the sweep through
:math:`b = \\pi\\hat\\kappa^{-\\theta}`, through :math:`\\hat c^{-\\theta}` and through
:math:`\\ln\\hat P = -\\ln s/\\theta` (and the curvature of the wage step, which drops out
at a fixed point). For a headline :math:`U(z, \\theta)` the implicit function theorem gives

.. math::

    \\frac{dU}{d\\ln\\theta} = U_{\\ln\\theta} + U_z Z, \\qquad (I - G_z) Z = G_{\\ln\\theta}
    \\qquad\\text{(forward: one linear solve per sector)}

or, equivalently, :math:`U_{\\ln\\theta} + \\lambda^\\top G_{\\ln\\theta}` with
:math:`(I - G_z)^\\top\\lambda = U_z^\\top` (adjoint: one solve per headline). Both are
exact; ``mode="auto"`` takes the one with fewer solves. All derivatives of :math:`G` and
:math:`U` are JAX derivatives of the sweep of :class:`detente.strategy._jax_kernel.JaxKernel`
(the sweep is *not* copied here: the kernel's ``_state`` is called with the constant
``theta`` replaced by a traced argument). The linear systems are solved densely up to
:data:`DENSE_MAX` unknowns (the Jacobian from one compiled JAX call, then two LUs of
about half the size, :func:`_blocked_solve`: prices do not depend on spending) and
otherwise by GMRES on batched Jacobian-vector products (the sweep is linearised once
per table, each product evaluates only the tangent).

See docs/sensitivity.md for the units and the definitions of :meth:`Sensitivities.drivers`
and :func:`shares_moved`.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import time
from collections.abc import Sequence

import numpy as np

from detente.errors import ConvergenceError, DetenteError, ShockError

DENSE_MAX = 1000  # unknowns up to which the linear systems are solved by LU (20 x 22: 900)
SHARE_FLOOR = 1e-3  # shares_moved ignores cells whose baseline and new share are both below
_TWIN_TOL = 1e-8  # the JAX twin must reproduce the numpy fixed point to this (scaled units)


@dataclasses.dataclass(frozen=True)
class _Headline:
    label: str
    kind: str  # "welfare" or "trade"
    importer: int
    exporter: int = -1
    sectors: tuple[int, ...] = ()


_WELFARE_RE = re.compile(r"^\s*welfare\s+(?P<c>\S+)\s*$", re.I)
_TRADE_RE = re.compile(r"^\s*trade\s+(?P<exp>[^\s\-]+)\s*->\s*(?P<imp>\S+)(?:\s+(?P<sec>\S+))?\s*$", re.I)


def _parse(world, text: str) -> _Headline:
    from detente.equilibrium._counterfactual import _select

    m = _WELFARE_RE.match(text)
    if m:
        n = world.country_index(m["c"])
        return _Headline(f"welfare {world.countries[n]}", "welfare", n)
    m = _TRADE_RE.match(text)
    if m:
        i, n = world.country_index(m["exp"]), world.country_index(m["imp"])
        if i == n:
            raise ShockError(f"headline {text!r}: exporter and importer are the same country")
        sel = m["sec"] or "goods"
        js = tuple(int(j) for j in _select(world.sectors, sel, world, "sector"))
        if not js:
            raise ShockError(f"headline {text!r}: selects no sector")
        if world.trade_flows[n, i, list(js)].sum() <= 0:
            raise ShockError(f"headline {text!r}: no baseline trade, so no log change")
        return _Headline(f"trade {world.countries[i]}->{world.countries[n]} {sel}", "trade", n, i, js)
    raise ShockError(
        f"cannot read headline {text!r}: use 'welfare USA' or 'trade CHN->USA goods' "
        "(exporter->importer, then 'goods', 'all' or comma-separated sectors)"
    )


def default_headlines(eq, max_pairs: int = 4) -> list[str]:
    """Welfare of every country, then goods trade of up to ``max_pairs`` bilateral pairs.

    Pairs (exporter -> importer, goods sectors) are ranked by baseline goods trade:
    first the pairs whose tariffs or iceberg costs change in the counterfactual, then the
    largest other pairs with an importer or exporter among the countries of those
    changes (the largest pairs of the world if nothing changes).
    """
    w, cf = eq.world, eq.counterfactual
    goods = [w.sector_index(s) for s in w.goods] or list(range(w.n_sectors))
    T0 = w.trade_flows[:, :, goods].sum(axis=2)
    N = w.n_countries
    off = ~np.eye(N, dtype=bool) & (T0 > 0)
    changed = ((cf.tariffs != w.tariffs) | (cf.iceberg != 1.0)).any(axis=2) & off
    involved = np.zeros(N, bool)
    involved[np.nonzero(changed)[0]] = True
    involved[np.nonzero(changed)[1]] = True
    touch = (involved[:, None] | involved[None, :]) & off if involved.any() else off
    order: list[tuple[int, int]] = []
    for mask in (changed, touch & ~changed):
        cells = np.argwhere(mask)
        cells = cells[np.argsort(-T0[mask], kind="stable")]
        order.extend((int(n), int(i)) for n, i in cells)
    sel = "goods" if w.goods else "all"
    pairs = [f"trade {w.countries[i]}->{w.countries[n]} {sel}" for n, i in order[:max_pairs]]
    return [f"welfare {c}" for c in w.countries] + pairs


# ---------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, eq=False)
class Sensitivities:
    """Derivatives of headline results with respect to the log trade elasticities.

    ``values`` (K,): the headlines, percent changes ``100 (x_hat - 1)`` (welfare: real
    income ``I_hat / P_hat``; trade: sales of the exporter to the importer at factory
    prices, summed over the sectors of the headline).
    ``d_pct`` (K, J): d values / d ln theta^j, percentage points per unit of ln theta^j
    (so about ``0.0953 * d_pct`` pp for theta^j 10% higher, to first order).
    ``d_log`` (K, J): 100 d ln x_hat / d ln theta^j, log points per unit of ln theta^j.
    """

    headlines: tuple[str, ...]
    sectors: tuple[str, ...]
    theta: np.ndarray
    values: np.ndarray
    d_pct: np.ndarray
    d_log: np.ndarray
    mode: str
    solver: str
    seconds: float
    products: int = 0  # Jacobian-vector products (batched over the right-hand sides) of the linear solve
    counterfactual: str = ""

    def to_frame(self, unit: str = "pct"):
        """pandas DataFrame, rows headlines, columns sectors.

        ``unit="pct"``: pp of the headline per unit of ln theta^j (``d_pct``);
        ``unit="log"``: log points per unit of ln theta^j (``d_log``).
        """
        import pandas as pd

        if unit not in {"pct", "log"}:
            raise ValueError(f"unit must be 'pct' or 'log', got {unit!r}")
        df = pd.DataFrame(
            self.d_pct if unit == "pct" else self.d_log,
            index=pd.Index(self.headlines, name="headline"),
            columns=pd.Index(self.sectors, name="sector"),
        )
        df.attrs.update(
            unit=(
                "pp of the headline's percent change per unit of ln theta^j"
                if unit == "pct"
                else "log points (100 d ln x) per unit of ln theta^j"
            ),
            counterfactual=self.counterfactual,
        )
        return df

    @property
    def uniform(self) -> np.ndarray:
        """(K,) d values / d ln s when every theta^j is scaled by the same factor s (pp)."""
        return self.d_pct.sum(axis=1)

    def drivers(self, dominant: float = 0.5, cover: float = 0.8, max_drivers: int = 5):
        """Which elasticities drive each headline (pandas DataFrame, one row a headline).

        Sector j's *share* of a headline's elasticity dependence is
        ``|d_pct[j]| / sum_k |d_pct[k]|``: its part of the sum of the absolute first-order
        effects of moving each theta by the same proportion. ``drivers`` lists the
        sectors by share, largest first, until their shares add up to ``cover`` (at most
        ``max_drivers``). ``dominant`` is True when the largest share exceeds
        ``dominant`` (default one half: a single sector's elasticity drives more than
        half of the headline's dependence on the elasticities).
        """
        import pandas as pd

        a = np.abs(self.d_pct)
        tot = a.sum(axis=1)
        rows = []
        for k, h in enumerate(self.headlines):
            if tot[k] <= NOISE_PP:  # no dependence beyond the solver's rounding: no drivers
                rows.append(
                    dict(
                        headline=h,
                        value_pct=self.values[k],
                        uniform_pp=0.0,
                        top_sector="",
                        top_share=np.nan,
                        dominant=False,
                        drivers="",
                    )
                )
                continue
            share = a[k] / tot[k]
            order = np.argsort(-share, kind="stable")
            names, acc = [], 0.0
            for j in order[:max_drivers]:
                names.append(f"{self.sectors[j]} {100 * share[j]:.0f}% ({self.d_pct[k, j]:+.3g} pp)")
                acc += share[j]
                if acc >= cover:
                    break
            j0 = int(order[0])
            rows.append(
                dict(
                    headline=h,
                    value_pct=self.values[k],
                    uniform_pp=float(self.uniform[k]),
                    top_sector=self.sectors[j0],
                    top_share=float(share[j0]),
                    dominant=bool(share[j0] > dominant),
                    drivers=", ".join(names),
                )
            )
        return pd.DataFrame(rows).set_index("headline")


#: derivatives (pp per unit log theta) below this are the rounding of a solve converged to
#: 1e-12, not a dependence on the elasticities
NOISE_PP = 1e-9


def elasticity_drivers(table: Sensitivities, dominant: float = 0.5, cover: float = 0.8):
    """The same as ``table.drivers(dominant, cover)``."""
    return table.drivers(dominant, cover)


# ---------------------------------------------------------------------------- JAX
_COMPILED: dict = {}  # (kernel type, N, J, constant names, closure) -> jitted functions


def _functions(kernel, fresh: bool = False) -> dict:
    """Jitted functions of (z, c, theta, tau, d_hat, ...) for kernels of this shape.

    ``c`` is the kernel's dict of constants, passed as an argument so that one
    compilation serves every world of the same shape; ``theta`` replaces ``c["theta"]``
    as a traced argument, and the kernel's ``_state`` (the sweep) is reused unchanged.
    """
    key = (type(kernel), kernel.N, kernel.J, tuple(sorted(kernel._c)), getattr(kernel, "closure", None))
    if not fresh and key in _COMPILED:
        return _COMPILED[key]
    jax, jnp = kernel._jax, kernel._jnp
    template = copy.copy(kernel)  # only its methods and sizes are used; constants come as arguments

    def state(z, c, theta, tau, d):
        k = copy.copy(template)
        k._c = {**c, "theta": theta}
        return k._state(z, tau, d)

    def g(z, lt, c, tau, d):
        return state(z, c, jnp.exp(lt), tau, d)["z_new"]

    def u(z, lt, c, tau, d, h):
        """Log changes of the headlines: welfare of countries h['w'], then the trade pairs."""
        theta = jnp.exp(lt)
        st = state(z, c, theta, tau, d)
        lwel = jnp.log(st["income"] / h["income0"]) - (h["alpha"] * st["lP"]).sum(axis=1)
        lw, lP, X = st["lw"], st["lP"], st["X"]
        # input costs (1) and the pairs' trade shares (3); lP = -ln(s)/theta at the fixed point
        lc = h["gva"] * lw[:, None] + jnp.einsum("ikj,ik->ij", h["gio"], lP)
        pn, pe = h["pn"], h["pe"]
        xt = c["x"][pn, pe]  # export taxes (their rent goes to the exporter)
        lkap = jnp.log1p(tau[pn, pe]) - h["l1t0"] + jnp.log(d[pn, pe]) + jnp.log1p(xt)
        rel = jnp.exp(-theta * (lkap + lc[pe] - lP[pn]))
        flows = h["share0"] * rel * X[pn] / ((1.0 + tau[pn, pe]) * (1.0 + xt))
        T = (flows * h["mask"]).sum(axis=1)
        return jnp.concatenate([lwel[h["w"]], jnp.log(T / h["T0"])])

    def prep(z, lt, c, tau, d, h, forward):
        """Headline values, the fixed-point gap of the twin, and the right-hand sides."""
        gap = jnp.abs(g(z, lt, c, tau, d) - z).max()
        values = u(z, lt, c, tau, d, h)
        if forward:  # G_lnθ, one row per sector
            eye = jnp.eye(lt.shape[0], dtype=z.dtype)
            rhs = jax.vmap(lambda e: jax.jvp(lambda a: g(z, a, c, tau, d), (lt,), (e,))[1])(eye)
            return values, gap, rhs, jnp.zeros((0, lt.shape[0]))
        _, pull = jax.vjp(lambda q, a: u(q, a, c, tau, d, h), z, lt)
        Uz, Ult = jax.vmap(pull)(jnp.eye(values.shape[0], dtype=z.dtype))
        return values, gap, Uz, Ult

    def linear(z, lt, c, tau, d, forward):
        """The linear map V -> rows of V times G_z (forward: G_z v; adjoint: G_z^T v), as a
        pytree: its residuals (the primal sweep) are computed once, not at every product."""
        if forward:
            return jax.linearize(lambda q: g(q, lt, c, tau, d), z)[1]
        return jax.vjp(lambda q: g(q, lt, c, tau, d), z)[1]

    def matvec(lin, V, forward):
        """V - rows of V times G_z, batched over the rows of V."""
        if forward:
            return V - jax.vmap(lin)(V)
        return V - jax.vmap(lambda v: lin(v)[0])(V)

    def jacobian(z, lt, c, tau, d):
        return jax.jacrev(lambda q: g(q, lt, c, tau, d))(z)

    def dense(z, lt, c, tau, d, h, forward):
        """prep and the matrix M = I - G_z, rows and columns ordered (lP, lw, X).

        Returns the headline values, the twin's gap, the right-hand sides (rows, in that
        order), U_lnθ (adjoint) and M; :func:`_blocked_solve` solves with it.
        """
        values, gap, rhs, Ult = prep(z, lt, c, tau, d, h, forward)
        perm = _block_order(h["income0"].shape[0], z.shape[0])
        M = jnp.eye(z.shape[0], dtype=z.dtype) - jacobian(z, lt, c, tau, d)
        return values, gap, rhs[:, perm], Ult, M[perm][:, perm]

    def finish(z, lt, c, tau, d, h, S, Ult, forward):
        """d headline / d ln theta (K, J) from the solutions S of the linear systems."""
        if forward:  # S rows: dz/dlnθ_j; total derivative = jvp of u along (dz/dlnθ_j, e_j)
            eye = jnp.eye(lt.shape[0], dtype=z.dtype)
            return jax.vmap(lambda s, e: jax.jvp(lambda q, a: u(q, a, c, tau, d, h), (z, lt), (s, e))[1])(S, eye).T
        _, pull = jax.vjp(lambda a: g(z, a, c, tau, d), lt)  # S rows: adjoints lambda_k
        return Ult + jax.vmap(lambda v: pull(v)[0])(S)

    fns = dict(
        prep=jax.jit(prep, static_argnames="forward"),
        linear=jax.jit(linear, static_argnames="forward"),
        matvec=jax.jit(matvec, static_argnames="forward"),
        dense=jax.jit(dense, static_argnames="forward"),
        jacobian=jax.jit(jacobian),
        finish=jax.jit(finish, static_argnames="forward"),
    )
    _COMPILED.clear()  # keep one world shape compiled (the code is large)
    _COMPILED[key] = fns
    return fns


def _block_order(N: int, n: int) -> np.ndarray:
    """Positions of z = [lw (N), lP (NJ), X (NJ)] in the order (lP, lw, X) of :func:`_blocked_solve`."""
    NJ = (n - N) // 2
    return np.concatenate([np.arange(N, N + NJ), np.arange(N), np.arange(N + NJ, n)])


def _blocked_solve(M: np.ndarray, B: np.ndarray, N: int, forward: bool) -> np.ndarray | None:
    """Solve ``M X = B`` (forward) or ``M^T X = B`` (adjoint), unknowns ordered (lP, lw, X).

    The new prices lP_new depend on wages and prices only, not on spending X, so with
    p = lP (NJ) and r = (lw, X) the block M_pr of M = I - G_z is zero outside the N
    wage columns. Eliminating p leaves the Schur complement S = M_rr - M_rp M_pp^-1 M_pr,
    which differs from M_rr only in those N columns: two LUs of half the size, a quarter
    of the flops of one LU of M. ``B`` is (n, m); returns None when the block is not
    zero after all (then the caller factors M whole).
    """
    import scipy.linalg as sla

    n = M.shape[0]
    NJ = (n - N) // 2
    Mpp, Mpr, Mrp, Mrr = M[:NJ, :NJ], M[:NJ, NJ:], M[NJ:, :NJ], M[NJ:, NJ:]
    if np.any(Mpr[:, N:]):
        return None
    Bp, Br = B[:NJ], B[NJ:]
    lup = sla.lu_factor(Mpp, check_finite=False)
    if forward:
        W = sla.lu_solve(lup, np.concatenate([Mpr[:, :N], Bp], axis=1), check_finite=False)
        Ww, WB = W[:, :N], W[:, N:]
    else:
        Ww = sla.lu_solve(lup, Mpr[:, :N], check_finite=False)
    S = np.array(Mrr)
    S[:, :N] -= Mrp @ Ww
    lus = sla.lu_factor(S, overwrite_a=True, check_finite=False)
    if forward:
        Xr = sla.lu_solve(lus, Br - Mrp @ WB, check_finite=False)
        Xp = WB - Ww @ Xr[:N]
    else:
        Rr = np.array(Br)
        Rr[:N] -= Ww.T @ Bp
        Xr = sla.lu_solve(lus, Rr, trans=1, check_finite=False)
        Xp = sla.lu_solve(lup, Bp - Mrp.T @ Xr, trans=1, check_finite=False)
    return np.concatenate([Xp, Xr])


def _gmres(op, B: np.ndarray, *, rtol: float = 1e-10, restart: int = 60, max_restarts: int = 4):
    """Solve ``op(X) = B`` for every row of ``B`` (m, n) by GMRES, all rows at once.

    ``op`` maps a stack of vectors (m, n) to the stack of their images (one batched
    Jacobian-vector product per call). Arnoldi with classical Gram-Schmidt done twice
    (CGS2), vectorised over the rows; the Givens rotations of each row are accumulated
    in an orthogonal matrix so that one batched product applies them. Restarts from the
    current iterate until the true residual of every row is at most ``rtol`` times its
    right-hand side (2-norms). Returns ``(X, products, largest relative residual)``.
    """
    m, n = B.shape
    bnorm = np.linalg.norm(B, axis=1)
    X = np.zeros_like(B)
    if not bnorm.any():
        return X, 0, 0.0
    safe = np.where(bnorm > 0, bnorm, 1.0)
    R, products, rel = B.copy(), 0, np.inf
    for _ in range(max_restarts + 1):
        beta = np.linalg.norm(R, axis=1)
        Q = np.zeros((m, restart + 1, n))
        Q[:, 0] = R / np.where(beta > 0, beta, 1.0)[:, None]
        Rt = np.zeros((m, restart, restart))  # triangular factor of the Hessenberg matrix
        Om = np.tile(np.eye(restart + 1), (m, 1, 1))  # accumulated Givens rotations
        kk = 0
        for k in range(restart):
            wv = op(Q[:, k])
            products += 1
            h = np.zeros((m, k + 2))
            w0 = np.linalg.norm(wv, axis=1)
            for _rep in range(2):  # classical Gram-Schmidt, repeated when it lost digits (DGKS)
                for r in range(m):  # one BLAS gemv per row beats a stacked matmul
                    hk = Q[r, : k + 1] @ wv[r]
                    wv[r] -= hk @ Q[r, : k + 1]
                    h[r, : k + 1] += hk
                hn = np.linalg.norm(wv, axis=1)
                if (hn >= 0.7 * w0).all():
                    break
                w0 = hn
            h[:, k + 1] = hn
            Q[:, k + 1] = wv / np.where(hn > 0, hn, 1.0)[:, None]
            r = np.matmul(Om[:, : k + 2, : k + 2], h[:, :, None])[:, :, 0]
            rho = np.hypot(r[:, k], r[:, k + 1])
            ok = rho > 0
            c = np.where(ok, r[:, k] / np.where(ok, rho, 1.0), 1.0)
            sn = np.where(ok, r[:, k + 1] / np.where(ok, rho, 1.0), 0.0)
            a, b = Om[:, k, : k + 2].copy(), Om[:, k + 1, : k + 2].copy()
            Om[:, k, : k + 2] = c[:, None] * a + sn[:, None] * b
            Om[:, k + 1, : k + 2] = -sn[:, None] * a + c[:, None] * b
            Rt[:, :k, k] = r[:, :k]
            Rt[:, k, k] = rho
            kk = k + 1
            if (np.abs(beta * Om[:, k + 1, 0]) <= 0.1 * rtol * safe).all():
                break
        T = Rt[:, :kk, :kk]
        d = np.abs(np.diagonal(T, axis1=1, axis2=2))
        T = T + np.where(d > 0, 0.0, 1.0)[:, None, :] * np.eye(kk)  # rows that broke down early
        y = np.linalg.solve(T, (beta[:, None] * Om[:, :kk, 0])[..., None])[..., 0]  # (m, kk)
        X += np.matmul(y[:, None, :], Q[:, :kk])[:, 0]
        R = B - op(X)
        products += 1
        rel = float((np.linalg.norm(R, axis=1) / safe).max())
        if rel <= rtol:
            break
    return X, products, rel


def elasticity_sensitivities(
    eq,
    headlines: Sequence[str] | None = None,
    *,
    mode: str = "auto",
    solver: str = "auto",
    max_pairs: int = 4,
    rtol: float = 1e-10,
) -> Sensitivities:
    """Exact derivatives of headline results of ``eq`` with respect to each ln theta^j.

    Parameters
    ----------
    eq : Equilibrium
        A solved counterfactual (:func:`detente.equilibrium.solve`).
    headlines : list of str, optional
        ``"welfare USA"`` (real income, percent change) or ``"trade CHN->USA goods"``
        (sales of CHN to USA at factory prices summed over the goods sectors, percent
        change; ``all`` or comma-separated sector codes select other sectors). Default:
        :func:`default_headlines` (every country's welfare and up to ``max_pairs`` pairs).
    mode : "auto", "forward" or "adjoint"
        One linear solve per sector (forward) or per headline (adjoint); auto takes the
        fewer. Both give the same derivatives.
    solver : "auto", "dense" or "gmres"
        LU of the Jacobian of the sweep, or GMRES on Jacobian-vector products; auto is
        dense up to :data:`DENSE_MAX` unknowns.
    rtol : float
        GMRES stops when every linear system's residual is below ``rtol`` times its
        right-hand side (2-norm).

    Returns a :class:`Sensitivities` (``.to_frame()``, ``.drivers()``).
    """
    from detente.strategy._jax_kernel import JaxKernel, pack

    t0 = time.perf_counter()
    w, cf, sol = eq.world, eq.counterfactual, eq.solution
    hs = [_parse(w, t) for t in (headlines if headlines is not None else default_headlines(eq, max_pairs))]
    if not hs:
        raise ShockError("no headlines asked for")
    N, J = w.n_countries, w.n_sectors
    size = N + 2 * N * J
    if mode == "auto":
        mode = "forward" if J <= len(hs) else "adjoint"
    if mode not in {"forward", "adjoint"}:
        raise ValueError(f"mode must be 'auto', 'forward' or 'adjoint', got {mode!r}")
    if solver == "auto":
        solver = "dense" if size <= DENSE_MAX else "gmres"
    if solver not in {"dense", "gmres"}:
        raise ValueError(f"solver must be 'auto', 'dense' or 'gmres', got {solver!r}")

    closure = getattr(cf, "closure", None) or "fixed-deficits"
    if getattr(cf, "critical_cuts", ()):
        raise ShockError(
            "elasticity sensitivities are not available with critical-input cuts (the nested "
            "CES block is solved by equilibrium.solve only); use --bands for their uncertainty"
        )
    x = getattr(cf, "export_taxes", None)
    kernel = JaxKernel(w.arrays(), cf.deficits, closure=closure, export_tax=x if x is not None and np.any(x) else None)
    jnp = kernel._jnp
    welfare = [hd for hd in hs if hd.kind == "welfare"]
    trade = [hd for hd in hs if hd.kind == "trade"]
    P = len(trade)
    mask = np.zeros((P, J))
    for p, hd in enumerate(trade):
        mask[p, list(hd.sectors)] = 1.0
    pn = np.array([hd.importer for hd in trade], dtype=int)
    pe = np.array([hd.exporter for hd in trade], dtype=int)
    T0 = (w.trade_flows[pn, pe] * mask).sum(axis=1)
    h = dict(
        w=jnp.asarray(np.array([hd.importer for hd in welfare], dtype=int)),
        pn=jnp.asarray(pn),
        pe=jnp.asarray(pe),
        income0=jnp.asarray(kernel.income0),
        alpha=jnp.asarray(w.final_shares),
        gva=jnp.asarray(w.va_share),
        gio=jnp.asarray(w.io_shares),
        l1t0=jnp.asarray(np.log1p(w.tariffs[pn, pe])),
        share0=jnp.asarray(w.trade_shares[pn, pe]),
        mask=jnp.asarray(mask),
        T0=jnp.asarray(T0),
    )
    z = jnp.asarray(pack(sol, w.expenditure))
    args = (z, jnp.asarray(np.log(w.theta)), kernel._c, jnp.asarray(cf.tariffs), jnp.asarray(cf.iceberg))
    forward = mode == "forward"

    def run(fns):
        if solver == "dense":
            vals, gap, rhs, Ult, M = fns["dense"](*args, h, forward=forward)
            return vals, gap, (rhs, Ult, M)
        vals, gap, rhs, Ult = fns["prep"](*args, h, forward=forward)
        return vals, gap, (rhs, Ult)

    fns = _functions(kernel)
    vals, gap, out = run(fns)
    if not float(gap) <= _TWIN_TOL:  # the twin must have this solution as its fixed point
        fns = _functions(kernel, fresh=True)
        vals, gap, out = run(fns)
        if not float(gap) <= _TWIN_TOL:
            raise DetenteError(
                f"the JAX twin of the sweep does not reproduce this equilibrium (gap {float(gap):.1e}); "
                "was it solved with a closure the twin does not know?"
            )
    if solver == "dense":
        rhs, Ult, M = out
        perm = _block_order(N, size)
        M, B = np.asarray(M), np.asarray(rhs).T
        Sp = _blocked_solve(M, B, N, forward)
        if Sp is None:  # prices depend on spending after all: LU of the whole matrix
            import scipy.linalg as sla

            Sp = sla.lu_solve(sla.lu_factor(M if forward else M.T, check_finite=False), B, check_finite=False)
        S = np.empty_like(Sp)
        S[perm] = Sp
        products = size
        dU = fns["finish"](*args, h, jnp.asarray(S.T), Ult, forward=forward)
    else:
        rhs, Ult = out
        lin = fns["linear"](*args, forward=forward)  # the sweep's linearisation, computed once

        def op(V):
            return np.array(fns["matvec"](lin, jnp.asarray(V), forward=forward))  # writable copy

        S, products, res = _gmres(op, np.asarray(rhs), rtol=rtol)
        if not res <= 100 * rtol:
            raise ConvergenceError(f"the {mode} linear system did not converge (relative residual {res:.1e})")
        dU = fns["finish"](*args, h, jnp.asarray(S), Ult, forward=forward)
    dU = np.asarray(dU)
    vals = np.asarray(vals)
    # reorder rows back to the order asked for (welfare rows first inside the compiled call)
    order = [hd.kind == "welfare" for hd in hs]
    iw, it = iter(range(len(welfare))), iter(range(len(welfare), len(hs)))
    rows = [next(iw) if isw else next(it) for isw in order]
    u, du = vals[rows], dU[rows]
    return Sensitivities(
        headlines=tuple(hd.label for hd in hs),
        sectors=tuple(w.sectors),
        theta=np.array(w.theta),
        values=100.0 * np.expm1(u),
        d_pct=100.0 * np.exp(u)[:, None] * du,
        d_log=100.0 * du,
        mode=mode,
        solver=solver,
        seconds=time.perf_counter() - t0,
        products=products,
        counterfactual=cf.describe(),
    )


# ---------------------------------------------------------------------------- shares
def shares_moved(eq, factor: float = 10.0, floor: float = SHARE_FLOOR):
    """Bilateral trade shares that the counterfactual moves by more than ``factor`` times.

    Returns a pandas DataFrame (importer, exporter, sector, baseline share, new share,
    ratio new/baseline, direction "up"/"down"), largest moves first. A cell (n, i, j) is
    listed when ``pi'/pi >= factor`` or ``pi'/pi <= 1/factor`` and the share is not
    negligible: ``max(pi, pi') >= floor`` (default 1e-3, 0.1% of the importer's spending
    on the sector). Domestic shares are included. Zero baseline shares stay zero and are
    never listed.
    """
    import pandas as pd

    if not factor > 1:
        raise ValueError(f"factor must be above 1, got {factor!r}")
    w = eq.world
    p0, p1 = np.asarray(w.trade_shares), np.asarray(eq.solution.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p0 > 0, p1 / p0, 1.0)
    hit = (p0 > 0) & (np.maximum(p0, p1) >= floor) & ((ratio >= factor) | (ratio <= 1.0 / factor))
    cells = np.argwhere(hit)
    lr = np.abs(np.log(ratio[hit]))
    cells = cells[np.argsort(-lr, kind="stable")]
    rows = [
        dict(
            importer=w.countries[n],
            exporter=w.countries[i],
            sector=w.sectors[j],
            baseline=float(p0[n, i, j]),
            counterfactual=float(p1[n, i, j]),
            ratio=float(ratio[n, i, j]),
            direction="up" if ratio[n, i, j] > 1 else "down",
        )
        for n, i, j in cells
    ]
    df = pd.DataFrame(
        rows, columns=["importer", "exporter", "sector", "baseline", "counterfactual", "ratio", "direction"]
    )
    df.attrs.update(factor=factor, floor=floor, counterfactual=eq.counterfactual.describe())
    return df


def share_warning(eq, factor: float = 10.0, *, show: int = 3) -> str | None:
    """One readable warning when :func:`shares_moved` finds cells moved ``factor`` x, else None.

    Such moves are far outside the range where a constant-elasticity model is tested
    against data (docs/validation.md); the headline may rest on them.
    """
    moved = shares_moved(eq, factor)
    if not len(moved):
        return None
    rows = moved.head(show).to_dict("records")
    cells = "; ".join(
        f"{r['exporter']}->{r['importer']} {r['sector']}: share {r['baseline']:.3g} -> {r['counterfactual']:.3g}"
        for r in rows
    )
    more = f" (and {len(moved) - show} more)" if len(moved) > show else ""
    return (
        f"{len(moved)} bilateral trade shares move by more than {factor:g}x ({cells}{more}); "
        "constant-elasticity answers this far from the data are fragile"
    )
