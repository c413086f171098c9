"""REFERENCE IMPLEMENTATION -- the published Caliendo-Parro solution algorithm.

This module is a yardstick for benchmarks and tests, not part of the ``detente``
package. It implements, as written, the algorithm of

    Caliendo, L. and Parro, F. (2015), "Estimates of the Trade and Welfare Effects of
    NAFTA", Review of Economic Studies 82(1): 1-44, Appendix C ("Solving for the
    equilibrium in changes"),

vectorised in numpy (no Python loops over countries or sectors). Steps, with the
paper's equation numbers:

1. guess wages ``w_hat = 1`` (and sectoral prices ``P_hat = 1``);
2. inner fixed point for prices given wages, equations (10) and (11)::

       c_hat_n^j = w_hat_n^{gamma_n^j} prod_k (P_hat_n^k)^{gamma_n^{k,j}}
       P_hat_n^j = [ sum_i pi_ni^j (kappa_hat_ni^j c_hat_i^j)^(-theta^j) ]^(-1/theta^j)

   iterated until ``||P_hat - P_hat_prev||_2 < price_tol`` (warm-started from the last
   outer iteration's prices, as the authors' code does);
3. new trade shares, equation (12): ``pi'_ni^j = pi_ni^j (kappa c / P)^(-theta^j)``;
4. expenditure, equation (13), as the dense linear system ``Omega(w) X' = Delta(w)``
   of size NJ x NJ with ``Omega = I - F - H``: ``F`` the block-diagonal tariff-revenue
   term ``alpha_n^j (1 - sum_i pi'_ni^k / (1 + tau'_ni^k))`` and ``H`` the input term
   ``gamma_n^{j,k} pi'_mn^k / (1 + tau'_mn^k)``; solved with ``numpy.linalg.solve``
   (LU) every outer iteration;
5. trade-balance residual, equation (C2)::

       ZW_n = sum_{i,j} pi'_ni^j X'_n^j / (1 + tau'_ni^j) - D'_n
              - sum_{i,j} pi'_in^j X'_i^j / (1 + tau'_in^j)

   (imports minus deficit minus exports: positive when n's wage is too high);
6. damped update ``w_hat <- w_hat (1 + v ZW / (w L))`` with ``v = -0.5`` (the sign makes
   a country with excess imports cut its wage); stop when ``||w_new - w_old||_2 < tol``.
   (If a step makes a wage non-positive or non-finite the loop stops, unconverged:
   with deficits that are large relative to value added the paper's ``v = -0.5``
   overshoots, and a smaller ``wage_step`` is needed.)

The paper's loop has no explicit numeraire: with zero deficits every equation is
homogeneous of degree one in ``w_hat`` and the level drifts with the damped steps.
With non-zero deficits (fixed in numeraire units) the level matters. ``detente``
holds world value added fixed, ``sum_n w_hat_n w_n L_n = sum_n w_n L_n``; by default
(``numeraire="world_va"``) this reference rescales ``w_hat`` to that normalisation
after every wage update, which changes nothing else in the algorithm. With
``numeraire=None`` the loop runs exactly as published and the result is rescaled to
the same normalisation at the end (exact only when the new deficits are zero).

Axis names as in :mod:`detente.world._world`: ``n`` importer, ``i`` exporter,
``j``/``k`` sectors. Importing this module has no side effects.
"""

from __future__ import annotations

import time

import numpy as np

__all__ = ["solve_reference", "real_wage_hat", "welfare_hat"]

WAGE_STEP = -0.5  # the paper's "vfactor"


def _input_cost(w, P, gva, gio):
    """Equation (10): c_hat (i, j) from w_hat (i,) and P_hat (i, k)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return w[:, None] ** gva * np.prod(P[:, :, None] ** gio, axis=1)


def _price_index(c, pi, kappa, theta):
    """Equation (11): P_hat (n, j) from c_hat (i, j)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        s = (pi * (kappa * c[None, :, :]) ** (-theta)).sum(axis=1)
        return s ** (-1.0 / theta)


def _expenditure(w, pit, gio, alpha, VA, D):
    """Equation (13): X' = Omega^{-1} Delta with the dense NJ x NJ matrix Omega = I - F - H.

    ``pit`` is pi' / (1 + tau') with axes (n importer, i exporter, j).
    """
    N, J = alpha.shape
    NJ = N * J
    # H[n, j, m, k] = gamma_n^{jk} pi'_mn^k / (1 + tau'_mn^k): sector-j inputs bought by
    # sector k of country n, whose gross output is sum_m pi'_mn^k X'_m^k / (1 + tau').
    M = gio[:, :, None, :] * pit.transpose(1, 0, 2)[:, None, :, :]
    # F[n, j, n, k] = alpha_n^j (1 - sum_i pi'_ni^k / (1 + tau'_ni^k)): tariff revenue
    # spent on final goods (block diagonal).
    Fp = pit.sum(axis=1)
    idx = np.arange(N)
    M[idx, :, idx, :] += alpha[:, :, None] * (1.0 - Fp)[:, None, :]
    Omega = M.reshape(NJ, NJ)
    np.negative(Omega, out=Omega)
    Omega.flat[:: NJ + 1] += 1.0
    Delta = (alpha * (w * VA + D)[:, None]).reshape(NJ)
    return np.linalg.solve(Omega, Delta).reshape(N, J)


def solve_reference(
    baseline,
    shock,
    tol: float = 1e-7,
    max_iter: int = 20000,
    *,
    price_tol: float = 1e-7,
    max_price_iter: int = 10000,
    wage_step: float = WAGE_STEP,
    numeraire: str | None = "world_va",
    verbose: bool = False,
) -> dict:
    """Solve the CP (2015) counterfactual with the published algorithm (appendix C).

    Parameters
    ----------
    baseline : detente.world.Baseline
        ``(X, pi, tau, theta, gva, gio, alpha, VA, D)`` plain arrays (``World.arrays()``).
    shock : detente.equilibrium.Shock
        New tariffs ``tau`` (fractions), iceberg changes ``d_hat`` and new deficits ``D``.
    tol : float
        Outer stop: 2-norm of the wage change between iterations (the paper's 1e-7).
    price_tol : float
        Inner stop: 2-norm of the price change between inner iterations.
    wage_step : float
        The damping ``v`` in ``w <- w (1 + v ZW / wL)``.
    numeraire : "world_va" or None
        See the module docstring.

    Returns
    -------
    dict with ``w_hat`` (N,), ``P_hat`` (N, J), ``c_hat`` (N, J), ``pi`` (N, N, J) new
    trade shares, ``X`` (N, J) new expenditure, ``I`` (N,) new income, ``R`` (N,) new
    tariff revenue, ``iterations`` (outer), ``price_iterations`` (inner, total),
    ``converged``, ``wage_change`` (last outer criterion), ``trade_balance``
    (max |ZW| / world value added at the end) and ``seconds``.
    """
    t0 = time.perf_counter()
    X0, pi, tau, theta, gva, gio, alpha, VA, D0 = (np.asarray(a, dtype=float) for a in baseline)
    tau_new = np.asarray(shock.tau, dtype=float)
    D = np.asarray(shock.D, dtype=float)
    N, J = X0.shape
    kappa = (1.0 + tau_new) / (1.0 + tau) * np.asarray(shock.d_hat, dtype=float)
    VA_world = VA.sum()

    w = np.ones(N)
    P = np.ones((N, J))
    price_iterations = 0
    converged = False
    crit = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        # step 2: prices and input costs given wages
        for _ in range(max_price_iter):
            c = _input_cost(w, P, gva, gio)
            P_new = _price_index(c, pi, kappa, theta)
            price_iterations += 1
            pcrit = np.linalg.norm(P_new - P)
            P = P_new
            if pcrit < price_tol or not np.isfinite(pcrit):
                break
        c = _input_cost(w, P, gva, gio)
        # step 3: trade shares
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            pi_new = np.where(pi > 0, pi * (kappa * c[None, :, :] / P[:, None, :]) ** (-theta), 0.0)
        pit = pi_new / (1.0 + tau_new)
        # step 4: expenditure (dense NJ x NJ solve)
        X = _expenditure(w, pit, gio, alpha, VA, D)
        # step 5: trade balance, equation (C2)
        flows = pit * X[:, None, :]
        ZW = flows.sum(axis=(1, 2)) - D - flows.sum(axis=(0, 2))
        # step 6: damped wage update
        w_new = w * (1.0 + wage_step * ZW / VA)
        if numeraire == "world_va":
            w_new *= VA_world / (w_new @ VA)
        elif numeraire is not None:
            raise ValueError(f"numeraire must be 'world_va' or None, got {numeraire!r}")
        crit = float(np.linalg.norm(w_new - w))
        if not (np.all(np.isfinite(w_new)) and np.all(w_new > 0)):
            break  # the damped step overshot (large residual relative to wL): diverged
        w = w_new
        if verbose and (it % 50 == 0):
            print(f"  reference iteration {it}: wage change {crit:.2e}")
        if crit < tol:
            converged = True
            break

    # final state consistent with the returned wages
    for _ in range(max_price_iter):
        c = _input_cost(w, P, gva, gio)
        P_new = _price_index(c, pi, kappa, theta)
        pcrit = np.linalg.norm(P_new - P)
        P = P_new
        if pcrit < price_tol or not np.isfinite(pcrit):
            break
    c = _input_cost(w, P, gva, gio)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        pi_new = np.where(pi > 0, pi * (kappa * c[None, :, :] / P[:, None, :]) ** (-theta), 0.0)
    pit = pi_new / (1.0 + tau_new)
    X = _expenditure(w, pit, gio, alpha, VA, D)
    if numeraire is None:
        # the published loop leaves the level free: express it in the engine's numeraire
        lam = VA_world / (w @ VA)
        w, P, c, X = w * lam, P * lam, c * lam, X * lam
    flows = pit * X[:, None, :]
    ZW = flows.sum(axis=(1, 2)) - D - flows.sum(axis=(0, 2))
    R = (flows * tau_new).sum(axis=(1, 2))
    return {
        "w_hat": w,
        "P_hat": P,
        "c_hat": c,
        "pi": pi_new,
        "X": X,
        "I": w * VA + R + D,
        "R": R,
        "iterations": it,
        "price_iterations": price_iterations,
        "converged": converged,
        "wage_change": crit,
        "trade_balance": float(np.abs(ZW).max() / VA_world),
        "seconds": time.perf_counter() - t0,
    }


def _cpi_hat(baseline, P_hat):
    alpha = np.asarray(baseline.alpha, dtype=float)
    return np.exp((alpha * np.log(P_hat)).sum(axis=1))


def real_wage_hat(baseline, result: dict) -> np.ndarray:
    """(N,) w_hat / prod_j P_hat^alpha, the real-wage change."""
    return result["w_hat"] / _cpi_hat(baseline, result["P_hat"])


def welfare_hat(baseline, result: dict) -> np.ndarray:
    """(N,) real income change I'/I / prod_j P_hat^alpha (as ``Equilibrium.welfare_hat``)."""
    X, pi, tau, *_ = baseline
    VA, D = baseline.VA, baseline.D
    R0 = (pi * X[:, None, :] * tau / (1.0 + tau)).sum(axis=(1, 2))
    I0 = VA + R0 + D
    return (result["I"] / I0) / _cpi_hat(baseline, result["P_hat"])
