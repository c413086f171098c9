"""The ``detente`` command.

User errors (bad input, unknown labels, missing data) print one readable line and exit
with status 2; no stack trace. ``detente --help`` lists the commands.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from detente._files import check_output_path, write_json, write_netcdf
from detente.errors import DetenteError


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=max(100, min(140, Console().width)))


# ---------------------------------------------------------------------------- whatif
def _cmd_whatif(args: argparse.Namespace) -> int:
    from detente.equilibrium import Counterfactual, parse_iceberg, parse_tariff, solve
    from detente.presets import get_preset
    from detente.report.terminal import print_whatif
    from detente.report.whatif import whatif_record
    from detente.world import load_world

    if args.out:
        check_output_path(args.out, "--out")
    selected = parse_countries(args.countries)
    world = load_world(args.world, elasticities=args.elasticities, horizon=args.horizon, **_csv_options(args))
    cf = Counterfactual.from_world(
        world, deficits=None if args.closure == "balanced" else args.deficits, closure=args.closure
    )
    specs: list[str] = []
    title = "custom what-if"
    if args.preset:
        p = get_preset(args.preset)
        specs.extend(p.tariffs)
        title = f"{p.title} [{p.date}]"
    specs.extend(args.tariff or [])
    if (
        not specs
        and not args.iceberg
        and not args.cut
        and args.deficits == "baseline"
        and args.closure == "fixed-deficits"
    ):
        raise DetenteError("nothing to do: give --tariff, --iceberg, --cut, --preset, --deficits zero or a --closure")
    for text in specs:
        imp, exp, sec, rate, op = parse_tariff(text)
        cf = cf.tariff(imp, exp, sec, rate, op=op)
    for text in args.iceberg or []:
        imp, exp, sec, factor = parse_iceberg(text)
        cf = cf.iceberg_cost(imp, exp, sec, factor)
    for text in args.cut or []:
        from detente.equilibrium import parse_cut

        product, exp, imp, refused = parse_cut(text)
        cf = cf.critical_input_cut(product, exp, imp, refused, horizon=args.horizon)
    cf = cf.with_label(title)
    eq = solve(world, cf)
    countries = _main_countries(world, selected)
    record = whatif_record(eq, countries=countries, pair=_pair(args.pair, countries, world))
    from detente.equilibrium import share_warning

    moved = share_warning(eq)
    if moved:
        record["warnings"] = [moved]
        import warnings

        warnings.warn(moved, UserWarning, stacklevel=1)
    sens = None
    if args.sensitivity:
        from detente.equilibrium import elasticity_sensitivities

        heads = [f"welfare {c}" for c in countries]
        pair = _pair(args.pair, countries, world)
        if pair:
            heads += [f"trade {pair[1]}->{pair[0]} goods", f"trade {pair[0]}->{pair[1]} goods"]
        sens = elasticity_sensitivities(eq, heads)
        record["sensitivity"] = sensitivity_record(sens)
    if args.bands:
        record["bands"] = whatif_bands(world, cf, countries, args)
    if args.json:
        sys.stdout.write(json.dumps(record, indent=2) + "\n")
    else:
        print_whatif(_console(), eq, record)
        if args.bands:
            from detente.report.terminal import print_bands

            print_bands(_console(), record["bands"])
        if sens is not None:
            from detente.report.terminal import print_sensitivity

            print_sensitivity(_console(), sens)
    if args.out:
        out = write_json(args.out, record)
        if not args.json:
            _console().print(f"results written to {out}", markup=False)
    if not args.no_save:
        from detente.store import RunStore, record_from_equilibrium

        run_id = RunStore().save(record_from_equilibrium(eq, title))
        if not args.json:
            _console().print(f"saved as run {run_id} (detente runs show {run_id})", style="dim", markup=False)
    return 0


def add_elasticity_options(
    parser: argparse.ArgumentParser, *, default_horizon: str = "1y", scenario: bool = False
) -> None:
    """``--elasticities`` and ``--horizon``: one definition for every command that solves."""
    from detente._defaults import DEFAULT_SET

    if scenario:
        parser.add_argument(
            "--elasticities",
            metavar="SET",
            default=None,
            help="trade-elasticity set (`detente elasticities` lists them; "
            "'world' keeps the world file's); default: the scenario's, else "
            f"{DEFAULT_SET}",
        )
        parser.add_argument(
            "--horizon",
            default=None,
            help=f"horizon of the elasticities: 1y, 3y, long or years; default: the scenario's, else {default_horizon}",
        )
        parser.add_argument(
            "--adjustment",
            choices=["fixed", "path"],
            default=None,
            help="'path': each date at the time elapsed since the policy changes "
            "in force; default: the scenario's, else fixed",
        )
        return
    parser.add_argument(
        "--elasticities",
        metavar="SET",
        default=None,
        help="trade-elasticity set (`detente elasticities` lists them; 'world' keeps "
        f"the world file's) (default: {DEFAULT_SET} where the registry maps the "
        "world's sectors, else the world file's)",
    )
    parser.add_argument(
        "--horizon",
        default=default_horizon,
        help="horizon of the elasticities: 1y, 3y, long or a number of years (default: %(default)s)",
    )


def _csv_options(args: argparse.Namespace) -> dict:
    """``read_csv_world`` options from ``--theta``, ``--csv-column`` and ``--csv-extra``."""
    opts: dict = {}
    if args.theta is not None:
        opts["theta"] = args.theta
    if args.csv_column:
        cols = {}
        for item in args.csv_column:
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise DetenteError(f"--csv-column {item!r}: expected NAME=COLUMN, e.g. value=trade")
            cols[name.strip()] = column.strip()
        opts["columns"] = cols
    if args.csv_extra:
        opts["extra_columns"] = args.csv_extra
    return opts


def add_closure_option(parser: argparse.ArgumentParser, *, scenario: bool = False) -> None:
    """``--closure``: how trade deficits adjust (docs/model.md, section 4), defined once."""
    from detente._defaults import CLOSURES

    parser.add_argument(
        "--closure",
        choices=list(CLOSURES),
        default=None if scenario else "fixed-deficits",
        help="deficits fixed in levels, expenditure/output ratios fixed, or balanced trade "
        "(deficits purged first, Dekle-Eaton-Kortum); default: "
        + ("the scenario's, else fixed-deficits" if scenario else "%(default)s"),
    )


def whatif_bands(world, cf, countries: list[str], args: argparse.Namespace) -> dict:
    """Welfare bands from ``args.bands`` draws of the elasticities (registry standard errors).

    Each draw is log-normal per sector around the chosen set at the chosen horizon (s.d.:
    the set's published standard errors, else 25% of theta; detente.sweep); every draw is
    solved, and draws that do not converge are counted, never used.
    """
    import dataclasses

    import numpy as np

    from detente.equilibrium import solve
    from detente.sweep._bands import quantiles
    from detente.sweep._tasks import draw_theta, theta_mean_sd
    from detente.world._theta import DEFAULT_SET

    if args.bands < 2 or args.bands > 10_000:
        raise DetenteError(f"--bands {args.bands}: give a number of draws between 2 and 10000")
    name = args.elasticities or DEFAULT_SET
    mean, sd, published = theta_mean_sd(args.world, name, args.horizon, 0.25)
    rows, failed = [], 0
    for k in range(args.bands):
        rng = np.random.default_rng(np.random.SeedSequence([args.seed, k]))
        wk = world.replace(theta=draw_theta(np.array(mean), np.array(sd), rng))
        try:
            eq = solve(wk, dataclasses.replace(cf, world=wk))
        except DetenteError:
            failed += 1
            continue
        rows.append(100 * (eq.welfare_hat - 1))
    if not rows:
        raise DetenteError(f"none of the {args.bands} elasticity draws gave a converged equilibrium")
    vals = np.array(rows)
    out = []
    for c in countries:
        lo, med, hi = quantiles(vals[:, world.country_index(c)], args.coverage)
        out.append({"country": c, "lower": lo, "median": med, "upper": hi})
    return {
        "headline": "welfare_pct",
        "coverage": args.coverage,
        "n_draws": args.bands,
        "n_failed": failed,
        "seed": args.seed,
        "elasticities": f"{name} at {args.horizon}; s.d. published for "
        f"{sum(published)} of {len(published)} sectors, else 25% of theta",
        "rows": out,
    }


def sensitivity_record(sens) -> dict:
    """JSON-ready elasticity sensitivities: units, the table and the drivers."""
    frame = sens.to_frame()
    drivers = sens.drivers()
    return {
        "units": "pp of the headline (a % change) per unit of ln theta_j: +10% in theta_j moves "
        "it by about 0.095 x this",
        "sectors": list(frame.columns),
        "theta": [float(t) for t in sens.theta],
        "rows": [{"headline": h, **{s: float(v) for s, v in row.items()}} for h, row in frame.to_dict("index").items()],
        "drivers": drivers.reset_index(drop=True).to_dict(orient="records"),
    }


def parse_countries(text: str | None, option: str = "--countries") -> list[str] | None:
    """The labels of a comma-separated ``--countries`` (None when the option is absent).

    An empty selection (``--countries ,``) and a repeated country raise
    :class:`~detente.errors.DetenteError` naming the option and the duplicate.
    """
    if text is None:
        return None
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise DetenteError(f"{option} {text!r} names no country: give labels separated by commas, e.g. USA,CHN")
    seen: set[str] = set()
    dups: list[str] = []
    for c in names:
        if c in seen:
            dups.append(c)
        seen.add(c)
    if dups:
        raise DetenteError(
            f"{option}: {', '.join(dict.fromkeys(dups))} given more than once in {text!r}; name each country once"
        )
    return names


def _main_countries(world, names: list[str] | str | None) -> list[str]:
    if isinstance(names, str):
        names = parse_countries(names)
    if names is not None:
        # the world's own labels (``usa`` is USA); unknown ones raise with suggestions
        canon = [world.countries[world.country_index(c)] for c in names]
        dups = [c for i, c in enumerate(canon) if c in canon[:i]]
        if dups:
            raise DetenteError(
                f"--countries: {', '.join(dict.fromkeys(dups))} given more than once; name each country once"
            )
        return canon
    from detente.report.whatif import main_countries

    return main_countries(world.countries)


def _pair(text: str | None, countries: list[str], world=None) -> tuple[str, str] | None:
    if text:
        parts = text.split(",")
        if len(parts) != 2:
            raise DetenteError(f"--pair must be two countries 'A,B', got {text!r}")
        a, b = parts[0].strip(), parts[1].strip()
        if world is not None:  # the world's own labels (``usa,chn`` is USA,CHN)
            a, b = (world.countries[world.country_index(x)] for x in (a, b))
        return a, b
    return ("USA", "CHN") if {"USA", "CHN"} <= set(countries) else None


# ---------------------------------------------------------------------------- reproduce
def _cmd_reproduce(args: argparse.Namespace) -> int:
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
        print_cp2015(_console(), table, meta)
        return 0
    options = {}
    if args.study == "cp2015":
        options["data"] = args.data
    for key in ("elasticities", "horizon", "adjustment"):
        value = getattr(args, key, None)
        if value is not None:
            if args.study in ("cp2015", "acr", "gegravity", "tariffs-2025") or (
                key == "adjustment" and args.study != "trade-2025"
            ):
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

        print_comparison(_console(), comparison)
        if args.out:
            _console().print(f"results written to {args.out}", markup=False)
    return 0


def _cmd_elasticities(args: argparse.Namespace) -> int:
    from detente.report.terminal import print_elasticities

    print_elasticities(_console(), args.set, args.horizon, world=args.world)
    return 0


# ---------------------------------------------------------------------------- scenarios
def _cmd_validate(args: argparse.Namespace) -> int:
    from detente.policy._commands import validate_file

    _console().print(validate_file(args.file, world=args.world))
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from detente.policy._commands import print_schema

    sys.stdout.write(print_schema() + "\n")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from detente.policy._commands import print_replay, replay_file

    if args.out:
        check_output_path(args.out, "--out")
    rp = replay_file(
        args.file,
        variant=args.variant,
        world=args.world,
        progress=not args.quiet,
        elasticities=args.elasticities,
        horizon=args.horizon,
        adjustment=args.adjustment,
        closure=args.closure,
    )
    print_replay(_console(), rp, pair=_pair(args.pair, ["USA", "CHN"]) or ("USA", "CHN"))
    if any(
        e.kind == "export_control" and e.export_control is not None and e.export_control.product
        for e in rp.scenario.events
    ):
        from detente.shortage import simulate_scenario
        from detente.shortage._cli import _print, summary

        res = simulate_scenario(rp.scenario, rp.world)
        _console().print(
            "Critical-input shortages, week by week (the static equilibrium above cannot show stock-outs)",
            style="bold",
            markup=False,
        )
        _print(summary(res, list(rp.world.sectors)), res)
    if args.out:  # first: the computed replay is kept whatever happens to the store
        _console().print(f"time series written to {write_netcdf(rp.dataset, args.out)}", markup=False)
    if not args.no_save:
        from detente.store import RunStore, record_from_replay

        run_id = RunStore().save(record_from_replay(rp))
        _console().print(
            f"saved as run {run_id} (`detente report {run_id}`, `detente runs show {run_id}`)", markup=False
        )
    return 0


# ---------------------------------------------------------------------------- worlds & data
def _cmd_worlds(args: argparse.Namespace) -> int:
    from rich.markup import escape
    from rich.table import Table

    from detente.world import available_worlds

    t = Table(title="worlds (`--world NAME` or a path to a world file)")
    t.add_column("name")
    t.add_column("what")
    for k, v in available_worlds().items():
        t.add_row(escape(str(k)), escape(str(v)))
    _console().print(t)
    return 0


def _cmd_world_show(args: argparse.Namespace) -> int:
    from detente.report.terminal import print_world
    from detente.world import load_world

    print_world(_console(), load_world(args.world))
    return 0


def _cmd_data_build(args: argparse.Namespace) -> int:
    from detente.world._build import build_default_worlds
    from detente.world._registry import data_dir, packaged_world_path

    if args.out:
        check_output_path(args.out, "--out", folder=True)
    out = Path(args.out) if args.out else data_dir()
    compact = packaged_world_path() if args.compact else None
    paths = build_default_worlds(out, compact_path=compact)
    for name, path in paths.items():
        _console().print(f"{name}: {path}", markup=False)
    return 0


# ---------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    from detente import __version__

    p = argparse.ArgumentParser(prog="detente", description="Simulate trade wars and trade talks.")
    p.add_argument("--version", action="version", version=f"detente {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    w = sub.add_parser(
        "whatif",
        help="solve a tariff what-if on a world and print the changes",
        description="Solve the general equilibrium under tariff changes. Tariff changes: "
        "IMPORTER<-EXPORTER:SECTORS:+PP adds PP percentage points, -PP removes them, =PP "
        "sets the tariff to PP percent. Countries and sectors: labels, comma lists, 'all'; "
        "sectors also 'goods' or 'services'. Example: --tariff 'USA<-CHN:goods:+125'.",
    )
    w.add_argument("--world", default="default", help="world name or path (default: %(default)s)")
    w.add_argument("--tariff", action="append", metavar="SPEC", help="tariff change, repeatable")
    w.add_argument(
        "--iceberg",
        action="append",
        metavar="SPEC",
        help="iceberg trade-cost change IMPORTER<-EXPORTER:SECTORS:xFACTOR, repeatable",
    )
    w.add_argument(
        "--cut",
        action="append",
        metavar="SPEC",
        help="licences on a critical input, PRODUCT:EXPORTER->IMPORTER:REFUSED_PCT, e.g. "
        "'ndfeb-magnets:CHN->all:100' (a ban; products: `detente shortage --list`), "
        "read by the users' nested CES block at --horizon; repeatable",
    )
    w.add_argument("--preset", help="a named what-if (april-2025-peak, geneva-2025)")
    w.add_argument(
        "--deficits",
        choices=["baseline", "zero"],
        default="baseline",
        help="deficit closure: keep baseline deficits (default) or set them to zero",
    )
    w.add_argument("--countries", help="comma-separated countries to show")
    w.add_argument("--pair", help="bilateral pair 'A,B' for the trade-by-sector table (default USA,CHN)")
    w.add_argument("--json", action="store_true", help="print machine-readable JSON instead of tables")
    w.add_argument("--out", help="also write the JSON results to this file")
    w.add_argument("--no-save", action="store_true", help="do not save the run in the results store")
    add_elasticity_options(w)
    add_closure_option(w)
    w.add_argument("--theta", type=float, help="trade elasticity of a CSV world without a theta column")
    w.add_argument(
        "--csv-column",
        action="append",
        metavar="NAME=COLUMN",
        help="CSV world: read the layout's column NAME from COLUMN, e.g. value=trade (repeatable)",
    )
    w.add_argument("--csv-extra", choices=["error", "ignore"], help="CSV world: what to do with unknown columns")
    w.add_argument(
        "--bands",
        type=int,
        metavar="N",
        default=0,
        help="also give welfare bands from N draws of the trade elasticities (their standard errors)",
    )
    w.add_argument("--coverage", type=float, default=0.9, help="coverage of the bands (default: %(default)s)")
    w.add_argument("--seed", type=int, default=0, help="seed of the elasticity draws (default: %(default)s)")
    w.add_argument(
        "--sensitivity",
        action="store_true",
        help="also print the exact derivatives of the headlines with respect to each sector's "
        "trade elasticity, and the elasticities that drive them (needs JAX)",
    )
    w.set_defaults(func=_cmd_whatif)

    r = sub.add_parser("reproduce", help="reproduce a published or observed number (`detente reproduce list`)")
    r.add_argument(
        "study",
        choices=["list", "cp2015", "acr", "gegravity", "war-2018", "trade-2025", "tariffs-2025", "diversion-2025"],
        help="the comparison to run, or 'list'",
    )
    r.add_argument("--data", help="folder of the CP 2015 data (default ../shared/data/cp2015 or $DETENTE_CP2015_DIR)")
    r.add_argument("--json", action="store_true", help="print the comparison as JSON")
    r.add_argument("--out", help="write the JSON comparison to this file")
    add_elasticity_options(r, scenario=True)
    r.set_defaults(func=_cmd_reproduce)

    el = sub.add_parser("elasticities", help="list the trade-elasticity sets, or show one by sector and horizon")
    el.add_argument("set", nargs="?", help="a set to show by sector (default: list all sets)")
    el.add_argument("--horizon", default="1y", help="horizon: 1y, 3y, long or years (default: %(default)s)")
    el.add_argument("--world", default="default", help="world whose sectors to show (default: %(default)s)")
    el.set_defaults(func=_cmd_elasticities)

    v = sub.add_parser("validate", help="check a scenario file (schema, labels, every date of every variant)")
    v.add_argument("file", help="scenario file (YAML) or a shipped scenario name, e.g. us-china-2025")
    v.add_argument("--world", help="world to check labels against (default: the scenario's)")
    v.set_defaults(func=_cmd_validate)
    sc = sub.add_parser("schema", help="print the JSON schema of scenario files (for editors)")
    sc.set_defaults(func=_cmd_schema)
    rp = sub.add_parser("replay", help="replay a dated scenario through the equilibrium model")
    rp.add_argument("file", help="scenario file (YAML) or a shipped scenario name, e.g. us-china-2025")
    rp.add_argument("--variant", help="named variant, or several joined with '+', e.g. no-geneva")
    rp.add_argument("--world", help="world name or path (default: the scenario's)")
    rp.add_argument("--pair", help="bilateral pair 'A,B' to summarise (default USA,CHN)")
    rp.add_argument("--out", help="write the time series (xarray Dataset) to this NetCDF file")
    rp.add_argument("--quiet", action="store_true", help="no progress bar")
    rp.add_argument("--no-save", action="store_true", help="do not save the run in the results store")
    add_elasticity_options(rp, scenario=True)
    add_closure_option(rp, scenario=True)
    rp.set_defaults(func=_cmd_replay)

    from detente.policy._cli import register as _register_policy
    from detente.report._cli import register as _register_report
    from detente.shortage._cli import register as _register_shortage
    from detente.store._cli import register as _register_runs
    from detente.strategy._cli import register as _register_strategy
    from detente.sweep._cli import register as _register_sweep
    from detente.web._cli import register as _register_serve

    _register_policy(sub)
    _register_report(sub)
    _register_runs(sub)
    _register_shortage(sub)
    _register_serve(sub)
    _register_strategy(sub)
    _register_sweep(sub)

    ws = sub.add_parser("worlds", help="list the worlds detente knows")
    ws.set_defaults(func=_cmd_worlds)
    wo = sub.add_parser("world", help="summarise a world (size, vintage, GDP, trade, tariffs)")
    wo.add_argument("world", nargs="?", default="default")
    wo.set_defaults(func=_cmd_world_show)

    d = sub.add_parser("data", help="build data sets")
    dsub = d.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    b = dsub.add_parser(
        "build", help="build the full OECD ICIO 2022 world (downloads sanction-simulator 0.1.4 from PyPI)"
    )
    b.add_argument("--out", help="data directory (default $DETENTE_DATA_DIR or ~/.local/share/detente)")
    b.add_argument("--compact", action="store_true", help="also rewrite the compact world shipped in the package")
    b.set_defaults(func=_cmd_data_build)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            code = int(args.func(args) or 0)
        for w in caught:
            if issubclass(w.category, UserWarning):
                sys.stderr.write(f"detente: warning: {w.message}\n")
        return code
    except DetenteError as exc:
        sys.stderr.write(f"detente: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("detente: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
