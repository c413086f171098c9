"""A readable terminal summary of replays (rich tables), from datasets alone.

:func:`~detente.policy._commands.print_replay` needs the :class:`~detente.policy.Replay`
object (scenario and world); :func:`print_runs_summary` needs only the replay datasets,
so it also works for runs read from NetCDF files or the results store, names the key
dates (peak, Geneva, ...) instead of truncated event ids, and compares variants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from detente._defaults import DEFAULT_IMPORTER, DEFAULT_PAIR
from detente.report import charts as C
from detente.report.terminal import esc


def headline_table(runs: Mapping[str, Any], pair: Sequence[str] = DEFAULT_PAIR):
    """A rich Table, one column per run: peak tariffs, worst and period-mean welfare, highest CPI."""
    from rich.table import Table

    first = next(iter(runs.values()))
    a, b = C.check_pair(first, pair)
    summaries = {label: C.summarise(ds, (a, b)) for label, ds in runs.items()}
    t = Table(
        title=esc(f"Headline numbers ({C.pct_label(first)}; tariffs in percent)"),
        title_justify="left",
        caption="peak/worst: over the period, with its date; mean: weighted by the days each policy was in force",
        caption_justify="left",
    )
    t.add_column("", no_wrap=True)
    for label in runs:
        t.add_column(esc(label), justify="right")
    rows = [
        (f"{a} on {b}, peak", f"tariff {a} on {b}", "peak", "{:.1f}"),
        (f"{b} on {a}, peak", f"tariff {b} on {a}", "peak", "{:.1f}"),
        (f"{a} on {b}, mean", f"tariff {a} on {b}", "mean", "{:.1f}"),
        (f"{b} on {a}, mean", f"tariff {b} on {a}", "mean", "{:.1f}"),
        (f"{a} welfare, worst", f"welfare_pct {a}", "peak", "{:+.3f}"),
        (f"{b} welfare, worst", f"welfare_pct {b}", "peak", "{:+.3f}"),
        (f"{a} welfare, mean", f"welfare_pct {a}", "mean", "{:+.3f}"),
        (f"{b} welfare, mean", f"welfare_pct {b}", "mean", "{:+.3f}"),
        (f"{a} real wage, worst", f"real_wage_pct {a}", "peak", "{:+.3f}"),
        (f"{a} prices vs wage, highest", f"cpi_pct {a}", "peak", "{:+.3f}"),
    ]
    for head, key, which, fmt in rows:
        cells = []
        for s in summaries.values():
            v, d = s[key][which]
            cells.append(esc(fmt.format(v)) + (f" [dim]{d:%Y-%m-%d}[/dim]" if d else ""))
        t.add_row(esc(head), *cells)
    return t


def change_point_table(ds, pair: Sequence[str] = DEFAULT_PAIR, label: str = ""):
    """A rich Table: average tariffs, welfare and CPI from each date the policy changes."""
    from rich.table import Table

    a, b = C.check_pair(ds, pair)
    marks = {m.date: m.label for m in C.key_events(ds, (a, b))}
    t = Table(
        title=esc(f"Change points{': ' + label if label else ''} ({C.pct_label(ds)}; tariffs in percent)"),
        title_justify="left",
    )
    t.add_column("from", no_wrap=True)
    t.add_column("")
    for head in (
        f"{a} on\n{b}",
        f"{b} on\n{a}",
        f"{a}\nwelfare",
        f"{b}\nwelfare",
        f"{a} prices\nvs wage",
        f"{b} prices\nvs wage",
    ):
        t.add_column(esc(head), justify="right")
    for d in C.change_points(ds):
        r = ds.sel(date=str(d))
        t.add_row(
            d.isoformat(),
            esc(marks.get(d, "")),
            f"{float(r['avg_tariff_pct'].sel(importer=a, exporter=b)):.1f}",
            f"{float(r['avg_tariff_pct'].sel(importer=b, exporter=a)):.1f}",
            f"{float(r['welfare_pct'].sel(country=a)):+.3f}",
            f"{float(r['welfare_pct'].sel(country=b)):+.3f}",
            f"{float(r['cpi_pct'].sel(country=a)):+.3f}",
            f"{float(r['cpi_pct'].sel(country=b)):+.3f}",
        )
    return t


def partner_summary_table(ds, importer: str = DEFAULT_IMPORTER, n: int = 12):
    """A rich Table: ``importer``'s tariff on each partner, its tariff back, welfare, change of share."""
    from rich.table import Table

    days = C.dates_of(ds)
    t = Table(
        title=esc(
            f"{importer} and its partners, {days[0]} to {days[-1]} (tariffs in percent, welfare "
            f"{C.pct_label(ds)}, share of {importer} goods imports in percentage points)"
        ),
        title_justify="left",
        caption=esc(
            f"means weighted by the days each policy was in force; trade "
            f"elasticities {ds.attrs.get('elasticities', 'of the world file')}"
        ),
        caption_justify="left",
    )
    for head in (
        "partner",
        f"{importer} on it\npeak",
        "date",
        f"{importer} on it\nmean",
        f"it on {importer}\npeak",
        "welfare\nmean",
        "share change\nmean pp",
    ):
        t.add_column(esc(head), justify="left" if head in ("partner", "date") else "right", no_wrap=True)
    for r in C.partner_table(ds, importer)[:n]:
        t.add_row(
            esc(r["partner"]),
            f"{r['tariff_peak_pct']:.1f}",
            r["tariff_peak_date"].isoformat(),
            f"{r['tariff_mean_pct']:.1f}",
            f"{r['retaliation_peak_pct']:.1f}",
            f"{r['welfare_mean_pct']:+.3f}",
            f"{r['share_change_mean_pp']:+.2f}",
        )
    return t


def print_runs_summary(
    console, runs: Mapping[str, Any], pair: Sequence[str] = DEFAULT_PAIR, index: Path | None = None
) -> None:
    """Print provenance, the main run's change points, headline numbers and the report path."""
    items = list(runs.items())
    label, main = items[0]
    a = main.attrs
    console.print(f"[bold]{esc(a.get('scenario', 'replay'))}[/bold]: " + ", ".join(esc(k) for k, _ in items))
    console.print(
        f"world {a.get('world', '?')} — {a.get('vintage', '?')}; values in {a.get('units', '?')}; "
        f"detente {a.get('detente_version', '?')}",
        markup=False,
    )
    console.print(
        "each date: static equilibrium under the policy then in force, vs the baseline year; "
        f"trade elasticities: {a.get('elasticities', 'as stored in the world file')}; "
        "average tariffs weighted by fixed baseline goods imports",
        style="dim",
        markup=False,
    )
    console.print(change_point_table(main, pair, label))
    console.print(headline_table(runs, pair))
    if C.is_multilateral(main, pair[0]):
        console.print(partner_summary_table(main, pair[0]))
    if index is not None:
        console.print(f"report written to {index} (open it in a browser; it works offline)", markup=False)
