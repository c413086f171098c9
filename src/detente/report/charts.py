"""Charts of replays: plain chart specifications built from datasets, drawn twice.

The builders (:func:`tariff_paths`, :func:`layer_composition`, :func:`welfare_paths`,
:func:`sector_trade`, :func:`price_effects`, :func:`compare_tariffs`,
:func:`compare_welfare`, and for runs with many partners :func:`partner_tariffs`,
:func:`retaliation_paths`, :func:`welfare_all`, :func:`trade_diversion`) read a replay :class:`xarray.Dataset` (``detente replay``,
:func:`detente.policy.replay`) and return a :class:`Chart`: titles, units, series and
markers, with no plotting library involved. :func:`to_plotly` draws a chart as an
interactive plotly figure (the HTML report), :func:`to_matplotlib` as a matplotlib
figure (PNG files), so both always show the same numbers with the same labels.

Every chart carries a title, axis units, dates on the time axis and a footer with the
scenario, variant, world, data vintage, elasticities and horizon, closure and detente
version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from detente._defaults import DEFAULT_IMPORTER, DEFAULT_PAIR
from detente.errors import UnknownLabelError
from detente.report._light import ReportError  # noqa: E402,F401 (re-exported; one definition)


def require(module: str):
    """Import an optional dependency of the reports or raise a :class:`ReportError`."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ReportError(
            f"reports need the optional package {module.split('.')[0]!r} ({exc}); "
            "install it with: pip install 'detente[report]'"
        ) from None


# ------------------------------------------------------------------------ specifications
@dataclasses.dataclass(frozen=True)
class Series:
    """One line, stacked area or set of bars.

    ``x`` holds dates (``datetime64[D]``) for time panels and category labels for bar
    panels; ``kind`` is ``step`` (piecewise constant: the policy holds until the next
    date), ``area`` (stacked steps) or ``bar`` (horizontal bars).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    kind: str = "step"
    color: str = "#444444"
    dash: bool = False
    #: (lower, upper) of an uncertainty band around ``y``, drawn shaded (step series only)
    band: tuple[np.ndarray, np.ndarray] | None = None


@dataclasses.dataclass(frozen=True)
class Panel:
    """One plotting area: a time panel (``kind='time'``) or horizontal bars (``'hbar'``)."""

    title: str
    value_label: str
    series: tuple[Series, ...]
    kind: str = "time"
    category_label: str = "sector"


@dataclasses.dataclass(frozen=True)
class Marker:
    """A dated event drawn as a vertical line on time panels."""

    date: dt.date
    label: str


@dataclasses.dataclass(frozen=True)
class Chart:
    """A titled figure of one or more panels with a provenance footer."""

    key: str
    title: str
    panels: tuple[Panel, ...]
    footer: str
    markers: tuple[Marker, ...] = ()
    note: str = ""


COUNTRY_COLORS = {"USA": "#1f4e9c", "CHN": "#c0282d"}
PALETTE = ("#2a9d8f", "#e9a23b", "#7b4fa0", "#8c6d31", "#5a9bd4", "#d46a9f", "#6b8e23", "#b5651d", "#17becf", "#7f7f7f")

# Named milestones of shipped scenarios. Only those on which the pair's average tariff
# changes in the run are drawn, so a variant without Geneva shows no Geneva line.
MILESTONES: dict[str, dict[dt.date, str]] = {
    "us-china-2025": {
        dt.date(2025, 5, 14): "Geneva",
        dt.date(2025, 11, 10): "Busan",
        dt.date(2026, 2, 24): "IEEPA ruling",
    },
}


# ------------------------------------------------------------------------ dataset helpers
def dates_of(ds) -> list[dt.date]:
    return [d.astype("datetime64[D]").astype(dt.date) for d in ds["date"].values]


def _days(ds) -> np.ndarray:
    return ds["date"].values.astype("datetime64[D]")


def check_pair(ds, pair: Sequence[str]) -> tuple[str, str]:
    """The pair as a tuple, checked against the dataset's countries."""
    known = [str(c) for c in ds["country"].values]
    for c in pair:
        if c not in known:
            raise UnknownLabelError(f"country {c!r} is not in the run (known: {', '.join(known)})")
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ReportError(f"pair must be two different countries, got {tuple(pair)!r}")
    return str(pair[0]), str(pair[1])


def baseline_year(ds) -> str:
    """The world's reference year from the vintage or world name (``2022``), else ''."""
    for text in (str(ds.attrs.get("vintage", "")), str(ds.attrs.get("world", ""))):
        m = re.search(r"reference year (\d{4})", text) or re.search(r"(?<!\d)(19\d\d|20\d\d)(?!\d)", text)
        if m:
            return m.group(1)
    return ""


def pct_label(ds) -> str:
    """``% vs 2022 baseline``; a world re-based by the scenario says so."""
    y = baseline_year(ds)
    rebased = "+" in str(ds.attrs.get("world", "")) and str(ds.attrs.get("world", "")).endswith("-baseline")
    return f"% vs {'re-based ' if rebased else ''}{y + ' ' if y else ''}baseline"


def money(ds) -> tuple[float, str]:
    """Scale factor and label for trade values (USD million shown as USD bn)."""
    units = str(ds.attrs.get("units", ""))
    if units == "USD million":
        return 1e-3, "USD bn at factory prices"
    if units == "USD billion":
        return 1.0, "USD bn at factory prices"
    return 1.0, f"{units or 'world units'} at factory prices"


def run_name(ds) -> str:
    v = str(ds.attrs.get("variant", "") or "")
    return f"{ds.attrs.get('scenario', 'run')}" + (f" [{v}]" if v else " [base scenario, no variant]")


def footer(ds, runs: Sequence[str] | None = None) -> str:
    """World, data vintage, detente version, scenario and variant(s)."""
    a = ds.attrs
    what = (f"{a.get('scenario', 'run')}: " + ", ".join(runs)) if runs else run_name(ds)
    return (
        f"{what} · world {a.get('world', '?')} · data: {a.get('vintage', '?')} · "
        f"elasticities: {a.get('elasticities', 'world file')}"
        + (f" · closure: {a['closure']}" if a.get("closure") else "")
        + f" · detente {a.get('detente_version', '?')}"
    )


def _pair_series(ds, var: str, importer: str, exporter: str) -> np.ndarray:
    return np.asarray(ds[var].sel(importer=importer, exporter=exporter).values, dtype=float)


def _color(country: str, k: int) -> str:
    return COUNTRY_COLORS.get(country, PALETTE[k % len(PALETTE)])


def most_affected(ds, var: str, exclude: Sequence[str], n: int) -> list[str]:
    """The ``n`` countries (not in ``exclude``) with the largest absolute change of ``var``."""
    v = ds[var]
    size = np.nanmax(np.abs(v.values), axis=v.dims.index("date"))
    order = [str(c) for c in np.asarray(v["country"].values)[np.argsort(-size)]]
    return [c for c in order if c not in exclude][:n]


def key_events(
    ds,
    pair: Sequence[str],
    names: Mapping[dt.date, str] | None = None,
    min_move_pp: float = 5.0,
    unnamed_move_pp: float = 30.0,
) -> list[Marker]:
    """Dates worth marking on time charts, from the run itself.

    The peak (first date of the highest average tariff ``pair[0]`` applies to
    ``pair[1]``); named milestones (``names``, default :data:`MILESTONES` of the run's
    scenario) on which either side's average tariff moves by at least ``min_move_pp``;
    and any other move of at least ``unnamed_move_pp`` more than a week from a marked
    date, labelled by its date.
    """
    a, b = check_pair(ds, pair)
    days = dates_of(ds)
    ab, ba = _pair_series(ds, "avg_tariff_pct", a, b), _pair_series(ds, "avg_tariff_pct", b, a)
    move = np.zeros(len(days))
    move[1:] = np.maximum(np.abs(np.diff(ab)), np.abs(np.diff(ba)))
    names = dict(MILESTONES.get(str(ds.attrs.get("scenario", "")), {}) if names is None else names)
    out: list[Marker] = []
    if np.isfinite(ab).any() and np.nanmax(ab) > ab[0] + min_move_pp:
        out.append(Marker(days[int(np.nanargmax(ab))], "peak"))
    for d, label in sorted(names.items()):
        if d in days and move[days.index(d)] >= min_move_pp and all(m.date != d for m in out):
            out.append(Marker(d, label))
    for t in np.argsort(-move):
        d = days[int(t)]
        if move[t] < unnamed_move_pp:
            break
        if all(abs((m.date - d).days) > 7 for m in out):
            out.append(Marker(d, d.isoformat()))
    return sorted(out, key=lambda m: m.date)


def change_points(ds) -> list[dt.date]:
    """Dates on which the policy state changes (the first date included)."""
    days = dates_of(ds)
    if "state" in ds:
        keys = [str(k) for k in ds["state"].values]
        return [d for t, d in enumerate(days) if t == 0 or keys[t] != keys[t - 1]]
    x = np.nan_to_num(ds["tariff_pct"].values) if "tariff_pct" in ds else np.nan_to_num(ds["welfare_pct"].values)
    x = x.reshape(-1, x.shape[-1])
    return [d for t, d in enumerate(days) if t == 0 or not np.allclose(x[:, t], x[:, t - 1])]


def days_in_force(ds) -> np.ndarray:
    """Days each date's policy holds: until the next date; the last date counts one day."""
    d = _days(ds).astype("int64")
    return np.append(np.diff(d), 1).astype(float)


def summarise(ds, pair: Sequence[str] = DEFAULT_PAIR) -> dict:
    """Headline numbers of a run: peak tariffs, worst and period-average welfare, peak CPI.

    Each value is ``(value, date)``; ``mean`` is the average over the period weighted
    by the days each date's policy is in force (:func:`days_in_force`).
    """
    a, b = check_pair(ds, pair)
    days, w = dates_of(ds), days_in_force(ds)
    out: dict = {}
    for imp, exp in ((a, b), (b, a)):
        y = _pair_series(ds, "avg_tariff_pct", imp, exp)
        t = int(np.nanargmax(y))
        out[f"tariff {imp} on {exp}"] = {
            "peak": (float(y[t]), days[t]),
            "mean": (float(np.nansum(w * y) / w.sum()), None),
        }
    for c in (a, b):
        for var in ("welfare_pct", "real_wage_pct", "cpi_pct"):
            y = np.asarray(ds[var].sel(country=c).values, float)
            t = int(np.nanargmax(y) if var == "cpi_pct" else np.nanargmin(y))
            out[f"{var} {c}"] = {"peak": (float(y[t]), days[t]), "mean": (float(np.nansum(w * y) / w.sum()), None)}
    return out


# ------------------------------------------------------------------------ chart builders
def tariff_paths(ds, pair: Sequence[str] = DEFAULT_PAIR, markers: Sequence[Marker] | None = None) -> Chart:
    """(1) The average tariff each side applies to the other: total and scenario layers."""
    a, b = check_pair(ds, pair)
    x = _days(ds)
    series = []
    for k, (imp, exp) in enumerate(((a, b), (b, a))):
        c = _color(imp, k)
        series.append(Series(f"{imp} on {exp}: total", x, _pair_series(ds, "avg_tariff_pct", imp, exp), color=c))
        series.append(
            Series(
                f"{imp} on {exp}: additional (scenario layers)",
                x,
                _pair_series(ds, "avg_additional_tariff_pct", imp, exp),
                color=c,
                dash=True,
            )
        )
    return Chart(
        "tariffs",
        f"Average tariffs, {a} and {b} on each other",
        (Panel("trade-weighted average over goods, fixed baseline import weights", "percent", tuple(series)),),
        footer(ds),
        tuple(key_events(ds, (a, b)) if markers is None else markers),
        note="Total = baseline tariffs of the world data plus the scenario's layers; "
        "dashed: the scenario's layers only.",
    )


def layer_composition(ds, pair: Sequence[str] = DEFAULT_PAIR) -> Chart:
    """(2) The layers that make up each side's average tariff, stacked."""
    a, b = check_pair(ds, pair)
    x = _days(ds)
    panels = []
    layers = [str(v) for v in ds["layer"].values] if "layer" in ds.dims else []
    for imp, exp in ((a, b), (b, a)):
        total = _pair_series(ds, "avg_tariff_pct", imp, exp)
        extra = _pair_series(ds, "avg_additional_tariff_pct", imp, exp)
        base_name = f"baseline tariffs ({baseline_year(ds) or 'baseline'} world data)"
        series = [Series(base_name, x, total - extra, kind="area", color="#9e9e9e")]
        for k, layer in enumerate(layers):
            y = np.nan_to_num(np.asarray(ds["layer_pct"].sel(layer=layer, importer=imp, exporter=exp).values, float))
            if np.abs(y).max() > 1e-9:
                series.append(Series(layer, x, y, kind="area", color=PALETTE[k % len(PALETTE)]))
        panels.append(Panel(f"{imp} tariffs on imports from {exp}", "percent", tuple(series)))
    return Chart(
        "layers",
        f"What the average tariffs are made of: {a} and {b}",
        tuple(panels),
        footer(ds),
        note="Layers stack exactly: the fixed-weight average is linear in the tariffs.",
    )


def welfare_paths(ds, pair: Sequence[str] = DEFAULT_PAIR, n_others: int = 5, bands=None) -> Chart:
    """(3) Real income (welfare) and real wage by date for the pair and the most affected others.

    ``bands`` (:attr:`detente.policy._bands.ReplayBands.dataset`), when given and made
    around this run (same dates and central values), shades the pair's band.
    """
    a, b = check_pair(ds, pair)
    countries = [a, b, *most_affected(ds, "welfare_pct", (a, b), n_others)]
    x = _days(ds)
    matched = bands is not None and bands_match(ds, bands)
    panels = []
    for var, title in (("welfare_pct", "real income (welfare)"), ("real_wage_pct", "real wage")):
        series = tuple(
            Series(
                c,
                x,
                np.asarray(ds[var].sel(country=c).values, float),
                color=_color(c, k),
                band=_band_of(bands, var, c) if matched and c in (a, b) else None,
            )
            for k, c in enumerate(countries)
        )
        panels.append(Panel(title, pct_label(ds), series))
    note = "Each date: the static equilibrium under the policy then in force, at the run's elasticity horizon."
    if matched:
        note += " Shaded: " + band_note(bands)
    return Chart(
        "welfare",
        f"Welfare and real wages: {a}, {b} and the {n_others} most affected others",
        tuple(panels),
        footer(ds),
        tuple(key_events(ds, (a, b))),
        note=note,
    )


def bands_match(ds, bands) -> bool:
    """Whether ``bands`` were drawn around the run ``ds`` (same dates, same central real income)."""
    try:
        if len(ds["date"]) != len(bands["date"]) or not (ds["date"].values == bands["date"].values).all():
            return False
        return bool(
            np.allclose(
                ds["welfare_pct"].values,
                bands["welfare_pct"].sel(country=list(ds["country"].values)).values,
                atol=1e-9,
                equal_nan=True,
            )
        )
    except (KeyError, ValueError):
        return False


def _band_of(bands, var: str, country: str) -> tuple[np.ndarray, np.ndarray] | None:
    if bands is None or f"{var}_lower" not in bands:
        return None
    return (
        np.asarray(bands[f"{var}_lower"].sel(country=country).values, float),
        np.asarray(bands[f"{var}_upper"].sel(country=country).values, float),
    )


def band_note(bands) -> str:
    """What a band is: level, draws, seed, elasticities and horizon, failed draws."""
    a = bands.attrs
    failed = int(a.get("n_failed", 0))
    return (
        f"the {a.get('band', '')} band from {a.get('n_draws')} draws of the trade elasticities "
        f"(set {a.get('elasticity_set')} at {a.get('horizon')}, seed {a.get('seed')}; {a.get('draws', '')}); "
        + (
            f"{failed} (draw, policy state) solves did not converge and are left out."
            if failed
            else "every draw converged."
        )
    )


def welfare_bands(bands, pair: Sequence[str] = DEFAULT_PAIR) -> Chart:
    """(3b) Real income of the pair with its uncertainty band (``detente replay --bands``).

    ``bands`` is :attr:`detente.policy._bands.ReplayBands.dataset`: the line is the
    central replay, the shading the band over the elasticity draws.
    """
    a, b = check_pair(bands, pair)
    x = _days(bands)
    panels = []
    for var, title in (("welfare_pct", "real income (welfare)"), ("real_wage_pct", "real wage")):
        series = tuple(
            Series(
                c,
                x,
                np.asarray(bands[var].sel(country=c).values, float),
                color=_color(c, k),
                band=_band_of(bands, var, c),
            )
            for k, c in enumerate((a, b))
        )
        panels.append(Panel(title, "% vs baseline", series))
    at = bands.attrs
    foot = (
        f"scenario {at.get('scenario')}{' [' + at['variant'] + ']' if at.get('variant') else ''}; world "
        f"{at.get('world')}; elasticities {at.get('elasticities')}; closure {at.get('closure')}; "
        f"{at.get('n_draws')} draws, seed {at.get('seed')}; detente {at.get('detente_version', '')}"
    )
    return Chart(
        "welfare-bands",
        f"Real income of {a} and {b} with its {at.get('band', '')} band",
        tuple(panels),
        foot,
        note="Line: the replay at the central elasticities. Shaded: " + band_note(bands),
    )


def sector_trade(
    ds, pair: Sequence[str] = DEFAULT_PAIR, markers: Sequence[Marker] | None = None, n_sectors: int = 10
) -> Chart:
    """(4) Bilateral trade by sector, both directions, at the key dates and at baseline."""
    a, b = check_pair(ds, pair)
    f, unit = money(ds)
    marks = list(key_events(ds, (a, b)) if markers is None else markers)
    days = dates_of(ds)
    if days[-1] not in [m.date for m in marks]:
        marks.append(Marker(days[-1], "end"))
    colors = ("#9e9e9e", *PALETTE)
    panels = []
    for imp, exp in ((a, b), (b, a)):
        base = f * np.asarray(ds["trade_base"].sel(importer=imp, exporter=exp).values, float)
        top = np.argsort(-base)[:n_sectors][::-1]
        cats = np.asarray([str(s) for s in ds["sector"].values])[top]
        series = [Series("baseline", cats, base[top], kind="bar", color=colors[0])]
        for k, m in enumerate(marks):
            y = f * np.asarray(ds["trade"].sel(importer=imp, exporter=exp, date=np.datetime64(m.date)).values, float)
            series.append(
                Series(
                    f"{m.date} ({m.label})" if m.label != m.date.isoformat() else str(m.date),
                    cats,
                    y[top],
                    kind="bar",
                    color=colors[1 + k % (len(colors) - 1)],
                )
            )
        panels.append(Panel(f"{exp} → {imp} (largest {n_sectors} sectors)", unit, tuple(series), kind="hbar"))
    return Chart(
        "trade",
        f"{a}-{b} trade by sector at key dates vs baseline",
        tuple(panels),
        footer(ds),
        note="Sales at factory prices (before tariffs) in the equilibrium of each date.",
    )


def price_effects(
    ds, pair: Sequence[str] = DEFAULT_PAIR, n_others: int = 3, n_sectors: int = 12, at: dt.date | None = None
) -> Chart:
    """(5) Consumer prices by date, and sector prices (or tariffs) at the peak.

    Sector price indices need the ``price_pct`` (country, sector, date) variable; a run
    without it shows the tariffs by sector at the peak instead, and says so.
    """
    a, b = check_pair(ds, pair)
    countries = [a, b, *most_affected(ds, "cpi_pct", (a, b), n_others)]
    x = _days(ds)
    cpi = Panel(
        "consumer prices relative to the own nominal wage",
        pct_label(ds),
        tuple(
            Series(c, x, np.asarray(ds["cpi_pct"].sel(country=c).values, float), color=_color(c, k))
            for k, c in enumerate(countries)
        ),
    )
    if at is None:
        peaks = [m.date for m in key_events(ds, (a, b)) if m.label == "peak"]
        at = peaks[0] if peaks else dates_of(ds)[int(np.nanargmax(_pair_series(ds, "avg_tariff_pct", a, b)))]
    t = np.datetime64(at)
    sectors = np.asarray([str(s) for s in ds["sector"].values])
    if "price_pct" in ds:
        vals = {c: np.asarray(ds["price_pct"].sel(country=c, date=t).values, float) for c in (a, b)}
        title, unit, note = f"sector price indices on {at} (peak)", pct_label(ds), ""
        names = {a: a, b: b}
    else:
        vals = {
            a: np.asarray(ds["tariff_pct"].sel(importer=a, exporter=b, date=t).values, float),
            b: np.asarray(ds["tariff_pct"].sel(importer=b, exporter=a, date=t).values, float),
        }
        title, unit = f"tariff by sector on {at} (peak)", "percent"
        note = "This run has no sector prices (price_pct), so the right panel shows tariffs by sector."
        names = {a: f"{a} on {b}", b: f"{b} on {a}"}
    size = np.maximum(np.abs(np.nan_to_num(vals[a])), np.abs(np.nan_to_num(vals[b])))
    top = np.argsort(-size)[:n_sectors][::-1]
    bars = Panel(
        title,
        unit,
        tuple(
            Series(names[c], sectors[top], vals[c][top], kind="bar", color=_color(c, k)) for k, c in enumerate((a, b))
        ),
        kind="hbar",
    )
    return Chart(
        "prices",
        f"Price effects: consumer prices and sector prices, {a} and {b}",
        (cpi, bars),
        footer(ds),
        tuple(key_events(ds, (a, b))),
        note=note,
    )


def _compare(runs: Mapping[str, Any], pair, var: str, pairs, title: str, unit_of, key: str) -> Chart:
    if not runs:
        raise ReportError("no runs to compare")
    first = next(iter(runs.values()))
    a, b = check_pair(first, pair)
    series = []
    for k, (label, ds) in enumerate(runs.items()):
        check_pair(ds, (a, b))
        for what, sel, dash in pairs(a, b):
            series.append(
                Series(
                    f"{label}: {what}",
                    _days(ds),
                    np.asarray(ds[var].sel(**sel).values, float),
                    color=PALETTE[k % len(PALETTE)] if k else "#222222",
                    dash=dash,
                )
            )
    return Chart(
        key,
        title,
        (Panel(f"solid: {a}, dashed: {b}", unit_of(first), tuple(series)),),
        footer(first, list(runs)),
        tuple(key_events(first, (a, b))),
    )


def compare_tariffs(runs: Mapping[str, Any], pair: Sequence[str] = DEFAULT_PAIR) -> Chart:
    """(6a) The average tariff paths of each run, both directions, on one chart."""
    a, b = pair

    def pairs(a, b):
        return (
            (f"{a} on {b}", {"importer": a, "exporter": b}, False),
            (f"{b} on {a}", {"importer": b, "exporter": a}, True),
        )

    return _compare(
        runs,
        pair,
        "avg_tariff_pct",
        pairs,
        f"Variants compared: average tariffs, {a} and {b}",
        lambda ds: "percent",
        "compare-tariffs",
    )


def compare_welfare(runs: Mapping[str, Any], pair: Sequence[str] = DEFAULT_PAIR) -> Chart:
    """(6b) The welfare paths of the pair in each run on one chart."""
    a, b = pair

    def pairs(a, b):
        return ((a, {"country": a}, False), (b, {"country": b}, True))

    return _compare(
        runs,
        pair,
        "welfare_pct",
        pairs,
        f"Variants compared: real income (welfare), {a} and {b}",
        pct_label,
        "compare-welfare",
    )


def tariff_history(df, pair: Sequence[str] = DEFAULT_PAIR, footer_text: str = "") -> Chart:
    """(0) The 2018-2026 average-tariff series of :func:`detente.policy.tariff_series`.

    ``df`` has columns ``date`` and the pair's two columns (percent; :func:`detente.policy._series.pair_columns`).
    """
    a, b = pair
    x = np.asarray(df["date"].values, dtype="datetime64[D]")
    series = (
        Series(f"{a} on {b}", x, np.asarray(df[f"{a}_on_{b}_pct"], float), color=_color(a, 0)),
        Series(f"{b} on {a}", x, np.asarray(df[f"{b}_on_{a}_pct"], float), color=_color(b, 1)),
    )
    markers = tuple(
        Marker(d, t)
        for d, t in (
            (dt.date(2018, 7, 6), "List 1"),
            (dt.date(2020, 2, 14), "Phase One"),
            (dt.date(2025, 4, 10), "April 2025 peak"),
            (dt.date(2025, 5, 14), "Geneva"),
        )
    )
    return Chart(
        "history",
        f"Average tariffs, {a} and {b} on each other, 2018-2026",
        (Panel("trade-weighted average over goods, fixed baseline import weights", "percent", series),),
        footer_text,
        markers,
        note="The 2018-2020 and 2025-2026 scenarios chained (tariffs only, no equilibrium solves); "
        "flat from Phase One to the 2024 Section 301 increases. Method and the comparison "
        "with PIIE's series: docs/scenarios.md.",
    )


def all_charts(
    runs: Mapping[str, Any], pair: Sequence[str] = DEFAULT_PAIR, *, world: bool | None = None, at=None, bands=None
) -> list[Chart]:
    """The report's charts: (1)-(5) for the first run, (6) when there are several runs, and
    (7)-(10) (:func:`world_charts`, for ``pair[0]`` and all its partners) when ``world`` is
    true; by default when the run moves ``pair[0]``'s tariffs on three partners or more
    (:func:`is_multilateral`). ``bands`` (a replay's band dataset) adds (3b)
    :func:`welfare_bands` and shades (3) when drawn around the first run."""
    ds = next(iter(runs.values()))
    charts = [
        tariff_paths(ds, pair),
        layer_composition(ds, pair),
        welfare_paths(ds, pair, bands=bands),
        sector_trade(ds, pair),
        price_effects(ds, pair),
    ]
    if bands is not None:
        charts.insert(3, welfare_bands(bands, pair))
    if world is None:
        world = is_multilateral(ds, pair[0])
    if world:
        charts += world_charts(ds, pair[0], at)
    if len(runs) > 1:
        charts += [compare_tariffs(runs, pair), compare_welfare(runs, pair)]
    return charts


# ------------------------------------------------------------------------ many partners
#: more colours for charts with one line per country (20 regions in the default world)
WIDE_PALETTE = (
    "#2a9d8f",
    "#e9a23b",
    "#7b4fa0",
    "#8c6d31",
    "#5a9bd4",
    "#d46a9f",
    "#6b8e23",
    "#b5651d",
    "#17becf",
    "#7f7f7f",
    "#393b79",
    "#ad494a",
    "#8ca252",
    "#bd9e39",
    "#a55194",
    "#637939",
    "#e7969c",
    "#3182bd",
    "#31a354",
    "#e6550d",
)


def _wide_color(country: str, k: int) -> str:
    return COUNTRY_COLORS.get(country, WIDE_PALETTE[k % len(WIDE_PALETTE)])


def goods_mask(ds) -> np.ndarray:
    """Goods sectors of the run: those with a tariff somewhere at some date (services have none).

    A dataset may carry the list itself in ``attrs['goods']`` (comma-separated).
    """
    sectors = [str(s) for s in ds["sector"].values]
    listed = str(ds.attrs.get("goods", "") or "")
    if listed:
        names = {s.strip() for s in listed.split(",")}
        return np.array([s in names for s in sectors])
    t = np.abs(np.nan_to_num(ds["tariff_pct"].transpose("sector", ...).values))
    return t.reshape(len(sectors), -1).max(axis=1) > 0


def _goods_trade(ds, var: str, importer: str | None = None, exporter: str | None = None) -> np.ndarray:
    """Goods trade (sector summed) of ``var`` for one importer (exporter[, date]) or one exporter."""
    sel = {k: v for k, v in (("importer", importer), ("exporter", exporter)) if v is not None}
    x = ds[var].sel(**sel).isel(sector=np.flatnonzero(goods_mask(ds)))
    return np.asarray(x.sum("sector").values, float)


def period_mean(ds, y: np.ndarray) -> np.ndarray:
    """Mean over the date axis (the last) weighted by the days each date's policy holds."""
    w = days_in_force(ds)
    return np.nansum(np.asarray(y, float) * w, axis=-1) / w.sum()


def partners_of(ds, importer: str = DEFAULT_IMPORTER) -> list[str]:
    """The importer's partners, largest baseline goods imports first."""
    exps = [str(c) for c in ds["exporter"].values]
    base = _goods_trade(ds, "trade_base", importer=importer)
    return [exps[k] for k in np.argsort(-base) if exps[k] != importer]


def moving_partners(ds, importer: str = DEFAULT_IMPORTER, min_pp: float = 1.0, direction: str = "on") -> list[str]:
    """Partners on which ``importer``'s scenario tariffs move by ``min_pp`` points or more
    (``direction='by'``: partners whose own tariffs on ``importer`` move), largest trade first."""
    out = []
    for c in partners_of(ds, importer):
        sel = {"importer": importer, "exporter": c} if direction == "on" else {"importer": c, "exporter": importer}
        y = np.nan_to_num(np.asarray(ds["avg_additional_tariff_pct"].sel(**sel).values, float))
        if np.abs(y).max() >= min_pp:
            out.append(c)
    return out


def is_multilateral(ds, importer: str = DEFAULT_IMPORTER, min_partners: int = 3) -> bool:
    """Whether the run moves ``importer``'s tariffs on ``min_partners`` partners or more."""
    if importer not in [str(c) for c in ds["importer"].values]:
        return False
    return len(moving_partners(ds, importer)) >= min_partners


def _partners_average(ds, country: str, side: str) -> np.ndarray:
    """Average tariff by date between ``country`` (as ``side``) and all its partners, goods,
    weighted by the fixed baseline trade with each partner."""
    other = "exporter" if side == "importer" else "importer"
    labels = [str(c) for c in ds[other].values]
    base = _goods_trade(ds, "trade_base", **{side: country})
    base[labels.index(country)] = 0.0
    avg = np.nan_to_num(np.asarray(ds["avg_tariff_pct"].sel(**{side: country}).transpose(other, "date").values, float))
    return (base[:, None] * avg).sum(axis=0) / base.sum()


def overall_tariff(ds, importer: str = DEFAULT_IMPORTER) -> np.ndarray:
    """The importer's average tariff on all partners by date (goods, fixed baseline import weights)."""
    return _partners_average(ds, importer, "importer")


def faced_tariff(ds, exporter: str = DEFAULT_IMPORTER) -> np.ndarray:
    """The average tariff ``exporter`` faces abroad by date (goods, fixed baseline export weights)."""
    return _partners_average(ds, exporter, "exporter")


def import_shares(ds, importer: str = DEFAULT_IMPORTER) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(exporters, shares by date (exporter, date), baseline shares) of the importer's goods
    imports at factory prices, in percent; the importer itself excluded."""
    exps = [str(c) for c in ds["exporter"].values]
    keep = [k for k, c in enumerate(exps) if c != importer]
    now = _goods_trade(ds, "trade", importer=importer)[keep]
    base = _goods_trade(ds, "trade_base", importer=importer)[keep]
    return [exps[k] for k in keep], 100 * now / now.sum(axis=0), 100 * base / base.sum()


def default_at(ds, importer: str = DEFAULT_IMPORTER) -> dt.date:
    """The date bar charts show by default: the first date of the importer's highest overall tariff."""
    return dates_of(ds)[int(np.nanargmax(overall_tariff(ds, importer)))]


def _at(ds, at) -> tuple[dt.date, int]:
    days = dates_of(ds)
    d = at if isinstance(at, dt.date) else dt.date.fromisoformat(str(at)[:10])
    if d not in days:
        earlier = [x for x in days if x <= d]
        if not earlier:
            raise ReportError(f"date {d} is before the run's first date {days[0]}")
        d = earlier[-1]  # the policy in force on that day
    return d, days.index(d)


def _horizon(ds) -> str:
    return str(ds.attrs.get("elasticities", "elasticities of the world file"))


def partner_table(ds, importer: str = DEFAULT_IMPORTER) -> list[dict]:
    """One row per partner (largest baseline goods imports first): the importer's tariff on it,
    its tariff on the importer, its welfare and its change of share in the importer's goods imports.

    Tariffs in percent, welfare in % vs baseline, shares in percent and percentage points;
    ``mean`` values are weighted by the days each policy is in force.
    """
    days = dates_of(ds)
    exps, shares, base = import_shares(ds, importer)
    rows = []
    for c in partners_of(ds, importer):
        on = _pair_series(ds, "avg_tariff_pct", importer, c)
        by = _pair_series(ds, "avg_tariff_pct", c, importer)
        wel = np.asarray(ds["welfare_pct"].sel(country=c).values, float)
        k = exps.index(c)
        t = int(np.nanargmax(on))
        rows.append(
            {
                "partner": c,
                "base_share_pct": float(base[k]),
                "tariff_start_pct": float(on[0]),
                "tariff_peak_pct": float(on[t]),
                "tariff_peak_date": days[t],
                "tariff_mean_pct": float(period_mean(ds, on)),
                "tariff_end_pct": float(on[-1]),
                "retaliation_peak_pct": float(np.nanmax(by)),
                "retaliation_mean_pct": float(period_mean(ds, by)),
                "welfare_mean_pct": float(period_mean(ds, wel)),
                "welfare_worst_pct": float(np.nanmin(wel)),
                "share_change_mean_pp": float(period_mean(ds, shares[k]) - base[k]),
            }
        )
    return rows


def partner_tariffs(ds, importer: str = DEFAULT_IMPORTER, n_partners: int = 8) -> Chart:
    """(7) The importer's average tariff on each main partner by date, and on all partners."""
    x = _days(ds)
    order = partners_of(ds, importer)
    moving = moving_partners(ds, importer)
    shown = [c for c in order if c in moving][:n_partners]
    shown += [c for c in order if c not in shown][: max(0, n_partners - len(shown))]
    shown = [c for c in order if c in shown]
    panels = []
    for var, title in (
        ("avg_tariff_pct", "total: baseline tariffs plus the scenario's layers"),
        ("avg_additional_tariff_pct", "additional: the scenario's layers only"),
    ):
        series = [
            Series(
                f"all partners ({importer} average)",
                x,
                overall_tariff(ds, importer)
                if var == "avg_tariff_pct"
                else overall_tariff(ds, importer) - _overall_base(ds, importer),
                color="#111111",
            )
        ]
        series += [
            Series(c, x, _pair_series(ds, var, importer, c), color=_wide_color(c, k + 1), dash=k >= 10)
            for k, c in enumerate(shown)
        ]
        panels.append(Panel(title, "percent", tuple(series)))
    d0, d1 = dates_of(ds)[0], dates_of(ds)[-1]
    return Chart(
        "partners",
        f"{importer} average tariff by partner, {d0} to {d1}",
        tuple(panels),
        footer(ds),
        note=f"Trade-weighted average over goods with fixed baseline ({baseline_year(ds) or 'baseline'}) "
        f"import weights, in percent; one line per main partner (the {n_partners} largest of "
        f"those whose tariff moves), black: all partners weighted by their baseline goods "
        f"sales to {importer}. Tariffs are policy, not model results: the same at every "
        f"elasticity horizon.",
    )


def _overall_base(ds, importer: str) -> np.ndarray:
    exps = [str(c) for c in ds["exporter"].values]
    base = _goods_trade(ds, "trade_base", importer=importer)
    base[exps.index(importer)] = 0.0
    extra = np.nan_to_num(
        np.asarray(ds["avg_additional_tariff_pct"].sel(importer=importer).transpose("exporter", "date").values, float)
    )
    tot = np.nan_to_num(
        np.asarray(ds["avg_tariff_pct"].sel(importer=importer).transpose("exporter", "date").values, float)
    )
    return (base[:, None] * (tot - extra)).sum(axis=0) / base.sum()


def partner_tariffs_2024(
    df, importer: str = DEFAULT_IMPORTER, overall=None, footer_text: str = "", n_partners: int = 8
) -> Chart:
    """(7b) The importer's average tariff by partner with 2024 weights
    (:func:`detente.policy._series.average_tariffs`; tariffs only, no equilibrium solve).

    ``df`` has columns ``date``, ``exporter``, ``avg_tariff_pct``; ``overall`` the same
    with ``exporter == 'all'`` (optional).
    """
    wide = df.pivot_table(index="date", columns="exporter", values="avg_tariff_pct")
    moved = (wide.max() - wide.min()).sort_values(ascending=False)
    shown = [c for c in moved.index if c != "all"][:n_partners]
    x = np.asarray(wide.index.values, dtype="datetime64[D]")
    series = []
    if overall is not None and len(overall):
        o = overall.sort_values("date")
        series.append(
            Series(
                f"all partners ({importer} average)",
                np.asarray(o["date"].values, "datetime64[D]"),
                np.asarray(o["avg_tariff_pct"], float),
                color="#111111",
            )
        )
    series += [
        Series(c, x, np.asarray(wide[c].values, float), color=_wide_color(c, k + 1)) for k, c in enumerate(shown)
    ]
    d0, d1 = str(x[0]), str(x[-1])
    weights = str(getattr(df, "attrs", {}).get("weights", "2024 imports"))
    return Chart(
        "partners-2024",
        f"{importer} average tariff by partner with 2024 weights, {d0} to {d1}",
        (Panel("trade-weighted average over goods, fixed 2024 import weights", "percent", tuple(series)),),
        footer_text,
        note=f"Weights: {weights}. Tariffs only (the world's baseline rates plus the scenario's "
        f"layers), no equilibrium solve, so no elasticities or horizon enter; the {n_partners} "
        "partners whose average moves most. Each change date of the scenario is a point.",
    )


def retaliation_paths(ds, target: str = DEFAULT_IMPORTER, n_partners: int = 8) -> Chart:
    """(8) Each partner's average tariff on ``target`` by date, and the average ``target`` faces."""
    x = _days(ds)
    order = partners_of(ds, target)
    moving = moving_partners(ds, target, direction="by")
    shown = (moving + [c for c in order if c not in moving])[: max(n_partners, len(moving))]
    shown = [c for c in order if c in shown]
    panels = []
    for var, title in (
        ("avg_tariff_pct", f"partners' total tariff on {target}"),
        ("avg_additional_tariff_pct", f"retaliation: the scenario's layers on {target} only"),
    ):
        series = []
        if var == "avg_tariff_pct":
            series.append(Series(f"all partners (what {target} faces)", x, faced_tariff(ds, target), color="#111111"))
        series += [
            Series(c, x, _pair_series(ds, var, c, target), color=_wide_color(c, k + 1), dash=c not in moving)
            for k, c in enumerate(shown)
        ]
        panels.append(Panel(title, "percent", tuple(series)))
    who = ", ".join(moving) if moving else "none"
    return Chart(
        "retaliation",
        f"Partners' tariffs on {target} (retaliation), {dates_of(ds)[0]} to {dates_of(ds)[-1]}",
        tuple(panels),
        footer(ds),
        note=f"Each partner's trade-weighted average tariff on goods from {target}, fixed baseline "
        f"import weights, in percent; solid: partners that retaliate in this run ({who}), dashed: "
        f"the largest others (baseline tariffs only). Black: the average over partners weighted by "
        f"{target}'s baseline goods exports.",
    )


def welfare_all(ds, at=None, importer: str | None = None) -> Chart:
    """(9) Welfare of every country: bars at a date (default: the importer's tariff peak) and the
    period mean, and lines by date."""
    d, t = _at(ds, default_at(ds, importer or _focus(ds)) if at is None else at)
    countries = [str(c) for c in ds["country"].values]
    w = np.asarray(ds["welfare_pct"].transpose("country", "date").values, float)
    mean = period_mean(ds, w)
    order = np.argsort(mean)[::-1]  # largest at the top of the bars (drawn bottom-up)
    cats = np.asarray(countries)[order][::-1]
    bars = Panel(
        f"real income on {d} and the period mean",
        pct_label(ds),
        (
            Series(f"on {d}", cats, w[order][::-1, t], kind="bar", color="#5a9bd4"),
            Series(
                f"mean {dates_of(ds)[0]} to {dates_of(ds)[-1]}", cats, mean[order][::-1], kind="bar", color="#1f4e9c"
            ),
        ),
        kind="hbar",
        category_label="country",
    )
    x = _days(ds)
    lines = Panel(
        "real income (welfare) by date, every country",
        pct_label(ds),
        tuple(
            Series(c, x, w[k], color=_wide_color(c, j), dash=j >= 10)
            for j, k in enumerate(np.argsort(np.nanmin(w, axis=1)))
            for c in [countries[k]]
        ),
    )
    return Chart(
        "welfare-all",
        f"Welfare of every country, {dates_of(ds)[0]} to {dates_of(ds)[-1]}",
        (bars, lines),
        footer(ds),
        note=f"Real income, {pct_label(ds)}; each date the static equilibrium under the policy then in "
        f"force, with trade elasticities {_horizon(ds)}. Period mean: weighted by the days each "
        "policy is in force.",
    )


def _focus(ds) -> str:
    labels = [str(c) for c in ds["importer"].values]
    return DEFAULT_IMPORTER if DEFAULT_IMPORTER in labels else labels[0]


def trade_diversion(ds, importer: str = DEFAULT_IMPORTER, at=None, n_lines: int = 8) -> Chart:
    """(10) Who gained the importer's market: the change of each exporter's share of its goods imports."""
    d, t = _at(ds, default_at(ds, importer) if at is None else at)
    exps, shares, base = import_shares(ds, importer)
    change = shares - base[:, None]
    mean = period_mean(ds, change)
    order = np.argsort(mean)  # bottom-up: losers first, gainers at the top
    cats = np.asarray(exps)[order]
    unit = f"percentage points of {importer} goods imports"
    bars = Panel(
        f"change of share vs baseline, on {d} and the period mean",
        unit,
        (
            Series(f"on {d}", cats, change[order, t], kind="bar", color="#e9a23b"),
            Series(f"mean {dates_of(ds)[0]} to {dates_of(ds)[-1]}", cats, mean[order], kind="bar", color="#8c6d31"),
        ),
        kind="hbar",
        category_label="exporter",
    )
    x = _days(ds)
    movers = np.argsort(-np.abs(mean))[:n_lines]
    lines = Panel(
        "change of share by date (largest movers)",
        unit,
        tuple(Series(exps[k], x, change[k], color=_wide_color(exps[k], j)) for j, k in enumerate(movers)),
    )
    return Chart(
        "diversion",
        f"Trade diversion: shares of {importer} goods imports vs baseline, {dates_of(ds)[0]} to {dates_of(ds)[-1]}",
        (bars, lines),
        footer(ds),
        note=f"Each exporter's share of {importer}'s goods imports at factory prices (before tariffs) in "
        f"the equilibrium of each date, minus its share in the baseline "
        f"({baseline_year(ds) or 'baseline'} world data), in percentage points; the shares add to "
        f"100, so the changes add to zero. Trade elasticities {_horizon(ds)}.",
    )


def world_charts(ds, importer: str = DEFAULT_IMPORTER, at=None) -> list[Chart]:
    """The charts of a run with many partners: tariffs by partner, retaliation, welfare, diversion."""
    return [
        partner_tariffs(ds, importer),
        retaliation_paths(ds, importer),
        welfare_all(ds, at, importer),
        trade_diversion(ds, importer, at),
    ]


# ------------------------------------------------------------------------ plotly
def _iso(x: np.ndarray) -> list[str]:
    return [str(d) for d in np.asarray(x).astype("datetime64[D]")]


def _rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[k : k + 2], 16) for k in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _plotly_band(go, fig, s: Series, row: int, col: int) -> None:
    """The band of ``s``: its upper edge, then its lower edge filled up to it (steps, like the line)."""
    assert s.band is not None  # the caller draws a band only when there is one
    lo, hi = s.band
    x = _iso(s.x)
    fig.add_trace(
        go.Scatter(
            x=x,
            y=hi,
            mode="lines",
            line={"width": 0, "shape": "hv", "color": s.color},
            legendgroup=s.name,
            showlegend=False,
            hoverinfo="skip",
            name=f"{s.name} upper",
        ),
        row=row,
        col=col,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=lo,
            mode="lines",
            line={"width": 0, "shape": "hv", "color": s.color},
            fill="tonexty",
            fillcolor=_rgba(s.color, 0.2),
            legendgroup=s.name,
            showlegend=False,
            name=f"{s.name} band",
            customdata=np.asarray(hi),
            hovertemplate="%{x}: %{y:.2f} to %{customdata:.2f}<extra>" + s.name + " band</extra>",
        ),
        row=row,
        col=col,
    )


def to_plotly(chart: Chart):
    """The chart as an interactive :class:`plotly.graph_objects.Figure`."""
    go = require("plotly.graph_objects")
    subplots = require("plotly.subplots")
    n = len(chart.panels)
    fig = subplots.make_subplots(
        rows=1, cols=n, subplot_titles=[p.title for p in chart.panels], horizontal_spacing=0.1 if n > 1 else 0.02
    )
    seen: set[str] = set()
    for col, panel in enumerate(chart.panels, start=1):
        for s in panel.series:
            show = s.name not in seen
            seen.add(s.name)
            common = {"name": s.name, "legendgroup": s.name, "showlegend": show}
            if s.kind == "bar":
                fig.add_trace(
                    go.Bar(
                        y=list(s.x),
                        x=s.y,
                        orientation="h",
                        marker_color=s.color,
                        hovertemplate="%{y}: %{x:,.1f}<extra>" + s.name + "</extra>",
                        **common,
                    ),
                    row=1,
                    col=col,
                )
                continue
            if s.band is not None and s.kind == "step":
                _plotly_band(go, fig, s, row=1, col=col)
            line = {"color": s.color, "shape": "hv", "width": 2 if s.kind == "step" else 0.5}
            if s.dash:
                line["dash"] = "dash"
            extra = {"stackgroup": f"stack{col}", "fillcolor": s.color} if s.kind == "area" else {}
            fig.add_trace(
                go.Scatter(
                    x=_iso(s.x),
                    y=s.y,
                    mode="lines",
                    line=line,
                    hovertemplate="%{x}: %{y:.2f}<extra>" + s.name + "</extra>",
                    **extra,
                    **common,
                ),
                row=1,
                col=col,
            )
        xref = "x" if col == 1 else f"x{col}"
        if panel.kind == "hbar":
            fig.update_xaxes(title_text=panel.value_label, row=1, col=col)
            fig.update_yaxes(title_text=panel.category_label, row=1, col=col)
            fig.update_layout(barmode="group")
        else:
            fig.update_xaxes(title_text="date", type="date", row=1, col=col)
            fig.update_yaxes(title_text=panel.value_label, row=1, col=col)
            for k, m in enumerate(chart.markers):
                fig.add_shape(
                    type="line",
                    x0=str(m.date),
                    x1=str(m.date),
                    y0=0,
                    y1=1,
                    xref=xref,
                    yref=f"{xref.replace('x', 'y')} domain",
                    line={"color": "#777", "width": 1, "dash": "dot"},
                )
                fig.add_annotation(
                    x=str(m.date),
                    y=1.0 - 0.06 * (k % 2),
                    xref=xref,
                    yref=f"{xref.replace('x', 'y')} domain",
                    text=m.label,
                    showarrow=False,
                    xanchor="left",
                    font={"size": 10, "color": "#555"},
                )
    fig.add_annotation(
        text=chart.footer,
        x=0,
        y=-0.42,
        xref="paper",
        yref="paper",
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 10, "color": "#666"},
    )
    fig.update_layout(
        title={"text": chart.title, "x": 0.01},
        template="plotly_white",
        height=560,
        margin={"l": 70, "r": 20, "t": 80, "b": 170},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0},
        hovermode="closest",
        font={"family": "system-ui, sans-serif"},
    )
    return fig


# ------------------------------------------------------------------------ matplotlib
def to_matplotlib(chart: Chart):
    """The chart as a :class:`matplotlib.figure.Figure` (no pyplot, no global backend)."""
    figure = require("matplotlib.figure")
    mdates = require("matplotlib.dates")
    n = len(chart.panels)
    fig = figure.Figure(figsize=(11 if n == 1 else 13, 5.6), dpi=100, layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    axes = fig.subplots(1, n, squeeze=False)[0]
    for ax, panel in zip(axes, chart.panels, strict=True):
        ax.set_title(panel.title, fontsize=10)
        ax.grid(True, color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        if panel.kind == "hbar":
            _mpl_bars(ax, panel)
            continue
        lower = None
        for s in panel.series:
            x = np.append(np.asarray(s.x, "datetime64[D]"), np.asarray(s.x, "datetime64[D]")[-1] + 1)
            y = np.append(np.nan_to_num(s.y), np.nan_to_num(s.y)[-1])
            if s.kind == "area":
                base = np.zeros_like(y) if lower is None else lower
                ax.fill_between(x, base, base + y, step="post", color=s.color, alpha=0.85, linewidth=0, label=s.name)
                lower = base + y
            else:
                if s.band is not None:
                    lo, hi = (np.append(v, v[-1]) for v in (np.asarray(s.band[0], float), np.asarray(s.band[1], float)))
                    ax.fill_between(x, lo, hi, step="post", color=s.color, alpha=0.2, linewidth=0)
                ax.step(
                    x, y, where="post", color=s.color, linestyle="--" if s.dash else "-", linewidth=1.8, label=s.name
                )
        ax.set_xlabel("date")
        ax.set_ylabel(panel.value_label)
        loc = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))
        top = ax.get_ylim()[1]
        for k, m in enumerate(chart.markers):
            ax.axvline(np.datetime64(m.date), color="#777", linewidth=0.8, linestyle=":")
            ax.annotate(
                m.label,
                (np.datetime64(m.date), 1.0 - 0.05 * (k % 2)),
                xycoords=("data", "axes fraction"),
                xytext=(3, -2),
                textcoords="offset points",
                fontsize=8,
                color="#444",
                va="top",
            )
        ax.set_ylim(top=top)
    shown: set[str] = set()
    for ax, panel in zip(axes, chart.panels, strict=True):
        names = {s.name for s in panel.series}
        if panel.kind == "time" and not names <= shown:
            ax.legend(
                fontsize=7.5 if len(names) <= 10 else 6.5,
                ncol=1 if len(names) <= 10 else 2,
                loc="center right" if chart.key == "tariffs" else "best",
                framealpha=0.9,
            )
        shown |= names
    fig.suptitle(chart.title, fontsize=13, x=0.01, ha="left")
    fig.text(0.01, 0.01, chart.footer, fontsize=7, color="#555", ha="left", va="bottom", wrap=True)
    return fig


def _mpl_bars(ax, panel: Panel) -> None:
    cats = list(panel.series[0].x)
    k = len(panel.series)
    h = 0.8 / k
    pos = np.arange(len(cats))
    for j, s in enumerate(panel.series):
        ax.barh(pos + (k - 1 - j) * h - 0.4 + h / 2, np.nan_to_num(s.y), height=h, color=s.color, label=s.name)
    ax.set_yticks(pos, cats, fontsize=8)
    ax.set_xlabel(panel.value_label)
    ax.set_ylabel(panel.category_label)
    ax.legend(fontsize=7.5, loc="lower right")
