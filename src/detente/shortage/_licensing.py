"""Export-licence regimes on critical inputs, day by day and week by week.

A :class:`Restriction` is one dated step of a licence regime: exporter, importers,
product, approval share, review lag, licence type (``per_shipment``, ``general``,
``ban``), start and end. The steps of one regime form its path (0.25 -> 0.6 -> ...):
on each day the latest step in force defines the regime, the rule of the scenario
timeline (docs/scenarios.md). For one day and one (product, exporter, importer):

- ``ban``: approval 0;
- ``per_shipment``: 0 for the first ``review_days`` days after the step's date, then
  ``approval``;
- ``general``: ``approval`` from the first day (no review lag);
- no regime in force: 1.

Several regimes on the same cell combine by the minimum (the tightest binds). Weekly
approval is the mean of the week's seven days. A regime that names ``users`` (user
sectors, e.g. the car makers whose suppliers got licences of their own) is a licence for
those users' supply chains only, on the share ``user_share`` of their purchases: for
them, on its cells and while it is in force, the approval is ``(1 - user_share) a +
user_share max(a, a_users)``, ``a`` the other regimes' approval (:func:`user_overlays`).
:func:`shipped_share` turns approvals into the share of a user country's orders that ship: licensed supply plus other
suppliers ramping up (``max_substitution`` of the refused supply, reached linearly over
``ramp_weeks`` from the first restricted week). :func:`cohort_sourcing` gives each
inventory cohort of a user its own supplier mix (single sourcing; docs/shortage.md,
'Cohorts'), whose cohort-weighted mean is the node's sourcing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import numpy as np

from detente._lists import selects_all
from detente.errors import DataError, ScenarioError
from detente.instruments import LICENCES, approval_on  # one reading for both models
from detente.shortage._rules import COHORT_SOURCING


@dataclasses.dataclass(frozen=True)
class Restriction:
    """One dated step of an export-licence regime on a critical input."""

    product: str
    exporter: str
    importers: tuple[str, ...] | str = "all"
    start: dt.date = dt.date(2025, 1, 1)
    end: dt.date | None = None  # first day no longer in force
    approval: float = 0.0
    review_days: int = 0
    licence: str = "per_shipment"
    regime: str = ""
    label: str = ""
    #: user sectors whose supply chains this regime licenses ("all": every buyer)
    users: tuple[str, ...] | str = "all"
    #: share of those users' purchases it covers (the rest stays under the other regimes)
    user_share: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.users, list):
            object.__setattr__(self, "users", tuple(self.users))
        if not 0.0 < self.user_share <= 1.0:
            raise DataError(
                f"restriction {self.label or self.product}: user_share must be in (0, 1], got {self.user_share}"
            )
        if self.scoped and self.licence == "ban":
            raise DataError(
                f"restriction {self.label or self.product}: a licence for named users (users = {self.users!r}) "
                "grants supply; it cannot be a ban"
            )
        if self.licence not in LICENCES:
            raise DataError(
                f"restriction {self.label or self.product}: licence must be one of {LICENCES}, got {self.licence!r}"
            )
        if not 0.0 <= self.approval <= 1.0:
            raise DataError(
                f"restriction {self.label or self.product}: approval share must be in [0, 1], got {self.approval}"
            )
        if self.review_days < 0:
            raise DataError(f"restriction {self.label or self.product}: review_days must be >= 0")
        if self.end is not None and self.end <= self.start:
            raise DataError(f"restriction {self.label or self.product}: end {self.end} is not after start {self.start}")

    def approval_on(self, day: dt.date) -> float:
        """Approval share on ``day`` while this step is in force (the static model's reading too)."""
        return approval_on(self.licence, self.start, self.review_days, self.approval, day)

    def in_force(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    @property
    def scoped(self) -> bool:
        """Whether the regime licenses only some users' supply chains (``users``)."""
        return not selects_all(self.users)


def restrictions_from_scenario(scenario, registry=None) -> list[Restriction]:
    """The export-control events of ``scenario`` that name a ``product``.

    Events without ``product`` act on the static model only. A product the registry
    does not know is an error naming the event.
    """
    out = []
    for k, e in enumerate(scenario.events):
        if e.kind != "export_control" or e.export_control.product is None:
            continue
        x = e.export_control
        if registry is not None and x.product not in registry:
            raise ScenarioError(
                f"{scenario.path}: {e.label(k)}.export_control.product = {x.product!r}: "
                f"unknown critical input (known: {', '.join(registry.ids)})"
            )
        imp = x.importers
        imp = tuple(s.strip() for s in (imp.split(",") if isinstance(imp, str) else imp) if s.strip())
        exp = [s.strip() for s in (x.exporter.split(",") if isinstance(x.exporter, str) else x.exporter)]
        users = x.users if isinstance(x.users, str) else tuple(x.users)
        for ex in exp:
            out.append(
                Restriction(
                    product=x.product,
                    exporter=ex,
                    importers=imp,
                    start=e.date,
                    end=e.until,
                    approval=x.approval_share,
                    review_days=x.review_days,
                    licence=x.licence,
                    regime=x.regime or e.id or f"events[{k}]",
                    label=e.label(k),
                    users=users,
                    user_share=x.user_share,
                )
            )
    return out


def _countries(sel, world) -> list[int]:
    from detente.shortage._registry import world_countries_of

    names = [sel] if isinstance(sel, str) else list(sel)
    out: list[int] = []
    for s in names:
        if s.lower() in ("all", "*"):
            return list(range(world.n_countries))
        idx = world_countries_of(s, world)
        if not idx:
            world.country_index(s)  # raises with suggestions
        out.extend(idx)
    return sorted(set(out))


def _regimes(restrictions: Sequence[Restriction], products: Sequence[str], scoped: bool):
    """The regimes (steps by (regime, product)) on ``products``, scoped or not."""
    regimes: dict[tuple[str, str], list[Restriction]] = {}
    for r in restrictions:
        if r.product in products and r.scoped == scoped:
            regimes.setdefault((r.regime or r.label, r.product), []).append(r)
    return regimes


def _mask(r: Restriction, world) -> np.ndarray:
    N = world.n_countries
    m = np.zeros((N, N), dtype=bool)
    m[np.ix_(_countries(r.exporter, world), _countries(r.importers, world))] = True
    np.fill_diagonal(m, False)  # domestic sales are never licensed
    return m


def _week_path(
    steps: list[Restriction], masks: dict, w0: dt.date, N: int, floor: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A regime's (N, N) mean approval over the week from ``w0`` on the days a step is in
    force (each day at least ``floor``, where given), and the share of the week's days it
    is in force, cell by cell."""
    total, days = np.zeros((N, N)), np.zeros((N, N))
    for dd in range(7):
        day = w0 + dt.timedelta(days=dd)
        live = [r for r in steps if r.in_force(day)]
        if live:
            r = max(live, key=lambda s: (s.start, steps.index(s)))
            m = masks[id(r)]
            a = r.approval_on(day)
            total[m] += a if floor is None else np.maximum(a, floor[m])
            days[m] += 1.0
    return total / 7.0, days / 7.0


def approval_schedule(
    restrictions: Sequence[Restriction], world, products: Sequence[str], week_starts: Sequence[dt.date]
) -> np.ndarray:
    """(T, P, I, N) weekly approval share of exports of product p from i to n (1 = free),
    for every buyer (regimes that name ``users`` are read by :func:`user_overlays`)."""
    P, N, T = len(products), world.n_countries, len(week_starts)
    a = np.ones((T, P, N, N))
    pidx = {p: k for k, p in enumerate(products)}
    regimes = _regimes(restrictions, products, scoped=False)
    masks = {id(r): _mask(r, world) for steps in regimes.values() for r in steps}
    for t, w0 in enumerate(week_starts):
        for (_, prod), steps in regimes.items():
            on, share = _week_path(steps, masks, w0, N)
            np.minimum(a[t, pidx[prod]], on + (1.0 - share), out=a[t, pidx[prod]])
    return a


def user_overlays(
    restrictions: Sequence[Restriction],
    world,
    products: Sequence[str],
    week_starts: Sequence[dt.date],
    a_tpin: np.ndarray,
    user_nodes: np.ndarray,
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """The approvals of users whose supply chains hold licences of their own.

    For each product and user sector named by a regime with ``users``: ``(p, users,
    a_tin)``, ``users`` the positions in ``user_nodes`` of that sector's users and
    ``a_tin`` (T, I, N) their approval, which starts from the other regimes' ``a_tpin``
    and on each scoped regime's cells, for the days it is in force, becomes
    ``(1 - user_share) a + user_share max(a, a_regime)`` (regimes applied in the order
    given): a licence of one's own is a grant, and its holders can still apply under the
    others' regimes. Empty without scoped regimes. The week mixes days in and out of force
    at the week's mean of ``a``.
    """
    regimes = _regimes(restrictions, products, scoped=True)
    if not regimes:
        return []
    from detente.equilibrium._counterfactual import _select

    N, J = world.n_countries, world.n_sectors
    pidx = {p: k for k, p in enumerate(products)}
    masks = {id(r): _mask(r, world) for steps in regimes.values() for r in steps}
    by_sector: dict[tuple[int, int], np.ndarray] = {}
    for (_, prod), steps in regimes.items():
        p = pidx[prod]
        sectors = sorted({j for r in steps for j in _select(world.sectors, r.users, world, "sector")})
        share = steps[0].user_share
        if any(r.user_share != share or r.users != steps[0].users for r in steps):
            raise DataError(f"regime {steps[0].regime!r}: every step must name the same users and user_share")
        for j in sectors:
            cur = by_sector.get((p, j), a_tpin[:, p])
            path, inforce = np.empty_like(cur), np.empty_like(cur)
            for t, w0 in enumerate(week_starts):
                path[t], inforce[t] = _week_path(steps, masks, w0, N, floor=cur[t])
            # days in force: a mix of the users' own licence and the others'; days out: a
            by_sector[(p, j)] = (1.0 - share * inforce) * cur + share * path
    out = []
    for (p, j), a_tin in by_sector.items():
        users = np.flatnonzero(user_nodes % J == j)
        if users.size:
            out.append((p, users, a_tin))
    return out


_GOLDEN = (5**0.5 - 1) / 2


def cohort_slots(n: int, rule: str = "single") -> np.ndarray:
    """(n,) sourcing slot of each cohort, cohorts in ascending order of cover.

    A node's supply is laid out on [0, 1] supplier by supplier; slot ``s`` is the piece
    ``[s/n, (s+1)/n]``. ``"single"``: slots are spread over the cover ranks (cover rank
    ``q`` takes the slot whose key ``frac(s g)``, g the golden ratio's conjugate, is the
    ``q``-th smallest), so every supplier's cohorts span the cover distribution evenly
    (cover and sourcing independent, stratified); ``"single-low"``: slot = cover rank
    (the main supplier's cohorts are the least-covered ones); ``"single-high"``: the
    reverse (the main supplier's cohorts are the best covered).
    """
    if rule == "single":
        return np.argsort(np.mod(np.arange(n) * _GOLDEN, 1.0), kind="stable")
    if rule == "single-low":
        return np.arange(n)
    if rule == "single-high":
        return np.arange(n)[::-1].copy()
    raise DataError(f"cohort_sourcing must be one of {COHORT_SOURCING}, got {rule!r}")


def kernel_cohorts(n_cohorts: int, rule: str = "single") -> int:
    """Number of kernel cohorts for ``n_cohorts`` cover quantiles under ``rule``:
    ``n_cohorts ** 2`` for ``"independent"`` (every cover quantile on every sourcing
    slot), else ``n_cohorts``."""
    Q = int(n_cohorts)
    return Q * Q if rule == "independent" and Q > 1 else Q


def cohort_sourcing(sourcing_pni: np.ndarray, n_cohorts: int, rule: str = "single") -> np.ndarray:
    """(P, N, Q, I) supplier shares of each inventory cohort: single sourcing.

    Firms single-source (docs/shortage.md, 'Cohorts'): the node's suppliers, largest
    share first and the unlisted remainder last, are laid end to end on [0, 1], and
    cohort q (weight 1/Q) buys from the suppliers that its slot ``[s_q/Q, (s_q+1)/Q]``
    overlaps, in proportion to the overlap. A share sigma_i of the cohorts thus sources
    from supplier i alone (at most one cohort per supplier boundary is split), and the
    cohort-weighted mean equals the node's sourcing exactly. ``n_cohorts=1`` (one slot
    covering [0, 1]) and ``rule="mixed"`` give every cohort the node's mix.

    ``rule="independent"`` returns ``Q * Q`` kernel cohorts, ``q * Q + s`` for cover
    quantile q on slot s (weight 1/Q^2 each; :func:`kernel_cohorts`): the exact
    expectation of single sourcing when sourcing is independent of cover, where
    ``"single"`` is its stratified approximation with one slot per cover quantile.
    """
    sig = np.asarray(sourcing_pni, dtype=float)
    P, N, I = sig.shape
    Q = int(n_cohorts)
    if rule == "mixed" or Q == 1:
        return np.broadcast_to(sig[:, :, None, :], (P, N, Q, I)).copy()
    if rule == "independent":  # slot s's mix for every cover quantile q: index q * Q + s
        return np.tile(cohort_sourcing(sig, Q, "single-low"), (1, 1, Q, 1))
    slots = cohort_slots(Q, rule)
    lo_s = slots / Q  # (Q,) slot of each cohort
    hi_s = (slots + 1) / Q
    order = np.argsort(-sig, axis=-1, kind="stable")  # largest supplier first
    srt = np.take_along_axis(sig, order, axis=-1)
    hi_i = np.cumsum(srt, axis=-1)  # (P, N, I) partition; the remainder lies above hi_i[-1]
    lo_i = hi_i - srt
    ov = np.minimum(hi_i[:, :, None, :], hi_s[None, None, :, None]) - np.maximum(
        lo_i[:, :, None, :], lo_s[None, None, :, None]
    )
    ov = np.clip(ov, 0.0, None) * Q  # (P, N, Q, I) in sorted supplier order
    out = np.zeros_like(ov)
    np.put_along_axis(out, np.broadcast_to(order[:, :, None, :], ov.shape), ov, axis=-1)
    return out


def sustained_supply(
    sourcing_qi: np.ndarray, refused_i: np.ndarray, phi: float, surge: float, cohort_w: np.ndarray | None = None
) -> float:
    """Share of a user's baseline use of a product it gets in a sustained cut, stocks gone.

    ``sourcing_qi`` (Q, I) the cohorts' supplier mixes (:func:`cohort_sourcing`; one row
    for the node-level mix), ``refused_i`` (I,) the refused share by supplier, ``phi``
    the replacement share of a refused supply, ``surge`` the suppliers' surge capacity.
    Each cohort gets ``min(1, (1 + surge) (1 - R_q))``, ``R_q = sum_i sigma_qi r_i (1 -
    phi)``; the node's sustained output is ``1 - c (1 - sustained_supply)`` (the weekly
    kernel's steady state under the cut, and the quota of the static model's critical
    block in its Leontief limit). Under single sourcing this is below the node-mix
    value: a China-only cohort cannot borrow a Japanese-sourced cohort's surge.
    """
    sq = np.atleast_2d(np.asarray(sourcing_qi, dtype=float))
    w = np.full(sq.shape[0], 1.0 / sq.shape[0]) if cohort_w is None else np.asarray(cohort_w, dtype=float)
    R = (sq @ np.asarray(refused_i, dtype=float)) * (1.0 - phi)
    return float((w * np.minimum(1.0, (1.0 + surge) * (1.0 - R))).sum())


def licensed_share(a_tpin: np.ndarray, sourcing: np.ndarray) -> np.ndarray:
    """(T, P, N) or (T, P, N, Q) share of orders that restricted-or-free suppliers ship.

    ``sourcing`` is the node-level (P, N, I) or the cohort-level (P, N, Q, I) supplier
    mix. Suppliers outside it (rows summing to less than one) are never restricted. The
    share is ``1 - sum_i sigma_i (1 - a_i)``: exactly 1 where nothing is restricted.
    """
    refused = 1.0 - np.asarray(a_tpin, dtype=float)
    if sourcing.ndim == 3:
        return 1.0 - np.einsum("pni,tpin->tpn", sourcing, refused)
    return 1.0 - np.einsum("pnqi,tpin->tpnq", sourcing, refused)


def shipped_share(
    licensed_tpn: np.ndarray, max_subst_p: np.ndarray, ramp_p: np.ndarray, cohort_w: np.ndarray | None = None
) -> np.ndarray:
    """(..., T, P, N[, Q]) licensed share plus substitution by other suppliers.

    ``licensed_tpn`` may carry leading batch axes, and a trailing cohort axis when
    ``cohort_w`` (its weights) is given. Substitution replaces a share
    ``phi(t) = max_substitution * min(1, weeks since first restriction / ramp_weeks)``
    of the refused supply; it starts with the first week any of the country's supply is
    refused (the cohort-weighted licensed share below one), the same week for all its
    cohorts.
    """
    lic = np.asarray(licensed_tpn, dtype=float)
    node = lic if cohort_w is None else (lic * cohort_w).sum(axis=-1)
    restricted = (1.0 - node) > 1e-12
    started = np.cumsum(restricted, axis=-3) > 0
    weeks = np.cumsum(started, axis=-3)  # 1 in the first restricted week
    phi = max_subst_p[:, None] * np.minimum(1.0, weeks / ramp_p[:, None])
    if cohort_w is not None:
        phi = phi[..., None]
    refused = np.clip(1.0 - lic, 0.0, 1.0)
    return np.clip(lic + phi * refused, 0.0, 1.0)


def route_sourcing(origin_pud: np.ndarray, sourcing_pni: np.ndarray) -> np.ndarray:
    """(P, U, N*N) share of user u's use of p on each route (d, i), flat ``d * N + i``.

    The parts channel (docs/shortage.md): ``origin_pud`` (P, U, N) is the share of u's
    content of p bought as the product by makers in country d
    (:func:`~detente.shortage._registry.parts_origins`); they buy it from supplier i with
    d's registry sourcing ``sourcing_pni[p, d, i]``. A route is licensed by the approval
    of exports of p from i to d (:func:`route_view`); the remainder of each d's sourcing
    (suppliers outside the world's labels) is never restricted.
    """
    g = np.asarray(origin_pud, dtype=float)
    sig = np.asarray(sourcing_pni, dtype=float)
    P, U, N = g.shape
    return (g[:, :, :, None] * sig[:, None, :, :]).reshape(P, U, N * N)


def route_view(x_tpin: np.ndarray) -> np.ndarray:
    """(T, P, N*N) an approval-like array (T, P, I, N) read on routes ``d * N + i``: the
    value for exports of p from supplier i to the parts maker's country d."""
    x = np.asarray(x_tpin, dtype=float)
    T, P, N, _ = x.shape
    return x.transpose(0, 1, 3, 2).reshape(T, P, N * N)


def week_starts(start: dt.date, n_weeks: int) -> list[dt.date]:
    return [start + dt.timedelta(days=7 * t) for t in range(n_weeks)]
