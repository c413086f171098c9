"""Aggregation of countries into regions and sectors into groups.

Flows in levels are summed (trade at factory prices, tariff revenue, input and final
spending gross of tariffs), so gross output, value added, income, deficits and every
accounting identity are preserved exactly. Tariffs become the trade-weighted average
(revenue / flow) of the merged cells; trade elasticities the world-import-weighted mean
of the merged sectors (an approximation: a CES aggregate of CES sectors is not CES).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from detente.errors import DataError, UnknownLabelError
from detente.world._world import World, WorldMeta


def membership(
    labels: Sequence[str], groups: Mapping[str, Sequence[str]] | None, what: str
) -> tuple[tuple[str, ...], np.ndarray]:
    """0/1 matrix (new, old) from a mapping ``new label -> old labels``.

    ``None`` keeps the labels as they are. Every old label must belong to exactly one
    group; a label that does not exist is an error naming it.
    """
    labels = tuple(labels)
    if groups is None:
        return labels, np.eye(len(labels))
    if isinstance(groups, str) or not isinstance(groups, Mapping):
        raise DataError(f"{what} groups must be a mapping of new label -> list of old labels")
    new = tuple(groups)
    M = np.zeros((len(new), len(labels)))
    seen: dict[str, str] = {}
    for a, members in groups.items():
        if isinstance(members, str):
            members = [members]
        for m in members:
            if m not in labels:
                raise UnknownLabelError(f"aggregation of {what}s: unknown {what} {m!r} in group {a!r}")
            if m in seen:
                raise DataError(f"aggregation of {what}s: {m!r} is in both {seen[m]!r} and {a!r}")
            seen[m] = a
            M[new.index(a), labels.index(m)] = 1.0
    missing = [x for x in labels if x not in seen]
    if missing:
        raise DataError(f"aggregation of {what}s: {len(missing)} {what}(s) in no group: {missing[:10]}")
    empty = [a for a in new if not M[new.index(a)].any()]
    if empty:
        raise DataError(f"aggregation of {what}s: empty group(s) {empty}")
    return new, M


def aggregate(
    world: World,
    countries: Mapping[str, Sequence[str]] | None = None,
    sectors: Mapping[str, Sequence[str]] | None = None,
    *,
    name: str | None = None,
    sector_names: Sequence[str] | None = None,
) -> World:
    """Aggregate ``world`` into regions and sector groups (mappings new -> old labels)."""
    c_new, C = membership(world.countries, countries, "country")
    s_new, S = membership(world.sectors, sectors, "sector")
    T = world.trade_flows
    Y = world.gross_output
    T_agg = np.einsum("an,bi,sj,nij->abs", C, C, S, T, optimize=True)
    R_agg = np.einsum("an,bi,sj,nij->abs", C, C, S, T * world.tariffs, optimize=True)
    use = world.io_shares * Y[:, None, :]  # (n, j input, k user), gross of tariffs
    U_agg = np.einsum("an,sj,tk,njk->ast", C, S, S, use, optimize=True)
    FD = world.final_shares * world.income[:, None]
    F_agg = np.einsum("an,sj,nj->as", C, S, FD, optimize=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = np.where(T_agg > 0, R_agg / T_agg, 0.0)
    N = world.n_countries
    foreign = T.sum(axis=(0, 1)) - sum(T[n, n] for n in range(N))  # world imports by sector
    theta = np.empty(len(s_new))
    for a in range(len(s_new)):
        m = S[a] > 0
        w = foreign[m]
        theta[a] = (w @ world.theta[m] / w.sum()) if w.sum() > 0 else world.theta[m].mean()
    meta = world.meta
    long_names = tuple(sector_names) if sector_names is not None else (meta.sector_names if sectors is None else ())
    services = set(world.services)
    new_services = tuple(
        a for r, a in enumerate(s_new) if all(world.sectors[j] in services for j in np.nonzero(S[r])[0])
    )
    new_meta = WorldMeta(
        name=name or f"{meta.name}-aggregated",
        vintage=meta.vintage,
        year=meta.year,
        units=meta.units,
        sources=meta.sources,
        notes=meta.notes
        + (
            f"aggregated from {meta.name!r} ({world.n_countries} countries x "
            f"{world.n_sectors} sectors) to {len(c_new)} x {len(s_new)}",
        ),
        sector_names=long_names,
        services=new_services,
    )
    return World.from_flows(
        c_new,
        s_new,
        trade=T_agg,
        tariffs=tau,
        inter_use=U_agg,
        final_use=F_agg,
        theta=theta,
        uses_at="purchaser",
        meta=new_meta,
        tol=1e-6,
    )
