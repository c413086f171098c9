"""Private households by economy, for welfare per household, and world units in USD.

``src/detente/data/households.csv`` holds the number of private households (millions) of
every economy of the shipped worlds, each row with its source, year and method (a count,
or population / average household size); docs/data.md, "Households (per-household
welfare)". A region of the compact world (EUR, ASE, LAM, ROW: ``COMPACT_REGIONS``) is the
sum of its members, and unknown (NaN) as soon as one member is unknown. Labels the file
does not know (synthetic worlds, the CP 2015 regions) are NaN too: callers show "n/a".

:func:`usd_per_unit` is the one place that turns a world's ``meta.units`` into USD.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
from collections.abc import Sequence
from importlib import resources

import numpy as np

from detente.errors import DataError

HOUSEHOLDS_FILE = "households.csv"
_COLUMNS = ("country", "households_million", "year", "source", "url", "method")

#: USD per unit of ``World.meta.units``, by the unit's scale word ("USD million" -> 1e6)
_SCALES = {
    "": 1.0,
    "thousand": 1e3,
    "thousands": 1e3,
    "k": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "mio": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}


def usd_per_unit(units: str) -> float:
    """USD in one unit of a world's values: ``"USD million"`` -> 1e6, ``"USD bn"`` -> 1e9.

    Accepts ``USD``, ``USD thousand``, ``USD million`` (``mn``), ``USD bn`` (``billion``)
    and ``USD trillion``, in any case; raises :class:`DataError` naming the unit for
    anything else (another currency, "model units").
    """
    m = re.fullmatch(r"\s*(?:US\$|USD)\s*([a-z]*)\s*", str(units), re.IGNORECASE)
    if m is None or m.group(1).lower() not in _SCALES:
        raise DataError(
            f"world units {units!r} cannot be converted to USD (known: 'USD', 'USD thousand', "
            "'USD million', 'USD bn', 'USD trillion')"
        )
    return _SCALES[m.group(1).lower()]


@functools.lru_cache(maxsize=1)
def household_table() -> dict[str, dict[str, str]]:
    """The rows of the shipped households CSV by country code (``#`` lines are comments)."""
    text = resources.files("detente").joinpath("data", HOUSEHOLDS_FILE).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    if not rows or any(k not in rows[0] for k in _COLUMNS):
        raise DataError(f"{HOUSEHOLDS_FILE}: needs columns {_COLUMNS}")
    table: dict[str, dict[str, str]] = {}
    for row in rows:
        code = row["country"].strip()
        if code in table:
            raise DataError(f"{HOUSEHOLDS_FILE}: country {code!r} appears twice")
        table[code] = row
    return table


def _own_value(code: str) -> float:
    row = household_table().get(code)
    if row is None or not row["households_million"].strip():
        return math.nan
    try:
        value = float(row["households_million"])
    except ValueError:
        raise DataError(f"{HOUSEHOLDS_FILE}: {code!r} households_million is not a number") from None
    if not value > 0:
        raise DataError(f"{HOUSEHOLDS_FILE}: {code!r} households_million must be positive, got {value}")
    return value


def households(countries: Sequence[str]) -> np.ndarray:
    """(n,) private households in millions of each code; NaN where unknown.

    A compact-world region (``COMPACT_REGIONS`` with several members) is the sum of its
    members, NaN if any member is unknown; a code the table does not know is NaN. Where
    the members are themselves among ``countries`` the label means something else (the
    OECD's own rest-of-world region ``ROW`` of an ICIO file read with it), so it is NaN.
    """
    from detente.world._build import COMPACT_REGIONS

    present = set(countries)
    out = np.full(len(countries), np.nan)
    for k, code in enumerate(countries):
        members = COMPACT_REGIONS.get(code)
        if members and len(members) > 1:
            if not present.intersection(members):
                out[k] = sum(_own_value(m) for m in members)  # NaN propagates
        else:
            out[k] = _own_value(code)
    return out
