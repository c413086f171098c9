"""Charts of weekly shortage results, as the same :class:`~detente.report.charts.Chart`
specifications as the replay charts (drawn by ``to_plotly`` and ``to_matplotlib``).

Each builder takes a :class:`~detente.shortage.ShortageResult` (or its dataset) and
returns a Chart with titles, units, dated weeks and a footer; nothing is computed here
beyond selecting and summing labelled arrays. :func:`stockout_rows` gives the first
stock-outs as table rows (the report prints them as an HTML table, not a figure).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detente.report.charts import PALETTE, Chart, Panel, Series


def _ds(res):
    return getattr(res, "dataset", res)


def _weeks(ds) -> np.ndarray:
    return np.asarray(ds.week_start.values).astype("datetime64[D]")


def _footer(ds) -> str:
    """Model, scenario (variant), world and vintage, registry version and code version."""
    a = ds.attrs
    what = str(a.get("scenario", "") or a.get("what_if", "") or "")
    if a.get("variant"):
        what += f" [{a['variant']}]"
    parts = [
        str(a.get("model", "weekly shortage model (docs/shortage.md)")),
        what,
        f"world {a['world']} ({a.get('vintage', '')})" if a.get("world") else "",
        f"registry {a['registry']}" if a.get("registry") else "",
        f"units {a['units']}" if a.get("units") else "",
        f"detente {a['code_version']}" if a.get("code_version") else "",
    ]
    return "; ".join(p for p in parts if p)


def _color(k: int) -> str:
    return PALETTE[k % len(PALETTE)]


def inventory_chart(res, product: str, countries: Sequence[str], sector: str) -> Chart:
    """Days of inventory of ``product`` held by ``sector`` users in ``countries``, by week."""
    ds = _ds(res)
    series = []
    for k, c in enumerate(countries):
        sel = (ds.user_country.values == c) & (ds.user_sector.values == sector)
        if not sel.any():
            continue
        y = np.asarray(ds.inventory_days.sel(product=product).values[:, np.flatnonzero(sel)[0]], float)
        series.append(Series(c, _weeks(ds), y, color=_color(k)))
    return Chart(
        key="shortage-inventory",
        title=f"{product}: inventory held by {sector} users (days of baseline use)",
        panels=(Panel(f"{sector} users", "days of baseline use", tuple(series)),),
        footer=_footer(ds),
    )


def output_loss_chart(res, sector: str | None = None, countries: Sequence[str] | None = None, top: int = 8) -> Chart:
    """Weekly output lost (money) by country, stacked, for one sector or all sectors together."""
    ds = _ds(res)
    lost = ds.output_lost.sel(sector=sector) if sector else ds.output_lost.sum("sector")
    if countries is None:
        tot = lost.sum("week").to_series().sort_values(ascending=False)
        countries = [c for c, v in tot.items() if v > 0][:top]
    units = ds.output_lost.attrs.get("units", "")
    series = tuple(
        Series(str(c), _weeks(ds), np.asarray(lost.sel(country=c).values, float), kind="area", color=_color(k))
        for k, c in enumerate(countries)
    )
    where = f" in {sector}" if sector else ""
    return Chart(
        key="shortage-losses",
        title=f"Output lost per week{where}, by country ({units})",
        panels=(Panel("stacked by country", units, series),),
        footer=_footer(ds),
    )


def output_ratio_chart(res, sector: str, countries: Sequence[str]) -> Chart:
    """Output as a share of baseline, by week, for ``sector`` in ``countries``."""
    ds = _ds(res)
    series = tuple(
        Series(
            str(c), _weeks(ds), 100 * np.asarray(ds.output_ratio.sel(country=c, sector=sector).values), color=_color(k)
        )
        for k, c in enumerate(countries)
    )
    return Chart(
        key="shortage-output",
        title=f"{sector}: output, % of baseline, week by week",
        panels=(Panel(sector, "% of baseline output", series),),
        footer=_footer(ds),
    )


def static_vs_dynamic_chart(res, replay_dataset, countries: Sequence[str]) -> Chart:
    """Shortage value added lost (% of GDP, cumulative, negative) beside the static model's
    real-income change (``replay_dataset``: a :class:`detente.policy.Replay` dataset)."""
    ds = _ds(res)
    va = ds.va_lost.sum("sector").cumsum("week")
    pct = ds.va_lost_pct_gdp / ds.cum_va_lost.where(ds.cum_va_lost > 0)  # % of GDP per unit lost
    series = []
    for k, c in enumerate(countries):
        y = -np.asarray((va.sel(country=c) * pct.sel(country=c)).fillna(0).values, float)
        series.append(Series(f"{c}: shortage (cumulative value added lost)", _weeks(ds), y, color=_color(k)))
        if replay_dataset is not None and "welfare_pct" in replay_dataset:
            wd = replay_dataset.welfare_pct.sel(country=c)
            series.append(
                Series(
                    f"{c}: static equilibrium real income",
                    np.asarray(wd.date.values).astype("datetime64[D]"),
                    np.asarray(wd.values, float),
                    color=_color(k),
                    dash=True,
                )
            )
    return Chart(
        key="shortage-static",
        title="Shortage dynamics beside the static equilibrium (% of GDP / % real income)",
        panels=(Panel("shortage vs static", "% of GDP", tuple(series)),),
        footer=_footer(ds),
    )


def stockout_rows(res, sectors: Sequence[str], countries: Sequence[str] | None = None) -> tuple[list[str], list[list]]:
    """(header, rows) of the first stock-out by user: country, sector, week, date, output lost."""
    df = res.first_stockouts(sectors)
    if countries is not None:
        df = df[df.country.isin(countries)]
    df = df[df.first_stockout_week.notna() | (df.output_lost > 0)]
    units = _ds(res).attrs.get("units", "")
    header = ["country", "sector", "first stock-out week", "date", f"output lost ({units})", "% of output"]
    rows = [
        [
            r.country,
            r.sector,
            "never"
            if r.first_stockout_week is None or r.first_stockout_week != r.first_stockout_week
            else int(r.first_stockout_week),
            "" if r.first_stockout_date is None else str(r.first_stockout_date)[:10],
            f"{r.output_lost:,.0f}",
            f"{r.output_lost_pct:.2f}",
        ]
        for r in df.itertuples()
    ]
    return header, rows
