"""Small random but consistent worlds, for tests, examples and benchmarks.

The generator draws an input-output table with home bias and builds the world with
:meth:`World.from_flows`, so every accounting identity holds exactly. Deterministic for
a given seed (numpy ``default_rng``).
"""

from __future__ import annotations

import numpy as np

from detente.world._world import World, WorldMeta


def random_world(
    n_countries: int = 4,
    n_sectors: int = 3,
    *,
    seed: int = 0,
    tariff_max: float = 0.15,
    intermediate_share: tuple[float, float] = (0.3, 0.6),
    theta_range: tuple[float, float] = (2.0, 10.0),
    home_bias: float = 4.0,
    zero_flow_prob: float = 0.0,
    intermediates: bool = True,
) -> World:
    """A consistent random world with ``n_countries`` x ``n_sectors``.

    Parameters
    ----------
    tariff_max : float
        Tariffs are uniform on [0, tariff_max] (fractions) off the diagonal.
    intermediate_share : (low, high)
        Range of each sector's input-spending share of gross output.
    home_bias : float
        Weight multiplier of domestic sourcing.
    zero_flow_prob : float
        Probability that a bilateral flow is zero (never the domestic one).
    intermediates : bool
        False gives a pure value-added economy (no input-output links).

    Deficits are whatever the draw implies; for balanced trade solve
    ``Counterfactual.from_world(w, deficits="zero")`` and re-base with ``to_world()``.
    """
    rng = np.random.default_rng(seed)
    N, J = n_countries, n_sectors
    countries = tuple(f"C{n:02d}" for n in range(N))
    sectors = tuple(f"S{j:02d}" for j in range(J))
    size = rng.lognormal(0.0, 0.7, N)
    # sourcing shares by buyer n, origin i, sector j with home bias
    weights = rng.uniform(0.2, 1.0, (N, N, J)) * size[None, :, None]
    weights[np.arange(N), np.arange(N), :] *= home_bias
    if zero_flow_prob > 0:
        mask = rng.uniform(size=(N, N, J)) < zero_flow_prob
        mask[np.arange(N), np.arange(N), :] = False
        weights[mask] = 0.0
    src = weights / weights.sum(axis=1, keepdims=True)
    # final demand by country and sector (factory prices, composite goods)
    F = rng.uniform(0.5, 1.5, (N, J)) * size[:, None]
    if intermediates:
        lo, hi = intermediate_share
        m_share = rng.uniform(lo, hi, (N, J))  # input spending / output by (country, sector)
        col = rng.uniform(0.1, 1.0, (N, J, J))
        col /= col.sum(axis=1, keepdims=True)
        A = col * m_share[:, None, :]  # (n, j input, k user): composite input per unit output
    else:
        A = np.zeros((N, J, J))
    # Solve for gross output Y (i, j): Y = sum_n src[n,i,j] * (sum_k A[n,j,k] Y[n,k] + F[n,j])
    NJ = N * J
    # M[(i, j), (n, k)]: demand for i's sector-j goods per unit of (n, k) output
    M = np.einsum("nij,njk->ijnk", src, A).reshape(NJ, NJ)
    d = np.einsum("nij,nj->ij", src, F).ravel()
    Y = np.linalg.solve(np.eye(NJ) - M, d).reshape(N, J)
    U = A * Y[:, None, :]  # (n, j, k) composite input purchases at factory prices
    purchases = U.sum(axis=2) + F  # (n, j)
    T = src * purchases[:, None, :]  # (n, i, j)
    tau = rng.uniform(0.0, tariff_max, (N, N, J))
    tau[np.arange(N), np.arange(N), :] = 0.0
    theta = rng.uniform(*theta_range, J)
    meta = WorldMeta(
        name=f"random-{N}x{J}-seed{seed}",
        vintage="synthetic",
        units="model units",
        notes=("random consistent world from detente.world.random_world",),
    )
    world = World.from_flows(
        countries,
        sectors,
        trade=T,
        tariffs=tau,
        inter_use=U,
        final_use=F,
        theta=theta,
        uses_at="basic",
        meta=meta,
        tol=1e-9,
    )
    return world
