"""Baseline applied tariffs for the OECD ICIO world, from a table with wildcard rows.

The shipped table ``detente/data/baseline_tariffs_icio.csv`` (built by
``scripts/build_tariff_tables.py``; provenance in ``docs/data_tariffs.md``) has the columns
``importer, exporter, industry, tariff_pct, source``. Tariffs are ad-valorem percentages.

Matching rules
--------------
``importer`` and ``exporter`` are ISO3 codes or ``*`` (any). ``industry`` is an industry
code, a group, or ``*``:

=============  ================================================================
``AG``         agricultural goods in the WTO sense: A01, C10T12
``NONAG``      the other goods with HS products: A02, A03, B05-B08, C13T15-C31T33
``GOODS``      ``AG`` and ``NONAG``
``SERVICES``   industries without customs tariffs: B09 and D-T
``*``          every industry
=============  ================================================================

Precedence: a row naming the importer beats ``*``; then a row naming the exporter beats
``*``; then an industry code beats a group, ``AG``/``NONAG`` beat ``GOODS``/``SERVICES``,
and those beat ``*``. Two rows with the same (importer, exporter, industry) are an error.

Cells no row matches: domestic pairs and service industries are 0; a goods cell is an
error (:class:`~detente.errors.DataError`), never silently zero. The shipped table has
``*`` importer rows (the mean of the published MFN averages), so unknown country codes
get that world default as importers and their partner's MFN average as exporters.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from detente.errors import DataError, UnknownLabelError

COLUMNS = ("importer", "exporter", "industry", "tariff_pct", "source")
REQUIRED = ("importer", "exporter", "industry", "tariff_pct")
WILDCARD = "*"

AG = ("A01", "C10T12")
NONAG = (
    "A02",
    "A03",
    "B05",
    "B06",
    "B07",
    "B08",
    "C13T15",
    "C16",
    "C17_18",
    "C19",
    "C20",
    "C21",
    "C22",
    "C23",
    "C24A",
    "C24B",
    "C25",
    "C26",
    "C27",
    "C28",
    "C29",
    "C301",
    "C302T309",
    "C31T33",
)
SERVICES = (
    "B09",
    "D",
    "E",
    "F",
    "G",
    "H49",
    "H50",
    "H51",
    "H52",
    "H53",
    "I",
    "J58T60",
    "J61",
    "J62_63",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
)
ICIO_INDUSTRIES = frozenset(AG + NONAG + SERVICES)
GROUPS: dict[str, frozenset[str]] = {
    "AG": frozenset(AG),
    "NONAG": frozenset(NONAG),
    "GOODS": frozenset(AG + NONAG),
    "SERVICES": frozenset(SERVICES),
}
_GROUP_RANK = {"AG": 2, "NONAG": 2, "GOODS": 1, "SERVICES": 1, WILDCARD: 0}


def read_tariff_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read and check a tariff table in the shipped format.

    Parameters
    ----------
    path : str or path-like
        CSV file with the columns ``importer, exporter, industry, tariff_pct`` and an
        optional ``source``; tariffs in percent (10 = 10%).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`COLUMNS` with string labels and float ``tariff_pct``.

    Raises
    ------
    DataError
        If the file is missing or not a CSV, a column is unknown or missing, a label is
        empty, a tariff is not a number, NaN or negative, or a key is duplicated. The
        message names the file, the row (1-based data row, header excluded), the column
        and the value.
    """
    name = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise DataError(f"tariff file {name!r} not found") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"tariff file {name!r} is not a readable CSV file: {exc}") from None
    return _check_table(frame, name)


def _check_table(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    columns = [str(c).strip() for c in frame.columns]
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise DataError(
            f"tariff file {name!r}: unknown column {unknown[0]!r}; expected "
            f"columns {', '.join(COLUMNS)} (source optional)"
        )
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(f"tariff file {name!r}: missing column {missing[0]!r}")
    frame = frame.set_axis(columns, axis=1).copy()
    if "source" not in frame.columns:
        frame["source"] = ""
    for col in ("importer", "exporter", "industry", "source"):
        frame[col] = frame[col].astype(str).str.strip()
    for col in ("importer", "exporter", "industry"):
        empty = frame.index[frame[col] == ""]
        if len(empty):
            raise DataError(f"tariff file {name!r}, row {empty[0] + 1}, column {col!r}: empty label")
    raw = frame["tariff_pct"].astype(str).str.strip()
    values = pd.to_numeric(raw, errors="coerce")
    for row, (text, value) in enumerate(zip(raw, values, strict=True), start=1):
        if text.lower() in ("", "nan", "na", "n/a", "null", "none"):
            raise DataError(f"tariff file {name!r}, row {row}, column 'tariff_pct': value {text!r} is missing or NaN")
        if pd.isna(value):
            raise DataError(f"tariff file {name!r}, row {row}, column 'tariff_pct': value {text!r} is not a number")
        if not np.isfinite(value):
            raise DataError(f"tariff file {name!r}, row {row}, column 'tariff_pct': value {text!r} is not finite")
        if value < 0:
            raise DataError(
                f"tariff file {name!r}, row {row}, column 'tariff_pct': "
                f"value {text!r} is negative; tariffs are percentages >= 0"
            )
    frame["tariff_pct"] = values.astype(float)
    dup = frame.duplicated(["importer", "exporter", "industry"], keep="first")
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        r = frame.iloc[row]
        raise DataError(
            f"tariff file {name!r}, row {row + 1}: duplicate key importer="
            f"{r['importer']!r}, exporter={r['exporter']!r}, industry={r['industry']!r}"
        )
    return frame[list(COLUMNS)].reset_index(drop=True)


@functools.cache
def _shipped() -> pd.DataFrame:
    path = resources.files("detente") / "data" / "baseline_tariffs_icio.csv"
    with resources.as_file(path) as file:
        return read_tariff_file(Path(file))


def tariff_table() -> pd.DataFrame:
    """The shipped baseline tariff table (a copy; see the module docstring for its rules)."""
    return _shipped().copy()


def _industry_mask(label: str, industries: Sequence[str]) -> tuple[np.ndarray, int]:
    if label in GROUPS:
        members = GROUPS[label]
        return np.array([j in members for j in industries]), _GROUP_RANK[label]
    if label == WILDCARD:
        return np.ones(len(industries), dtype=bool), 0
    return np.array([j == label for j in industries]), 3


def baseline_tariffs(
    countries: Sequence[str], industries: Sequence[str], table: pd.DataFrame | None = None
) -> np.ndarray:
    """Baseline applied tariffs as fractions, ``tau[n, i, j]``.

    Parameters
    ----------
    countries : sequence of str
        ISO3 codes; both the importer (axis 0) and exporter (axis 1) labels.
    industries : sequence of str
        Industry codes (axis 2): OECD ICIO 2025 codes, or codes the table names.
    table : pandas.DataFrame, optional
        A table from :func:`read_tariff_file`; the shipped :func:`tariff_table` if None.

    Returns
    -------
    numpy.ndarray
        Shape (N, N, J), importer n, exporter i, industry j; 0.1 = 10%. Domestic pairs
        (n == i) are 0, service industries 0 unless a row sets them.

    Raises
    ------
    UnknownLabelError
        An industry that is neither an ICIO code nor named by any row of the table.
    DataError
        A goods cell that no row matches (possible only with a user table without
        ``*`` defaults), or duplicate country / industry labels.
    """
    countries = [str(c) for c in countries]
    industries = [str(j) for j in industries]
    for kind, labels in (("country", countries), ("industry", industries)):
        if len(set(labels)) != len(labels):
            dup = next(x for x in labels if labels.count(x) > 1)
            raise DataError(f"duplicate {kind} label {dup!r}")
    frame = _shipped() if table is None else table
    named = set(frame["industry"])
    unknown = [j for j in industries if j not in ICIO_INDUSTRIES and j not in named]
    if unknown:
        raise UnknownLabelError(
            f"unknown industry {unknown[0]!r}: not an OECD ICIO industry code and not named in the tariff table"
        )

    n, m = len(countries), len(industries)
    tau = np.full((n, n, m), np.nan)
    index = {c: k for k, c in enumerate(countries)}
    ranked = []
    for imp, exp, ind, pct in zip(
        frame["importer"], frame["exporter"], frame["industry"], frame["tariff_pct"], strict=True
    ):
        if (imp != WILDCARD and imp not in index) or (exp != WILDCARD and exp not in index):
            continue
        mask, ind_rank = _industry_mask(ind, industries)
        if not mask.any():
            continue
        rank = (imp != WILDCARD, exp != WILDCARD, ind_rank)
        ranked.append((rank, imp, exp, mask, float(pct) / 100.0))
    ranked.sort(key=lambda r: r[0])  # stable: later (higher-ranked) rows overwrite
    all_rows = np.arange(n)
    for _, imp, exp, mask, value in ranked:
        rows = all_rows if imp == WILDCARD else np.array([index[imp]])
        cols = all_rows if exp == WILDCARD else np.array([index[exp]])
        tau[np.ix_(rows, cols, np.flatnonzero(mask))] = value

    services = np.array([j in GROUPS["SERVICES"] for j in industries])
    tau[:, :, services] = np.where(np.isnan(tau[:, :, services]), 0.0, tau[:, :, services])
    tau[all_rows, all_rows, :] = 0.0
    if np.isnan(tau).any():
        a, b, c = (int(x[0]) for x in np.nonzero(np.isnan(tau)))
        raise DataError(
            f"no tariff row matches importer {countries[a]!r}, exporter "
            f"{countries[b]!r}, industry {industries[c]!r}; add a row (a '*' "
            "default) to the tariff table"
        )
    return tau
