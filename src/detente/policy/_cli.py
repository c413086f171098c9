"""The ``detente tariffs`` command: average-tariff series.

Without a scenario: the 2018-2026 US-China series (:func:`tariff_series`). With one
(``detente tariffs world-2025 --importer USA --by-partner --csv FILE``): the import-weighted
average tariff of an importer on each partner, or on all partners together, at each change
of the scenario (:func:`average_tariffs`).

``register(sub)`` adds the command to the main CLI's argparse subparsers.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from detente.errors import DetenteError


def check_output_path(path: str) -> Path:
    """``path`` as a Path if a file can be written there, else a DetenteError naming it."""
    p = Path(path)
    if p.is_dir():
        raise DetenteError(f"--csv {path!r} is a folder; give a file name, e.g. {os.path.join(path, 'tariffs.csv')}")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise DetenteError(f"--csv {path!r}: folder {str(parent)!r} does not exist")
    if (p.exists() and not os.access(p, os.W_OK)) or (not p.exists() and not os.access(parent, os.W_OK)):
        raise DetenteError(f"--csv {path!r}: not writable")
    return p


def _cmd_scenario_tariffs(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from detente.policy._series import average_tariffs
    from detente.world import load_world

    world = load_world(args.world) if args.world else None
    frame = average_tariffs(args.scenario, world, importer=args.importer, by_partner=args.by_partner,
                            variant=args.variant)
    if args.csv:
        frame.to_csv(args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    console = Console(highlight=False, width=160)
    wide = frame.pivot(index="date", columns="exporter", values="avg_tariff_pct")
    cols = list(wide.columns)
    shown = cols[:12]
    t = Table(title=f"Average tariff of {args.importer} by partner, % ({frame.attrs['scenario']}"
                    f"{' [' + frame.attrs['variant'] + ']' if frame.attrs['variant'] else ''})",
              caption=f"goods; baseline tariffs + layers; weights: {frame.attrs['weights']}"
                      + (f"; {len(cols) - len(shown)} more partners in the CSV" if len(cols) > len(shown) else ""))
    t.add_column("from", no_wrap=True)
    for c in shown:
        t.add_column(c, justify="right")
    prev = None
    for d, row in wide.iterrows():
        vals = tuple(round(float(row[c]), 1) for c in shown)
        if vals == prev:
            continue
        prev = vals
        t.add_row(d.date().isoformat(), *[f"{v:.1f}" for v in vals])
    console.print(t)
    if args.csv:
        console.print(f"series written to {args.csv}")
    return 0


def _cmd_tariffs(args: argparse.Namespace) -> int:
    if args.csv:
        check_output_path(args.csv)
    if args.scenario:
        return _cmd_scenario_tariffs(args)
    if args.by_partner or args.importer != "USA" or args.variant:
        raise DetenteError("--importer, --by-partner and --variant need a SCENARIO (e.g. detente tariffs world-2025 "
                           "--importer USA --by-partner)")
    from rich.console import Console
    from rich.table import Table

    from detente.policy._series import tariff_series
    from detente.world import load_world

    world = load_world(args.world) if args.world else None
    frame = tariff_series(world, early=args.early, late=args.late, freq=args.freq)
    if args.csv:
        frame.to_csv(args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    console = Console(highlight=False, width=140)
    t = Table(title="Average tariffs, US and China (goods; fixed baseline import weights by sector)",
              caption=f"world {frame.attrs['world']}; {frame.attrs['early']} chained with "
                      f"{frame.attrs['late']} (docs/scenarios.md)")
    t.add_column("from", no_wrap=True)
    t.add_column("US on China %", justify="right")
    t.add_column("China on US %", justify="right")
    t.add_column("changes", overflow="fold")
    for r in frame.itertuples(index=False):
        t.add_row(r.date.date().isoformat(), f"{r.us_on_china_pct:.1f}", f"{r.china_on_us_pct:.1f}",
                  r.events[:90] + ("..." if len(r.events) > 90 else ""))
    console.print(t)
    if args.csv:
        console.print(f"series written to {args.csv}")
    return 0


def register(sub) -> argparse.ArgumentParser:
    """Add ``tariffs`` to the argparse subparsers ``sub`` of the main CLI."""
    p = sub.add_parser("tariffs", help="average tariffs at each change: the US-China series 2018-2026, or "
                                       "any scenario's by importer and partner (trade-weighted, goods)")
    p.add_argument("scenario", nargs="?", default=None,
                   help="a scenario name or file (e.g. world-2025); without it, the US-China 2018-2026 series")
    p.add_argument("--importer", default="USA", help="importing country (with SCENARIO; default USA)")
    p.add_argument("--by-partner", action="store_true",
                   help="one series per exporting partner (with SCENARIO); default: the average over all partners")
    p.add_argument("--variant", default=None, help="scenario variant(s), joined by + (with SCENARIO)")
    p.add_argument("--csv", metavar="FILE", help="also write the series to FILE (CSV)")
    p.add_argument("--freq", metavar="FREQ", default=None,
                   help="resample to a pandas frequency (D, W-MON, MS); default: change points (US-China series)")
    p.add_argument("--world", default=None, help="world supplying the weights (default: the scenario's)")
    p.add_argument("--early", default="us-china-2018-2020", help="scenario with the pre-war baseline")
    p.add_argument("--late", default="us-china-2025", help="scenario with the later layers")
    p.set_defaults(func=_cmd_tariffs)
    return p
