"""A licence on a critical input, read by the static equilibrium: the nested CES block.

The same registry (src/detente/data/critical_inputs.yaml) serves the weekly shortage
model and this translation. For a cut that refuses the share ``r_pin`` of product p from
supplier i to country n, a user u in n can buy at most

    z_up = 1 - c_up * sum_i sigma_pni r_pin (1 - phi_p(h))

of its baseline quantity: ``sigma`` the registry's sourcing, ``c`` its criticality (the
dependent output share: the rest of the user's uses of p have ready substitutes, so only
the dependent share is rationed), ``phi_p(h)`` the share of a refused supply that other
suppliers replace by horizon h. In the Leontief limit (sigma_nest -> 0) the user's
output falls to ``z``, the weekly model's sustained
output up to the suppliers' surge (which the weekly model's orders keep using) (docs/shortage.md,
section 8); with substitution it falls less. The scarcity rent of the rationed input is
a quota rent, earned by whoever holds the allocation: the licence holder (the controlling
exporter) earns a markup on its approved sales, the licence's export-tax equivalent
(``licence_equivalent`` at the parent sector's trade elasticity) capped by the premium
observed abroad in 2025 (:data:`HOLDER_MARKUP_CAP`), and the buyer's own country the
rest: the premium above the licence price, and the rent on the other suppliers'
deliveries, which they ration among buyers at contract prices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

#: elasticity of substitution between a critical input and all of the user's other
#: inputs, by horizon in years. One year: Atalay (2017, "How important are sectoral
#: shocks?", AEJ: Macroeconomics 9(4)) estimates the elasticity across a producer's
#: intermediate inputs at 0.001-0.13 at quarterly-to-annual frequency (near
#: complements); 0.05 sits inside that range (band 0.01-0.13). Boehm, Flaaen &
#: Pandalai-Nayar (2019, REStat 101(1)) find about 0.2 within a year after Tohoku between
#: imported and domestic sources of the *same* input: that is the replacement of a
#: supplier (``max_substitution`` here), not substitution away from the input. Long run:
#: Peter & Ruane (CEPR DP 21539, 2026) find long-run elasticities between broad material
#: inputs "significantly above" 1; for one specific critical input detente takes
#: Cobb-Douglas (1.0) at 10 years (band 0.5-2.0). Log-linear in years between the points,
#: constant outside (below one year: the one-year value, as for the trade elasticities).
NEST_SIGMA: dict[float, float] = {1.0: 0.05, 10.0: 1.0}
#: the low and high ends used for the band (the same interpolation)
NEST_SIGMA_BAND: dict[str, dict[float, float]] = {"low": {1.0: 0.01, 10.0: 0.5}, "high": {1.0: 0.13, 10.0: 2.0}}
#: the most the licence holders earn on their approved sales, as a markup over the
#: domestic price (fractions): the price premium observed abroad in 2025 while Chinese
#: domestic prices stayed flat. Dy oxide in Europe went from $250-310/kg (early April)
#: to $700-1,000/kg (6 May; Argus via GMT Eight), Tb oxide from $930-1,000 to
#: $2,000-4,000/kg, "Dy ~3x, Tb >2x in Europe within a month; domestic stable" (SMM),
#: European magnet prices up to ~6x Chinese domestic (IEA): a threefold price, markup 2
#: (band 1-5). Sources: ../shared/data/us_china/critical_inputs_facts.md, section 4.7.
#: The licence's export-tax equivalent at the parent sector's short-run elasticity
#: (``licence_equivalent``) is far larger (x ~ 255 for 75% refused at theta 0.25), so the
#: observed premium is what binds; the scarcity premium above it is the buyers'.
HOLDER_MARKUP_CAP = 2.0
#: years to build capacity outside the controlling country (IEA 2025, ~8 years for
#: magnets): other suppliers' replacement share rises linearly from the registry's
#: ``max_substitution`` (reached over ``ramp_weeks``) to 1 at this horizon
REPLACEMENT_YEARS = 8.0


@dataclasses.dataclass(frozen=True)
class CriticalCut:
    """A licence on a critical product: ``exporter`` refuses ``refused`` of its sales of
    ``product`` to ``importer`` (labels or comma lists; ``"all"``). ``users`` (sector
    labels) scopes it to those users' supply chains, on the share ``user_share`` of their
    purchases, which it refuses at most ``refused`` (a grant: :func:`critical_block`)."""

    product: str
    exporter: str | Sequence[str]
    importer: str | Sequence[str]
    refused: float
    users: str | Sequence[str] = "all"
    user_share: float = 1.0

    @property
    def scoped(self) -> bool:
        from detente._lists import selects_all

        return not selects_all(self.users)

    def __post_init__(self) -> None:
        from detente.errors import ShockError

        if not 0.0 < self.user_share <= 1.0:
            raise ShockError(
                f"critical-input cut of {self.product!r}: user_share must be in (0, 1], got {self.user_share!r}"
            )
        if not (np.isfinite(self.refused) and 0.0 <= self.refused <= 1.0):
            raise ShockError(
                f"critical-input cut of {self.product!r}: refused share must be in [0, 1], got {self.refused!r}"
            )


def _interp(points: dict[float, float], years: float) -> float:
    xs = sorted(points)
    lx = np.log([max(years, 1e-6)])[0]
    lxs, ly = np.log(xs), np.log([points[x] for x in xs])
    return float(np.exp(np.interp(lx, lxs, ly)))


def nest_sigma(horizon="1y", *, band: str | None = None) -> float:
    """The nest's elasticity at ``horizon`` (``"1y"``, ``"3y"``, ``"long"``, years)."""
    from detente.world.elasticities._horizon import horizon_years

    points = NEST_SIGMA if band is None else NEST_SIGMA_BAND[band]
    return _interp(points, horizon_years(horizon))


def replacement_share(max_substitution: float, ramp_weeks: float, horizon="1y") -> float:
    """Share of a refused supply that other suppliers replace by ``horizon``."""
    from detente.world.elasticities._horizon import horizon_years

    years = horizon_years(horizon)
    ramp = float(max_substitution) * min(1.0, 52.0 * years / max(float(ramp_weeks), 1.0))
    if years <= 1.0:
        return ramp
    return float(min(1.0, ramp + (1.0 - ramp) * (years - 1.0) / (REPLACEMENT_YEARS - 1.0)))


def critical_block(
    world,
    cuts: Sequence[CriticalCut],
    *,
    horizon="1y",
    sigma: float | None = None,
    registry=None,
    holder_markup_cap: float | None = None,
):
    """The kernel's :class:`~detente.equilibrium._critical.CriticalBlock` for ``cuts``.

    Rows: every (user, product) of the registry on ``world`` whose supply falls. Returns
    None when no user is rationed. ``sigma`` overrides the horizon's elasticity.
    """
    from detente.equilibrium._counterfactual import _select
    from detente.equilibrium._critical import CriticalBlock
    from detente.errors import ShockError
    from detente.shortage import load_registry
    from detente.shortage._registry import map_registry

    if not cuts:
        return None
    registry = registry if registry is not None else load_registry()
    products = tuple(dict.fromkeys(c.product for c in cuts))
    unknown = [p for p in products if p not in registry.ids]
    if unknown:
        raise ShockError(f"unknown critical input {unknown[0]!r}; the registry has: {', '.join(registry.ids)}")
    arr = map_registry(registry, world, products)
    N, J = world.n_countries, world.n_sectors
    P = len(products)
    refused = np.zeros((P, N, N))  # (p, supplier i, importer n)
    cells = {}
    for k, c in enumerate(cuts):
        i_idx = _select(world.countries, c.exporter, world, "country")
        n_idx = _select(world.countries, c.importer, world, "country")
        cells[k] = np.ix_(i_idx, n_idx)
        if c.scoped:
            continue
        p = products.index(c.product)
        block = refused[p][cells[k]]
        refused[p][cells[k]] = 1.0 - (1.0 - block) * (1.0 - c.refused)
    idx = np.arange(N)
    refused[:, idx, idx] = 0.0  # a country never refuses its own users
    # licences of the users' own (``users``): on their cells, the share ``user_share`` of
    # the named users' purchases is refused at the lower of the scoped and the others'
    # rates (a grant; the weekly model's reading, detente.shortage._licensing.user_overlays)
    scoped: dict[tuple[int, int], np.ndarray] = {}  # (p, sector) -> (i, n) refused
    for k, c in enumerate(cuts):
        if not c.scoped:
            continue
        p = products.index(c.product)
        for j in _select(world.sectors, c.users, world, "sector"):
            r = scoped.get((p, j), refused[p]).copy()
            r[cells[k]] = (1.0 - c.user_share) * r[cells[k]] + c.user_share * np.minimum(r[cells[k]], c.refused)
            r[idx, idx] = 0.0
            scoped[(p, j)] = r
    from detente.instruments._licence import licence_equivalent

    sig = nest_sigma(horizon) if sigma is None else float(sigma)
    theta_parent = np.asarray(world.theta, dtype=float)[arr.parent_p]  # (P,) trade elasticity of the parent sector
    phi = np.array([replacement_share(arr.max_subst_p[p], arr.ramp_p[p], horizon) for p in range(P)])
    rows_node, rows_a, rows_z, rows_rent = [], [], [], []
    assert arr.parts_origin_pud is not None  # map_registry always fills the parts channel
    for u, node in enumerate(arr.user_nodes):
        n = int(node) // J
        for p in range(P):
            c_up, a_up = arr.criticality_up[u, p], arr.intensity_up[u, p]
            if c_up <= 0 or a_up <= 0:
                continue
            # the parts channel (docs/shortage.md, section 2): u's content of p arrives in
            # country d's parts (share G_ud) from supplier i (d's sourcing); each route
            # (d, i) is licensed as i's exports to d (a route with d = i: never licensed)
            routes = arr.parts_origin_pud[p, u][:, None] * arr.sourcing_pni[p]  # (d, i)
            r_di = scoped.get((p, int(node) % J), refused[p]).T  # (d, i): refused share of i's sales to d
            R = float((routes * r_di).sum()) * (1.0 - phi[p])
            if R <= 0:
                continue
            z = 1.0 - c_up * R
            if z <= 1e-6:
                raise ShockError(
                    f"the cut of {products[p]!r} leaves {world.countries[n]} "
                    f"{world.sectors[int(node) % J]} no supply at all (criticality 1, no other "
                    "supplier): no finite static equilibrium; use a refused share below 1"
                )
            # the licence holders' approved sales on licensed routes, as a share of what the
            # users still get (listed suppliers, the unlisted rest and replacements), and
            # each route's export-tax equivalent: the markup its holder earns (the rest of
            # the scarcity premium is the buyers', who hold the allocation)
            delivered = 1.0 - R
            approved_di = np.where(r_di > 0, routes * (1.0 - r_di), 0.0)  # (d, i)
            holder = approved_di.sum(axis=0) / max(delivered, 1e-300)  # (i,)
            x_di = licence_equivalent(np.minimum(r_di, 1.0 - 1e-9), theta_parent[p])
            total = float(approved_di.sum())
            markup = float((approved_di * x_di).sum() / total) if total > 0 else 0.0
            markup = min(markup, HOLDER_MARKUP_CAP if holder_markup_cap is None else holder_markup_cap)
            rows_node.append(int(node))
            rows_a.append(float(a_up))
            rows_z.append(z)
            rows_rent.append((holder, markup))
    if not rows_node:
        return None
    return CriticalBlock(
        np.array(rows_node),
        np.array(rows_a),
        np.array(rows_z),
        sig,
        np.array([h for h, _ in rows_rent]),
        np.array([x for _, x in rows_rent]),
    )
