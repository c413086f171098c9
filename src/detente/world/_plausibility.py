"""Plausibility of a re-based world against the base year it came from.

A scenario re-base (e.g. to a pre-war year) changes trade flows through the equilibrium;
flows that grow far beyond anything observed in the base year are a sign of a bad
re-base. :func:`check_rebase` lists them as readable messages; the caller decides whether
to warn or refuse (see docs/data_world.md, "Checking a re-based world").
"""

from __future__ import annotations

import numpy as np

from detente.errors import DataError
from detente.world._world import World

#: negligible-flow floor, as a share of the base world's total cross-border trade
FLOOR_SHARE = 1e-5


def check_rebase(
    base: World, rebased: World, factor: float = 2.0, *, floor: float | None = None, limit: int | None = None
) -> list[str]:
    """Bilateral-sector flows where the re-based world's trade exceeds ``factor`` times
    the base year's observed flow.

    Only cross-border flows (importer != exporter) are checked. A flow is reported when
    ``rebased > factor * base`` **and** ``rebased - base > floor``: the floor keeps
    negligible flows (a base of 0.001 growing to 0.01) out of the list. By default
    ``floor`` is :data:`FLOOR_SHARE` (1e-5) of the base world's total cross-border
    trade, in the worlds' units (USD 245 million on the full OECD ICIO 2022 world).
    Both worlds must have the same economies and sectors. Messages are sorted by the
    excess ``rebased - factor * base``, largest first; ``limit`` keeps the first ones.
    """
    if factor <= 0 or not np.isfinite(factor):
        raise ValueError(f"check_rebase: factor must be positive, not {factor!r}")
    if tuple(base.countries) != tuple(rebased.countries) or tuple(base.sectors) != tuple(rebased.sectors):
        raise DataError("check_rebase: the two worlds have different economies or sectors")
    T0 = np.asarray(base.trade_flows, dtype=float)
    T1 = np.asarray(rebased.trade_flows, dtype=float)
    N = T0.shape[0]
    off = ~np.eye(N, dtype=bool)[:, :, None]
    if floor is None:
        floor = FLOOR_SHARE * float(T0[np.broadcast_to(off, T0.shape)].sum())
    bad = off & (T1 > factor * T0) & (T1 - T0 > floor)
    n, i, j = np.nonzero(bad)
    excess = T1[n, i, j] - factor * T0[n, i, j]
    order = np.argsort(-excess, kind="stable")
    if limit is not None:
        order = order[:limit]
    units = base.meta.units or "units"
    out = []
    for k in order:
        a, b, c = int(n[k]), int(i[k]), int(j[k])
        b0, b1 = T0[a, b, c], T1[a, b, c]
        ratio = f"x{b1 / b0:.2f}" if b0 > 0 else "from zero"
        out.append(
            f"{base.countries[a]} imports {base.sectors[c]} from {base.countries[b]}: "
            f"base {b0:,.1f} -> re-based {b1:,.1f} {units} ({ratio}, limit x{factor:g})"
        )
    return out
