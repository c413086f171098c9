"""``detente whatif``: one tariff (or trade-cost, or critical-input) what-if, solved and printed."""

from __future__ import annotations

import argparse

from detente._files import check_output_path
from detente.cli._options import (
    Progress,
    add_closure_option,
    add_countries_option,
    add_csv_world_options,
    add_elasticity_options,
    add_json_option,
    add_no_save_option,
    add_out_option,
    add_world_option,
    console,
    csv_options,
    default_pair,
    emit,
    main_countries,
    parse_countries,
    parse_pair,
)
from detente.errors import DetenteError


def register(sub) -> argparse.ArgumentParser:
    """Add ``whatif`` to the main parser's subparsers."""
    w = sub.add_parser(
        "whatif",
        help="solve a tariff what-if on a world and print the changes",
        description="Solve the general equilibrium under tariff changes. Tariff changes: "
        "IMPORTER<-EXPORTER:SECTORS:+PP adds PP percentage points, -PP removes them, =PP "
        "sets the tariff to PP percent. Countries and sectors: labels, comma lists, 'all'; "
        "sectors also 'goods' or 'services'. Example: --tariff 'USA<-CHN:goods:+125'.",
    )
    add_world_option(w)
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
    add_countries_option(w)
    w.add_argument("--pair", help="bilateral pair 'A,B' for the trade-by-sector table (default USA,CHN)")
    add_json_option(w)
    add_out_option(w)
    add_no_save_option(w)
    add_elasticity_options(w)
    add_closure_option(w)
    add_csv_world_options(w)
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
    w.set_defaults(func=cmd_whatif)
    return w


def cmd_whatif(args: argparse.Namespace) -> int:
    from detente.equilibrium import Counterfactual, solve
    from detente.presets import get_preset
    from detente.report.terminal import print_whatif
    from detente.report.whatif import whatif_record
    from detente.world import load_world

    if args.out:
        check_output_path(args.out, "--out")
    selected = parse_countries(args.countries)
    world = load_world(args.world, elasticities=args.elasticities, horizon=args.horizon, **csv_options(args))
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
    from detente.instruments import parse_all

    instruments = [
        *parse_all(specs, "tariff"),
        *parse_all(args.iceberg or [], "iceberg"),
        *parse_all(args.cut or [], "cut", horizon=args.horizon),
    ]
    cf = cf.apply(*instruments)
    cf = cf.with_label(title)
    eq = solve(world, cf)
    countries = main_countries(world, selected)
    record = whatif_record(eq, countries=countries, pair=parse_pair(args.pair, world=world) or default_pair(countries))
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
        pair = parse_pair(args.pair, world=world) or default_pair(countries)
        if pair:
            heads += [f"trade {pair[1]}->{pair[0]} goods", f"trade {pair[0]}->{pair[1]} goods"]
        sens = elasticity_sensitivities(eq, heads)
        record["sensitivity"] = sensitivity_record(sens)
    if args.bands:
        record["bands"] = whatif_bands(world, cf, countries, args)
    if not args.json:
        print_whatif(console(), eq, record)
        if args.bands:
            from detente.report.terminal import print_bands

            print_bands(console(), record["bands"])
        if sens is not None:
            from detente.report.terminal import print_sensitivity

            print_sensitivity(console(), sens)

    def save() -> str:
        from detente.store import RunStore, record_from_equilibrium

        return RunStore().save(record_from_equilibrium(eq, title))

    emit(args, record, save=save)
    return 0


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
    with Progress("elasticity draws", total=args.bands, every=max(1, args.bands // 10)) as bar:
        for k in range(args.bands):
            rng = np.random.default_rng(np.random.SeedSequence([args.seed, k]))
            wk = world.replace(theta=draw_theta(np.array(mean), np.array(sd), rng))
            bar.update(k + 1, args.bands)
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
