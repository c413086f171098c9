"""The horizon path g(h) of the trade elasticity (Boehm, Levchenko & Pandalai-Nayar 2023).

g is read from ``detente/data/elasticities/blp2023_path.csv`` (the published anchors:
0.76 one year after a tariff change, about 2 in the long run, reached after 7-10 years).
Between anchors g is linear in years; beyond the last anchor (10 years) it is flat at the
long-run value. BLP's impact (h = 0) estimate could not be retrieved, so for
0 <= h < 1 g is held at its 1-year value (documented in docs/elasticities.md): this
overstates the response within the first year rather than invent a number.
"""

from __future__ import annotations

import functools
import math
from importlib import resources

import numpy as np
import pandas as pd

from detente.errors import DataError

HORIZONS = ("1y", "3y", "long")
LONG_RUN_YEARS = 10.0
_LABELS = {"1y": 1.0, "3y": 3.0}


@functools.cache
def blp_path() -> pd.DataFrame:
    """The BLP anchors (a copy is not needed: callers must not mutate)."""
    path = resources.files("detente") / "data" / "elasticities" / "blp2023_path.csv"
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, comment="#")
    return frame.sort_values("horizon_years").reset_index(drop=True)


def horizon_years(horizon: object) -> float:
    """Years for a horizon: "1y", "3y", "long" (= 10 years), "<x>y", or a number >= 0."""
    if isinstance(horizon, str):
        key = horizon.strip().lower()
        if key == "long":
            return LONG_RUN_YEARS
        if key in _LABELS:
            return _LABELS[key]
        text = key[:-1] if key.endswith("y") else key
        try:
            years = float(text)
        except ValueError:
            raise DataError(
                f"unknown horizon {horizon!r}; choose one of {', '.join(HORIZONS)} or a number of years >= 0 (e.g. 0.5)"
            ) from None
    elif isinstance(horizon, (int, float, np.integer, np.floating)) and not isinstance(horizon, bool):
        years = float(horizon)
    else:
        raise DataError(
            f"unknown horizon {horizon!r}; choose one of {', '.join(HORIZONS)} or a number of years >= 0 (e.g. 0.5)"
        )
    if not math.isfinite(years) or years < 0:
        raise DataError(
            f"horizon {horizon!r} must be a finite number of years >= 0; choose one "
            f"of {', '.join(HORIZONS)} or a number"
        )
    return years


def g(horizon: object) -> float:
    """The BLP aggregate elasticity at ``horizon`` (interpolated; see module docstring)."""
    years = horizon_years(horizon)
    path = blp_path()
    h = path["horizon_years"].to_numpy(dtype=float)
    e = path["elasticity"].to_numpy(dtype=float)
    return float(np.interp(years, h, e, left=e[0], right=e[-1]))


def horizon_factor(horizon: object, reference: object = "long") -> float:
    """g(horizon) / g(reference): how much an elasticity at ``reference`` scales at ``horizon``."""
    return g(horizon) / g(reference)


def horizon_label(horizon: object) -> str:
    """Readable horizon: "1 year", "3 years", "the long run", "0.5 years"."""
    if isinstance(horizon, str) and horizon.strip().lower() == "long":
        return "the long run"
    years = horizon_years(horizon)
    if years >= LONG_RUN_YEARS:
        return f"{years:g} years (long run)"
    return f"{years:g} year" + ("" if years == 1 else "s")
