"""The HTML report of one or more replays: self-contained, offline, with PNG figures.

:func:`write_report` takes replay datasets by label (the first is the main run; with
more than one the report compares them) and writes ``index.html`` and one PNG per
chart into a folder. The HTML inlines plotly.js from the installed ``plotly`` package
and uses no web fonts, no MathJax and no external links, so it opens offline.
:func:`report_from_records` does the same for results-store records.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from detente._defaults import DEFAULT_PAIR
from detente._files import write_figure, write_text
from detente.report import charts as C
from detente.report import maps as M
from detente.report.charts import ReportError

HEADINGS = {
    "tariffs": "1. Tariff paths",
    "layers": "2. What the tariffs are made of",
    "welfare": "3. Welfare and real wages",
    "trade": "4. Trade of the pair by sector",
    "prices": "5. Price effects",
    "compare-tariffs": "6. Comparison of variants: tariffs",
    "compare-welfare": "6. Comparison of variants: welfare",
    "partners": "7. Average tariffs by partner",
    "partners-2024": "7b. Average tariffs by partner, 2024 weights",
    "retaliation": "8. Partners' retaliation",
    "welfare-all": "9. Welfare of every country",
    "diversion": "10. Trade diversion: who gained market share",
    "shortage-output": "Critical inputs: motor-vehicle output, week by week",
    "shortage-inventory": "Critical inputs: inventories of car makers",
    "shortage-losses": "Critical inputs: output lost per week by country",
    "shortage-stockouts": "Critical inputs: first stock-out by user",
    "shortage-static": "Shortages beside the static equilibrium",
}

REQUIRED = (
    "welfare_pct",
    "real_wage_pct",
    "cpi_pct",
    "avg_tariff_pct",
    "avg_additional_tariff_pct",
    "layer_pct",
    "trade",
    "trade_base",
    "tariff_pct",
)

# plotly.js config: no logo, no "send to cloud" button; topojson (geo traces only, which
# the report never draws) would be looked up beside the file, never on a CDN.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "topojsonURL": "./",
    "modeBarButtonsToRemove": ["sendChartToCloud", "lasso2d", "select2d"],
}

HOW_TO_READ = (
    "Each date shows the <b>static general equilibrium under the policy in force on that date</b>, "
    "compared with the baseline year of the world data. Trade responds with the elasticities named in "
    "the provenance table, at their horizon (by default one year after a change, Boehm, Levchenko "
    "&amp; Pandalai-Nayar 2023): short episodes (the April 2025 peak lasted about a month) show the "
    "effect they would have had after a year. The table “Results by horizon” shows the same run at "
    "1 year, 3 years and the long run. Welfare is real income; consumer prices are relative to the "
    "country's own nominal wage. Lines are steps: a value holds until the next date."
)

METHOD = (
    "<p>The average tariff a country <i>n</i> applies to a partner <i>i</i> follows the trackers "
    "(PIIE's US-China tariff chart): a weighted mean over <b>goods sectors only</b> with <b>fixed "
    "weights, the baseline bilateral imports at factory prices by sector</b> (the world's trade flows "
    "of the baseline year):</p>"
    "<p class='formula'>average<sub>ni</sub>(date) = Σ<sub>j ∈ goods</sub> X<sub>nij</sub> "
    "τ<sub>nij</sub>(date) / Σ<sub>j ∈ goods</sub> X<sub>nij</sub></p>"
    "<p>where X<sub>nij</sub> is the baseline value of sector <i>j</i> imports of <i>n</i> from "
    "<i>i</i> and τ<sub>nij</sub>(date) the tariff in force, in percent. Because the weights are "
    "fixed, the average moves only with the tariffs, not with the trade they destroy (a current-weight "
    "average falls as prohibitive tariffs choke trade). <b>Total</b> includes the world's baseline "
    "tariffs (MFN, the 2018-19 Section 301 duties and China's retaliation as in the 2022 data); "
    "<b>additional</b> is the scenario's layers only, each averaged the same way. The average is "
    "linear in the tariffs, so the layers stack exactly onto the baseline. A measure covering part "
    "of a sector enters with its coverage share, and exemptions scale a layer down (see "
    "docs/scenarios.md). Sector aggregation and 2022 weights make these averages differ from "
    "HS-level trackers: the default world's baseline US tariff on China is about 12% against "
    "PIIE's 20.8% for January 2025.</p>"
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:0 auto;
max-width:1180px;padding:0 24px 48px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin:24px 0 4px}h2{font-size:1.25em;margin-top:36px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:0.88em;margin:8px 0}th,td{padding:3px 8px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:0.9em}.events{font-size:0.82em;color:#444;max-width:520px}
.formula{font-family:ui-monospace,Menlo,Consolas,monospace;background:#f6f6f6;padding:6px 10px}
.chart{margin:12px 0 4px}nav a{margin-right:12px}footer{margin-top:40px;color:#666;font-size:0.85em}
"""


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _check_runs(runs: Mapping[str, Any], pair: Sequence[str]) -> dict[str, Any]:
    if not runs:
        raise ReportError("no runs given: a report needs at least one replay dataset")
    out = {}
    for label, ds in runs.items():
        missing = [v for v in REQUIRED if v not in getattr(ds, "data_vars", {})]
        if missing:
            raise ReportError(
                f"run {label!r} is not a replay dataset: missing {', '.join(missing)} "
                "(make one with `detente replay SCENARIO --out FILE.nc`)"
            )
        C.check_pair(ds, pair)
        out[str(label)] = ds
    return out


def run_scenario(ds, *, apply: bool = True):
    """The run's scenario (variant applied if ``apply``), or None if it cannot be loaded."""
    from detente.errors import DetenteError

    try:
        from detente.policy import apply_variant, load_scenario

        where = str(ds.attrs.get("scenario_file", "") or "")
        sc = load_scenario(where if where and os.path.exists(where) else str(ds.attrs["scenario"]))
        return apply_variant(sc, str(ds.attrs.get("variant", "") or "") or None) if apply else sc
    except (DetenteError, OSError, KeyError, ValueError):
        return None


def scenario_events(ds):
    """A function date -> event labels from the run's scenario, or None if it cannot be loaded."""
    from detente.policy import events_on

    sc = run_scenario(ds)
    return None if sc is None else (lambda d: events_on(sc, d))


def variant_description(ds) -> str:
    """What the run's variant does (from the scenario file), or ''."""
    variant = str(ds.attrs.get("variant", "") or "")
    sc = run_scenario(ds, apply=False) if variant else None
    if sc is None:
        return ""
    found = [
        sc.variants[v].description if v in sc.variants else sc.overrides[v].description
        for v in variant.split("+")
        if v in sc.variants or v in getattr(sc, "overrides", {})
    ]
    return "; ".join(d for d in found if d)


def _provenance_table(runs: Mapping[str, Any], generated: str) -> str:
    rows = []
    for label, ds in runs.items():
        a = ds.attrs
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{_e(x)}</td>"
                for x in (
                    label,
                    a.get("scenario", ""),
                    a.get("variant", "") or "(none)",
                    variant_description(ds),
                    a.get("world", ""),
                    a.get("vintage", ""),
                    a.get("units", ""),
                    a.get("elasticities", "as stored in the world file"),
                    a.get("deficits", ""),
                    a.get("n_solves", ""),
                    a.get("detente_version", ""),
                )
            )
            + "</tr>"
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "run",
            "scenario",
            "variant",
            "what the variant does",
            "world",
            "data vintage",
            "units",
            "trade elasticities",
            "deficits",
            "solves",
            "detente",
        )
    )
    return (
        f"<table><tr>{head}</tr>{''.join(rows)}</table>"
        f"<p class='note'>Report generated {_e(generated)}; "
        f"{len(next(iter(runs.values()))['date'])} dates in the main run.</p>"
    )


def _summary_table(runs: Mapping[str, Any], pair: tuple[str, str]) -> str:
    a, b = pair
    keys = [
        (f"tariff {a} on {b}", f"{a} on {b}, peak %", "{:.1f}"),
        (f"tariff {b} on {a}", f"{b} on {a}, peak %", "{:.1f}"),
        (f"welfare_pct {a}", f"{a} welfare, worst %", "{:+.3f}"),
        (f"welfare_pct {b}", f"{b} welfare, worst %", "{:+.3f}"),
        (f"cpi_pct {a}", f"{a} prices vs wage, highest %", "{:+.3f}"),
    ]
    head = (
        "<th>run</th>" + "".join(f"<th>{_e(h)}</th>" for _, h, _ in keys) + f"<th>{a} / {b} welfare, period mean %</th>"
    )
    rows = []
    for label, ds in runs.items():
        s = C.summarise(ds, pair)
        cells = [
            f"<td class='num'>{f.format(s[k]['peak'][0])} <span class='note'>({s[k]['peak'][1]})</span></td>"
            for k, _, f in keys
        ]
        mean = f"{s[f'welfare_pct {a}']['mean'][0]:+.3f} / {s[f'welfare_pct {b}']['mean'][0]:+.3f}"
        rows.append(f"<tr><td>{_e(label)}</td>{''.join(cells)}<td class='num'>{mean}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _change_point_table(ds, pair: tuple[str, str], world: bool = False) -> str:
    a, b = pair
    events = scenario_events(ds)
    marks = {m.date: m.label for m in C.key_events(ds, pair)}
    cols = ([f"{a} on all partners %", f"all partners on {a} %"] if world else []) + [
        f"{a} on {b} %",
        f"{b} on {a} %",
        f"{a} welfare %",
        f"{b} welfare %",
        f"{a} real wage %",
        f"{a} prices vs wage %",
        f"{b} prices vs wage %",
    ]
    overall = (C.overall_tariff(ds, a), C.faced_tariff(ds, a)) if world else None
    days = C.dates_of(ds)
    head = "<th>from</th>" + "".join(f"<th>{_e(c)}</th>" for c in cols) + ("<th>events</th>" if events else "")
    rows = []
    for d in C.change_points(ds):
        t = ds.sel(date=str(d))
        vals = [
            float(t["avg_tariff_pct"].sel(importer=a, exporter=b)),
            float(t["avg_tariff_pct"].sel(importer=b, exporter=a)),
            float(t["welfare_pct"].sel(country=a)),
            float(t["welfare_pct"].sel(country=b)),
            float(t["real_wage_pct"].sel(country=a)),
            float(t["cpi_pct"].sel(country=a)),
            float(t["cpi_pct"].sel(country=b)),
        ]
        fmt = ["{:.1f}", "{:.1f}"] + ["{:+.3f}"] * 5
        if overall is not None:
            k = days.index(d)
            vals, fmt = [float(overall[0][k]), float(overall[1][k]), *vals], ["{:.1f}", "{:.1f}", *fmt]
        cells = "".join(f"<td class='num'>{f.format(v)}</td>" for f, v in zip(fmt, vals, strict=True))
        label = f" <b>{_e(marks[d])}</b>" if d in marks else ""
        ev = f"<td class='events'>{_e(', '.join(events(d)))}</td>" if events else ""
        rows.append(f"<tr><td>{d}{label}</td>{cells}{ev}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _partner_section(ds, importer: str) -> str:
    """The table of every partner of ``importer``: tariffs both ways, welfare, change of share."""
    rows = C.partner_table(ds, importer)
    cols = (
        "partner",
        f"share of {importer} goods imports, baseline %",
        f"{importer} tariff on it: start %",
        "peak % (date)",
        "period mean %",
        "end %",
        f"its tariff on {importer}: peak %",
        "period mean %",
        "welfare: period mean %",
        "worst %",
        "change of share, period mean pp",
    )
    body = []
    for r in rows:
        cells = [
            f"{r['base_share_pct']:.1f}",
            f"{r['tariff_start_pct']:.1f}",
            f"{r['tariff_peak_pct']:.1f} <span class='note'>({r['tariff_peak_date']})</span>",
            f"{r['tariff_mean_pct']:.1f}",
            f"{r['tariff_end_pct']:.1f}",
            f"{r['retaliation_peak_pct']:.1f}",
            f"{r['retaliation_mean_pct']:.1f}",
            f"{r['welfare_mean_pct']:+.3f}",
            f"{r['welfare_worst_pct']:+.3f}",
            f"{r['share_change_mean_pp']:+.2f}",
        ]
        body.append(f"<tr><td>{_e(r['partner'])}</td>" + "".join(f"<td class='num'>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{_e(c)}</th>" for c in cols)
    days = C.dates_of(ds)
    return (
        f"<section id='partners-table'><h2>{_e(importer)} and each partner</h2><table><tr>{head}</tr>"
        f"{''.join(body)}</table><p class='note'>{days[0]} to {days[-1]}. Average tariffs: goods, fixed "
        f"baseline import weights, percent. Welfare: real income, {_e(C.pct_label(ds))}, trade elasticities "
        f"{_e(ds.attrs.get('elasticities', 'of the world file'))}. Change of share: the partner's share of "
        f"{_e(importer)}'s goods imports at factory prices minus its baseline share, percentage points. "
        "Means are weighted by the days each policy is in force.</p></section>"
    )


def _horizon_section(table) -> str:
    if table is None or not len(table):
        return ""
    cols = list(table.columns)
    head = "<th>quantity</th>" + "".join(f"<th>{_e(c)}</th>" for c in cols)
    rows = "".join(
        f"<tr><td>{_e(q)}</td>" + "".join(f"<td class='num'>{v:+.3f}</td>" for v in r) + "</tr>"
        for q, r in zip(table.index, table.to_numpy(), strict=True)
    )
    note = _e(table.attrs.get("note", ""))
    return (
        f"<section id='horizons'><h2>Results by horizon</h2><table><tr>{head}</tr>{rows}</table>"
        f"<p class='note'>{note}</p></section>"
    )


def write_report(
    runs: Mapping[str, Any],
    out_dir: str | os.PathLike,
    *,
    title: str | None = None,
    pair: Sequence[str] = DEFAULT_PAIR,
    png: bool = True,
    dpi: int = 110,
    history=None,
    extra_sections: Sequence[C.Chart | tuple[str, str, Sequence[str], Sequence[Sequence[Any]], str]] = (),
    horizons=None,
    world: bool | None = None,
    at=None,
    extra_charts: Sequence[C.Chart] = (),
    bands=None,
    strategy: str | None = None,
) -> Path:
    """Write ``index.html`` and the PNG figures of one or more replays into ``out_dir``.

    Parameters
    ----------
    runs : mapping of str to xarray.Dataset
        Replay datasets by label (e.g. ``{"as happened": ds, "no-geneva": ds2}``); the
        first is the main run, and more than one adds the comparison of variants.
    out_dir : path
        Folder to write into (created if needed); existing files of the same names are
        replaced.
    title : str, optional
        The report's title (default: the main run's scenario).
    pair : (str, str)
        The two countries at the centre of the report.
    png : bool
        Also write one PNG per chart (matplotlib) beside the HTML.
    history : pandas.DataFrame, optional
        The 2018-2026 average-tariff series (:func:`detente.policy.tariff_series`),
        drawn first when given.
    extra_sections : sequence of Chart or (key, heading, header, rows, note)
        Further sections appended in order (e.g. the shortage model's,
        :func:`detente.report._runs.shortage_sections`): a
        :class:`~detente.report.charts.Chart` is drawn like the others (interactive, and
        a PNG); a tuple is a table.
    horizons : pandas.DataFrame, optional
        The main results of the main run at several elasticity horizons
        (:func:`detente.report.horizons.horizon_table`), shown side by side.
    world : bool, optional
        Add the views of ``pair[0]`` and all its partners (tariffs by partner, retaliation,
        welfare of every country, trade diversion, a table of partners); by default when
        the main run moves ``pair[0]``'s tariffs on three partners or more.
    at : date, optional
        The date of the bar charts of those views (default: ``pair[0]``'s highest overall
        average tariff); they also show the period mean.
    extra_charts : sequence of :class:`~detente.report.charts.Chart`
        Further charts (e.g. :func:`~detente.report.charts.partner_tariffs_2024`), drawn
        after the main run's charts, with PNGs.
    bands : xarray.Dataset, optional
        Uncertainty bands of the main run (:attr:`detente.policy._bands.ReplayBands.dataset`,
        ``detente report --bands N``): a chart of real income with its band, and the band
        shaded on the welfare chart when drawn around the main run.
    strategy : str, optional
        The strategy section's HTML (:func:`detente.report.strategy.strategy_section`),
        placed after the charts.

    Returns
    -------
    Path
        The path of ``index.html``.
    """
    C.require("plotly")
    if png:
        C.require("matplotlib")
    import plotly.io as pio
    import plotly.offline

    runs = _check_runs(runs, pair)
    a, b = C.check_pair(next(iter(runs.values())), pair)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    main = next(iter(runs.values()))
    if world is None:
        world = C.is_multilateral(main, a)
    title = title or (
        f"{main.attrs.get('scenario', 'replay')}: {a} and its partners"
        if world
        else f"{main.attrs.get('scenario', 'replay')}: {a} and {b}"
    )
    generated = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    sections: list[str] = []
    charts = C.all_charts(runs, (a, b), world=world, at=at, bands=bands)
    if extra_charts:
        pos = next((k + 1 for k, c in enumerate(charts) if c.key == "partners"), len(charts))
        charts[pos:pos] = list(extra_charts)
    if history is not None and len(history):
        charts.insert(0, C.tariff_history(history, (a, b), C.footer(main)))

    def draw(chart: C.Chart) -> str:
        fig = C.to_plotly(chart)
        div = pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            include_mathjax=False,
            config=PLOTLY_CONFIG,
            div_id=f"chart-{chart.key}",
            default_height="520px",
        )
        link = ""
        if png:
            mfig = C.to_matplotlib(chart)
            write_figure(mfig, out / f"{chart.key}.png", dpi=dpi)
            link = f" PNG: <a href='{_e(chart.key)}.png'>{_e(chart.key)}.png</a>."
        heading = _e(HEADINGS.get(chart.key, chart.title) if chart.key != "trade" else f"4. {a}-{b} trade by sector")
        return (
            f"<section id='{_e(chart.key)}'><h2>{heading}</h2><div class='chart'>{div}</div>"
            f"<p class='note'>{_e(chart.note)}{link}</p></section>"
        )

    sections.extend(draw(chart) for chart in charts)
    for extra in extra_sections:
        if isinstance(extra, C.Chart):
            sections.append(draw(extra))
            continue
        key, heading, header, rows, note = extra
        head = "".join(f"<th>{_e(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in row) + "</tr>" for row in rows)
        sections.append(
            f"<section id='{_e(key)}'><h2>{_e(heading)}</h2><table><tr>{head}</tr>{body}</table>"
            f"<p class='note'>{_e(note)} {_e(C.footer(main))}</p></section>"
        )
    nav = " ".join(
        f"<a href='#{k}'>{t}</a>"
        for k, t in (
            ("provenance", "provenance"),
            ("reading", "how to read"),
            ("changes", "change points"),
            ("tariffs", "charts"),
            *((("partners", "partners"), ("diversion", "trade diversion")) if world else ()),
            *((("strategy", "strategy"),) if strategy else ()),
            ("method", "method"),
        )
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="detente {_e(main.attrs.get("detente_version", ""))}">
<title>{_e(title)}</title>
<style>{CSS}</style>
<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>
<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>
</head><body>
<header><h1>{_e(title)}</h1><nav>{nav}</nav></header>
<section id="provenance"><h2>Provenance</h2>{_provenance_table(runs, generated)}</section>
<section id="reading"><h2>How to read this report</h2><p>{HOW_TO_READ}</p>
<p>Units: tariffs in percent (trade-weighted averages in percent, scenario layers in percentage
points); welfare, real wages and prices in {_e(C.pct_label(main))}; trade in {_e(C.money(main)[1])}.</p>
</section>
<section id="summary"><h2>Headline numbers</h2>{_summary_table(runs, (a, b))}
<p class="note">Peak: the highest average tariff, the lowest welfare or the highest consumer prices
over the period, with its date. Period mean: weighted by the days each policy was in force.</p></section>
{_horizon_section(horizons)}
<section id="changes"><h2>Change points of the main run ({_e(next(iter(runs)))})</h2>
{_change_point_table(main, (a, b), world)}</section>
{_partner_section(main, a) if world else ""}
{"".join(sections)}
{M.report_section(main, a, out, at, dpi) if world and png else ""}
{strategy or ""}
<section id="method"><h2>Method: the trade-weighted average tariff</h2>{METHOD}</section>
<footer>{_e(C.footer(main, list(runs) if len(runs) > 1 else None))}. Generated {_e(generated)} by detente.
This file is self-contained: the charts use plotly.js {_e(_plotly_version())} inlined above, no network.</footer>
</body></html>
"""
    index = out / "index.html"
    write_text(index, page)
    return index


def _plotly_version() -> str:
    import plotly

    return getattr(plotly, "__version__", "?") + " (Python package)"


def run_label(record, taken: Iterable[str] = ()) -> str:
    """A readable, unique label for a results-store record (variant, name or id)."""
    label = (
        str(getattr(record, "variant", "") or "")
        or str(getattr(record, "name", "") or "")
        or str(getattr(record, "id", "run"))
    )
    return unique_label(label, taken)


def unique_label(label: str, taken: Iterable[str]) -> str:
    taken = set(taken)
    out, k = label, 2
    while out in taken:
        out, k = f"{label} ({k})", k + 1
    return out


def record_dataset(record):
    """A record's dataset, with provenance attributes it lacks filled in from the record."""
    ds = getattr(record, "dataset", None)
    if ds is None:
        raise ReportError(f"record {getattr(record, 'id', record)!r} has no dataset")
    fill = {
        "scenario": getattr(record, "name", None),
        "variant": getattr(record, "variant", None) or "",
        "world": getattr(record, "world", None),
        "vintage": getattr(record, "vintage", None),
        "detente_version": getattr(record, "code_version", None),
        "run_id": getattr(record, "id", None),
    }
    missing = {k: v for k, v in fill.items() if k not in ds.attrs and v is not None}
    return ds.assign_attrs(missing) if missing else ds


def report_from_records(records: Iterable[object], out_dir: str | os.PathLike, **kwargs) -> Path:
    """:func:`write_report` for results-store records (anything with ``.dataset``,
    ``.name``, ``.variant`` and ``.id``); labels are the variants, else the names."""
    runs: dict[str, object] = {}
    for rec in records:
        runs[run_label(rec, runs)] = record_dataset(rec)
    return write_report(runs, out_dir, **kwargs)
