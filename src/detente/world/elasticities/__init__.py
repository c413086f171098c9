"""Registry of trade-elasticity sets, horizons and aggregation (docs/elasticities.md).

>>> from detente.world.elasticities import elasticity_set, list_sets, theta_for, horizon_factor
>>> theta_for(["C19", "PETROLEUM"], set="default", horizon="1y")   # doctest: +SKIP

``theta_for`` accepts OECD ICIO 2025 industry codes and the compact world's sector codes
(``detente.world._build.COMPACT_SECTORS``); a compact sector gets the 2022
world-import-weighted mean of its member industries, the rule the compact build uses.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detente.errors import UnknownLabelError
from detente.world.elasticities._horizon import HORIZONS, g, horizon_factor, horizon_label, horizon_years
from detente.world.elasticities._sets import ElasticitySet, elasticity_set, import_weights, list_sets

__all__ = [
    "HORIZONS",
    "ElasticitySet",
    "describe",
    "elasticity_set",
    "horizon_factor",
    "import_weights",
    "list_sets",
    "theta_for",
    "compact_groups",
]


def compact_groups() -> dict[str, list[str]]:
    from detente.world._build import COMPACT_SECTORS

    return {k: list(v) for k, v in COMPACT_SECTORS.items()}


def theta_for(sectors: Sequence[str], set: str = "default", horizon: object = "1y") -> np.ndarray:  # noqa: A002
    """theta^j for ``sectors`` (ICIO or compact codes) from elasticity set ``set`` at ``horizon``.

    theta_j(h) = theta_j(set at its own horizon) * g(h) / g(set's horizon), g the BLP path.
    Raises DataError for an unknown set or horizon, UnknownLabelError for an unknown sector.
    """
    es = elasticity_set(set)
    factor = g(horizon) / g(es.horizon)
    base = es.table.set_index("industry")["theta"]
    weights = import_weights()
    groups = compact_groups()
    if isinstance(sectors, str):
        sectors = [sectors]
    out = []
    for code in (str(s) for s in sectors):
        if code in base.index:
            out.append(float(base[code]))
        elif code in groups:
            members = groups[code]
            w = weights.reindex(members).to_numpy(float)
            v = base.reindex(members).to_numpy(float)
            out.append(float(w @ v / w.sum()) if w.sum() > 0 else float(v.mean()))
        else:
            raise UnknownLabelError(
                f"no trade elasticity for sector {code!r}; known: the OECD ICIO 2025 industry "
                f"codes (A01 ... T) and the compact sectors ({', '.join(groups)})"
            )
    return np.asarray(out, dtype=float) * factor


def describe(set: str = "default", horizon: object = "1y") -> str:  # noqa: A002
    """One-line label, e.g. "default (CP 2015 shrunk, BLP level) at 1 year"."""
    es = elasticity_set(set)
    horizon_years(horizon)  # validate
    return f"{es.name} ({es.label}) at {horizon_label(horizon)}"
