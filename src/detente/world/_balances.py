"""Observed 2022 trade balances as targets for the final-demand reconstruction.

The benchmark npz gives each node's final sales summed over destinations, not who buys
them; :func:`detente.world._build.reconstruct_final_demand` splits them under the model's
sourcing assumption (the *prior*). That prior gets the big trade balances wrong (too small
a US deficit and Chinese surplus, deficits for Mexico and Brazil). :func:`fit_balances`
moves the final sales as little as possible, in the cross-entropy sense, so that

- every origin node still sells exactly its final sales ``z`` (row sums kept),
- every cell that is zero in the prior stays zero, every cell stays non-negative,
- each *level* target economy's imports minus exports (intermediate + final, the model's
  ``World.deficit``) equals the observed balance, and each *sign* target economy's
  balance has the observed sign.

The solution is ``X[r, n] = z_r P[r, n] exp(-mu . a[:, r, n]) / sum_n' (...)`` where
``a_c[r, n]`` is +1 when the cell is an import of target c, -1 when it is an export of c,
and the multipliers ``mu`` minimise a smooth convex dual (L-BFGS-B, deterministic). The
targets are in ``src/detente/data/trade_balances_2022.csv`` (exports minus imports, USD
billion, each row with its source); see docs/data_world.md.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from detente.errors import DataError

TARGETS_FILE = "trade_balances_2022.csv"
_REQUIRED = ("economy", "kind", "period", "total", "source", "table", "url", "accessed")


@dataclasses.dataclass(frozen=True)
class BalanceTarget:
    """One observed balance. ``deficit`` is imports minus exports in USD million (the
    model's sign) for ``kind="level"``; for ``kind="sign"`` only ``sign`` is used
    (+1 deficit, -1 surplus)."""

    economy: str
    kind: str
    deficit: float | None
    sign: int
    period: str
    source: str
    url: str


def read_balance_targets(path: str | Path | None = None) -> tuple[list[BalanceTarget], list[dict]]:
    """The targets and the raw rows of the CSV (default: the shipped file).

    Lines starting with ``#`` are comments. Raises :class:`DataError` for a row without a
    source, table, URL or access date, an unknown kind, or a level row without a total.
    """
    if path is None:
        text = resources.files("detente").joinpath("data", TARGETS_FILE).read_text("utf-8")
        where = TARGETS_FILE
    else:
        text, where = Path(path).read_text("utf-8"), str(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    if not rows or any(k not in rows[0] for k in _REQUIRED):
        raise DataError(f"{where}: needs columns {_REQUIRED}")
    targets = []
    for row in rows:
        eco = row["economy"].strip()
        missing = [k for k in ("source", "table", "url", "accessed") if not (row.get(k) or "").strip()]
        if missing:
            raise DataError(f"{where}: row {eco!r} has no {missing}")
        kind = row["kind"].strip()
        if kind == "level":
            try:
                total = float(row["total"])  # exports minus imports, USD billion
            except ValueError:
                raise DataError(f"{where}: level row {eco!r} has no numeric total") from None
            targets.append(
                BalanceTarget(eco, kind, -1e3 * total, -1 if total > 0 else 1, row["period"], row["source"], row["url"])
            )
        elif kind == "sign":
            vals = [row.get(k, "") for k in ("total", "goods")]
            num = next((v for v in vals if v.strip()), "")
            try:
                x = float(num.split()[0])
            except (ValueError, IndexError):
                raise DataError(f"{where}: sign row {eco!r} has no signed figure") from None
            targets.append(BalanceTarget(eco, kind, None, -1 if x > 0 else 1, row["period"], row["source"], row["url"]))
        else:
            raise DataError(f"{where}: row {eco!r}: kind must be 'level' or 'sign', not {kind!r}")
    return targets, rows


@dataclasses.dataclass(frozen=True)
class BalanceFit:
    """Result of :func:`fit_balances`. ``by_origin`` (J*N, N) final sales; ``table``: one
    dict per target present (economy, kind, target and prior and achieved deficit, USD
    million); ``moved``: sum |X - prior| / sum z; ``converged``: the dual's optimiser."""

    by_origin: np.ndarray
    table: tuple[dict, ...]
    moved: float
    converged: bool
    multipliers: np.ndarray


def node_deficits(Z: np.ndarray, by_origin: np.ndarray, n_countries: int) -> np.ndarray:
    """(N,) imports minus exports of each economy (intermediate + final, all sectors)."""
    N = int(n_countries)
    J = Z.shape[0] // N
    inter = Z.reshape(J, N, J, N).sum(axis=(0, 2))  # [i origin, n user]
    fin = by_origin.reshape(J, N, N).sum(axis=0)  # [i, n]
    T = inter + fin
    dom = np.diag(T)
    return (T.sum(axis=0) - dom) - (T.sum(axis=1) - dom)


def fit_balances(
    Z: np.ndarray,
    prior: np.ndarray,
    countries: Sequence[str],
    targets: Sequence[BalanceTarget],
    *,
    sign_margin: float = 0.01,
    maxiter: int = 2000,
) -> BalanceFit:
    """Minimum cross-entropy change of the final sales ``prior`` meeting the balances.

    Parameters
    ----------
    Z : (J*N, J*N) intermediate flows, industry-major nodes ``j * N + i``.
    prior : (J*N, N) final sales of each origin node by destination (non-negative); its
        row sums are kept.
    countries : the N economy codes; targets for economies not in it are ignored.
    targets : from :func:`read_balance_targets`.
    sign_margin : a sign target requires ``|deficit| >= sign_margin x`` the economy's gross
        trade (exports + imports, intermediate + final, in the prior) on its side.
    """
    from scipy.optimize import minimize

    N = len(countries)
    R = prior.shape[0]
    if prior.shape != (R, N) or Z.shape != (R, R) or R % N:
        raise DataError(f"fit_balances: shapes {Z.shape}, {prior.shape} do not fit N={N}")
    idx = {c: k for k, c in enumerate(countries)}
    use = [t for t in targets if t.economy in idx]
    D0 = node_deficits(Z, prior, N)
    if not use:
        return BalanceFit(prior.copy(), (), 0.0, True, np.zeros(0))
    P = np.asarray(prior, dtype=float)
    z = P.sum(axis=1)
    origin = np.arange(R) % N
    K = len(use)
    cidx = np.array([idx[t.economy] for t in use])
    # a[k, r, n]: +1 import of target k, -1 export of target k, 0 otherwise
    fin0 = P.reshape(R // N, N, N).sum(axis=0)
    fixed = D0 - ((fin0.sum(axis=0) - np.diag(fin0)) - (fin0.sum(axis=1) - np.diag(fin0)))
    scale = max(float(z.sum()), 1.0)
    Tp = Z.reshape(R // N, N, R // N, N).sum(axis=(0, 2)) + fin0  # [i, n]
    gross = (Tp.sum(axis=0) + Tp.sum(axis=1) - 2 * np.diag(Tp))[cidx]
    goal = np.zeros(K)
    lo = np.full(K, -np.inf)
    hi = np.full(K, np.inf)
    for k, t in enumerate(use):
        if t.kind == "level":
            goal[k] = t.deficit
        else:  # sign: deficit >= margin (mu <= 0) or deficit <= -margin (mu >= 0)
            goal[k] = t.sign * sign_margin * gross[k]
            if t.sign > 0:
                hi[k] = 0.0
            else:
                lo[k] = 0.0
    mask = P > 0
    logP = np.where(mask, np.log(np.where(mask, P, 1.0)), -np.inf)

    def exponent(mu):
        E = logP.copy()
        for k in range(K):
            c = cidx[k]
            imp = origin != c
            E[imp, c] -= mu[k]  # c's imports
            E[origin == c, :] += mu[k]  # c's exports ...
            E[origin == c, c] -= mu[k]  # ... not its domestic sales
        return E

    def solve(mu):
        E = exponent(mu)
        m = E.max(axis=1, keepdims=True)
        m[~np.isfinite(m)] = 0.0
        W = np.exp(E - m)
        s = W.sum(axis=1, keepdims=True)
        X = np.divide(W * z[:, None], s, out=np.zeros_like(W), where=s > 0)
        lse = np.log(np.where(s[:, 0] > 0, s[:, 0], 1.0)) + m[:, 0]
        return X, lse

    def achieved(X):
        fin = X.reshape(R // N, N, N).sum(axis=0)
        dfin = (fin.sum(axis=0) - np.diag(fin)) - (fin.sum(axis=1) - np.diag(fin))
        return fixed[cidx] + dfin[cidx]

    def dual(y):
        mu = y
        X, lse = solve(mu)
        phi = float(z @ lse) + float(mu @ (goal - fixed[cidx]))
        grad = -(achieved(X) - goal)
        return phi / scale, grad / scale

    bounds = [(0.0 if lo[k] == 0.0 else None, 0.0 if hi[k] == 0.0 else None) for k in range(K)]
    res = minimize(
        dual,
        np.zeros(K),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": maxiter, "ftol": 1e-15, "gtol": 1e-12, "maxcor": 20},
    )
    mu = res.x
    X, _ = solve(mu)
    D1 = node_deficits(Z, X, N)
    table = tuple(
        {
            "economy": t.economy,
            "kind": t.kind,
            "period": t.period,
            "target": t.deficit if t.kind == "level" else float(goal[k]),
            "sign": t.sign,
            "prior": float(D0[idx[t.economy]]),
            "achieved": float(D1[idx[t.economy]]),
        }
        for k, t in enumerate(use)
    )
    moved = float(np.abs(X - P).sum() / scale)
    return BalanceFit(X, table, moved, bool(res.success), mu)
