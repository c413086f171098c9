"""Many counterfactuals of one world in one call: the kernel's sweep with a batch axis.

:func:`solve_batch` solves B counterfactuals of ONE world together. It runs the same
fixed-point map as :func:`._kernel.solve_hat` (joint update of log wages, log prices
and expenditure, Newton-diagonal wage step, deficit closure inside the sweep), with a
leading batch axis ``b`` on every array, and the same safeguarded Anderson
acceleration as :func:`._anderson.anderson`, per member: each member has its own
history, mixing weights (a batched least-squares solve on its (m, m) Gram matrix),
restarts and damping. Members that converge are frozen and retired while the others
iterate; the retired slots are compacted away once a quarter of a chunk has finished.

Layout. The per-member bilateral arrays (``pi kappa^-theta`` and the value weights
built from it) are stored as (b, j, n, i): each contraction over an exporter or an
importer axis is then a plain ``einsum`` over the last two axes of contiguous
(n, i) blocks, the fastest of the variants measured (matmul, einsum with
``optimize``, multiply-and-sum; benchmarks/README.md, "Batched solves").

Guarantees are those of :func:`._solve.solve`, per member: :func:`._solve.check_inputs`
before iterating (a bad member raises :class:`~detente.errors.ShockError` naming its
index, before any work), the fixed-point tolerance ``tol`` and every equilibrium
condition (:func:`._kernel._equilibrium_residuals`) within ``check_tol`` after, then
:func:`._solve._check_solution`. A member that misses any of these is reported in
:attr:`BatchResult.failed` (index, label, reason, diagnostics) and never returned as an
answer.

Memory is bounded before the work starts: :func:`batch_bytes` estimates the bytes per
member (the bilateral arrays, B x N^2 x J x 8 bytes each, and the Anderson history) and
the batch is split into chunks of at most ``max_bytes``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import cast

import numpy as np

from detente.equilibrium import _critical
from detente.equilibrium import _sweep as _sweep_core
from detente.equilibrium._closure import deficit_rule
from detente.equilibrium._counterfactual import Counterfactual
from detente.equilibrium._critical import CriticalBlock, check_block
from detente.equilibrium._kernel import (
    Shock,
    Solution,
    _equilibrium_residuals,
    _kernel_closure,
    _prepare,
    baseline_output,
    export_tax_of,
)
from detente.equilibrium._solve import Diagnostics, Equilibrium, _check_solution, _purge, check_inputs
from detente.errors import ConvergenceError, ShockError
from detente.world import World

#: the Anderson constants of :func:`._anderson.anderson` as :func:`._kernel.solve_hat` uses them
_MEMORY = 10
_BLOWUP = 1e4
_RIDGE = 1e-12
#: compact a chunk's storage once this share of its slots has finished
_COMPACT_AT = 0.25
#: default working set of one chunk: larger chunks run no faster (the sweep is memory-bound
#: and slows once the chunk's arrays leave the caches; benchmarks/README.md, "Batched solves")
CHUNK_TARGET_BYTES = 64 << 20


@dataclasses.dataclass(frozen=True)
class FailedMember:
    """A member of a batch without an answer: why, and how far the solve got."""

    index: int  # position in the ``counterfactuals`` given to :func:`solve_batch`
    label: str
    reason: str
    diagnostics: Diagnostics | None = None

    def __str__(self) -> str:
        return f"member {self.index} ({self.label!r}): {self.reason}"


@dataclasses.dataclass(frozen=True, eq=False)
class BatchResult:
    """The answers of :func:`solve_batch`, in the order of the counterfactuals.

    ``equilibria[k]`` is the :class:`Equilibrium` of member ``k``, or None when it
    failed; ``failed`` lists the failures (index, label, reason, diagnostics).
    """

    equilibria: list[Equilibrium | None]
    failed: list[FailedMember]
    chunks: int  # number of chunks the batch was split into (over both worlds under "balanced")
    chunk_size: int  # members per chunk (the largest)
    bytes_per_member: int  # the estimate the chunks were sized with
    seconds: float

    def __len__(self) -> int:
        return len(self.equilibria)

    def __getitem__(self, k: int) -> Equilibrium | None:
        return self.equilibria[k]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def converged(self) -> list[int]:
        """Indices of the members with an answer."""
        return [k for k, e in enumerate(self.equilibria) if e is not None]

    def raise_on_failure(self) -> BatchResult:
        """``self`` if every member has an answer, else :class:`ConvergenceError` listing the failures."""
        if self.failed:
            lines = "; ".join(str(f) for f in self.failed[:20])
            more = f"; and {len(self.failed) - 20} more" if len(self.failed) > 20 else ""
            raise ConvergenceError(
                f"{len(self.failed)} of {len(self.equilibria)} counterfactuals have no equilibrium: {lines}{more}",
                [f.diagnostics for f in self.failed],
            )
        return self


def batch_bytes(
    n_countries: int, n_sectors: int, *, export_taxes: bool = False, memory: int = _MEMORY, critical_rows: int = 0
) -> int:
    """Estimated bytes one member of a batch holds while it iterates.

    Bilateral (N, N, J) arrays: ``pi kappa^-theta``, the border-value weights and the
    own-sales weights (3), plus 2 with export taxes (border value gross of the tax and
    the rents); the Anderson state (2 x ``memory`` past differences and 5 iterates of
    the N + 2 N J unknowns and the ``critical_rows`` markups of the nested CES block);
    about 40 (N, J) temporaries of the sweep; the block's rows (their holders, N each,
    stored and stacked).
    """
    N, J = n_countries, n_sectors
    nz = N + 2 * N * J + critical_rows
    big = 3 + (2 if export_taxes else 0)
    return 8 * (big * N * N * J + (2 * memory + 5) * nz + 40 * N * J + critical_rows * (2 * N + 10))


def solve_batch(
    world: World,
    counterfactuals: Sequence[Counterfactual],
    *,
    tol: float = 1e-12,
    check_tol: float = 1e-8,
    max_iter: int | Sequence[int] = 3000,
    max_bytes: int = 1 << 30,
    chunk_size: int | None = None,
    backend: str = "numpy",
) -> BatchResult:
    """Solve every counterfactual in ``counterfactuals`` (all of ``world``) in one batched iteration.

    Parameters
    ----------
    tol, check_tol : float
        As in :func:`solve`: the fixed-point tolerance and the tolerance on every
        equilibrium condition, per member.
    max_iter : int or sequence of int
        Map evaluations allowed, one number for all or one per member.
    max_bytes : int
        Memory budget of the iteration (default 1 GiB): the batch is split into chunks
        of at most ``max_bytes // batch_bytes(...)`` members (at least one). The answers
        themselves (each holds its (N, N, J) trade shares) are not counted.
    chunk_size : int, optional
        Members per chunk, within ``max_bytes``. By default as many as fit in
        :data:`CHUNK_TARGET_BYTES` (64 MiB; e.g. about 120 members on the 20 x 22 default
        world, 6 on 80 x 50): larger chunks are no faster.

    Closures as in :func:`solve`: ``"balanced"`` members are solved together on the
    purged world (one purge for all, :func:`purged_world`) and carry ``purge``.
    Members of different closures and with and without export taxes can be mixed, and
    members may carry their own trade elasticities (worlds that differ from ``world`` only
    in theta). Members with critical-input cuts (the nested CES block) iterate their
    scarcity markups with the rest, in chunks of one nest elasticity.

    ``backend="jax"`` iterates the same sweep in JAX, jitted and batched (on an
    accelerator when JAX has one; :meth:`detente.strategy._jax_kernel.JaxKernel.batched_solver`),
    for members of one closure without export taxes, critical-input cuts or own elasticities; every answer
    is then checked by the numpy kernel's equilibrium conditions, as any other.

    Returns a :class:`BatchResult`; members that do not converge, or whose answer is not
    meaningful (:func:`._solve._check_solution`), are in ``failed``, never in
    ``equilibria``. Raises :class:`ShockError` naming the member for bad input.
    """
    t0 = time.perf_counter()
    cfs = list(counterfactuals)
    if backend not in ("numpy", "jax"):
        raise ShockError(f"backend must be 'numpy' or 'jax', got {backend!r}")
    if backend == "jax":
        return _solve_batch_jax(
            world, cfs, tol=tol, check_tol=check_tol, max_iter=max_iter, t0=t0, chunk_size=chunk_size
        )
    B = len(cfs)
    iters = np.broadcast_to(np.asarray(max_iter, dtype=np.int64), (B,)).copy() if B else np.zeros(0, np.int64)
    if (iters < 1).any():
        raise ShockError(f"max_iter must be at least 1 (member {int(np.argmax(iters < 1))})")
    same_data: dict[int, bool] = {id(world): True}
    for k, cf in enumerate(cfs):
        if not isinstance(cf, Counterfactual):
            raise ShockError(f"member {k}: expected a Counterfactual, got {type(cf).__name__}")
        try:
            if cf.world is not world:
                if cf.world.countries != world.countries or cf.world.sectors != world.sectors:
                    raise ShockError(
                        "the counterfactual was made for a different world "
                        f"({cf.world.meta.name!r}, not {world.meta.name!r})"
                    )
                if id(cf.world) not in same_data:
                    same_data[id(cf.world)] = _same_but_theta(world, cf.world)
                if not same_data[id(cf.world)]:
                    raise ShockError(
                        "the counterfactual's world differs from the batch's world in more than "
                        "its trade elasticities; solve it with its own world"
                    )
                if cf.closure == "balanced" and not np.array_equal(cf.world.theta, world.theta):
                    raise ShockError(
                        "members under the balanced closure must share the batch world's "
                        "elasticities (the purge is solved once)"
                    )
            check_inputs(cf.world, cf)
        except ShockError as e:
            raise ShockError(f"member {k} ({cf.label!r}) of the batch: {e}") from e

    equilibria: list[Equilibrium | None] = [None] * B
    failed: list[FailedMember] = []
    blocks = _Blocks()
    for k, cf in enumerate(cfs):  # bad blocks are refused before any work, naming the member
        try:
            blocks(cf)
        except ShockError as e:
            raise ShockError(f"member {k} ({cf.label!r}) of the batch: {e}") from e
    groups: list[tuple[World, Equilibrium | None, list[tuple[int, Counterfactual]]]] = []
    plain = [(k, cf) for k, cf in enumerate(cfs) if cf.closure != "balanced"]
    if plain:
        groups.append((world, None, plain))
    bal = [k for k, cf in enumerate(cfs) if cf.closure == "balanced"]
    if bal:
        try:
            purge, balanced = _purge(world, tol=tol, check_tol=check_tol, max_iter=int(iters.max()))
        except ConvergenceError as e:
            for k in bal:
                purge_diag = cast("Diagnostics | None", e.diagnostics)  # the solver's errors carry its Diagnostics
                failed.append(FailedMember(k, cfs[k].label, f"the purge of deficits failed: {e}", purge_diag))
        else:
            zeros = np.zeros(world.n_countries)
            groups.append(
                (balanced, purge, [(k, dataclasses.replace(cfs[k], world=balanced, deficits=zeros)) for k in bal])
            )

    n_chunks, chunk_max, per_member = 0, 0, 0
    for gw, group_purge, members in _by_nest(groups, blocks):
        N, J = gw.n_countries, gw.n_sectors
        xt = any(np.any(cf.export_taxes) for _, cf in members)
        rows = max((len(b.node) for b in (blocks(cf) for _, cf in members) if b is not None), default=0)
        per_member = batch_bytes(N, J, export_taxes=xt, critical_rows=rows)
        size = max(1, int(max_bytes // per_member))
        size = min(size, max(1, int(chunk_size) if chunk_size is not None else CHUNK_TARGET_BYTES // per_member))
        base = gw.arrays()
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            n_chunks += 1
            chunk_max = max(chunk_max, len(chunk))
            tc = time.perf_counter()
            thetas = None
            if any(cf.world is not gw and cf.world.theta is not gw.theta for _, cf in chunk):
                thetas = np.stack(
                    [np.asarray(cf.world.theta if cf.closure != "balanced" else gw.theta, float) for _, cf in chunk]
                )
            sols = _solve_chunk(
                base,
                [_shock(cf, blocks(cf)) for _, cf in chunk],
                iters[[k for k, _ in chunk]],
                tol=tol,
                check_tol=check_tol,
                thetas=thetas,
            )
            per = (time.perf_counter() - tc) / len(chunk)
            for (k, cf), sol in zip(chunk, sols):
                diag = Diagnostics(
                    sol.iterations, sol.fixed_point_residual, sol.residuals, sol.restarts, per, sol.converged, check_tol
                )
                if not sol.converged:
                    failed.append(FailedMember(k, cf.label, f"did not converge: {diag}", diag))
                    continue
                try:
                    _check_solution(gw, cf, sol)
                except ShockError as e:
                    failed.append(FailedMember(k, cf.label, str(e), diag))
                    continue
                equilibria[k] = Equilibrium(gw if cf.closure == "balanced" else cf.world, cf, sol, diag, group_purge)
    failed.sort(key=lambda f: f.index)
    return BatchResult(equilibria, failed, n_chunks, chunk_max, per_member, time.perf_counter() - t0)


def _solve_batch_jax(
    world: World,
    cfs: list[Counterfactual],
    *,
    tol: float,
    check_tol: float,
    max_iter,
    t0: float,
    chunk_size: int | None,
) -> BatchResult:
    """``solve_batch(backend="jax")``: the jitted batched solve, then the numpy checks."""
    from detente.strategy._jax_kernel import JaxKernel

    closures = {cf.closure for cf in cfs}
    for k, cf in enumerate(cfs):
        if not isinstance(cf, Counterfactual):
            raise ShockError(f"member {k}: expected a Counterfactual, got {type(cf).__name__}")
        if cf.world is not world:
            raise ShockError(
                f"member {k} ({cf.label!r}): backend='jax' needs every member made for the batch's "
                "world (no own elasticities)"
            )
        if np.any(cf.export_taxes) or cf.critical_cuts or cf.closure == "balanced":
            raise ShockError(
                f"member {k} ({cf.label!r}): backend='jax' solves tariff and trade-cost changes under "
                "the fixed-deficits or fixed-ratios closure; use backend='numpy'"
            )
        check_inputs(world, cf)
    if len(closures) > 1 or len({cf.deficits.tobytes() for cf in cfs}) > 1:
        raise ShockError("backend='jax': all members must share one closure and one set of deficits")
    B = len(cfs)
    if not B:
        return BatchResult([], [], 0, 0, 0, time.perf_counter() - t0)
    base = world.arrays()
    X0 = np.asarray(base[0])
    N, J = X0.shape
    iters = int(np.max(np.broadcast_to(np.asarray(max_iter), (B,))))
    kernel = JaxKernel(base, np.asarray(cfs[0].deficits, float), closure=cfs[0].closure)
    solve = kernel.batched_solver(tol=tol, max_iter=iters)
    jnp = kernel._jnp
    size = int(chunk_size) if chunk_size else 256
    z0 = np.concatenate([np.zeros(N), np.zeros(N * J), (X0 / np.maximum(X0.sum(axis=1), 1e-300)[:, None]).ravel()])
    const = _sweep_core.constants(np, base)
    equilibria: list[Equilibrium | None] = [None] * B
    failed: list[FailedMember] = []
    n_chunks = 0
    for start in range(0, B, size):
        chunk = cfs[start : start + size]
        n_chunks += 1
        tc = time.perf_counter()
        z, its, res, done = (
            np.asarray(a)
            for a in solve(
                jnp.asarray(np.tile(z0, (len(chunk), 1))),
                jnp.asarray(np.stack([cf.tariffs for cf in chunk])),
                jnp.asarray(np.stack([cf.iceberg for cf in chunk])),
            )
        )
        per = (time.perf_counter() - tc) / len(chunk)
        shocks = [_shock(cf) for cf in chunk]
        arrays = _Arrays(base, shocks)
        _, aux = _sweep(const, arrays.view(len(chunk)), z)  # the numpy sweep at the JAX answers
        for t, cf in enumerate(chunk):
            k = start + t
            bk = np.ascontiguousarray(arrays.bk[t].transpose(1, 2, 0))
            one = {key: np.ascontiguousarray(v[t]) for key, v in aux.items()}
            sol = _solution(base, shocks[t], bk, z[t], one, int(its[t]), float(res[t]), 0, bool(done[t]), check_tol)
            diag = Diagnostics(
                sol.iterations, sol.fixed_point_residual, sol.residuals, 0, per, sol.converged, check_tol
            )
            if not sol.converged:
                failed.append(FailedMember(k, cf.label, f"did not converge (JAX backend): {diag}", diag))
                continue
            try:
                _check_solution(world, cf, sol)
            except ShockError as e:
                failed.append(FailedMember(k, cf.label, str(e), diag))
                continue
            equilibria[k] = Equilibrium(world, cf, sol, diag, None)
    return BatchResult(equilibria, failed, n_chunks, min(size, B), batch_bytes(N, J), time.perf_counter() - t0)


def _same_but_theta(a: World, b: World) -> bool:
    """``b`` has ``a``'s data except (perhaps) its trade elasticities."""
    for x, y in zip(a.arrays(), b.arrays()):
        if x is y:
            continue
        if x is a.theta:
            continue
        if np.shape(x) != np.shape(y) or not np.array_equal(x, y):
            return False
    return True


def _shock(cf: Counterfactual, critical: CriticalBlock | None = None) -> Shock:
    x = cf.export_taxes if np.any(cf.export_taxes) else None
    return Shock(cf.tariffs, cf.iceberg, cf.deficits, cf.closure, x, critical)


class _Blocks:
    """Members' critical-input blocks (:meth:`Counterfactual.critical_block`), built and
    checked (:func:`._critical.check_block`) once per world, cuts, horizon and elasticity:
    a grid repeats a few cuts many times."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def __call__(self, cf: Counterfactual) -> CriticalBlock | None:
        if not cf.critical_cuts:
            return None
        key = (id(cf.world), cf.critical_cuts, cf.critical_horizon, cf.critical_sigma)
        hit = self._cache.get(key)
        if hit is None or hit[0] is not cf.world:
            blk = cf.critical_block()
            if blk is not None:
                check_block(blk, cf.world.n_countries, cf.world.n_sectors)
            hit = self._cache[key] = (cf.world, blk)
        return hit[1]


def _by_nest(groups, blocks: _Blocks):
    """Split each group so that the members of a chunk share one nest elasticity (members
    without a block go with the first)."""
    out: list = []
    for gw, purge, members in groups:
        by: dict = {}
        for k, cf in members:
            blk = blocks(cf)
            by.setdefault(None if blk is None else float(blk.sigma), []).append((k, cf))
        if None in by and len(by) > 1:  # members without rows join a nest's chunks
            first = next(key for key in by if key is not None)
            by[first] = sorted(by[first] + by.pop(None))
        out.extend((gw, purge, m) for m in by.values())
    return out


# ---------------------------------------------------------------------------- the batched kernel
class _Arrays:
    """A chunk's per-member storage, slot-indexed; slots are compacted in place."""

    def __init__(self, base, shocks: list[Shock], thetas=None):
        X0, pi, tau, theta, gva, gio, alpha, VA, D = base
        B = len(shocks)
        self.theta = None if thetas is None else np.array(thetas, dtype=float)  # (B, J) per member
        N, J = X0.shape
        xt = any(export_tax_of(s) is not None for s in shocks)
        shape = (B, J, N, N)  # (b, j, n, i)
        self.bk = np.empty(shape)
        self.G = np.empty(shape)
        self.Gb = np.empty(shape)
        self.Gt = np.empty(shape) if xt else None
        self.Gx = np.empty(shape) if xt else None
        self.D = np.empty((B, N))
        self.ratio = np.zeros(B, dtype=bool)
        blocks = [getattr(sh, "critical", None) for sh in shocks]
        self.sigma = next((float(b.sigma) for b in blocks if b is not None), None)
        self.crit = _critical.padded(blocks, N) if self.sigma is not None else {}
        self.K = self.crit["cmask"].shape[1] if self.crit else 0
        for b, sh in enumerate(shocks):
            # self.theta is None exactly when thetas is None
            _, bk, G, _, Gt, Gx = _prepare(base if self.theta is None else base._replace(theta=self.theta[b]), sh)
            self.bk[b] = bk.transpose(2, 0, 1)
            self.G[b] = G.transpose(2, 0, 1)
            self.Gb[b] = (G * bk).transpose(2, 0, 1)
            if xt:
                assert self.Gt is not None and self.Gx is not None  # allocated when xt
                self.Gt[b] = Gt.transpose(2, 0, 1)
                self.Gx[b] = 0.0 if Gx is None else Gx.transpose(2, 0, 1)
            self.D[b] = np.asarray(sh.D, dtype=float)
            self.ratio[b] = _kernel_closure(sh) == "fixed-ratios"

    def names(self):
        return [a for a in ("bk", "G", "Gb", "Gt", "Gx", "D", "ratio", "theta") if getattr(self, a) is not None]

    def _get(self, a):
        return self.crit[a] if a in self.crit else getattr(self, a)

    def view(self, k: int) -> dict:
        return {a: self._get(a)[:k] for a in [*self.names(), *self.crit]}

    def take(self, idx) -> dict:
        return {a: self._get(a)[idx] for a in [*self.names(), *self.crit]}

    def compact(self, keep) -> None:
        """Move the slots ``keep`` (increasing) to the front, in place, one member at a time."""
        for a in [*self.names(), *self.crit]:
            arr = self._get(a)
            for t, src in enumerate(keep):
                if t != src:
                    arr[t] = arr[src]


def _sweep(const: dict, A: dict, z: np.ndarray, nest: tuple | None = None):
    """The sweep (:func:`._sweep.sweep`, the one every kernel iterates) for a stack of
    members: z (b, nz) -> z_new (b, nz) and the auxiliaries in (b, n, j) layout. ``const``
    is :func:`._sweep.constants` of the chunk's baseline, built once per chunk.

    ``nest`` = (sigma, log baseline output (N J,)) when the chunk has critical-input
    blocks: the members' markups are the unknowns past N + 2 N J (zeros on padding)."""
    if A.get("theta") is not None:
        const = {**const, "theta": A["theta"]}  # (b, J): each member's elasticities
    bil = _sweep_core.Bilateral(A["bk"], A["G"], A.get("Gt"), A.get("Gx"), A["D"], A["ratio"], A["Gb"])
    if nest is None:
        z_new, aux = _sweep_core.sweep(np, const, bil, z)
    else:
        N, J = const["gva"].shape
        nz = N + 2 * N * J
        st = _critical.stack(A, nest[0], N, J)
        lm = z[:, nz:][st.slot, st.cols]
        logA, s_k, lc_extra, rents = _critical.stack_hooks(st, lm, N, J)
        zc, aux = _sweep_core.sweep(np, const, bil, z[:, :nz], lc_extra=lc_extra, rents=rents)
        z_new = np.zeros_like(z)
        z_new[:, :nz] = zc
        z_new[st.slot, nz + st.cols] = _critical.stack_step(st, lm, logA, s_k, aux, const["theta"], nest[1])
    return z_new, dict(
        lc=aux["lc"].transpose(0, 2, 1),
        f=aux["f"].transpose(0, 2, 1),
        s=aux["s"].transpose(0, 2, 1),
        Y=aux["Y"].transpose(0, 2, 1),
        R=aux["R"],
        E=aux["E"],
    )


def _lstsq_sym(A: np.ndarray, y: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Batched ``np.linalg.lstsq(A[b], y[b], rcond=None)`` for symmetric positive semi-definite A.

    The minimum-norm least-squares solution by the eigen-decomposition (for such A the
    singular values are the eigenvalues), with lstsq's cut-off: values at or below
    ``eps * n * largest`` are dropped, ``n`` the size of each member's system.
    """
    lam, V = np.linalg.eigh(A)
    cut = np.finfo(float).eps * n[:, None] * np.abs(lam).max(axis=1, keepdims=True)
    keep = np.abs(lam) > cut
    inv = np.where(keep, 1.0 / np.where(keep, lam, 1.0), 0.0)
    return np.einsum("bik,bk->bi", V, inv * np.einsum("bik,bi->bk", V, y))


def _anderson_step(x, f, dX, dF, gram, x_prev, f_prev, has_prev, filled, head, beta, step, k, m) -> None:
    """The Anderson update of :func:`._anderson.anderson` for the slots ``step`` of ``[:k]``, in place.

    Works on the whole slot range (contiguous, no gathers) and writes back only where
    ``step``: history rows past a member's ``filled`` count are masked out of its Gram
    matrix (an identity block, zero right-hand side), which gives exactly the
    least-squares problem on its ``filled`` rows.
    """
    xs, fs = x[:k], f
    every = bool(step.all())

    def sel(mask, new, old):
        return new if every and mask is step else np.where(mask[:, None], new, old)

    Fm, Xm = dF[:k], dX[:k]
    rows = np.zeros(0, dtype=np.int64)
    if m > 0:
        hp = step & has_prev[:k]
        hd = head[:k].copy()
        if hp.any():
            rows = np.flatnonzero(hp)
            dX[rows, hd[rows]] = xs[rows] - x_prev[rows]
            dF[rows, hd[rows]] = fs[rows] - f_prev[rows]
            head[rows] = (hd[rows] + 1) % m
            filled[rows] = np.minimum(filled[rows] + 1, m)
        # one pass over the history: the new difference's Gram row and the right-hand side
        V = np.empty((k, 2, Fm.shape[2]))
        V[:, 0] = Fm[np.arange(k), hd]
        V[:, 1] = fs
        P = np.matmul(V, Fm.transpose(0, 2, 1))  # (k, 2, m)
        if len(rows):
            gram[rows, hd[rows], :] = P[rows, 0]
            gram[rows, :, hd[rows]] = P[rows, 0]
    x_prev[:k] = sel(step, xs, x_prev[:k])
    f_prev[:k] = sel(step, fs, f_prev[:k])
    has_prev[:k] |= step
    nf = filled[:k]
    b = beta[:k, None]
    if m == 0 or not (step & (nf > 0)).any():
        xs[:] = sel(step, xs + b * fs, xs)
        return
    valid = np.arange(m)[None, :] < nf[:, None]  # (k, m)
    A = gram[:k].copy()  # dF dF' of the history, kept up to date row by row
    scale = np.sqrt(np.einsum("bii->bi", A))
    scale = np.where(valid & (scale != 0), scale, 1.0)
    A = A / (scale[:, :, None] * scale[:, None, :])
    vv = valid[:, :, None] & valid[:, None, :]
    eye = np.eye(m, dtype=bool)[None]
    A = np.where(vv, A, eye.astype(float)) + np.where(vv & eye, _RIDGE, 0.0)
    A = np.where(np.isfinite(A).all(axis=(1, 2))[:, None, None], A, eye.astype(float))  # eigh needs finite input
    rhs = np.where(valid, P[:, 1] / scale, 0.0)
    gamma = np.where(valid, _lstsq_sym(A, rhs, np.maximum(nf, 1)) / scale, 0.0)[:, None, :]  # (k, 1, m)
    acc = fs - np.matmul(gamma, Fm)[:, 0]
    acc *= b
    acc += xs
    acc -= np.matmul(gamma, Xm)[:, 0]
    if not (nf > 0).all():
        acc = np.where((nf > 0)[:, None], acc, xs + b * fs)
    xs[:] = sel(step, acc, xs)


def _solve_chunk(
    base, shocks: list[Shock], max_iter: np.ndarray, *, tol: float, check_tol: float, memory: int = _MEMORY, thetas=None
) -> list[Solution]:
    """Solve a chunk of shocks of one baseline; one :class:`Solution` per shock, in order."""
    X0, pi, tau, theta, gva, gio, alpha, VA, D = base
    N, J = X0.shape
    B = len(shocks)
    m = memory
    Xscale = np.maximum(X0.sum(axis=1), 1e-300)[:, None]
    arrays = _Arrays(base, shocks, thetas)
    nz = N + 2 * N * J + arrays.K
    const = _sweep_core.constants(np, base)
    z0 = np.concatenate([np.zeros(N), np.zeros(N * J), (X0 / Xscale).ravel(), np.zeros(arrays.K)])
    nest = None
    if arrays.sigma is not None:
        nest = (arrays.sigma, np.log(np.maximum(baseline_output(base), 1e-300)).ravel())

    def sweep(A, z):
        return _sweep(const, A, z, nest)

    # Anderson state per slot (see _anderson.anderson, which this mirrors member by member)
    member = np.arange(B)  # slot -> member
    x = np.tile(z0, (B, 1))
    dX = np.zeros((B, m, nz))  # zeros: rows past `filled` are masked, never NaN
    dF = np.zeros((B, m, nz))
    gram = np.zeros((B, m, m))  # dF dF' per member
    filled = np.zeros(B, dtype=np.int64)
    head = np.zeros(B, dtype=np.int64)
    best_x = x.copy()
    best_r = np.full(B, np.inf)
    x_prev = np.empty((B, nz))
    f_prev = np.empty((B, nz))
    has_prev = np.zeros(B, dtype=bool)
    restarts = np.zeros(B, dtype=np.int64)
    beta = np.ones(B)
    cap = max_iter.copy()
    live = np.ones(B, dtype=bool)
    k = B  # slots in use
    out: list[Solution | None] = [None] * B

    def finish(slots, xs, aux, rows, it, resid, fp_ok):
        for t, slot in enumerate(slots):
            mb = int(member[slot])
            bk = np.ascontiguousarray(arrays.bk[slot].transpose(1, 2, 0))  # (n, i, j)
            one = {key: np.ascontiguousarray(v[rows[t]]) for key, v in aux.items()}
            bm = base if thetas is None else base._replace(theta=thetas[mb])
            out[mb] = _solution(
                bm,
                shocks[mb],
                bk,
                xs[t],
                one,
                it if np.isscalar(it) else int(it[t]),
                float(resid[t]),
                int(restarts[slot]),
                bool(fp_ok[t]),
                check_tol,
            )

    it = 0
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        while k:
            it += 1
            A = arrays.view(k)
            xs = x[:k]
            gx, aux = sweep(A, xs)
            f = gx - xs
            finite = np.isfinite(f).all(axis=1)
            r = np.where(finite, np.abs(np.where(finite[:, None], f, 0.0)).max(axis=1), np.inf)
            lv = live[:k]
            conv = lv & (r <= tol)
            if conv.any():
                idx = np.flatnonzero(conv)
                finish(idx, xs[idx], aux, idx, it, r[idx], np.ones(len(idx), bool))
                live[idx] = False
            act = live[:k].copy()
            better = act & (r < best_r[:k])
            best_x[:k][better] = xs[better]
            best_r[:k][better] = r[better]
            restart = act & (~np.isfinite(r) | (r > _BLOWUP * best_r[:k]))
            step = act & ~restart
            if restart.any():
                idx = np.flatnonzero(restart)
                restarts[idx] += 1
                filled[idx] = 0
                head[idx] = 0
                has_prev[idx] = False
                beta[idx] = np.maximum(0.1, beta[idx] * 0.5)
                xb = best_x[idx]
                g2, _ = sweep(arrays.take(idx), xb)
                x[idx] = xb + beta[idx, None] * (g2 - xb)
            if step.any():
                _anderson_step(x, f, dX, dF, gram, x_prev, f_prev, has_prev, filled, head, beta, step, k, m)
            # members out of iterations: the best iterate, re-evaluated (as anderson does)
            spent = live[:k] & (cap[:k] <= it)
            if spent.any():
                idx = np.flatnonzero(spent)
                xb = best_x[idx]
                g2, aux2 = sweep(arrays.take(idx), xb)
                f2 = g2 - xb
                ok2 = np.isfinite(f2).all(axis=1)
                r2 = np.where(ok2, np.abs(np.where(ok2[:, None], f2, 0.0)).max(axis=1), np.inf)
                finish(idx, xb, aux2, np.arange(len(idx)), cap[idx], r2, r2 <= tol)
                live[idx] = False
            n_live = int(live[:k].sum())
            if n_live == 0:
                break
            if n_live <= (1.0 - _COMPACT_AT) * k:
                keep = np.flatnonzero(live[:k])
                arrays.compact(keep)
                for a in (member, filled, head, best_r, has_prev, restarts, beta, cap, live):
                    a[:n_live] = a[keep]
                for a in (x, dX, dF, gram, best_x, x_prev, f_prev):  # row by row: no temporary copy
                    for t, src in enumerate(keep):
                        if t != src:
                            a[t] = a[src]
                k = n_live
    return out  # type: ignore[return-value]


def _solution(
    base, shock: Shock, bk, z, aux: dict, iterations: int, residual: float, restarts: int, fp_ok: bool, check_tol: float
) -> Solution:
    """One member's :class:`Solution` from its fixed point, as :func:`solve_hat` builds it."""
    X0, pi, tau, theta, gva, gio, alpha, VA, D = base
    N, J = X0.shape
    Xscale = np.maximum(X0.sum(axis=1), 1e-300)[:, None]
    lw = z[:N]
    lP = z[N : N + N * J].reshape(N, J)
    Xn = z[N + N * J : N + 2 * N * J].reshape(N, J) * Xscale
    blk = getattr(shock, "critical", None)
    lm = z[N + 2 * N * J :][: len(blk.node)] if blk is not None else None
    f, s = aux["f"], aux["s"]
    pi_new = bk * f[None, :, :] / s[:, None, :]
    w_hat = np.exp(lw)
    D_new = deficit_rule(_kernel_closure(shock), np.asarray(shock.D, dtype=float), VA, w_hat)
    income = w_hat * VA + aux["R"] + D_new + aux["E"]
    P_hat, c_hat = np.exp(lP), np.exp(aux["lc"])
    residuals = _equilibrium_residuals(base, shock, bk, w_hat, P_hat, c_hat, pi_new, Xn, lm)
    ok = fp_ok and max(residuals.values()) <= check_tol
    return Solution(
        w_hat=w_hat,
        P_hat=P_hat,
        c_hat=c_hat,
        pi=pi_new,
        X=Xn,
        Y=aux["Y"],
        I=income,
        R=aux["R"],
        iterations=iterations,
        fixed_point_residual=residual,
        restarts=restarts,
        converged=ok,
        residuals=residuals,
        D=D_new,
        closure=shock.closure,
        E=aux["E"],
        critical_markup=None if lm is None else np.exp(lm),
    )
