"""The ``detente tariffs`` command: average-tariff series.

Without a scenario: the 2018-2026 US-China series (:func:`tariff_series`). With one
(``detente tariffs world-2025 --importer USA --by-partner --csv FILE``): the import-weighted
average tariff of an importer on each partner, or on all partners together, at each change
of the scenario (:func:`average_tariffs`).

``register(sub)`` adds the command to the main CLI's argparse subparsers, and gives the
``replay`` command (when the main CLI has defined it) its uncertainty-band options:
``detente replay SCENARIO --bands N [--seed S] [--level 0.9] [--bands-out FILE] [--workers W]``
(:func:`detente.policy._bands.replay_bands`).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import cast

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
    frame = average_tariffs(
        args.scenario, world, importer=args.importer, by_partner=args.by_partner, variant=args.variant
    )
    if args.csv:
        frame.to_csv(args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    console = Console(highlight=False, width=160)
    wide = frame.pivot(index="date", columns="exporter", values="avg_tariff_pct")
    cols = list(wide.columns)
    shown = cols[:12]
    t = Table(
        title=f"Average tariff of {args.importer} by partner, % ({frame.attrs['scenario']}"
        f"{' [' + frame.attrs['variant'] + ']' if frame.attrs['variant'] else ''})",
        caption=f"goods; baseline tariffs + layers; weights: {frame.attrs['weights']}"
        + (f"; {len(cols) - len(shown)} more partners in the CSV" if len(cols) > len(shown) else ""),
    )
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
        raise DetenteError(
            "--importer, --by-partner and --variant need a SCENARIO (e.g. detente tariffs world-2025 "
            "--importer USA --by-partner)"
        )
    from rich.console import Console
    from rich.table import Table

    from detente.policy._series import tariff_series
    from detente.world import load_world

    world = load_world(args.world) if args.world else None
    frame = tariff_series(world, early=args.early, late=args.late, freq=args.freq)
    if args.csv:
        frame.to_csv(args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    console = Console(highlight=False, width=140)
    t = Table(
        title="Average tariffs, US and China (goods; fixed baseline import weights by sector)",
        caption=f"world {frame.attrs['world']}; {frame.attrs['early']} chained with "
        f"{frame.attrs['late']} (docs/scenarios.md)",
    )
    t.add_column("from", no_wrap=True)
    t.add_column("US on China %", justify="right")
    t.add_column("China on US %", justify="right")
    t.add_column("changes", overflow="fold")
    for r in frame.itertuples(index=False):
        t.add_row(
            r.date.date().isoformat(),
            f"{r.us_on_china_pct:.1f}",
            f"{r.china_on_us_pct:.1f}",
            r.events[:90] + ("..." if len(r.events) > 90 else ""),
        )
    console.print(t)
    if args.csv:
        console.print(f"series written to {args.csv}")
    return 0


def _cmd_replay_bands(args: argparse.Namespace) -> int:
    """``detente replay --bands N``: the replay, then its bands from N elasticity draws."""
    if not args.bands:
        return args.plain_replay(args)
    from detente._files import check_output_path as check_path
    from detente._files import write_netcdf
    from detente.cli import _console, _pair
    from detente.policy._bands import MAX_DRAWS, replay_bands
    from detente.policy._commands import print_replay, replay_file
    from detente.policy._schema import load_scenario
    from detente.world import load_world

    if not 2 <= args.bands <= MAX_DRAWS:
        raise DetenteError(f"--bands {args.bands}: give a number of draws between 2 and {MAX_DRAWS}")
    if not 0 < args.level < 1:
        raise DetenteError(f"--level {args.level}: give a coverage between 0 and 1, e.g. 0.9 for 5-95%")
    for opt in ("out", "bands_out"):
        if getattr(args, opt):
            check_path(getattr(args, opt), "--" + opt.replace("_", "-"))
    sc = load_scenario(args.file)
    world = load_world(args.world or sc.world)
    rp = replay_file(
        args.file,
        variant=args.variant,
        world=world,
        progress=not args.quiet,
        elasticities=args.elasticities,
        horizon=args.horizon,
        adjustment=args.adjustment,
        closure=args.closure,
    )
    pair = _pair(args.pair, list(rp.world.countries)) or cast(tuple[str, str], tuple(rp.world.countries[:2]))
    console = _console()
    print_replay(console, rp, pair=pair)
    bands = _bands_with_progress(replay_bands, sc, world, rp, args)
    print_replay_bands(console, bands, [c for c in pair if c in rp.world.countries])
    if args.out:
        console.print(f"time series written to {write_netcdf(rp.dataset, args.out)}", markup=False)
    if args.bands_out:
        console.print(f"bands written to {write_bands(bands, args.bands_out)}", markup=False)
    if not args.no_save:
        from detente.store import RunStore, record_from_replay

        run_id = RunStore().save(record_from_replay(rp))
        console.print(
            f"saved as run {run_id} (`detente report {run_id} --bands {args.bands}` draws the bands)", markup=False
        )
    return 0


def _bands_with_progress(fn, scenario, world, rp, args):
    opts = dict(
        n_draws=args.bands,
        seed=args.seed,
        level=args.level,
        variant=args.variant,
        elasticities=args.elasticities,
        horizon=args.horizon,
        adjustment=args.adjustment,
        closure=args.closure,
        central=rp,
        workers=args.workers,
    )
    if args.quiet:
        return fn(scenario, world, **opts)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("elasticity draws"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("draws", total=args.bands)
        return fn(scenario, world, **opts, progress=lambda done, total: bar.update(task, completed=done, total=total))


def print_replay_bands(console, bands, countries: list[str]) -> None:
    """A terminal table: real income at each change of policy, central value and band."""
    from rich.markup import escape
    from rich.table import Table

    ds, a = bands.dataset, bands.dataset.attrs
    t = Table(
        title=escape(
            f"Real income, % vs baseline: central and {a['band']} band from {a['n_draws']} draws "
            f"of the trade elasticities (seed {a['seed']})"
        ),
        title_justify="left",
        caption=escape(
            f"elasticities: {a['elasticities']}; {a['draws']}; {a['n_solves']} solves in {a['seconds']:.1f} s"
        ),
    )
    t.add_column("from", no_wrap=True)
    for c in countries:
        t.add_column(f"{c} central", justify="right")
        t.add_column(f"{c} band", justify="right")
    t.add_column("failed draws", justify="right")
    for _key, d in bands.states:
        dd = d.isoformat()
        row = [dd]
        for c in countries:
            sel = dict(country=c, date=dd)
            row += [
                f"{float(ds['welfare_pct'].sel(**sel)):+.3f}",
                f"[{float(ds['welfare_pct_lower'].sel(**sel)):+.3f}, {float(ds['welfare_pct_upper'].sel(**sel)):+.3f}]",
            ]
        row.append(str(int(ds["n_failed"].sel(date=dd))))
        t.add_row(*row)
    console.print(t)
    if bands.n_failed:
        console.print(
            f"{bands.n_failed} (draw, policy state) solves did not converge and are left out of the "
            "bands; the first: " + bands.failed[0].reason[:200],
            markup=False,
        )


def write_bands(bands, path: str) -> str | Path:
    """Write the bands to ``path``: JSON (``.json``) or NetCDF (anything else)."""
    import json

    if str(path).endswith(".json"):
        with open(path, "w") as fh:
            json.dump(bands.to_dict(), fh, indent=1)
        return str(path)
    from detente._files import write_netcdf

    return write_netcdf(bands.dataset, path)


def _add_band_options(rp: argparse.ArgumentParser) -> None:
    rp.add_argument(
        "--bands",
        type=int,
        metavar="N",
        default=0,
        help="also give uncertainty bands from N draws of the trade elasticities (their "
        "standard errors), every policy state solved per draw",
    )
    rp.add_argument("--seed", type=int, default=0, help="seed of the elasticity draws (default: %(default)s)")
    rp.add_argument(
        "--level",
        type=float,
        default=0.9,
        help="central coverage of the bands (default: %(default)s, the 5th-95th percentiles)",
    )
    rp.add_argument("--bands-out", metavar="FILE", help="write the bands to FILE (.json, else NetCDF)")
    rp.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes to share the draws among (default: %(default)s; the bands do not depend on it)",
    )
    rp.set_defaults(plain_replay=rp.get_default("func"), func=_cmd_replay_bands)


def register(sub) -> argparse.ArgumentParser:
    """Add ``tariffs`` to the argparse subparsers ``sub`` of the main CLI (and band options to ``replay``)."""
    if "replay" in sub.choices and "--bands" not in sub.choices["replay"]._option_string_actions:
        _add_band_options(sub.choices["replay"])
    p = sub.add_parser(
        "tariffs",
        help="average tariffs at each change: the US-China series 2018-2026, or "
        "any scenario's by importer and partner (trade-weighted, goods)",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="a scenario name or file (e.g. world-2025); without it, the US-China 2018-2026 series",
    )
    p.add_argument("--importer", default="USA", help="importing country (with SCENARIO; default USA)")
    p.add_argument(
        "--by-partner",
        action="store_true",
        help="one series per exporting partner (with SCENARIO); default: the average over all partners",
    )
    p.add_argument("--variant", default=None, help="scenario variant(s), joined by + (with SCENARIO)")
    p.add_argument("--csv", metavar="FILE", help="also write the series to FILE (CSV)")
    p.add_argument(
        "--freq",
        metavar="FREQ",
        default=None,
        help="resample to a pandas frequency (D, W-MON, MS); default: change points (US-China series)",
    )
    p.add_argument("--world", default=None, help="world supplying the weights (default: the scenario's)")
    p.add_argument("--early", default="us-china-2018-2020", help="scenario with the pre-war baseline")
    p.add_argument("--late", default="us-china-2025", help="scenario with the later layers")
    p.set_defaults(func=_cmd_tariffs)
    return p
