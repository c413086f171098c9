"""Pure numerical kernel: the Caliendo-Parro (2015) model in changes (exact hat algebra).

Arrays follow the axis names of :mod:`detente.world._world`: ``n`` importer, ``i``
exporter, ``j``/``k`` sectors. Equation numbers refer to docs/model.md (which follows
CP 2015, equations (10)-(13) and their appendix C).

Unknowns: log wage changes ``lw`` (N), log sectoral price changes ``lP`` (N, J), and
counterfactual expenditure ``X'`` (N, J). One sweep of the fixed-point map updates all
three at once:

1. input cost      log c_i^j = gamma_i^j lw_i + sum_k gamma_i^{kj} lP_i^k
2. price index     P_n^j^(-theta^j) = sum_i pi_ni^j kappa_ni^j^(-theta^j) c_i^j^(-theta^j)
3. trade shares    pi'_ni^j = pi_ni^j (kappa_ni^j c_i^j / P_n^j)^(-theta^j)
4. expenditure     X'_n^j = sum_k gamma_n^{jk} Y'_n^k + alpha_n^j (w_n L_n + R'_n + D'_n),
                   with D'_n from the deficit closure (:func:`._closure.deficit_rule`):
                   constant under "fixed-deficits", a function of the current wages
                   under "fixed-ratios" (so it is part of the sweep)
5. wages           a Newton-diagonal step on labour-market clearing
                   w_n L_n = sum_j gamma_n^j Y'_n^j, normalised so world value added is
                   unchanged (the numeraire).

Labour-market clearing and the expenditure system together imply the trade-balance
condition (5) of the design document. The sweep costs O(N^2 J + N J^2): the bilateral
term ``pi kappa^-theta`` is computed once, so each sweep needs only exponentials of an
(N, J) array and four contractions over (N, N, J). Anderson acceleration
(:mod:`._anderson`) drives the sweep to a fixed point.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from detente.equilibrium import _sweep
from detente.equilibrium._anderson import anderson
from detente.equilibrium._closure import check_closure, deficit_rule
from detente.equilibrium._critical import (
    CriticalBlock,
    check_block,
    nest_terms,
    node_rents,
    quota_gap,
    single,
    stack_hooks,
    stack_step,
)

_LOG_CAP = 600.0  # exp overflow guard on theta * log(c_hat)


class Shock(NamedTuple):
    """Counterfactual trade costs and deficits (plain arrays).

    ``D`` are the closure's reference deficits (:func:`._closure.deficit_rule`): the new
    deficits themselves under ``"fixed-deficits"`` (the default) and ``"balanced"``
    (then zeros, on a purged world), the deficits at baseline wages under
    ``"fixed-ratios"``, where D'_n = w_hat_n D_n less a value-added-weighted share of
    the world sum.
    """

    tau: np.ndarray  # (N, N, J) new tariffs, fractions
    d_hat: np.ndarray  # (N, N, J) iceberg factor changes (1 = none)
    D: np.ndarray  # (N,) reference deficits, numeraire units
    closure: str = "fixed-deficits"
    # (N, N, J) export taxes of exporter i on sales to n, fractions (baseline: none); their
    # revenue (the rent of a licence or quota) accrues to the exporter. None = zero.
    export_tax: np.ndarray | None = None
    # rationed critical inputs of user nodes (:mod:`._critical`): a nested CES block whose
    # scarcity rents accrue to the inputs' suppliers. None = no rationing.
    critical: CriticalBlock | None = None


class Solution(NamedTuple):
    """Counterfactual equilibrium in changes and levels; all arrays are plain numpy."""

    w_hat: np.ndarray  # (N,)
    P_hat: np.ndarray  # (N, J)
    c_hat: np.ndarray  # (N, J)
    pi: np.ndarray  # (N, N, J) new trade shares
    X: np.ndarray  # (N, J) new expenditure (gross of tariffs)
    Y: np.ndarray  # (N, J) new gross output
    I: np.ndarray  # (N,) new final spending (income)
    R: np.ndarray  # (N,) new tariff revenue
    iterations: int
    fixed_point_residual: float
    restarts: int
    converged: bool
    residuals: dict  # equilibrium-condition residuals at the solution
    D: np.ndarray | None = None  # (N,) new deficits D' at the solution (numeraire units)
    closure: str = "fixed-deficits"
    E: np.ndarray | None = None  # (N,) rents earned by each exporter: export taxes and critical-input markups
    critical_markup: np.ndarray | None = None  # (K,) scarcity markups mu >= 1 of the critical block's rows


def export_tax_of(shock: Shock) -> np.ndarray | None:
    """The shock's export taxes as an array, or None when there are none."""
    x = getattr(shock, "export_tax", None)
    if x is None:
        return None
    x = np.asarray(x, dtype=float)
    return x if np.any(x != 0) else None


def _prepare(base, shock: Shock):
    X, pi, tau, theta, gva, gio, alpha, VA, D = base
    kappa = (1.0 + shock.tau) / (1.0 + tau) * shock.d_hat
    x = export_tax_of(shock)
    if x is not None:
        kappa = kappa * (1.0 + x)  # the baseline has no export taxes
    # pi * kappa^-theta, (n, i, j); the power only where trade costs change (few cells)
    bk = np.array(pi, dtype=float, copy=True)
    changed = kappa != 1.0
    if changed.any():
        theta_b = np.broadcast_to(theta, kappa.shape)[changed]
        with np.errstate(divide="ignore", over="ignore", under="ignore"):
            bk[changed] = pi[changed] * kappa[changed] ** (-theta_b)
    inv_t = 1.0 / (1.0 + shock.tau)
    G = bk * inv_t  # importer spending -> value at the border
    if x is not None:
        # producers receive the border value net of the export tax; Gx carries the rent
        Gx = G * (x / (1.0 + x))
        return kappa, bk, G / (1.0 + x), inv_t, G, Gx
    return kappa, bk, G, inv_t, G, None


def bilateral_T(bk, G, Gt, Gx, D, closure: str) -> _sweep.Bilateral:
    """One member's bilateral terms (n, i, j) in the sweep's (1, j, n, i) layout."""

    def T(a):
        return None if a is None else np.ascontiguousarray(a.transpose(2, 0, 1))[None]

    return _sweep.Bilateral(
        T(bk), T(G), T(Gt), T(Gx), np.asarray(D, dtype=float)[None], np.array([closure == "fixed-ratios"]), T(G * bk)
    )


def solve_hat(
    base, shock: Shock, *, tol: float = 1e-12, max_iter: int = 3000, memory: int = 10, check_tol: float = 1e-8
) -> Solution:
    """Solve the counterfactual equilibrium of ``base`` under ``shock`` (exact hat algebra).

    Parameters
    ----------
    base : Baseline
        ``World.arrays()``: ``X`` (N, J) expenditure, gross of tariffs, in the world's
        units (e.g. USD million); ``pi`` (N, N, J) trade shares of importer n from
        exporter i; ``tau`` (N, N, J) tariffs as fractions; ``theta`` (J,) trade
        elasticities; ``gva`` (N, J) value-added shares of gross output; ``gio``
        (N, K, J) input shares of sector k in sector j's costs; ``alpha`` (N, J) final
        demand shares; ``VA`` (N,) value added; ``D`` (N,) deficits (world units).
    shock : Shock
        New tariffs (N, N, J, fractions), iceberg factor changes (N, N, J, 1 = none),
        the closure's reference deficits (N,), optional export taxes (N, N, J,
        fractions, rents to the exporter) and an optional critical-input block
        (:class:`._critical.CriticalBlock`).
    tol : float
        Tolerance of the fixed point (max change of the unknowns per sweep).
    max_iter : int
        Map evaluations allowed.
    memory : int
        Anderson acceleration memory.
    check_tol : float
        Tolerance on every equilibrium condition recomputed from the answer
        (:func:`_equilibrium_residuals`; shares, log points or fractions of world value
        added).

    Returns
    -------
    Solution
        Changes ``w_hat`` (N,), ``P_hat`` and ``c_hat`` (N, J), new levels ``pi``
        (N, N, J), ``X``, ``Y`` (N, J), ``I``, ``R``, ``D``, ``E`` (N,) in world units
        (numeraire: world value added fixed), with ``converged`` False if the fixed point
        or any equilibrium condition misses its tolerance (callers decide whether to raise;
        :func:`detente.equilibrium.solve` raises).
    """
    X0, pi, tau, theta, gva, gio, alpha, VA, D = base
    N, J = X0.shape
    _, bk, G, inv_t, Gt, Gx = _prepare(base, shock)
    blk = getattr(shock, "critical", None)
    K = 0
    if blk is not None:
        check_block(blk, N, J)
        K = len(blk.node)
        # baseline gross output, to read output in quantities (value / unit cost)
        log_Y0 = np.log(np.maximum(baseline_output(base), 1e-300)).ravel()
    closure = _kernel_closure(shock)
    D_ref = np.asarray(shock.D, dtype=float)
    Xscale = np.maximum(X0.sum(axis=1), 1e-300)[:, None]  # per-country scale for X
    const = _sweep.constants(np, base)
    A = bilateral_T(bk, G, Gt if Gx is not None else None, Gx, D_ref, closure)
    nz = N + 2 * N * J

    nest = single(blk) if blk is not None and K else None

    def sweep(z, full: bool = False):
        lc_extra = rents = None
        if nest is not None:
            lm = z[nz:]
            logA, s_k, lc_extra, rents = stack_hooks(nest, lm, N, J)
        z_new, aux = _sweep.sweep(np, const, A, z[None, :nz], lc_extra=lc_extra, rents=rents)
        z_new = z_new[0]
        if nest is not None:
            z_new = np.concatenate([z_new, stack_step(nest, lm, logA, s_k, aux, theta, log_Y0)])
        if full:
            return z_new, {
                k: (v[0].T if v.ndim == 3 and k in ("lc", "f", "s", "Y", "zeta") else v[0]) for k, v in aux.items()
            }
        return z_new

    def unpack(z):
        lw, lP, Xn = _sweep.unpack(np, z[None, :nz], N, J, Xscale)
        return lw[0], lP[0], Xn[0]

    z0 = np.concatenate([np.zeros(N), np.zeros(N * J), (X0 / Xscale).ravel(), np.zeros(K)])
    fp = anderson(sweep, z0, tol=tol, max_iter=max_iter, memory=memory)
    lw, lP, Xn = unpack(fp.x)
    lm = fp.x[N + 2 * N * J :] if K else None
    _, aux = sweep(fp.x, full=True)
    f, s = aux["f"], aux["s"]
    pi_new = bk * f[None, :, :] / s[:, None, :]
    Y = aux["Y"]
    R = aux["R"]
    w_hat = np.exp(lw)
    D_new = deficit_rule(closure, D_ref, VA, w_hat)
    income = w_hat * VA + R + D_new + aux["E"]
    residuals = _equilibrium_residuals(base, shock, bk, w_hat, np.exp(lP), np.exp(aux["lc"]), pi_new, Xn, lm)
    ok = fp.converged and max(residuals.values()) <= check_tol
    return Solution(
        w_hat=w_hat,
        P_hat=np.exp(lP),
        c_hat=np.exp(aux["lc"]),
        pi=pi_new,
        X=Xn,
        Y=Y,
        I=income,
        R=R,
        iterations=fp.iterations,
        fixed_point_residual=fp.residual,
        restarts=fp.restarts,
        converged=ok,
        residuals=residuals,
        D=D_new,
        closure=shock.closure,
        E=aux["E"],
        critical_markup=None if lm is None else np.exp(lm),
    )


def baseline_output(base) -> np.ndarray:
    """(N, J) baseline gross output at producer prices, ``sum_n pi X / (1 + tau)``
    (``World.gross_output`` of the world the arrays come from)."""
    X0, pi, tau = base[:3]
    return (pi * X0[:, None, :] / (1.0 + tau)).sum(axis=0)


def _kernel_closure(shock: Shock) -> str:
    """The deficit rule the sweep applies: "balanced" is D' = 0 on a purged world."""
    closure = check_closure(getattr(shock, "closure", "fixed-deficits"))
    if closure == "balanced":
        if np.any(np.asarray(shock.D) != 0):
            from detente.errors import ShockError

            raise ShockError(
                "the balanced closure solves with zero deficits on a purged world; "
                "got non-zero deficits (use equilibrium.solve, which purges the world first)"
            )
        return "fixed-deficits"
    return closure


def _equilibrium_residuals(base, shock: Shock, bk, w_hat, P_hat, c_hat, pi_new, Xn, lm=None) -> dict:
    """Each equilibrium condition's largest violation, recomputed from the returned values.

    ``price_index``, ``input_cost`` and ``trade_shares`` are in log points / absolute
    shares (equations 1-3); ``expenditure``, ``trade_balance`` (5') and
    ``labour_market`` (5) are relative to world value added.
    """
    X0, pi, tau, theta, gva, gio, alpha, VA, D = base
    scale = VA.sum()
    D_new = deficit_rule(_kernel_closure(shock), np.asarray(shock.D, dtype=float), VA, w_hat)
    # (1) input cost and (2) price index, in logs; bk = pi * kappa^-theta
    lc = gva * np.log(w_hat)[:, None] + np.einsum("ikj,ik->ij", gio, np.log(P_hat))
    N, J = lc.shape
    blk = getattr(shock, "critical", None)
    if blk is not None:
        logA, _, tau_k = nest_terms(blk, lm, N * J)
        lc = lc + logA.reshape(N, J)
    with np.errstate(over="ignore", under="ignore"):
        f = c_hat ** (-theta)  # (i, j)
        s = np.einsum("nij,ij->nj", bk, f)
    price = np.abs(np.log(P_hat) + np.log(s) / theta).max()
    cost = np.abs(np.log(c_hat) - lc).max()
    # (3) trade shares from the returned costs and prices
    pi3 = bk * f[None] * (P_hat**theta)[:, None, :]
    # (4) expenditure and (5) trade balance in levels; border value = producer value x (1 + x)
    flows = pi_new * Xn[:, None, :] / (1.0 + shock.tau)  # at the border (net of tariffs)
    x = export_tax_of(shock)
    producer = flows if x is None else flows / (1.0 + x)
    Y = producer.sum(axis=0)
    R = (flows * shock.tau).sum(axis=(1, 2))
    E = np.zeros_like(R) if x is None else (producer * x).sum(axis=(0, 2))
    Ycd, net_rents, out = Y, np.zeros_like(R), {}
    if blk is not None:
        paid, received = node_rents(blk, tau_k, Y.ravel(), lm, J)
        Ycd = Y - paid.reshape(N, J)
        E = E + received
        net_rents = received - paid.reshape(N, J).sum(axis=1)
        # the quota: demand equals supply where the markup is positive, is below it elsewhere
        log_Y0 = np.log(np.maximum(baseline_output(base), 1e-300)).ravel()
        log_Yq = np.log(np.maximum(Y, 1e-300)).ravel() - log_Y0 - lc.ravel()
        gap = quota_gap(blk, lm, logA, log_Yq)
        out["critical_quota"] = float(np.where(lm > 0, np.abs(gap), np.maximum(gap, 0.0)).max(initial=0.0))
    income = w_hat * VA + R + E + D_new
    X_impl = np.einsum("njk,nk->nj", gio, Ycd) + alpha * income[:, None]
    expend = np.abs(X_impl - Xn).max() / scale
    balance = np.abs(flows.sum(axis=(1, 2)) - D_new - net_rents - flows.sum(axis=(0, 2))).max() / scale
    labour = np.abs((gva * Ycd).sum(axis=1) - w_hat * VA).max() / scale
    shares = max(np.abs(pi_new.sum(axis=1) - 1.0).max(), np.abs(pi3 - pi_new).max())
    return {
        "price_index": float(price),
        "input_cost": float(cost),
        "expenditure": float(expend),
        "trade_balance": float(balance),
        "labour_market": float(labour),
        "trade_shares": float(shares),
        **out,
    }


# ---------------------------------------------------------------------------- one sector
class GravitySolution(NamedTuple):
    w_hat: np.ndarray
    P_hat: np.ndarray
    pi: np.ndarray
    X: np.ndarray  # new spending gross of tariffs
    I: np.ndarray
    R: np.ndarray
    iterations: int
    converged: bool
    residual: float


def solve_gravity(
    pi,
    tau,
    theta: float,
    VA,
    D,
    tau_new,
    d_hat,
    D_new,
    *,
    tol: float = 1e-13,
    max_iter: int = 2000,
    closure: str = "fixed-deficits",
) -> GravitySolution:
    """One-sector Armington / Anderson-van Wincoop endowment economy in changes.

    ``pi`` (n, i) trade shares, ``tau`` tariffs, ``VA`` endowment incomes w_i L_i, ``D``
    deficits; sigma = theta + 1. Final spending X_n = w_n L_n + R_n + D_n with tariff
    revenue R_n rebated; market clearing w_i L_i = sum_n pi'_ni X'_n / (1 + tau'_ni).
    The numeraire is world value added. ``closure`` is the deficit closure
    (:func:`._closure.deficit_rule`; ``D_new`` are its reference deficits).
    """
    closure = _kernel_closure(Shock(tau_new, d_hat, D_new, closure))
    pi = np.asarray(pi, float)
    kappa = (1.0 + tau_new) / (1.0 + tau) * d_hat
    bk = np.where(pi > 0, pi * kappa ** (-theta), 0.0)
    inv_t = 1.0 / (1.0 + tau_new)
    share_t = np.asarray(tau_new, float) * inv_t
    VA = np.asarray(VA, float)
    D_new = np.asarray(D_new, float)
    Wt = VA.sum()

    def state(lw):
        w = np.exp(lw)
        s = bk @ w ** (-theta)
        pn = bk * w[None, :] ** (-theta) / s[:, None]
        X = (w * VA + deficit_rule(closure, D_new, VA, w)) / (1.0 - (pn * share_t).sum(axis=1))
        sales = (pn * inv_t * X[:, None]).sum(axis=0)
        return w, s, pn, X, sales

    def g(lw):
        w, s, pn, X, sales = state(lw)
        own = (pn * (1 - pn) * inv_t * X[:, None]).sum(axis=0)
        lw_new = lw + (sales - w * VA) / (w * VA + theta * own)
        return lw_new - np.log(np.exp(lw_new) @ VA / Wt)

    fp = anderson(g, np.zeros(len(VA)), tol=tol, max_iter=max_iter, memory=10)
    w, s, pn, X, sales = state(fp.x)
    R = X * (pn * share_t).sum(axis=1)
    resid = float(np.abs(sales - w * VA).max() / Wt)
    return GravitySolution(
        w_hat=w,
        P_hat=s ** (-1.0 / theta),
        pi=pn,
        X=X,
        I=X,
        R=R,
        iterations=fp.iterations,
        converged=fp.converged and resid < 1e-10,
        residual=resid,
    )
