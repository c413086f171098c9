"""Weekly shortage simulation on a world: build the kernel's arrays, run, label.

:func:`build_model` maps the registry and the world's input-output structure to plain
arrays (:class:`ShortageModel`); :func:`simulate` runs restrictions through
:func:`~detente.shortage._kernel.run_kernel` and returns a :class:`ShortageResult`
whose ``dataset`` is labelled by week (date), country, sector, product and user node.
:func:`simulate_scenario` reads the restrictions from a scenario file.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from detente.errors import DataError, UnknownLabelError
from detente.shortage._kernel import KernelInputs, KernelOutput, run_kernel
from detente.shortage._licensing import (
    Restriction,
    approval_schedule,
    cohort_sourcing,
    kernel_cohorts,
    restrictions_from_scenario,
    route_sourcing,
    route_view,
    shipped_share,
    user_overlays,
    week_starts,
)
from detente.shortage._registry import CriticalArrays, Registry, load_registry, map_registry
from detente.shortage._rules import COHORT_SOURCING, PARTS_CHANNEL

#: the most kernel cohorts a run may have (``cohorts``, or its square with "independent")
MAX_KERNEL_COHORTS = 10_000
#: the most memory one shortage run (one Monte Carlo draw) may take, checked before work
#: starts (:meth:`ShortageModel.check_size`); Monte Carlo batches are sized to it
MAX_RUN_BYTES = 2 * 2**30


@dataclasses.dataclass(frozen=True)
class ShortageSettings:
    """Model settings (docs/shortage.md, 'Settings').

    cohorts, cohort_spread
        Firms inside a user node differ in inventory cover: ``cohorts`` equal-weight
        groups (20: one cohort is 5% of a national industry, about one or two assembly
        plants) with cover multipliers at the quantiles of a lognormal of log-sd
        ``cohort_spread`` (mean 1; 0.25 from CLEPA's 4 June 2025 statement, docs
        section 3). ``cohorts=1`` is one representative firm.
    cohort_sourcing
        How the cohorts of a user source a critical input (docs/shortage.md, 'Cohorts').
        ``"single"`` (default): firms single-source; a share sigma_i of the cohorts buys
        from supplier i alone (the cohort-weighted mean is the registry's sourcing),
        cohorts spread evenly over the cover ranks (sourcing independent of cover).
        ``"single-low"`` / ``"single-high"``: the main supplier's cohorts are the least /
        best covered (the two extremes of the dependence). ``"mixed"``: every cohort
        buys the node's mix (the rule before single sourcing). ``"independent"``: the
        exact expectation of single sourcing independent of cover, every cover quantile
        on every sourcing slot (``cohorts ** 2`` kernel cohorts: smooth and monotone in
        the sourcing shares, about ten times slower at 20 cohorts); ``"single"`` is its
        stratified approximation (docs/shortage.md, 'Cohorts').
    io_rule
        Which intermediate inputs bind downstream: ``"registry"`` (default) only the
        (buyer, input) links the registry names; ``"threshold"`` the old rule, every
        goods input with a cost share of at least ``io_threshold`` (kept for comparison).
    cap_services
        Under ``io_rule="threshold"``, whether service sectors are capped by their goods
        inputs (default False: never). Under ``"registry"`` a service buyer is capped
        only where a registry link names it.
    io_threshold, io_essentiality, io_inventory_weeks, io_refill_weeks, io_surge
        A binding intermediate input binds with essentiality ``io_essentiality`` (1 =
        Leontief, 0 = fully substitutable). Buyers hold ``io_inventory_weeks`` of each,
        refill gaps over ``io_refill_weeks``, and suppliers can ship up to ``1 + io_surge``.
    propagate
        False: no downstream propagation (only direct users lose output).
    parts_channel
        Where a user's critical input comes from (docs/shortage.md, 'The parts channel').
        ``"io"`` (default): for a product with a registry ``parts`` entry, a user's
        content follows its purchases of the parts industries by origin country (world
        input-output data): the domestic share is bought with its country's sourcing and
        approvals, the share inside imported parts from k inherits k's parts makers'
        sourcing and k's approvals (recursively). ``"none"``: every user buys all of it
        with its own country's sourcing and approvals (the rule before the parts channel).
    """

    cohorts: int = 20
    cohort_spread: float = 0.25
    cohort_sourcing: str = "single"
    io_rule: str = "registry"
    cap_services: bool = False
    io_threshold: float = 0.01
    io_essentiality: float = 1.0
    io_inventory_weeks: float = 3.0
    io_refill_weeks: float = 2.0
    io_surge: float = 0.1
    propagate: bool = True
    parts_channel: str = "io"

    def __post_init__(self) -> None:
        if self.cohorts < 1:
            raise DataError(f"cohorts must be >= 1, got {self.cohorts}")
        for f in ("cohort_spread", "io_threshold", "io_inventory_weeks", "io_surge"):
            if getattr(self, f) < 0:
                raise DataError(f"{f} must be >= 0, got {getattr(self, f)}")
        if not 0 <= self.io_essentiality <= 1:
            raise DataError(f"io_essentiality must be in [0, 1], got {self.io_essentiality}")
        if self.cohort_sourcing not in COHORT_SOURCING:
            raise DataError(f"cohort_sourcing must be one of {COHORT_SOURCING}, got {self.cohort_sourcing!r}")
        n = kernel_cohorts(self.cohorts, self.cohort_sourcing)
        if n > MAX_KERNEL_COHORTS:
            raise DataError(
                f"cohorts={self.cohorts} with cohort_sourcing={self.cohort_sourcing!r} makes {n} kernel cohorts; "
                f"at most {MAX_KERNEL_COHORTS} (cohorts <= {MAX_KERNEL_COHORTS}, or <= "
                f"{math.isqrt(MAX_KERNEL_COHORTS)} with 'independent')"
            )
        if self.io_rule not in ("registry", "threshold"):
            raise DataError(f"io_rule must be 'registry' or 'threshold', got {self.io_rule!r}")
        if self.io_refill_weeks <= 0:
            raise DataError(f"io_refill_weeks must be > 0, got {self.io_refill_weeks}")
        if self.parts_channel not in PARTS_CHANNEL:
            raise DataError(f"parts_channel must be one of {PARTS_CHANNEL}, got {self.parts_channel!r}")


def cohort_multipliers(n: int, spread: float) -> np.ndarray:
    """Inventory multipliers of ``n`` equal cohorts: lognormal quantiles, mean exactly 1."""
    if n == 1 or spread == 0:
        return np.ones(n)
    from scipy.stats import norm

    z = norm.ppf((np.arange(n) + 0.5) / n)
    m = np.exp(spread * z)
    return m / m.mean()


@dataclasses.dataclass(frozen=True, eq=False)
class PartsRoutes:
    """One product's route mixes under the parts channel (docs/shortage.md).

    ``users`` (U_p,) positions (in ``CriticalArrays.user_nodes``) of the product's users;
    ``route_idx`` (R_p,) the routes any of them takes, flat ``d * N + i`` (bought in
    country d from supplier i); ``mix_uqr`` (U_p, Q, R_p) each cohort's route mix
    (single sourcing over routes; the cohort mean is ``G_ud sigma_pdi``).
    """

    users: np.ndarray
    route_idx: np.ndarray
    mix_uqr: np.ndarray

    def pairs(self, n_countries: int) -> np.ndarray:
        """(R_p, 2) country d and supplier i of each route."""
        return np.stack(np.divmod(self.route_idx, n_countries), axis=1)


@dataclasses.dataclass(frozen=True, eq=False)
class ShortageModel:
    """A world and registry as kernel arrays (everything but the restrictions)."""

    world: Any
    critical: CriticalArrays
    settings: ShortageSettings
    registry_version: str
    pi_kni: np.ndarray
    io_k: np.ndarray
    io_e: np.ndarray
    io_cover: np.ndarray
    output_year_m: np.ndarray
    va_share_m: np.ndarray
    sourcing_pnqi: np.ndarray  # (P, N, Q, I) supplier mix of each cohort (cohort_sourcing)
    # parts_channel="io": one entry per product, its users' route mixes (None for a product
    # without a registry ``parts`` entry: national sourcing); None for parts_channel="none"
    routes: tuple[PartsRoutes | None, ...] | None = None

    @property
    def products(self) -> tuple[str, ...]:
        return self.critical.products

    @property
    def user_row(self) -> np.ndarray:
        """(U,) row of the licensed and shipped shares for each user: every user has a row
        of its own, N + u (rows 0..N-1 are the countries' national sourcing). It holds the
        user's route reading for a product with a parts channel, its country's for the
        others, and its own approvals where a licence names its sector (``users``)."""
        return self.world.n_countries + np.arange(self.critical.user_nodes.size)

    def on_routes(self, p: int, x_tpin: np.ndarray) -> np.ndarray:
        """(T, R_p) an array indexed like the approvals (T, P, I, N) read on product p's
        routes (d, i): the value for exports of p from supplier i to country d."""
        return self._routes_of(p, x_tpin[:, p])

    def _routes_of(self, p: int, x_tin: np.ndarray) -> np.ndarray:
        """(T, R_p) product p's ``x`` (T, I, N) read on its routes (:meth:`on_routes`)."""
        rt = None if self.routes is None else self.routes[p]
        assert rt is not None, f"product {self.products[p]!r} has no parts channel in this model"
        return route_view(x_tin[:, None])[:, 0, rt.route_idx]

    def _user_rows(self, p: int, users: np.ndarray, x_tin: np.ndarray) -> np.ndarray:
        """(T, len(users), Q) product p's ``x`` (T, I, N) weighted by each user's cohort
        mix: its routes under the parts channel, else its country's suppliers."""
        rt = None if self.routes is None else self.routes[p]
        if rt is None:
            country = self.critical.user_nodes[users] // self.world.n_sectors
            nat = np.einsum("nqi,tin->tnq", self.sourcing_pnqi[p], x_tin)
            return nat[:, country]
        pos = np.searchsorted(rt.users, users)
        assert np.all(rt.users[np.minimum(pos, rt.users.size - 1)] == users), "a user outside the product's users"
        return np.einsum("uqr,tr->tuq", rt.mix_uqr[pos], self._routes_of(p, x_tin))

    def sourced(self, x_tpin: np.ndarray, overlays=()) -> np.ndarray:
        """(T, P, R, Q) ``sum_i sigma_rqi x_tpi(row)``: an array indexed like the approvals
        (T, P, I, N) weighted by each row's cohort supplier (or route) mix. ``overlays``
        (:func:`~detente.shortage._licensing.user_overlays`, each ``(p, users, x_tin)``)
        replace ``x`` for those users' rows on product p."""
        nat = np.einsum("pnqi,tpin->tpnq", self.sourcing_pnqi, x_tpin)
        country = self.critical.user_nodes // self.world.n_sectors
        out = np.concatenate([nat, nat[:, :, country]], axis=2)  # (T, P, N + U, Q)
        N = self.world.n_countries
        for p, rt in enumerate(self.routes or ()):
            if rt is not None:
                out[:, p, N + rt.users] = self._user_rows(p, rt.users, x_tpin[:, p])
        for p, users, x_tin in overlays:
            out[:, p, N + users] = self._user_rows(p, users, x_tin)
        return out

    def country_shares(self, x_tprq: np.ndarray) -> np.ndarray:
        """(T, P, N) cohort-weighted shares by row, read by country: the mean over the
        country's users of each product weighted by their baseline use (intensity x
        output), 1 where none."""
        x = (x_tprq * self.cohort_w).sum(axis=-1)
        x = x[:, :, self.user_row]  # (T, P, U)
        c, w = self.critical, self.world
        N = w.n_countries
        use = c.intensity_up * self.output_year_m[c.user_nodes][:, None]  # (U, P)
        use = np.where(c.criticality_up > 0, use, 0.0)
        onehot = np.zeros((c.user_nodes.size, N))
        onehot[np.arange(c.user_nodes.size), c.user_nodes // w.n_sectors] = 1.0
        wt = use[:, :, None] * onehot[:, None, :]  # (U, P, N)
        tot = wt.sum(axis=0)  # (P, N)
        num = np.einsum("tpu,upn->tpn", x, wt)
        return np.where(tot > 0, num / np.where(tot > 0, tot, 1.0), 1.0)

    @property
    def cohort_w(self) -> np.ndarray:
        n = kernel_cohorts(self.settings.cohorts, self.settings.cohort_sourcing)
        return np.full(n, 1.0 / n)

    def run_bytes(self, weeks: int) -> int:
        """Estimated peak memory of one draw of a ``weeks``-week run, in bytes: the
        (T, P, R, Q) licensed and shipped shares (about four copies) and the kernel's
        cohort state (stocks, pipeline, orders)."""
        P, U = len(self.products), self.critical.user_nodes.size
        R = self.world.n_countries + U
        Q = self.cohort_w.size
        L = int(self.critical.transit_p.max()) + 1 if P else 1
        return 8 * (4 * int(weeks) * P * R * Q + U * Q * P * (L + 8))

    def check_size(self, weeks: int) -> None:
        """Refuse, before any work, a run whose one draw would need more than
        :data:`MAX_RUN_BYTES` (the error names the settings that set the size)."""
        need = self.run_bytes(weeks)
        if need > MAX_RUN_BYTES:
            s = self.settings
            raise DataError(
                f"a {weeks}-week shortage run of {len(self.products)} product(s) with cohorts={s.cohorts} "
                f"(cohort_sourcing={s.cohort_sourcing!r}: {self.cohort_w.size} kernel cohorts) would need about "
                f"{need / 2**30:.1f} GiB, above the {MAX_RUN_BYTES / 2**30:.0f} GiB limit: lower cohorts, "
                "the number of products or the weeks"
            )

    @property
    def cohort_mult(self) -> np.ndarray:
        """(Q,) inventory multiplier of each kernel cohort (``"independent"``: each cover
        quantile repeated once per sourcing slot, cohort ``q * Q + s``)."""
        s = self.settings
        return np.repeat(cohort_multipliers(s.cohorts, s.cohort_spread), self.cohort_w.size // s.cohorts)

    def inputs(self, ship_tdpn: np.ndarray, cover_dup: np.ndarray | None = None) -> KernelInputs:
        c, s = self.critical, self.settings
        return KernelInputs(
            ship_tdpn=ship_tdpn,
            user_country=self.user_row,
            user_node=c.user_nodes,
            criticality_up=c.criticality_up,
            cover_dup=c.cover_up[None] if cover_dup is None else cover_dup,
            transit_p=c.transit_p,
            refill_p=c.refill_p,
            surge_p=c.surge_p,
            cohort_w=self.cohort_w,
            cohort_mult=self.cohort_mult,
            pi_kni=self.pi_kni,
            io_k=self.io_k,
            io_e=self.io_e,
            io_cover=self.io_cover,
            io_refill=s.io_refill_weeks,
            io_surge=s.io_surge,
            output_week_m=self.output_year_m / 52.0,
        )

    def approvals(self, restrictions: Sequence[Restriction], weeks: Sequence[dt.date]):
        """(T, P, I, N) approvals for every buyer, and the overlays of users whose supply
        chains hold licences of their own (:func:`~detente.shortage._licensing.user_overlays`)."""
        a = approval_schedule(restrictions, self.world, self.products, weeks)
        return a, user_overlays(restrictions, self.world, self.products, weeks, a, self.critical.user_nodes)

    def licensed(self, restrictions: Sequence[Restriction], weeks: Sequence[dt.date]) -> np.ndarray:
        """(T, P, R, Q) licensed share of each cohort's orders (before substitution), by
        row (:attr:`user_row`)."""
        a, overlays = self.approvals(restrictions, weeks)
        return 1.0 - self.sourced(1.0 - a, [(p, u, 1.0 - x) for p, u, x in overlays])

    def shipped(self, licensed_tpnq: np.ndarray) -> np.ndarray:
        """(..., T, P, N, Q) shipped share: licensed plus substitution (by cohort)."""
        return shipped_share(licensed_tpnq, self.critical.max_subst_p, self.critical.ramp_p, self.cohort_w)


def build_model(
    world,
    registry: Registry | None = None,
    products: Sequence[str] | None = None,
    settings: ShortageSettings | None = None,
) -> ShortageModel:
    """Kernel arrays for ``world`` and the registry's ``products`` (default: all)."""
    settings = settings or ShortageSettings()
    registry = registry or load_registry()
    crit = map_registry(registry, world, products)
    N, J = world.n_countries, world.n_sectors
    pi_kni = np.ascontiguousarray(np.asarray(world.trade_shares).transpose(2, 0, 1))
    ess = essential_inputs(world, registry, settings)  # (n, k, j)
    ess_mj_k = ess.transpose(0, 2, 1).reshape(N * J, J)  # (m, k)
    n_slots = int(ess_mj_k.sum(axis=1).max()) if ess_mj_k.any() else 0
    io_k = np.zeros((N * J, n_slots), dtype=np.int64)
    io_e = np.zeros((N * J, n_slots))
    for m in range(N * J):
        ks = np.flatnonzero(ess_mj_k[m])
        io_k[m, : ks.size] = ks
        io_e[m, : ks.size] = settings.io_essentiality
    io_cover = np.full((N * J, n_slots), float(settings.io_inventory_weeks))
    Y = np.asarray(world.gross_output).reshape(-1)
    routes = parts_routes(crit, settings) if settings.parts_channel == "io" else None
    return ShortageModel(
        world,
        crit,
        settings,
        registry.version,
        pi_kni,
        io_k,
        io_e,
        io_cover,
        Y,
        np.asarray(world.va_share).reshape(-1),
        cohort_sourcing(crit.sourcing_pni, settings.cohorts, settings.cohort_sourcing),
        routes,
    )


def parts_routes(crit: CriticalArrays, settings: ShortageSettings) -> tuple[PartsRoutes | None, ...]:
    """Each product's route mixes (the parts channel): None for a product whose users all
    buy at home (no registry ``parts`` entry), else its users' cohort mixes over the
    routes (d, i) they take (``route_sourcing`` of ``parts_origin_pud``, split by
    ``cohort_sourcing``)."""
    assert crit.parts_origin_pud is not None  # map_registry always fills it
    out: list[PartsRoutes | None] = []
    for p in range(len(crit.products)):
        g = crit.parts_origin_pud[p]  # (U, N)
        users = np.flatnonzero(crit.criticality_up[:, p] > 0)
        own = g[users].max(axis=1) if users.size else np.ones(0)
        if users.size == 0 or np.all(own >= 1.0 - 1e-15):
            out.append(None)  # everyone buys at home: national sourcing
            continue
        rs = route_sourcing(g[None, users], crit.sourcing_pni[p : p + 1])[0]  # (U_p, N*N)
        idx = np.flatnonzero((rs > 0).any(axis=0))
        mix = cohort_sourcing(rs[None, :, idx], settings.cohorts, settings.cohort_sourcing)[0]
        out.append(PartsRoutes(users, idx, mix))
    return tuple(out)


def essential_inputs(world, registry: Registry, settings: ShortageSettings) -> np.ndarray:
    """(N, K, J) bool: input sector k binds buyer sector j in country n.

    ``io_rule="registry"``: the registry's links (buyer, input), where the buyer buys
    the input at all; ``"threshold"``: goods inputs with cost share >= ``io_threshold``,
    service buyers only if ``cap_services``. Services never bind as inputs.
    """
    from detente.shortage._registry import world_sector_of

    g = np.asarray(world.io_shares)  # (n, k, j)
    N, J = world.n_countries, world.n_sectors
    services = set(world.meta.services)
    goods = np.array([s not in services for s in world.sectors])
    ess = np.zeros((N, J, J), dtype=bool)
    if not settings.propagate or settings.io_essentiality <= 0:
        return ess
    if settings.io_rule == "threshold":
        ess = (g >= settings.io_threshold) & goods[None, :, None]
        if not settings.cap_services:
            ess &= goods[None, None, :]
        return ess
    for ln in registry.links:
        j, k = world_sector_of(ln.buyer, world), world_sector_of(ln.input, world)
        if j is None or k is None or not goods[k]:
            continue  # a link outside this world's sectors, or a service input (never binds)
        ess[:, k, j] |= g[:, k, j] > 0
    return ess


# ------------------------------------------------------------------------- results
@dataclasses.dataclass(frozen=True, eq=False)
class ShortageResult:
    """A labelled weekly shortage run: ``dataset`` plus the raw kernel output."""

    dataset: Any  # xarray.Dataset
    raw: KernelOutput
    restrictions: tuple[Restriction, ...]

    def first_stockouts(self, sectors: Sequence[str] | None = None):
        """pandas DataFrame: user node, product-weighted first stock-out week and date, losses."""
        import pandas as pd

        ds = self.dataset
        rows = []
        for k in range(ds.sizes["user"]):
            c, s = str(ds.user_country[k].item()), str(ds.user_sector[k].item())
            if sectors is not None and s not in sectors:
                continue
            w = int(ds.first_stockout_week[k].item())
            rows.append(
                {
                    "country": c,
                    "sector": s,
                    "first_stockout_week": w if w >= 0 else None,
                    "first_stockout_date": ds.week_start.values[w] if w >= 0 else None,
                    "output_lost": float(ds.cum_output_lost.sel(country=c, sector=s)),
                    "output_lost_pct": float(ds.cum_output_lost_pct.sel(country=c, sector=s)),
                }
            )
        return pd.DataFrame(rows)

    def monthly_output(self):
        """xarray DataArray (month, country, sector): mean output / baseline over the weeks
        that start in each calendar month (``month`` labels ``"YYYY-MM"``), the reading that
        matches a monthly industrial-production index."""
        ds = self.dataset
        labels = np.datetime_as_string(ds.week_start.values, unit="M")
        return ds.output_ratio.assign_coords(month=("week", labels)).groupby("month").mean("week")

    def monthly_change_pct(self, country: str, sector: str, month: str) -> float:
        """% change of ``country``/``sector`` output from the month before ``month``
        (``"YYYY-MM"``) to ``month``, on :meth:`monthly_output`."""
        m = self.monthly_output().sel(country=country, sector=sector)
        prev = str(np.datetime64(month, "M") - np.timedelta64(1, "M"))
        months = [str(v) for v in m.month.values]
        for label in (prev, month):
            if label not in months:
                raise UnknownLabelError(f"month {label!r} is not in the run ({months[0]} to {months[-1]})")
        before = float(m.sel(month=prev))
        if not before > 0:
            raise DataError(f"{country} {sector} produces nothing in {prev}: no change to {month} to compute")
        return 100.0 * (float(m.sel(month=month)) / before - 1.0)


def _dataset(
    model: ShortageModel, out: KernelOutput, weeks: Sequence[dt.date], ship_tpn: np.ndarray, meta: dict
) -> Any:
    import xarray as xr

    w = model.world
    N, J = w.n_countries, w.n_sectors
    T = len(weeks)
    crit = model.critical
    # the kernel ran with record="full", so the per-week records are present
    assert out.x_tdm is not None and out.stock_tdup is not None
    x = out.x_tdm[:, 0].reshape(T, N, J)
    Yw = model.output_year_m.reshape(N, J) / 52.0
    va = model.va_share_m.reshape(N, J)
    lost = (1.0 - x) * Yw
    va_lost = lost * va
    cum = lost.sum(axis=0)
    cum_va_c = va_lost.sum(axis=(0, 2))
    gdp = np.asarray(w.value_added)
    ucountry = [w.countries[m // J] for m in crit.user_nodes]
    usector = [w.sectors[m % J] for m in crit.user_nodes]
    units = w.meta.units
    inv_days = out.stock_tdup[:, 0] * 7.0
    inv_days = np.where(crit.criticality_up[None] > 0, inv_days, np.nan)
    first_loss = out.first_loss_dm[0].reshape(N, J)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum_pct = np.where(Yw > 0, 100.0 * cum / (Yw * T), 0.0)
    ds = xr.Dataset(
        {
            "output_ratio": (("week", "country", "sector"), x, {"units": "1", "long_name": "output / baseline output"}),
            "output_lost": (("week", "country", "sector"), lost, {"units": f"{units} per week"}),
            "va_lost": (
                ("week", "country", "sector"),
                va_lost,
                {"units": f"{units} per week", "long_name": "value added lost"},
            ),
            "cum_output_lost": (("country", "sector"), cum, {"units": units, "long_name": "output lost over the run"}),
            "cum_output_lost_pct": (("country", "sector"), cum_pct, {"units": "% of baseline output over the run"}),
            "cum_va_lost": (("country",), cum_va_c, {"units": units}),
            "va_lost_pct_gdp": (
                ("country",),
                100.0 * cum_va_c / np.where(gdp > 0, gdp, np.nan),
                {"units": "% of annual GDP (value added)"},
            ),
            "first_loss_week": (("country", "sector"), first_loss, {"units": "week index (-1: never)"}),
            "inventory_days": (("week", "user", "product"), inv_days, {"units": "days of baseline use"}),
            "shipped_share": (
                ("week", "product", "country"),
                ship_tpn,
                {"units": "1", "long_name": "share of orders shipped (licensed + substitutes)"},
            ),
            "first_stockout_week": (("user",), out.first_stockout_du[0], {"units": "week index (-1: never)"}),
        },
        coords={
            "week": np.arange(T),
            "week_start": ("week", np.array(weeks, dtype="datetime64[D]")),
            "country": list(w.countries),
            "sector": list(w.sectors),
            "product": list(crit.products),
            "user": np.arange(crit.user_nodes.size),
            "user_country": ("user", ucountry),
            "user_sector": ("user", usector),
        },
        attrs=meta,
    )
    return ds


def _provenance(model: ShortageModel, restrictions: Sequence[Restriction], extra: dict | None = None) -> dict:
    from detente import __version__

    w = model.world
    d = {
        "model": "detente weekly shortage (docs/shortage.md)",
        "world": w.meta.name,
        "vintage": w.meta.vintage,
        "units": w.meta.units,
        "registry": model.registry_version,
        "code_version": __version__,
        "settings": json_safe(dataclasses.asdict(model.settings)),
        "restrictions": [json_safe(dataclasses.asdict(r)) for r in restrictions],
    }
    d.update(extra or {})
    return d


def json_safe(d: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v) for k, v in d.items()
    }


def simulate(
    world,
    restrictions: Sequence[Restriction],
    *,
    start: dt.date,
    weeks: int,
    registry: Registry | None = None,
    products: Sequence[str] | None = None,
    settings: ShortageSettings | None = None,
    model: ShortageModel | None = None,
    meta: dict | None = None,
) -> ShortageResult:
    """Run ``restrictions`` for ``weeks`` weeks from ``start`` on ``world``.

    ``products`` defaults to the products the restrictions name (unrestricted products
    cannot cause a shortage). Pass a prebuilt ``model`` to skip building it.
    """
    if weeks < 1:
        raise DataError(f"weeks must be >= 1, got {weeks}")
    if model is None:
        registry = registry or load_registry()
        prods = products or list(dict.fromkeys(r.product for r in restrictions)) or [registry.ids[0]]
        model = build_model(world, registry, prods, settings)
    model.check_size(weeks)
    ws = week_starts(start, weeks)
    ship = model.shipped(
        model.licensed(restrictions, ws)
    )  # (T, P, R, Q): rows are countries (then users with own rows)
    out = run_kernel(model.inputs(ship[:, None]), weeks, record="full")
    ds = _dataset(model, out, ws, model.country_shares(ship), _provenance(model, restrictions, meta))
    return ShortageResult(ds, out, tuple(restrictions))


def simulate_scenario(
    scenario,
    world=None,
    *,
    variant: str | None = None,
    registry: Registry | None = None,
    settings: ShortageSettings | None = None,
    weeks: int | None = None,
) -> ShortageResult:
    """Run the product export controls of a scenario (a path, a shipped name or a Scenario).

    Weeks start on the scenario's ``period.start`` and run to ``period.end``.
    """
    from detente.policy import apply_variant, load_scenario
    from detente.world import load_world

    sc = load_scenario(scenario) if isinstance(scenario, str) or hasattr(scenario, "__fspath__") else scenario
    sc = apply_variant(sc, variant)
    registry = registry or load_registry()
    w = world if world is not None and not isinstance(world, str) else load_world(world or sc.world)
    rs = restrictions_from_scenario(sc, registry)
    if not rs:
        raise DataError(
            f"scenario {sc.name!r} has no export_control event with a 'product'; "
            "the shortage model has nothing to simulate"
        )
    n = weeks or ((sc.period.end - sc.period.start).days // 7 + 1)
    return simulate(
        w,
        rs,
        start=sc.period.start,
        weeks=n,
        registry=registry,
        settings=settings,
        meta={"scenario": sc.name, "variant": sc.variant or "", "scenario_path": sc.path},
    )
