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
