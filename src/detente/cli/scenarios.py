"""Scenario commands: ``detente validate``, ``schema``, ``replay`` and ``tariffs``.

``replay`` runs a dated scenario through the equilibrium model (with ``--bands N``, also
its uncertainty bands from N draws of the trade elasticities,
:func:`detente.policy._bands.replay_bands`). ``tariffs`` prints average-tariff series:
without a scenario the 2018-2026 US-China series (:func:`tariff_series`); with one
(``detente tariffs world-2025 --importer USA --by-partner --csv FILE``) the
import-weighted average tariff of an importer on each partner, or on all partners
together, at each change of the scenario (:func:`average_tariffs`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from detente._defaults import DEFAULT_PAIR
from detente._files import check_output_path, write_csv, write_json, write_netcdf
from detente.cli._options import (
    Progress,
    add_closure_option,
    add_elasticity_options,
    add_no_save_option,
    add_out_option,
    add_world_option,
    console,
    pair_of,
)
from detente.errors import DetenteError


def register(sub) -> None:
    """Add ``validate``, ``schema``, ``replay`` and ``tariffs`` to the main parser's subparsers."""
    v = sub.add_parser("validate", help="check a scenario file (schema, labels, every date of every variant)")
    v.add_argument("file", help="scenario file (YAML) or a shipped scenario name, e.g. us-china-2025")
    add_world_option(v, scenario=True, what="to check labels against")
    v.set_defaults(func=cmd_validate)
    sc = sub.add_parser("schema", help="print the JSON schema of scenario files (for editors)")
    sc.set_defaults(func=cmd_schema)
    rp = sub.add_parser("replay", help="replay a dated scenario through the equilibrium model")
    rp.add_argument("file", help="scenario file (YAML) or a shipped scenario name, e.g. us-china-2025")
    rp.add_argument("--variant", help="named variant, or several joined with '+', e.g. no-geneva")
    add_world_option(rp, scenario=True)
    rp.add_argument("--pair", help="bilateral pair 'A,B' to summarise (default USA,CHN)")
    add_out_option(rp, "the time series (xarray Dataset, NetCDF)")
    rp.add_argument("--quiet", action="store_true", help="no progress bar")
    add_no_save_option(rp)
    add_elasticity_options(rp, scenario=True)
    add_closure_option(rp, scenario=True)
    _add_band_options(rp)
    rp.set_defaults(func=cmd_replay)

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
    add_world_option(p, scenario=True, what="supplying the weights")
    p.add_argument("--early", default="us-china-2018-2020", help="scenario with the pre-war baseline")
    p.add_argument("--late", default="us-china-2025", help="scenario with the later layers")
    p.set_defaults(func=cmd_tariffs)


def cmd_validate(args: argparse.Namespace) -> int:
    from detente.policy._commands import validate_file

    console().print(validate_file(args.file, world=args.world))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from detente.policy._commands import print_schema

    sys.stdout.write(print_schema() + "\n")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    """Replay a scenario, print it, write it (``--out``) and save it; with ``--bands N``, also
    its bands from N elasticity draws (printed, and written with ``--bands-out``)."""
    from detente.policy._commands import print_replay, replay_file

    world = args.world
    if args.bands:
        from detente.policy._bands import MAX_DRAWS
        from detente.policy._schema import load_scenario
        from detente.world import load_world

        if not 2 <= args.bands <= MAX_DRAWS:
            raise DetenteError(f"--bands {args.bands}: give a number of draws between 2 and {MAX_DRAWS}")
        if not 0 < args.level < 1:
            raise DetenteError(f"--level {args.level}: give a coverage between 0 and 1, e.g. 0.9 for 5-95%")
    for opt in ("out", "bands_out") if args.bands else ("out",):
        if getattr(args, opt, None):
            check_output_path(getattr(args, opt), "--" + opt.replace("_", "-"))
    if args.bands:
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
    pair = pair_of(args.pair, rp.world)
    con = console()
    print_replay(con, rp, pair=pair)
    bands = None
    if args.bands:
        from detente.policy._bands import replay_bands

        bands = _bands_with_progress(replay_bands, sc, world, rp, args)
        print_replay_bands(con, bands, [c for c in pair if c in rp.world.countries])
    elif any(
        e.kind == "export_control" and e.export_control is not None and e.export_control.product
        for e in rp.scenario.events
    ):
        from detente.cli.shortage import print_shortage, summary
        from detente.shortage import simulate_scenario

        res = simulate_scenario(rp.scenario, rp.world)
        con.print(
            "Critical-input shortages, week by week (the static equilibrium above cannot show stock-outs)",
            style="bold",
            markup=False,
        )
        print_shortage(summary(res, list(rp.world.sectors)), res)
    if args.out:  # first: the computed replay is kept whatever happens to the store
        con.print(f"time series written to {write_netcdf(rp.dataset, args.out)}", markup=False)
    if bands is not None and args.bands_out:
        con.print(f"bands written to {write_bands(bands, args.bands_out)}", markup=False)
    if not args.no_save:
        from detente.store import RunStore, record_from_replay

        run_id = RunStore().save(record_from_replay(rp))
        hint = (
            f"`detente report {run_id} --bands {args.bands}` draws the bands"
            if bands is not None
            else f"`detente report {run_id}`, `detente runs show {run_id}`"
        )
        con.print(f"saved as run {run_id} ({hint})", markup=False)
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
    with Progress("elasticity draws", total=args.bands, every=max(1, args.bands // 10)) as bar:
        return fn(scenario, world, **opts, progress=lambda done, total: bar.update(done, total))


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


def write_bands(bands, path: str) -> Path:
    """Write the bands to ``path`` atomically: JSON (``.json``) or NetCDF (anything else)."""
    if str(path).endswith(".json"):
        return write_json(path, bands.to_dict())
    return write_netcdf(bands.dataset, path)


def _cmd_scenario_tariffs(args: argparse.Namespace) -> int:
    from rich.table import Table

    from detente.policy._series import average_tariffs
    from detente.world import load_world

    world = load_world(args.world) if args.world else None
    frame = average_tariffs(
        args.scenario, world, importer=args.importer, by_partner=args.by_partner, variant=args.variant
    )
    if args.csv:
        write_csv(frame, args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    con = console()
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
    con.print(t)
    if args.csv:
        con.print(f"series written to {args.csv}")
    return 0


def cmd_tariffs(args: argparse.Namespace) -> int:
    if args.csv:
        check_output_path(args.csv, "--csv")
    if args.scenario:
        return _cmd_scenario_tariffs(args)
    if args.by_partner or args.importer != "USA" or args.variant:
        raise DetenteError(
            "--importer, --by-partner and --variant need a SCENARIO (e.g. detente tariffs world-2025 "
            "--importer USA --by-partner)"
        )
    from rich.markup import escape
    from rich.table import Table

    from detente.policy._series import tariff_series
    from detente.world import load_world

    world = load_world(args.world) if args.world else None
    frame = tariff_series(world, early=args.early, late=args.late, freq=args.freq)
    if args.csv:
        write_csv(frame, args.csv, index=False, date_format="%Y-%m-%d", float_format="%.4f")
    con = console()
    from detente.policy._series import pair_columns

    a, b = str(frame.attrs.get("pair", ",".join(DEFAULT_PAIR))).split(",")
    col_ab, col_ba = pair_columns((a, b))
    t = Table(
        title=f"Average tariffs, {a} and {b} (goods; fixed baseline import weights by sector)",
        caption=f"world {frame.attrs['world']}; {frame.attrs['early']} chained with "
        f"{frame.attrs['late']} (docs/scenarios.md)",
    )
    t.add_column("from", no_wrap=True)
    t.add_column(f"{a} on {b} %", justify="right")
    t.add_column(f"{b} on {a} %", justify="right")
    t.add_column("changes", overflow="fold")
    for r in frame.to_dict(orient="records"):
        t.add_row(
            r["date"].date().isoformat(),
            f"{r[col_ab]:.1f}",
            f"{r[col_ba]:.1f}",
            escape(r["events"][:90] + ("..." if len(r["events"]) > 90 else "")),
        )
    con.print(t)
    if args.csv:
        con.print(f"series written to {args.csv}")
    return 0
