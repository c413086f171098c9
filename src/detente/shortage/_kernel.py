"""The weekly shortage kernel: pure numpy, vectorised over draws and nodes.

Notation (docs/shortage.md has the equations). Axes, in this order:

=====  =====================================================================
``t``  week (0 = the first week of the run)
``d``  Monte Carlo draw (batch axis; 1 for a single run)
``u``  user node: a (country, sector) with at least one critical input
``q``  inventory cohort inside a user node (firms with more or less stock)
``p``  critical product
``m``  node: (country n, sector j) flattened as ``n * J + j``
``s``  slot of a node's essential intermediate inputs (padded; the loop uses the
       flat list ``e`` of (node, input) pairs)
``k``  input sector; ``n`` buying country; ``i`` selling country
``r``  row of the shipped share: a user's country (one sourcing per country), or a
       row of the user's own (the parts channel: its route mix)
=====  =====================================================================

Quantities are in *weeks of baseline use*: a user that produces at its baseline rate
uses 1 unit of each input per week, so an inventory of 5 is five weeks of cover.
Output ``x`` is a fraction of baseline output (1 = baseline).

Each week ``t``:

1. critical arrivals ``a = shipped[t - T_p]`` (in transit ``T_p`` weeks);
   available ``A = S + a``;
2. critical capacity of a cohort (Leontief on critical inputs, criticality ``c``):
   ``y_uq = min_p [1 - c_up (1 - min(1, A_uqp))]``;
3. intermediate supply ratio ``r_nk = sum_i pi_nik x_ik(t-1)`` (suppliers ration
   buyers in proportion to their own output) and the share of unconstrained suppliers
   ``r^free_nk = sum_i pi_nik [x_ik(t-1) = 1]``; last week's orders ``o`` are delivered
   as ``v = min(o, 1) r + max(o - 1, 0) r^free`` (only unconstrained suppliers surge); available ``B = Z + v``; capacity ``z_m = min_s [1 - e_ms (1 - min(1, B_ms))]``;
4. output: a cohort produces ``min(y_uq, z_m)``; ``x_m = sum_q w_q min(y_uq, z_m)``
   for user nodes and ``x_m = z_m`` otherwise;
5. stocks fall by use: ``S = A - min(A, output)``, ``Z = B - min(B, x)``;
6. orders restore the inventory position (stock + in transit) to its target over
   ``R`` weeks, within the suppliers' surge capacity:
   ``o = clip(output + (S* + T - S - pipeline) / R, 0, 1 + surge)``; what is shipped
   is ``f[t] * o`` with ``f`` the share of orders licensed or replaced by other
   suppliers (from the licensing module), by country and, where cohorts source
   differently (single sourcing), by cohort. Orders not shipped are not back-logged: the
   next week's order rule asks again for the whole gap.

In the baseline (``f = 1``) every quantity stays at its steady state and ``x = 1``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

TOL = 1e-12


class KernelInputs(NamedTuple):
    """Plain arrays for :func:`run_kernel` (shapes in the module docstring's axes)."""

    ship_tdpn: np.ndarray  # (T, D or 1, P, R[, Q]) share of orders shipped to row r (by cohort)
    user_country: np.ndarray  # (U,) row r of ship_tdpn of each user: its country, or its own row (parts channel)
    user_node: np.ndarray  # (U,) flat node m of each user node
    criticality_up: np.ndarray  # (U, P)
    cover_dup: np.ndarray  # (D or 1, U, P) target inventory, weeks
    transit_p: np.ndarray  # (P,) int >= 1
    refill_p: np.ndarray  # (P,) weeks
    surge_p: np.ndarray  # (P,)
    cohort_w: np.ndarray  # (Q,) weights, sum 1
    cohort_mult: np.ndarray  # (Q,) inventory multipliers
    pi_kni: np.ndarray  # (K, N, I) trade shares, sector first
    io_k: np.ndarray  # (M, S) input sector of each slot
    io_e: np.ndarray  # (M, S) essentiality, one value > 0 on used slots, 0 = padding
    io_cover: np.ndarray  # (M, S) target inventory of intermediates, weeks
    io_refill: float
    io_surge: float
    output_week_m: np.ndarray  # (M,) baseline output per week (money), for summaries


class KernelOutput(NamedTuple):
    x_tdm: np.ndarray | None  # (T, D, M) output / baseline (full record only)
    stock_tdup: np.ndarray | None  # (T, D, U, P) cohort-weighted critical inventory, weeks
    shipped_tdup: np.ndarray | None  # (T, D, U, P) critical shipments, weeks of use
    first_stockout_du: np.ndarray  # (D, U) first week a critical input binds for any cohort (-1: never)
    first_loss_dm: np.ndarray  # (D, M) first week output < baseline (-1: never)
    cum_shortfall_dm: np.ndarray  # (D, M) sum over weeks of (1 - x): weeks of output lost
    loss_tdn: np.ndarray  # (T, D, N) output lost per week by country (money)
    first_stockout_duq: np.ndarray | None = None  # (D, U, Q) first week a critical input binds, by cohort


def run_kernel(k: KernelInputs, n_weeks: int, *, record: str = "full", dtype=np.float64) -> KernelOutput:
    """Simulate ``n_weeks`` weeks; ``record='summary'`` keeps only the summaries.

    ``dtype`` is the precision of the network state (float32 halves the memory traffic
    of Monte Carlo batches; critical-input stocks stay float64).
    """
    ship = np.asarray(k.ship_tdpn, dtype=float)
    if ship.shape[0] < n_weeks:
        raise ValueError(f"ship_tdpn has {ship.shape[0]} weeks, {n_weeks} needed")
    D = max(ship.shape[1], k.cover_dup.shape[0])
    U, P = k.criticality_up.shape
    Q = k.cohort_w.shape[0]
    if ship.ndim == 4:  # one shipped share for every cohort of a country
        ship = ship[..., None]
    if ship.ndim != 5 or ship.shape[-1] not in (1, Q):
        raise ValueError(f"ship_tdpn must be (T, D, P, R) or (T, D, P, R, {Q}), got {ship.shape}")
    Qs, R = ship.shape[-1], ship.shape[3]  # rows: countries (then users' own rows, parts channel)
    K, N, _ = k.pi_kni.shape
    M, Sl = k.io_k.shape
    J = M // N
    T_p = np.asarray(k.transit_p, dtype=int)
    if (T_p < 1).any():
        raise ValueError("transit_weeks must be at least 1")
    L = int(T_p.max()) + 1 if P else 1
    ar_p = np.arange(P)

    crit = k.criticality_up[None, :, None, :]  # (1, U, 1, P)
    users = crit > 0
    target = np.broadcast_to(k.cover_dup, (D, U, P))[:, :, None, :] * k.cohort_mult[None, None, :, None]
    S = np.array(target)  # (D, U, Q, P)
    pipe = np.zeros((D, U, Q, P, L))
    for p in range(P):
        for lag in range(1, T_p[p] + 1):
            pipe[:, :, :, p, (-lag) % L] = 1.0
    pipe_sum = np.broadcast_to(T_p.astype(float), (D, U, Q, P)).copy()
    pos_target = target + T_p  # inventory position target

    # intermediate-input state as a flat list of essential (node, input) pairs ``e``,
    # draw axis last: (E, D). Nodes are ordered by their number of essential inputs
    # (most first) and pairs by (slot, node), so slot s is a block of rows for the
    # first c_s nodes and the minimum over a node's inputs is a few slice operations.
    node_country = np.repeat(np.arange(N), J)  # (M,)
    used = k.io_e > 0  # (M, S)
    counts = used.sum(axis=1)
    ordered = np.argsort(-counts, kind="stable")
    ordered = ordered[counts[ordered] > 0]  # nodes with at least one essential input
    c_s = [int((counts[ordered] > sl).sum()) for sl in range(int(counts.max()) if used.any() else 0)]
    pair_m = np.concatenate([ordered[:c] for c in c_s]) if c_s else np.zeros(0, dtype=int)
    pair_s = np.concatenate([np.full(c, sl) for sl, c in enumerate(c_s)]) if c_s else np.zeros(0, dtype=int)
    offs = np.concatenate([[0], np.cumsum(c_s)]).astype(int)
    E = pair_m.size
    ess = float(k.io_e[used].max()) if E else 0.0
    if E and np.ptp(k.io_e[used]) > 0:
        raise ValueError("io_e must take one value on all essential slots")
    # slot positions: a node's essential inputs fill its first slots in any order
    slot_k = np.where(used, k.io_k, -1)
    slot_k = np.take_along_axis(slot_k, np.argsort(~used, axis=1, kind="stable"), axis=1)
    pair_k = slot_k[pair_m, pair_s]
    io_cov = np.take_along_axis(k.io_cover, np.argsort(~used, axis=1, kind="stable"), axis=1)
    idx_e = pair_k * N + node_country[pair_m]  # row of r (K*N, D)
    nodes_with = ordered
    x_prev = np.ones((N, J, D), dtype=dtype)
    io_target = io_cov[pair_m, pair_s][:, None].astype(dtype)  # (E, 1)
    Z = np.repeat(io_target, D, axis=1)
    o_io = np.ones((E, D), dtype=dtype)
    pi_kni = k.pi_kni.astype(dtype)
    io_live = False  # the network stays at its steady state until some output falls
    one = dtype(1.0)
    w_q = k.cohort_w[None, None, :]
    y_week = k.output_week_m.reshape(N, J)

    first_so = np.full((D, U, Q), -1, dtype=np.int64)
    first_loss = np.full((D, M), -1, dtype=np.int64)
    cum = np.zeros((D, M))
    loss_tdn = np.zeros((n_weeks, D, N))
    full = record == "full"
    x_rec = np.empty((n_weeks, D, M)) if full else None
    s_rec = np.empty((n_weeks, D, U, P)) if full else None
    v_rec = np.empty((n_weeks, D, U, P)) if full else None

    for t in range(n_weeks):
        # 1-2. critical inputs
        arr = pipe[:, :, :, ar_p, (t - T_p) % L]  # (D, U, Q, P)
        pipe_sum -= arr
        A = S + arr
        y = 1.0 - crit * (1.0 - np.minimum(1.0, A))
        yq = y.min(axis=-1) if P else np.ones((D, U, Q))
        # 3. intermediate inputs through the IO network
        xk = x_prev.transpose(1, 0, 2)  # (K, I, D)
        io_live = io_live or bool((x_prev < one).any())
        r = r_free = None
        if io_live:
            r = np.matmul(pi_kni, xk).reshape(K * N, D)  # supply ratio r_nk
            r_free = np.matmul(pi_kni, (xk >= one).astype(dtype)).reshape(K * N, D)
        z = np.ones((M, D), dtype=dtype)
        if E and io_live:
            assert r is not None and r_free is not None  # set above whenever io_live
            B = Z + np.minimum(o_io, one) * r[idx_e] + np.maximum(o_io - one, 0) * r_free[idx_e]
            bmin = B[: c_s[0]].copy()
            for sl in range(1, len(c_s)):
                np.minimum(bmin[: c_s[sl]], B[offs[sl] : offs[sl] + c_s[sl]], out=bmin[: c_s[sl]])
            z[nodes_with] = one - dtype(ess) * (one - np.minimum(one, bmin))
        # 4. output
        out_q = np.minimum(yq, z[k.user_node].T[:, :, None])  # (D, U, Q)
        x = z.copy()
        x[k.user_node] = (w_q * out_q).sum(axis=-1).T
        np.clip(x, 0, 1, out=x)
        # 5. stocks
        S = A - np.minimum(A, out_q[..., None])
        if E and io_live:
            x_e = x[pair_m]
            Z = B - np.minimum(B, x_e)
        # 6. orders and shipments
        o = np.clip(out_q[..., None] + (pos_target - S - pipe_sum) / k.refill_p, 0.0, 1.0 + k.surge_p)
        f = np.broadcast_to(ship[t], (D, P, R, Qs))[:, :, k.user_country].transpose(0, 2, 3, 1)  # (D, U, Qs, P)
        shipped = f * o
        pipe[:, :, :, ar_p, t % L] = shipped
        pipe_sum += shipped
        if E and io_live:
            o_io = np.clip(x_e + (io_target - Z) * dtype(1.0 / k.io_refill), 0, dtype(1.0 + k.io_surge))
        x_prev = x.reshape(N, J, D)
        # records
        binding = ((y < 1.0 - TOL) & users).any(axis=3)  # (D, U, Q)
        first_so[(first_so < 0) & binding] = t
        short = (1.0 - x).T  # (D, M)
        first_loss[(first_loss < 0) & (short > TOL)] = t
        cum += short
        loss_tdn[t] = (short.reshape(D, N, J) * y_week).sum(axis=-1)
        if full:
            assert x_rec is not None and s_rec is not None and v_rec is not None  # allocated when full
            x_rec[t] = x.T
            s_rec[t] = (S * k.cohort_w[None, None, :, None]).sum(axis=2)
            v_rec[t] = (shipped * k.cohort_w[None, None, :, None]).sum(axis=2)
    first_any = np.where(first_so >= 0, first_so, n_weeks).min(axis=2)
    first_any[first_any == n_weeks] = -1
    return KernelOutput(x_rec, s_rec, v_rec, first_any, first_loss, cum, loss_tdn, first_so)
