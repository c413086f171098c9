"""Trade elasticities theta^j for the OECD ICIO industries (Caliendo & Parro 2015).

The shipped table ``detente/data/elasticities_icio.csv`` (built by
``scripts/build_tariff_tables.py``; review in ``docs/data_tariffs.md``) has one row per
ICIO industry with two sets of values:

``cp2015_code`` (default)
    The values in Caliendo & Parro's replication code: Table 1 estimates, except Auto and
    Other Transport, which the code replaces by the aggregate 8.22.
``paper_table1``
    The point estimates of the paper's Table 1 (Auto 1.84, Other Transport 0.39).

In both, C26 is the trade-weighted mean of CP's Office, Communication and Medical
sectors, and services use 8.22 (CP, Table 1 aggregate).

Reference: Caliendo, L. and Parro, F. (2015), "Estimates of the Trade and Welfare Effects
of NAFTA", Review of Economic Studies 82(1): 1-44, Table 1.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from importlib import resources

import numpy as np
import pandas as pd

from detente.errors import DataError, UnknownLabelError

SOURCES = {"cp2015_code": "theta_cp2015_code", "paper_table1": "theta_paper_table1"}


@functools.cache
def _shipped() -> pd.DataFrame:
    path = resources.files("detente") / "data" / "elasticities_icio.csv"
    with path.open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, keep_default_na=False)
    return frame


def elasticity_table() -> pd.DataFrame:
    """The shipped elasticity table (a copy).

    Returns
    -------
    pandas.DataFrame
        Columns ``industry, name, theta`` (the default, = ``theta_cp2015_code``),
        ``theta_cp2015_code, theta_paper_table1, cp2015_sectors, source, note``.
    """
    return _shipped().copy()


def trade_elasticities(
    industries: Sequence[str], source: str = "cp2015_code", overrides: Mapping[str, float] | None = None
) -> np.ndarray:
    """Trade elasticities for the given industries.

    Parameters
    ----------
    industries : sequence of str
        OECD ICIO 2025 industry codes, in the order wanted.
    source : {"cp2015_code", "paper_table1"}
        Which column to use (the ``theta_`` prefixed column names are accepted too).
    overrides : mapping of str to float, optional
        Replacement values for single industries, e.g. ``{"C19": 8.22}``.

    Returns
    -------
    numpy.ndarray
        theta^j, shape (J,), positive floats.

    Raises
    ------
    DataError
        An unknown source, or an override for an industry not in ``industries`` or with a
        value that is not a finite number > 0.
    UnknownLabelError
        An industry the table does not have.
    """
    key = source[len("theta_") :] if source.startswith("theta_") else source
    if key not in SOURCES:
        raise DataError(f"unknown elasticity source {source!r}; choose one of {', '.join(SOURCES)}")
    table = _shipped().set_index("industry")[SOURCES[key]]
    industries = [str(j) for j in industries]
    missing = [j for j in industries if j not in table.index]
    if missing:
        raise UnknownLabelError(
            f"no trade elasticity for industry {missing[0]!r}; known "
            "industries are the OECD ICIO 2025 codes (A01 ... T)"
        )
    theta = np.array([float(table[j]) for j in industries])
    for industry, value in (overrides or {}).items():
        if industry not in industries:
            raise DataError(f"elasticity override for unknown industry {industry!r}; known: {', '.join(industries)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DataError(f"elasticity override for {industry!r}: value {value!r} is not a number") from None
        if not math.isfinite(number) or number <= 0:
            raise DataError(f"elasticity override for {industry!r}: value {value!r} must be a finite number > 0")
        theta[industries.index(industry)] = number
    return theta
