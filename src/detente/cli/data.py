"""Worlds and data: ``detente worlds``, ``world``, ``elasticities`` and ``data build``."""

from __future__ import annotations

import argparse
from pathlib import Path

from detente._files import check_output_path
from detente.cli._options import add_world_option, console


def register(sub) -> None:
    """Add ``elasticities``, ``worlds``, ``world`` and ``data`` to the main parser's subparsers."""
    el = sub.add_parser("elasticities", help="list the trade-elasticity sets, or show one by sector and horizon")
    el.add_argument("set", nargs="?", help="a set to show by sector (default: list all sets)")
    el.add_argument("--horizon", default="1y", help="horizon: 1y, 3y, long or years (default: %(default)s)")
    add_world_option(el, what="whose sectors to show")
    el.set_defaults(func=cmd_elasticities)
    ws = sub.add_parser("worlds", help="list the worlds detente knows")
    ws.set_defaults(func=cmd_worlds)
    wo = sub.add_parser("world", help="summarise a world (size, vintage, GDP, trade, tariffs)")
    wo.add_argument("world", nargs="?", default="default")
    wo.set_defaults(func=cmd_world_show)

    d = sub.add_parser("data", help="build data sets")
    dsub = d.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    b = dsub.add_parser(
        "build", help="build the full OECD ICIO 2022 world (downloads sanction-simulator 0.1.4 from PyPI)"
    )
    b.add_argument("--out", help="data directory (default $DETENTE_DATA_DIR or ~/.local/share/detente)")
    b.add_argument("--compact", action="store_true", help="also rewrite the compact world shipped in the package")
    b.set_defaults(func=cmd_data_build)


def cmd_elasticities(args: argparse.Namespace) -> int:
    from detente.report.terminal import print_elasticities

    print_elasticities(console(), args.set, args.horizon, world=args.world)
    return 0


def cmd_worlds(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from detente.world import available_worlds

    t = Table(title="worlds (`--world NAME` or a path to a world file)")
    t.add_column("name")
    t.add_column("what")
    for k, v in available_worlds().items():
        t.add_row(escape(str(k)), escape(str(v)))
    console().print(t)
    return 0


def cmd_world_show(args: argparse.Namespace) -> int:
    from detente.report.terminal import print_world
    from detente.world import load_world

    print_world(console(), load_world(args.world))
    return 0


def cmd_data_build(args: argparse.Namespace) -> int:
    from detente.world._build import build_default_worlds
    from detente.world._registry import data_dir, packaged_world_path

    if args.out:
        check_output_path(args.out, "--out", folder=True)
    out = Path(args.out) if args.out else data_dir()
    compact = packaged_world_path() if args.compact else None
    paths = build_default_worlds(out, compact_path=compact)
    for name, path in paths.items():
        console().print(f"{name}: {path}", markup=False)
    return 0
