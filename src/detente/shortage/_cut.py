"""A sustained cut-off in the weekly model: value added lost by country, with its band.

The one reading of "exporter refuses a share of products to importers for a year": the
published comparisons' (``detente reproduce magnet-ban``, docs/shortage.md sections 6
and 8) and the strategy tools' weekly loss model
(:func:`detente.strategy.shortage_loss_model`). Per-shipment approval paths are not
involved, only a flat refused share from the first week (a ban when everything is
refused, unless ``licence`` says otherwise).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from detente.errors import DataError

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

#: the first week of the published comparisons' cut (China's controls began on 4 April 2025)
CUT_START = dt.date(2025, 4, 7)


@dataclasses.dataclass(frozen=True)
class CutLosses:
    """Value added lost over the cut, % of GDP by country: the point run and, with draws,
    the Monte Carlo 5% and 95% quantiles over inventories (pandas Series by country);
    ``dataset`` is the point run's (:attr:`ShortageResult.dataset`)."""

    point: pd.Series
    low: pd.Series | None
    high: pd.Series | None
    weeks: int
    refused: float
    n_draws: int
    dataset: xr.Dataset


def cut_losses(
    world,
    refused: float,
    *,
    products: Sequence[str] = ("ndfeb-magnets",),
    exporter: str = "CHN",
    importers: Sequence[str] = ("all",),
    weeks: int = 52,
    start: dt.date = CUT_START,
    n_draws: int = 0,
    seed: int = 0,
    settings=None,
    registry=None,
    licence: str | None = None,
) -> CutLosses:
    """``exporter`` refuses the share ``refused`` of ``products`` to ``importers`` for
    ``weeks`` from ``start`` (``licence``: by default a ban at 1, a general licence
    below); ``n_draws`` > 0 adds the Monte Carlo band (default inventory and approval
    spreads, ``seed``)."""
    from detente.shortage._licensing import Restriction
    from detente.shortage._montecarlo import monte_carlo
    from detente.shortage._registry import load_registry
    from detente.shortage._simulate import ShortageSettings, build_model, simulate

    if not 0.0 < refused <= 1.0:
        raise DataError(f"refused must be in (0, 1], got {refused!r}")
    registry = registry or load_registry()
    settings = settings or ShortageSettings()
    end = start + dt.timedelta(days=7 * weeks)
    licence = licence or ("ban" if refused >= 1 else "general")
    rs = [
        Restriction(
            p, exporter, tuple(importers), start, end, 1.0 - refused, 0, licence, regime=f"cut-{p}", label="cut"
        )
        for p in products
    ]
    model = build_model(world, registry, list(products), settings)  # one model for the point run and the draws
    res = simulate(world, rs, start=start, weeks=weeks, model=model)
    point = res.dataset.va_lost_pct_gdp.to_series()
    if n_draws == 0:
        return CutLosses(point, None, None, weeks, refused, 0, res.dataset)
    mc = monte_carlo(model, rs, start=start, weeks=weeks, n_draws=n_draws, seed=seed, workers=1).dataset
    q = mc["va_lost_pct_gdp"].quantile([0.05, 0.95], dim="draw").to_pandas()
    return CutLosses(point, q.loc[0.05], q.loc[0.95], weeks, refused, n_draws, res.dataset)
