"""Plotly figure builders for shortage results (the HTML report embeds them).

Each builder takes a :class:`~detente.shortage.ShortageResult` (or its dataset) and
returns a ``plotly.graph_objects.Figure``; nothing is computed here beyond selecting
and summing labelled arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _ds(res):
    return getattr(res, "dataset", res)


def _dates(ds):
    return [str(d)[:10] for d in ds.week_start.values]


def inventory_figure(res, product: str, countries: Sequence[str], sector: str):
    """Days of inventory of ``product`` held by ``sector`` users in ``countries``, by week."""
    import plotly.graph_objects as go

    ds = _ds(res)
    fig = go.Figure()
    for c in countries:
        sel = (ds.user_country.values == c) & (ds.user_sector.values == sector)
        if not sel.any():
            continue
        y = ds.inventory_days.sel(product=product).values[:, np.flatnonzero(sel)[0]]
        fig.add_trace(go.Scatter(x=_dates(ds), y=y, mode="lines", name=c))
    fig.update_layout(
        title=f"{product}: inventory held by {sector} (days of baseline use)",
        xaxis_title="week starting",
        yaxis_title="days of use",
        hovermode="x unified",
    )
    return fig


def output_loss_figure(res, sector: str | None = None, countries: Sequence[str] | None = None, top: int = 8):
    """Weekly output lost (money) by country, for one sector or all sectors together."""
    import plotly.graph_objects as go

    ds = _ds(res)
    lost = ds.output_lost.sel(sector=sector) if sector else ds.output_lost.sum("sector")
    if countries is None:
        tot = lost.sum("week").to_series().sort_values(ascending=False)
        countries = [c for c, v in tot.items() if v > 0][:top]
    fig = go.Figure()
    for c in countries:
        fig.add_trace(go.Scatter(x=_dates(ds), y=lost.sel(country=c).values, mode="lines", name=c, stackgroup="one"))
    units = ds.output_lost.attrs.get("units", "")
    fig.update_layout(
        title=f"output lost per week{' in ' + sector if sector else ''} ({units})",
        xaxis_title="week starting",
        yaxis_title=units,
        hovermode="x unified",
    )
    return fig


def output_ratio_figure(res, sector: str, countries: Sequence[str]):
    """Output as a share of baseline, by week, for ``sector`` in ``countries``."""
    import plotly.graph_objects as go

    ds = _ds(res)
    fig = go.Figure()
    for c in countries:
        fig.add_trace(
            go.Scatter(x=_dates(ds), y=100 * ds.output_ratio.sel(country=c, sector=sector).values, mode="lines", name=c)
        )
    fig.update_layout(
        title=f"{sector}: output, % of baseline",
        xaxis_title="week starting",
        yaxis_title="% of baseline",
        hovermode="x unified",
    )
    return fig


def stockout_table_figure(res, sectors: Sequence[str], countries: Sequence[str] | None = None):
    """The first-stock-out table (country, sector, week, date, output lost) as a figure."""
    import plotly.graph_objects as go

    df = res.first_stockouts(sectors)
    if countries is not None:
        df = df[df.country.isin(countries)]
    df = df[df.first_stockout_week.notna() | (df.output_lost > 0)]
    cells = [
        df.country,
        df.sector,
        ["never" if w is None or w != w else int(w) for w in df.first_stockout_week],
        [str(d)[:10] if d is not None else "" for d in df.first_stockout_date],
        [f"{v:,.0f}" for v in df.output_lost],
        [f"{v:.2f}" for v in df.output_lost_pct],
    ]
    units = res.dataset.attrs.get("units", "")
    fig = go.Figure(
        go.Table(
            header={
                "values": ["country", "sector", "first stock-out week", "date", f"output lost ({units})", "% of output"]
            },
            cells={"values": cells},
        )
    )
    fig.update_layout(title="first stock-out by user")
    return fig


def static_vs_dynamic_figure(res, replay_dataset, countries: Sequence[str]):
    """Shortage value added lost (% of GDP, cumulative) beside the static model's welfare change.

    ``replay_dataset`` is a :class:`detente.policy.Replay` dataset (``welfare_pct`` by date).
    """
    import plotly.graph_objects as go

    ds = _ds(res)
    va = ds.va_lost.sum("sector").cumsum("week")
    pct = ds.va_lost_pct_gdp / ds.cum_va_lost.where(ds.cum_va_lost > 0)  # % of GDP per unit lost
    fig = go.Figure()
    for c in countries:
        y = -(va.sel(country=c) * pct.sel(country=c)).fillna(0).values
        fig.add_trace(go.Scatter(x=_dates(ds), y=y, mode="lines", name=f"{c}: shortage (cumulative VA lost)"))
        if replay_dataset is not None and "welfare_pct" in replay_dataset:
            wd = replay_dataset.welfare_pct.sel(country=c)
            fig.add_trace(
                go.Scatter(
                    x=[str(d)[:10] for d in wd.date.values],
                    y=wd.values,
                    mode="lines",
                    line={"dash": "dot"},
                    name=f"{c}: static equilibrium welfare",
                )
            )
    fig.update_layout(
        title="shortage dynamics vs the static equilibrium (% of GDP)",
        xaxis_title="date",
        yaxis_title="% of GDP",
        hovermode="x unified",
    )
    return fig
