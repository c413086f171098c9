"""The fixed-point sweep of the equilibrium, written once for numpy and JAX, one member or many.

Every solver of detente iterates this map (docs/model.md, section 11.1):
:func:`detente.equilibrium._kernel.solve_hat` (one counterfactual, numpy),
:func:`detente.equilibrium.solve_batch` (a stack of counterfactuals, numpy) and
:class:`detente.strategy._jax_kernel.JaxKernel` (``jax.numpy``: exact derivatives, and
a jitted forward solve that runs on an accelerator when one is present). ``xp`` is the
array namespace (``numpy`` or ``jax.numpy``); nothing here writes in place, so the same
code traces under ``jax.jit``.

Layout ("T"): a leading batch axis ``b``, then sectors before countries. Bilateral
arrays are (b, j, n, i) (importer n, exporter i), country-sector arrays (b, j, n). The
contractions are batched matrix products over countries; the input-output ones are
products with ``gio`` (N, K, J) over sectors. Unknowns per member, as in every kernel::

    z = [ log w_hat (N),  log P_hat (N*J, n-major),  X' / Xbar (N*J, n-major) ]

The critical-input block (:mod:`._critical`, numpy only) enters through two optional
hooks: ``lc_extra`` (b, j, n) adds the nest's log cost factors to the input costs, and
``rents(Y)`` returns the rents each node pays (b, j, n) and each country receives (b, N).
"""

from __future__ import annotations

from typing import Any, NamedTuple

_LOG_CAP = 600.0  # exp overflow guard on theta * log(c_hat)


class Bilateral(NamedTuple):
    """A stack of counterfactuals' bilateral terms, (b, j, n, i) each.

    ``bk`` = pi kappa^-theta; ``G`` importer spending -> producer value (net of tariffs
    and export taxes); ``Gt`` -> border value (net of tariffs; None: equal to ``G``, no
    export taxes); ``Gx`` the export-tax rent per unit of spending (None: no export
    taxes); ``D`` (b, N) the closure's reference deficits; ``ratio`` (b,) bool, the
    fixed-ratio closure; ``Gb`` = G * bk (optional, precomputed).
    """

    bk: Any
    G: Any
    Gt: Any
    Gx: Any
    D: Any
    ratio: Any
    Gb: Any = None  # G * bk, the own-sales weight of the wage step (None: computed)


def unpack(xp, z, N: int, J: int, Xscale):
    """z (b, nz) -> lw (b, N), lP (b, N, J), X' (b, N, J) in levels."""
    b = z.shape[0]
    return (z[:, :N], z[:, N : N + N * J].reshape(b, N, J), z[:, N + N * J : N + 2 * N * J].reshape(b, N, J) * Xscale)


def sweep(xp, const, A: Bilateral, z, *, lc_extra=None, rents=None):
    """One sweep for every member: ``z`` (b, nz) -> ``(z_new (b, N + 2NJ), aux)``.

    ``const`` holds the baseline arrays (:func:`constants`). ``aux`` (T layout unless
    said): ``lc``, ``f`` (c^-theta), ``s`` (P^-theta), ``Y``, ``zeta`` (sales-weighted
    (1 - pi') times Y, for Newton steps) as (b, j, n); ``R``, ``E``, ``income``, ``D``,
    ``w`` (b, N); ``lP`` (b, N, J), ``X`` (b, N, J).
    """
    theta, gva, gio, alpha, VA = const["theta"], const["gva"], const["gio"], const["alpha"], const["VA"]
    N, J = gva.shape
    th = theta[..., :, None]  # (j, 1), or (b, j, 1) for one set of elasticities per member
    gvaT = gva.T  # (j, n)
    lw, lP, Xn = unpack(xp, z, N, J, const["Xscale"])
    XnT = xp.swapaxes(Xn, 1, 2)  # (b, j, n)
    # (1) input costs: lc[b, j, i] = gva[i, j] lw[b, i] + sum_k lP[b, i, k] gio[i, k, j]
    lcT = xp.swapaxes(xp.matmul(xp.swapaxes(lP, 0, 1), gio), 0, 1)  # (b, i, j)
    lcT = xp.swapaxes(lcT, 1, 2) + gvaT * lw[:, None, :]  # (b, j, i)
    if lc_extra is not None:
        lcT = lcT + lc_extra
    fT = xp.exp(xp.clip(-th * lcT, -_LOG_CAP, _LOG_CAP))  # c^-theta, (b, j, i)
    # (2) price indices: s[b, j, n] = sum_i bk[b, j, n, i] f[b, j, i]
    sT = xp.maximum(xp.matmul(A.bk, fT[..., None])[..., 0], 1e-300)
    lP_newT = xp.log(sT) / -th
    qT = XnT / sT
    # gross output at producer prices: Y[b, j, i] = f sum_n G[b, j, n, i] q[b, j, n]
    YT = fT * xp.matmul(qT[:, :, None, :], A.G)[:, :, 0, :]
    Gt = A.G if A.Gt is None else A.Gt
    netT = qT * xp.matmul(Gt, fT[..., None])[..., 0]  # spending net of tariffs, border prices
    R = (XnT - netT).sum(axis=1)
    w = xp.exp(lw)
    wVA = w * VA
    own = w * A.D
    D_new = xp.where(A.ratio[:, None], own - wVA * (own.sum(axis=1) / wVA.sum(axis=1))[:, None], A.D)
    E = xp.zeros_like(R)
    if A.Gx is not None:
        E = (fT * xp.matmul(qT[:, :, None, :], A.Gx)[:, :, 0, :]).sum(axis=1)
    Ycd = YT  # revenue that pays labour and the Cobb-Douglas inputs
    if rents is not None:
        paid, received = rents(YT)
        Ycd = YT - paid
        E = E + received
    income = wVA + R + D_new + E
    # (4) expenditure X[b, n, j] = sum_k gio[n, j, k] Ycd[b, n, k] + alpha[n, j] income[b, n]
    X_new = xp.swapaxes(xp.matmul(xp.transpose(Ycd, (2, 0, 1)), xp.swapaxes(gio, 1, 2)), 0, 1)
    X_new = X_new + alpha * income[:, :, None]
    va_impl = (gvaT * Ycd).sum(axis=1)
    # (5) wages: a Newton-diagonal step; d log Y / d log c ~ -theta zeta / Y
    Gb = A.G * A.bk if A.Gb is None else A.Gb
    Y2T = fT * fT * xp.matmul((qT / sT)[:, :, None, :], Gb)[:, :, 0, :]
    zetaT = xp.maximum(YT - Y2T, 0.0)
    H = wVA + (th * gvaT * gvaT * zetaT).sum(axis=1)
    lw_new = xp.clip(lw + (va_impl - wVA) / xp.maximum(H, 1e-300), -_LOG_CAP / 10, _LOG_CAP / 10)
    lw_new = lw_new - xp.log(xp.exp(lw_new) @ VA / VA.sum())[:, None]
    b = z.shape[0]
    z_new = xp.concatenate(
        [lw_new, xp.swapaxes(lP_newT, 1, 2).reshape(b, N * J), (X_new / const["Xscale"]).reshape(b, N * J)], axis=1
    )
    aux = dict(lc=lcT, f=fT, s=sT, Y=YT, zeta=zetaT, R=R, E=E, income=income, D=D_new, w=w, lP=lP, X=Xn)
    return z_new, aux


def constants(xp, base) -> dict:
    """The baseline arrays the sweep reads, as ``xp`` arrays."""
    X0, pi, tau, theta, gva, gio, alpha, VA, D = base
    Xscale = xp.maximum(xp.asarray(X0).sum(axis=1), 1e-300)[:, None]
    return dict(
        theta=xp.asarray(theta),
        gva=xp.asarray(gva),
        gio=xp.asarray(gio),
        alpha=xp.asarray(alpha),
        VA=xp.asarray(VA),
        Xscale=Xscale,
    )


def to_T(a):
    """(n, i, j) -> (j, n, i), a view or a transposed array of either namespace."""
    return a.transpose(2, 0, 1)


def from_T(aT):
    """(b, j, n) -> (b, n, j)."""
    return aT.transpose(0, 2, 1)
