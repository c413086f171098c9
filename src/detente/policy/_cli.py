"""The ``detente tariffs`` command: the 2018-2026 average-tariff series of the US and China.

``register(sub)`` adds the command to the main CLI's argparse subparsers.
"""

from __future__ import annotations

import argparse


def _cmd_tariffs(args: argparse.Namespace) -> int:
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
    p = sub.add_parser("tariffs", help="the average US-China tariffs 2018-2026 at each change "
                                       "(trade-weighted, goods)")
    p.add_argument("--csv", metavar="FILE", help="also write the series to FILE (CSV)")
    p.add_argument("--freq", metavar="FREQ", default=None,
                   help="resample to a pandas frequency (D, W-MON, MS); default: change points")
    p.add_argument("--world", default=None, help="world supplying the weights (default: the scenario's)")
    p.add_argument("--early", default="us-china-2018-2020", help="scenario with the pre-war baseline")
    p.add_argument("--late", default="us-china-2025", help="scenario with the later layers")
    p.set_defaults(func=_cmd_tariffs)
    return p
