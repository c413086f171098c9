"""Toy worlds for the shortage tests: hand-built kernel inputs (one country, a chain)."""

from __future__ import annotations

import numpy as np

from detente.shortage import KernelInputs


def chain_inputs(
    ship_t: np.ndarray,
    *,
    cover: float = 5.0,
    transit: int = 2,
    n_stages: int = 1,
    criticality: float = 1.0,
    io_cover: float = 2.0,
    surge: float = 0.0,
    refill: float = 1.0,
    io_surge: float = 0.0,
    io_refill: float = 1.0,
    cohort_mult: np.ndarray | None = None,
) -> KernelInputs:
    """One country, ``n_stages`` sectors in a chain: sector 0 uses the critical product,
    sector s uses sector s-1 as its only essential input. ``ship_t`` (T,) is the share of
    orders shipped each week, or (T, Q) by cohort; ``cohort_mult`` (Q,) the cohorts'
    cover multipliers (default one cohort)."""
    J = n_stages
    ship_t = np.asarray(ship_t, float)
    T = ship_t.shape[0]
    mult = np.ones(1) if cohort_mult is None else np.asarray(cohort_mult, float)
    ship = ship_t.reshape(T, 1, 1, 1) if ship_t.ndim == 1 else ship_t.reshape(T, 1, 1, 1, -1)
    io_k = np.zeros((J, 1), dtype=np.int64)
    io_e = np.zeros((J, 1))
    for s in range(1, J):
        io_k[s, 0] = s - 1
        io_e[s, 0] = 1.0
    return KernelInputs(
        ship_tdpn=ship,
        user_country=np.array([0]),
        user_node=np.array([0]),
        criticality_up=np.array([[criticality]]),
        cover_dup=np.array([[[cover]]]),
        transit_p=np.array([transit]),
        refill_p=np.array([refill]),
        surge_p=np.array([surge]),
        cohort_w=np.full(mult.size, 1.0 / mult.size),
        cohort_mult=mult,
        pi_kni=np.ones((J, 1, 1)),
        io_k=io_k,
        io_e=io_e,
        io_cover=np.full((J, 1), io_cover),
        io_refill=io_refill,
        io_surge=io_surge,
        output_week_m=np.ones(J),
    )


# a three-country world for the parts channel: flows in levels, zero tariffs
PARTS_COUNTRIES = ("USA", "MEX", "CHN")
# non-ferrous metals (the magnets' parent), electrical equipment, motor vehicles and parts, services
PARTS_SECTORS = ("C24B", "C27", "C29", "SVC")


def parts_flows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(trade (n, i, j), inter_use (n, j, k), final_use (n, j)) of :func:`parts_world`.

    US car makers (C29) buy C27 from the US, Mexico and China (60/10/30 of US C27
    purchases) and C29 parts from the US and Mexico (80/20); Mexico buys all its C27 and
    C29 from China, and China buys only at home. Metals are bought at home.
    """
    M, E, V, S = range(4)
    T = np.zeros((3, 3, 4))
    T[0, :, E] = (60.0, 10.0, 30.0)  # USA buys C27 from USA, MEX, CHN
    T[0, :, V] = (200.0, 50.0, 0.0)  # USA buys C29
    T[1, 2, E] = 40.0  # MEX buys C27 from CHN only
    T[1, 2, V] = 30.0  # MEX buys C29 from CHN only
    T[2, 2, E], T[2, 2, V] = 300.0, 400.0
    for n, (metal, svc) in enumerate(((20.0, 1000.0), (10.0, 300.0), (50.0, 2000.0))):
        T[n, n, M], T[n, n, S] = metal, svc
    U = np.zeros((3, 4, 4))  # U[n, j, k]: purchases of composite j by sector k of n
    U[0, E, E], U[0, E, V], U[0, V, V] = 10.0, 20.0, 50.0
    U[1, E, E], U[1, E, V], U[1, V, V] = 2.0, 10.0, 10.0
    U[2, E, E], U[2, E, V], U[2, V, V] = 30.0, 50.0, 80.0
    for n, scale in enumerate((1.0, 0.2, 2.0)):
        U[n, M, E], U[n, M, V] = 2.0 * scale, 5.0 * scale
        U[n, S, E], U[n, S, V], U[n, S, S] = 10.0 * scale, 30.0 * scale, 100.0 * scale
    F = T.sum(axis=1) - U.sum(axis=2)
    return T, U, F


def parts_world():
    """A consistent :class:`~detente.world.World` of :func:`parts_flows` (ICIO sector
    codes, so the shipped registry maps onto it)."""
    from detente.world import World
    from detente.world._world import WorldMeta

    T, U, F = parts_flows()
    return World.from_flows(
        PARTS_COUNTRIES,
        PARTS_SECTORS,
        trade=T,
        tariffs=np.zeros_like(T),
        inter_use=U,
        final_use=F,
        theta=np.full(4, 4.0),
        meta=WorldMeta(name="parts-toy", services=("SVC",)),
    )
