"""``detente report RUN [RUN ...]``: an HTML report and PNG figures of replays.

A RUN is a results-store run id (or ``latest``), a NetCDF file written by
``detente replay --out``, or ``scenario:NAME[:VARIANT]`` to replay on the fly. The first
RUN is the main one; more than one adds the comparison of variants.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from detente._defaults import DEFAULT_PAIR
from detente._files import check_output_path
from detente.cli._options import add_closure_option, add_elasticity_options, add_world_option, console, parse_pair
from detente.errors import DetenteError
from detente.report._runs import history, partner_history, resolve_run, run_text, shortage_sections


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "report"


def _strategy_section(args, ds, pair: tuple[str, str]) -> str | None:
    """The strategy section's HTML with ``--strategy`` (else None): on the run's world,
    with the ``--elasticities`` set at ``--horizon`` (default: the long run)."""
    if not getattr(args, "strategy", False):
        return None
    from detente.report.strategy import strategy_results, strategy_section
    from detente.world import load_world

    name = args.world or str(ds.attrs.get("world", "") or "default")
    try:
        world = load_world(name, elasticities=args.elasticities, horizon=args.horizon or "long")
    except (DetenteError, OSError, KeyError):
        world = load_world("default", elasticities=args.elasticities, horizon=args.horizon or "long")
    say = None if args.quiet else (lambda text: print(f"strategy: {text}", file=sys.stderr))
    return strategy_section(strategy_results(world, pair, objective=args.strategy_objective, progress=say))


def cmd_report(args: argparse.Namespace) -> int:
    """Resolve the runs, write the report, print the summary."""
    from detente.report.terminal_replay import print_runs_summary

    ab = parse_pair(args.pair)
    assert ab is not None  # --pair has a default
    parts = list(ab)
    if args.out:
        check_output_path(args.out, "--out", folder=True)
    from detente.report.html import unique_label, write_report

    runs: dict[str, Any] = {}
    for text in args.runs:
        options = {
            k: getattr(args, k)
            for k in ("elasticities", "horizon", "adjustment", "closure")
            if getattr(args, k, None) is not None
        }
        label, ds = resolve_run(text, world=args.world, progress=not args.quiet, options=options)
        runs[unique_label(label, runs)] = ds
    main = next(iter(runs.values()))
    out = Path(args.out) if args.out else Path("results") / f"report-{_slug(str(main.attrs.get('scenario', 'replay')))}"
    if not args.out:
        check_output_path(out, "the report folder", folder=True)
    horizons = None
    first = run_text(args.runs[0])
    if first.startswith("scenario:"):
        from detente.report.horizons import horizon_table

        name, _, variant = first.partition(":")[2].partition(":")
        world = None
        if args.world:
            from detente.world import load_world

            world = load_world(args.world)
        horizons = horizon_table(
            name, variant or None, world=world, pair=tuple(parts), elasticities=args.elasticities, closure=args.closure
        )
    index = write_report(
        runs,
        out,
        title=args.title,
        pair=tuple(parts),
        png=not args.no_png,
        history=history(main, ab),
        extra_sections=shortage_sections(main),
        horizons=horizons,
        at=args.at,
        extra_charts=partner_history(main, parts[0]),
        bands=_bands(args, main),
        strategy=_strategy_section(args, main, ab),
    )
    con = console()
    if args.quiet:
        con.print(f"report written to {index}", markup=False)
    else:
        print_runs_summary(con, runs, ab, index)
    return 0


def _bands(args: argparse.Namespace, main):
    """``--bands N``: bands of the main run's scenario (detente.policy._bands), or None."""
    if not getattr(args, "bands", 0):
        return None
    from detente.policy._bands import replay_bands
    from detente.policy._schema import load_scenario
    from detente.world import load_world

    name = main.attrs.get("scenario_file") or main.attrs.get("scenario")
    if not name:
        raise DetenteError("--bands needs a run of a scenario (its dataset names no scenario)")
    try:
        sc = load_scenario(name)
    except DetenteError:
        sc = load_scenario(main.attrs["scenario"])
    world = load_world(args.world) if args.world else None
    opts = {k: getattr(args, k) for k in ("elasticities", "horizon", "adjustment", "closure")}
    return replay_bands(
        sc,
        world,
        n_draws=args.bands,
        seed=args.seed,
        level=args.level,
        variant=main.attrs.get("variant") or None,
        **opts,
    ).dataset


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def register(sub) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the main parser's subparsers; returns its parser."""
    p = sub.add_parser(
        "report",
        help="write an HTML report (offline) and PNG charts of one or more replays",
        description="Write a self-contained HTML report (interactive charts, works offline) and PNG "
        "figures: tariff paths, layers, welfare and real wages, trade of the pair by sector, prices; for "
        "a scenario on many partners (world-2025) the first country's tariffs by partner, retaliation, "
        "welfare of every country and trade diversion; and a comparison when several runs are given. RUN is a results-store run id (or 'latest'), a "
        "NetCDF file from `detente replay --out`, or scenario:NAME[:VARIANT] to replay now. "
        "Example: detente report scenario:us-china-2025 scenario:us-china-2025:no-geneva",
    )
    p.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run id, NetCDF file or scenario:NAME[:VARIANT]; the first is the main run",
    )
    p.add_argument("--out", help="folder to write index.html and the PNGs into (default results/report-SCENARIO)")
    p.add_argument("--title", help="report title (default: the scenario and the pair)")
    p.add_argument(
        "--pair", default=",".join(DEFAULT_PAIR), help="the two countries 'A,B' at the centre (default %(default)s)"
    )
    add_world_option(p, scenario=True, what="for scenario: runs")
    add_elasticity_options(p, scenario=True)
    add_closure_option(p, scenario=True)
    p.add_argument(
        "--at",
        type=_date,
        help="date YYYY-MM-DD of the bar charts of welfare and trade diversion "
        "(default: the first country's highest average tariff); they also show the period mean",
    )
    p.add_argument(
        "--bands",
        type=int,
        metavar="N",
        default=0,
        help="also draw the main run's uncertainty bands from N draws of the trade elasticities",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the elasticity draws (default: %(default)s)")
    p.add_argument("--level", type=float, default=0.9, help="coverage of the bands (default: %(default)s)")
    p.add_argument("--no-png", action="store_true", help="HTML only, no PNG figures")
    p.add_argument(
        "--strategy",
        action="store_true",
        help="add the strategy section: leverage, uniform Nash tariffs, package bargaining and the "
        "truce game of the pair, at the long run unless --horizon is given (about a minute)",
    )
    p.add_argument(
        "--strategy-objective",
        choices=["real-income", "revealed"],
        default="real-income",
        help="objective of the strategy section (default: %(default)s)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary tables")
    p.set_defaults(func=cmd_report)
    return p
