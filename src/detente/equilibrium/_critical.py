"""Critical inputs inside the equilibrium: a nested CES block for rationed inputs.

A user node u = (country n, sector j) that depends on a critical input p (the registry
of :mod:`detente.shortage`) produces with a CES nest between the critical input and the
bundle of all its other inputs (the Cobb-Douglas bundle of the base model),

    c_u = [ (1 - sum_p a_up) c_V^(1 - sigma) + sum_p a_up p_up^(1 - sigma) ]^(1 / (1 - sigma)),

with ``a_up`` the input's baseline cost share and ``sigma`` the substitutability between
the critical input and everything else (low in the short run, rising with the horizon:
:data:`detente.instruments.NEST_SIGMA`). An export licence or quota rations the
quantity: the user can buy at most ``z_up`` of its baseline quantity (docs/model.md,
section 5b). The input's price then rises above its cost by the scarcity markup
``mu_up >= 1`` until the user's demand equals the quota,

    Y_u^qty (mu_up / A_u)^(-sigma) = z_up      where the quota binds (mu_up > 1),
    Y_u^qty (1 / A_u)^(-sigma)   <= z_up       otherwise (mu_up = 1),

where ``A_u = c_u / c_V`` is the cost factor of the nest and ``Y^qty`` output in
quantities (value over unit cost). The markup is a quota rent: the share

    tau_u = sum_p a_up (mu_up / A_u)^(-sigma) (mu_up - 1) / A_u

of the user's revenue is paid for the input above its cost; the rest pays labour and the
Cobb-Douglas inputs. Who holds the allocation earns it: the licence holders (``holder``,
their share of the row's deliveries) earn the licence's export-tax equivalent
``holder_markup`` on their approved sales (at most the markup itself), and the buyer's
own country earns the rest (the premium above the licence price, and all of the rent on
other suppliers' rationed deliveries). Income accounting closes: a country's goods trade
balance equals its deficit plus the rents it receives less the rents its users pay.

Everything here is a pure array function of the block and the log markups; the sweeps of
:func:`detente.equilibrium._kernel.solve_hat` and :func:`detente.equilibrium.solve_batch`
carry ``log mu`` as extra unknowns with a Newton-diagonal update (:func:`markup_step`).
Both read their members' blocks as one stacked block (:class:`NestStack`: row r belongs
to member ``slot[r]``, its node is ``slot * N * J + node``), so one member and a batch
run the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

_LM_CAP = 60.0  # log markup cap (a factor e^60: beyond any meaningful scarcity price)


class CriticalBlock(NamedTuple):
    """Rationed critical inputs of user nodes (plain arrays; one row per user x input).

    ``node`` (K,) flat user nodes ``n * J + j``; ``share`` (K,) baseline cost shares
    ``a`` of the input in the user's costs (sum per node < 1); ``supply`` (K,) the
    quantity the user can buy relative to baseline, in (0, 1]; ``sigma`` the elasticity
    of substitution between critical inputs and the other inputs (> 0); ``holder``
    (K, N) each licence holder's share of the row's deliveries (its approved sales; rows
    sum to at most 1); ``holder_markup`` (K,) the licence's export-tax equivalent, the
    markup the holders earn on those sales (fractions).
    """

    node: np.ndarray
    share: np.ndarray
    supply: np.ndarray
    sigma: float
    holder: np.ndarray
    holder_markup: np.ndarray


def check_block(blk: CriticalBlock, N: int, J: int) -> None:
    """Refuse a block the nest cannot solve, naming the field and value."""
    from detente.errors import ShockError

    node, a, z = (np.asarray(x) for x in (blk.node, blk.share, blk.supply))
    K = node.shape[0]
    if a.shape != (K,) or z.shape != (K,):
        raise ShockError(f"critical-input block: expected share and supply of shape (K,) for K={K} rows")
    if K and (node.min() < 0 or node.max() >= N * J):
        raise ShockError(f"critical-input block: user node out of range [0, {N * J})")
    if not (np.isfinite(blk.sigma) and 1e-3 <= blk.sigma <= 20):
        raise ShockError(f"critical-input block: sigma is {blk.sigma!r}; it must lie in [0.001, 20]")
    if not np.isfinite(a).all() or (a <= 0).any():
        raise ShockError("critical-input block: cost shares must be positive and finite")
    per_node = np.bincount(node, a, minlength=N * J)
    if (per_node >= 1).any():
        raise ShockError(
            f"critical-input block: the cost shares of a user's critical inputs sum to "
            f"{per_node.max():.6g}; they must sum to less than 1"
        )
    if not np.isfinite(z).all() or (z <= 0).any() or (z > 1).any():
        k = int(np.argmax(~np.isfinite(z) | (z <= 0) | (z > 1)))
        raise ShockError(
            f"critical-input block: supply {z[k]!r} must be in (0, 1] (a total cut with no "
            "other supplier and criticality 1 has no finite equilibrium)"
        )
    h = np.asarray(blk.holder, dtype=float)
    if h.shape != (K, N) or (h < 0).any() or (K and h.sum(axis=1).max() > 1 + 1e-9):
        raise ShockError("critical-input block: holder rows must be non-negative shares summing to at most 1")
    x = np.asarray(blk.holder_markup, dtype=float)
    if x.shape != (K,) or not np.isfinite(x).all() or (x < 0).any():
        raise ShockError("critical-input block: holder_markup must be finite and >= 0")


def nest_terms(blk: CriticalBlock, lm: np.ndarray, NJ: int):
    """Cost factors, cost shares and rent shares at log markups ``lm`` (K,).

    Returns ``logA`` (NJ,) log cost factor of every node (0 off the users), ``s`` (K,)
    the input's cost share at the new prices, ``tau_k`` (K,) its rent as a share of the
    user's revenue.
    """
    sig = float(blk.sigma)
    a = np.asarray(blk.share, dtype=float)
    node = np.asarray(blk.node)
    if abs(1.0 - sig) < 1e-9:  # Cobb-Douglas nest
        logA = np.bincount(node, a * lm, minlength=NJ)
    else:
        inner = 1.0 + np.bincount(node, a * np.expm1((1.0 - sig) * lm), minlength=NJ)
        logA = np.log(np.maximum(inner, 1e-300)) / (1.0 - sig)
    rel = lm - logA[node]  # log (mu / A)
    s = a * np.exp((1.0 - sig) * rel)
    tau_k = a * np.exp(-sig * rel - logA[node]) * np.expm1(lm)
    return logA, s, tau_k


def quota_gap(blk: CriticalBlock, lm, logA, log_Yq) -> np.ndarray:
    """(K,) log demand minus log quota: ``log Y_u^qty - sigma (lm - logA_u) - log z``."""
    node = np.asarray(blk.node)
    return log_Yq[node] - float(blk.sigma) * (lm - logA[node]) - np.log(np.asarray(blk.supply, dtype=float))


def markup_step(blk: CriticalBlock, lm, logA, s, log_Yq, eps_node) -> np.ndarray:
    """Newton-diagonal update of the log markups toward the quota, kept at >= 0.

    ``eps_node`` (NJ,) is each node's elasticity of output quantity to its own unit cost
    (the sweep's trade-share weighted ``theta (1 - pi)`` plus 1 for the value-to-quantity
    step). d gap / d lm = -(eps s + sigma (1 - s)).
    """
    node = np.asarray(blk.node)
    g = quota_gap(blk, lm, logA, log_Yq)
    d = eps_node[node] * s + float(blk.sigma) * (1.0 - s)
    return np.clip(lm + g / np.maximum(d, 1e-12), 0.0, _LM_CAP)


def rent_shares(blk: CriticalBlock, lm, J: int) -> np.ndarray:
    """(K, N) the shares of each row's rent earned by each country at log markups ``lm``:
    the holders ``holder_markup / (mu - 1)`` of their sales' rent (at most all of it), the
    buyer's country the rest."""
    node = np.asarray(blk.node)
    h = np.asarray(blk.holder, dtype=float)
    mu_1 = np.expm1(lm)
    f = np.where(mu_1 > 0, np.minimum(1.0, np.asarray(blk.holder_markup) / np.maximum(mu_1, 1e-300)), 0.0)
    out = h * f[:, None]
    out[np.arange(len(node)), node // J % h.shape[1]] += 1.0 - out.sum(axis=1)  # the buyer's country
    return out


def node_rents(blk: CriticalBlock, tau_k, Y_flat, lm, J: int):
    """Rents paid per node (NJ,) and received per country (N,) given revenues ``Y_flat``."""
    node = np.asarray(blk.node)
    paid_k = tau_k * Y_flat[node]
    paid = np.bincount(node, paid_k, minlength=Y_flat.shape[0])
    received = paid_k @ rent_shares(blk, lm, J)
    return paid, received


# ---------------------------------------------------------------------------- stacks of members
class NestStack(NamedTuple):
    """The critical blocks of a stack of ``k`` members as one block.

    ``block`` holds every member's rows, its ``node`` the stacked node ``slot * N * J +
    node``; ``slot`` (R,) is each row's member; ``cols`` (R,) its position among the
    member's markups (the unknowns after the member's N + 2NJ).
    """

    block: CriticalBlock
    slot: np.ndarray
    cols: np.ndarray
    k: int


def padded(blocks: Sequence[CriticalBlock | None], N: int) -> dict:
    """Members' blocks (None: no rows) as (B, Kmax) arrays with a row mask, for storage
    that is sliced and compacted by member; the members must share one ``sigma``."""
    B = len(blocks)
    K = max((len(b.node) for b in blocks if b is not None), default=0)
    out = dict(
        cnode=np.zeros((B, K), np.int64),
        cshare=np.zeros((B, K)),
        csupply=np.ones((B, K)),
        cholder=np.zeros((B, K, N)),
        cmarkup=np.zeros((B, K)),
        cmask=np.zeros((B, K), bool),
    )
    for b, blk in enumerate(blocks):
        if blk is None:
            continue
        n = len(blk.node)
        out["cnode"][b, :n] = blk.node
        out["cshare"][b, :n] = blk.share
        out["csupply"][b, :n] = blk.supply
        out["cholder"][b, :n] = blk.holder
        out["cmarkup"][b, :n] = blk.holder_markup
        out["cmask"][b, :n] = True
    return out


def stack(A: dict, sigma: float, N: int, J: int) -> NestStack:
    """The :class:`NestStack` of the members ``A`` (the arrays of :func:`padded`, sliced)."""
    mask = A["cmask"]
    slot, cols = np.nonzero(mask)
    blk = CriticalBlock(
        slot * (N * J) + A["cnode"][mask],
        A["cshare"][mask],
        A["csupply"][mask],
        float(sigma),
        A["cholder"][mask],
        A["cmarkup"][mask],
    )
    return NestStack(blk, slot, cols, mask.shape[0])


def single(blk: CriticalBlock) -> NestStack:
    """One member's block as a stack of one."""
    K = len(blk.node)
    return NestStack(blk, np.zeros(K, np.int64), np.arange(K), 1)


def stack_hooks(st: NestStack, lm: np.ndarray, N: int, J: int):
    """The sweep's hooks at the stacked log markups ``lm`` (R,): ``logA`` (k N J,), the
    input's cost shares ``s`` (R,), ``lc_extra`` (k, J, N) and ``rents(YT)`` ->
    (paid (k, J, N), received (k, N)) (:func:`detente.equilibrium._sweep.sweep`)."""
    NJ, k = N * J, st.k
    blk = st.block
    logA, s, tau_k = nest_terms(blk, lm, k * NJ)
    lc_extra = logA.reshape(k, N, J).transpose(0, 2, 1)

    def rents(YT):
        paid_k = tau_k * YT.transpose(0, 2, 1).reshape(-1)[blk.node]
        paid = np.bincount(blk.node, paid_k, minlength=k * NJ).reshape(k, N, J).transpose(0, 2, 1)
        earned = paid_k[:, None] * rent_shares(blk, lm, J)  # (R, N)
        at = (st.slot[:, None] * N + np.arange(N)).ravel()
        return paid, np.bincount(at, earned.ravel(), minlength=k * N).reshape(k, N)

    return logA, s, lc_extra, rents


def stack_step(st: NestStack, lm, logA, s, aux: dict, theta, log_Y0) -> np.ndarray:
    """The markup update (:func:`markup_step`) of every member from the sweep's
    auxiliaries (T layout: ``Y``, ``lc``, ``zeta`` (k, J, N)); ``theta`` (J,) or (k, J),
    ``log_Y0`` (N J,) the log baseline output, n-major."""
    YT, lcT, zetaT = aux["Y"], aux["lc"], aux["zeta"]
    k = st.k
    th = np.asarray(theta, dtype=float)[..., :, None]
    Y = np.maximum(YT, 1e-300)
    log_Yq = (np.log(Y) - lcT).transpose(0, 2, 1).reshape(k, -1) - log_Y0
    eps = (th * zetaT / Y).transpose(0, 2, 1).reshape(-1) + 1.0
    return markup_step(st.block, lm, logA, s, log_Yq.reshape(-1), eps)
