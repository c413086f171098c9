"""Uncertainty bands: percentiles of the draws, per group (country, headline, grid point).

Only converged draws count. A draw that failed (no equilibrium, or an answer that fails
the solver's checks) is listed in :attr:`Bands.failed` with its reason and counted in
``n_failed``; it never enters a percentile.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

DEFAULT_BY = ("grid_point", "elasticities", "axes", "date", "country")


@dataclasses.dataclass(frozen=True, eq=False)
class Bands:
    """Percentile bands: ``table`` (one row per group x headline) and the failed draws."""

    table: Any  # pandas DataFrame: by..., headline, n, n_failed, lower, median, upper, mean, sd
    failed: Any  # pandas DataFrame: key, seed, draw, reason (one row per failed task)
    coverage: float
    seeds: tuple[int, ...]

    @property
    def n_failed(self) -> int:
        return int(len(self.failed))

    def to_dict(self) -> dict:
        return {
            "coverage": self.coverage,
            "seeds": list(self.seeds),
            "n_failed": self.n_failed,
            "bands": self.table.to_dict(orient="records"),
            "failed": self.failed.to_dict(orient="records"),
        }


def quantiles(values, coverage: float = 0.9) -> tuple[float, float, float]:
    """(lower, median, upper): the central ``coverage`` interval of ``values``.

    Percentiles use the Weibull plotting position (the p-quantile sits at rank p (n + 1)):
    an interval between those order statistics contains on average exactly ``coverage``
    of the distribution the draws come from (numpy's default, linear in p (n - 1), covers
    ``coverage (n - 1) / (n + 1)``: 89.1% instead of 90% with 200 draws). Ranks outside
    [1, n] (few draws) are clipped to the sample's extremes.
    """
    a = np.asarray(values, float)
    lo, hi = (1 - coverage) / 2, (1 + coverage) / 2
    q = np.quantile(a, [lo, 0.5, hi], method="weibull")
    return float(q[0]), float(q[1]), float(q[2])


def bands(
    frame, coverage: float = 0.9, *, headlines: Sequence[str] | None = None, by: Sequence[str] = DEFAULT_BY
) -> Bands:
    """Turn a sweep's result table (draws) into percentile bands.

    Parameters
    ----------
    frame : pandas.DataFrame
        :attr:`SweepResult.frame` (or any table with the sweep's columns: ``key``,
        ``converged``, ``reason``, the ``by`` columns and the headline columns).
    coverage : float
        Central coverage, 0.9 for the 5th-95th percentile interval.
    headlines : sequence of str, optional
        Value columns (default: every headline column present).
    by : sequence of str
        Grouping columns present in ``frame`` (default grid point, elasticity set, tariff
        axes, date and country; drawn horizons are pooled within a grid point).
    """
    import pandas as pd

    from detente.sweep._spec import HEADLINES

    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1), got {coverage!r}")
    heads = [h for h in (headlines or HEADLINES) if h in frame.columns]
    by = [c for c in by if c in frame.columns]
    ok = frame[frame["converged"].astype(bool)]
    bad = frame[~frame["converged"].astype(bool)]
    fcols = [c for c in ("key", "grid_point", "seed", "draw", "reason") if c in frame.columns]
    failed = bad.drop_duplicates("key")[fcols].reset_index(drop=True)
    n_fail = (
        bad.drop_duplicates(["key"] + [c for c in by if c in ("country", "date")]).groupby(by, dropna=False).size()
        if len(bad)
        else None
    )
    rows = []
    for gkey, grp in ok.groupby(by, sort=True, dropna=False):
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        nf = int(n_fail.get(gkey, 0)) if n_fail is not None else 0
        for h in heads:
            v = grp[h].to_numpy(float)
            lo, med, hi = quantiles(v, coverage)
            rows.append(
                {
                    **dict(zip(by, gkey)),
                    "headline": h,
                    "n": int(len(v)),
                    "n_failed": nf,
                    "lower": lo,
                    "median": med,
                    "upper": hi,
                    "mean": float(v.mean()),
                    "sd": float(v.std(ddof=1)) if len(v) > 1 else float("nan"),
                }
            )
    table = pd.DataFrame(rows, columns=[*by, "headline", "n", "n_failed", "lower", "median", "upper", "mean", "sd"])
    seeds = tuple(sorted({int(s) for s in frame["seed"].unique() if int(s) >= 0})) if "seed" in frame else ()
    return Bands(table, failed, coverage, seeds)
