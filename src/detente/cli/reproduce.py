"""``detente reproduce``: a published or observed number next to the model's."""

from __future__ import annotations

import argparse
import json
import sys

from detente._files import check_output_path, write_json
from detente.cli._options import add_elasticity_options, add_json_option, add_out_option, console
from detente.errors import DetenteError

#: the studies of detente.validation (the parser is built without importing them; a test
#: checks the two lists agree)
STUDIES = (
    "cp2015",
    "acr",
    "gegravity",
    "war-2018",
    "trade-2025",
    "tariffs-2025",
    "diversion-2025",
    "magnets-2025",
    "magnet-ban",
)
#: studies that read no trade elasticities (a static solve, a closed form or the weekly model)
NO_ELASTICITIES = ("cp2015", "acr", "gegravity", "tariffs-2025", "magnets-2025", "magnet-ban")


def register(sub) -> None:
    """Add ``reproduce`` to the main parser's subparsers."""
    r = sub.add_parser("reproduce", help="reproduce a published or observed number (`detente reproduce list`)")
    r.add_argument("study", choices=["list", *STUDIES], help="the comparison to run, or 'list'")
    r.add_argument("--data", help="folder of the CP 2015 data (default ../shared/data/cp2015 or $DETENTE_CP2015_DIR)")
    r.add_argument("--variant", help="scenario variant(s) joined with '+' (magnets-2025 only)")
    add_json_option(r, "the comparison")
    add_out_option(r, "the JSON comparison")
    add_elasticity_options(r, scenario=True)
    r.set_defaults(func=cmd_reproduce)


def cmd_reproduce(args: argparse.Namespace) -> int:
    from detente.validation import list_studies, reproduce

    if args.study == "list":
        for name, summary in list_studies().items():
            sys.stdout.write(f"{name:12s} {summary}\n")
        return 0
    if args.out:
        check_output_path(args.out, "--out")
    if args.study == "cp2015" and not (args.json or args.out):
        from detente.report.reproduce import cp2015_table, print_cp2015

        table, meta = cp2015_table(args.data)
        print_cp2015(console(), table, meta)
        return 0
    options = {}
    if args.study == "cp2015":
        options["data"] = args.data
    if args.variant is not None:
        if args.study != "magnets-2025":
            raise DetenteError(f"--variant does not apply to study {args.study!r}")
        options["variant"] = args.variant
    for key in ("elasticities", "horizon", "adjustment"):
        value = getattr(args, key, None)
        if value is not None:
            if args.study in NO_ELASTICITIES or (key == "adjustment" and args.study != "trade-2025"):
                raise DetenteError(f"--{key} does not apply to study {args.study!r}")
            options[key] = value
    comparison = reproduce(args.study, **options)
    record = comparison.to_dict()
    if args.out:
        write_json(args.out, record)
    if args.json:
        sys.stdout.write(json.dumps(record, indent=2) + "\n")
    else:
        from detente.report.terminal import print_comparison

        print_comparison(console(), comparison)
        if args.out:
            console().print(f"results written to {args.out}", markup=False)
    return 0
