"""``detente shortage``: weekly critical-input shortages from a scenario or a quick what-if.

Wire into the main parser with ``register(sub)`` (``sub`` = the argparse subparsers).
Examples::

    detente shortage --product ndfeb-magnets --exporter CHN --importers USA --weeks 8 --approval 0
    detente shortage --scenario rare-earth-magnets-2025 --sectors MOTOR
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from detente._files import check_output_path
from detente.cli._options import (
    add_countries_option,
    add_json_option,
    add_out_option,
    add_world_option,
    console,
    parse_countries,
    split_list,
)
from detente.shortage._rules import COHORT_SOURCING, PARTS_CHANNEL, settings_text


def register(sub) -> argparse.ArgumentParser:
    s = sub.add_parser(
        "shortage",
        help="simulate week-by-week shortages of a critical input under export licences",
        description="Weekly critical-input shortage model (docs/shortage.md). Either --scenario (a scenario "
        "file or shipped name whose export_control events name a product) or a quick what-if with "
        "--product, --exporter, --importers, --weeks and --approval.",
    )
    s.add_argument("--scenario", help="scenario file or shipped name, e.g. rare-earth-magnets-2025")
    s.add_argument("--variant", help="scenario variant(s), joined with '+'")
    s.add_argument("--product", help="critical input id from the registry, e.g. ndfeb-magnets")
    s.add_argument("--exporter", default="CHN", help="restricting exporter (default %(default)s)")
    s.add_argument("--importers", default="all", help="comma-separated importers or 'all' (default %(default)s)")
    s.add_argument("--weeks", type=int, default=8, help="weeks the restriction lasts (default %(default)s)")
    s.add_argument("--approval", type=float, default=0.0, help="share of orders licensed, 0-1 (default %(default)s)")
    s.add_argument("--review-days", type=int, default=0, help="days before the first approvals (per-shipment)")
    s.add_argument("--licence", choices=["per_shipment", "general", "ban"], default="per_shipment")
    s.add_argument("--start", default="2025-04-07", help="first week's Monday, ISO date (default %(default)s)")
    s.add_argument("--horizon", type=int, default=26, help="weeks simulated (default %(default)s)")
    add_world_option(s, scenario=True)
    s.add_argument("--registry", action="append", help="extra registry file(s) adding or overriding products")
    s.add_argument("--sectors", default="MOTOR,C29", help="sectors for the stock-out table (default %(default)s)")
    add_countries_option(s, default="all with a loss")
    s.add_argument("--cohorts", type=int, default=None, help="inventory cohorts per user (default 20)")
    s.add_argument("--cohort-spread", type=float, default=None, help="log-sd of cover across cohorts (default 0.25)")
    s.add_argument(
        "--cohort-sourcing",
        choices=COHORT_SOURCING,
        default="single",
        help="how cohorts source: single (default: one slot per cover quantile), independent (every "
        "cover quantile on every slot, the exact expectation; cohorts^2 kernel cohorts), single-low, "
        "single-high or mixed (docs/shortage.md section 2)",
    )
    s.add_argument(
        "--io-rule",
        choices=["registry", "threshold"],
        default="registry",
        help="downstream propagation along the registry's links (default) or every goods input "
        "above 1%% of cost (the old rule)",
    )
    s.add_argument(
        "--parts-channel",
        choices=PARTS_CHANNEL,
        default="io",
        help="magnets inside imported parts face the parts maker's licences (io, the default; "
        "docs/shortage.md section 2) or every user buys at its own country's sourcing (none)",
    )
    s.add_argument("--no-propagation", action="store_true", help="only direct users lose output")
    add_json_option(s, "a summary")
    add_out_option(s, "the weekly dataset (NetCDF)")
    s.set_defaults(func=run_shortage)
    return s


def _result(args):
    from detente.errors import DetenteError
    from detente.shortage._licensing import Restriction
    from detente.shortage._registry import load_registry
    from detente.shortage._simulate import ShortageSettings, simulate, simulate_scenario
    from detente.world import load_world

    reg = load_registry(args.registry)
    kw = {k: v for k, v in (("cohorts", args.cohorts), ("cohort_spread", args.cohort_spread)) if v is not None}
    settings = ShortageSettings(
        **kw,
        cohort_sourcing=args.cohort_sourcing,
        io_rule=args.io_rule,
        propagate=not args.no_propagation,
        parts_channel=args.parts_channel,
    )
    if args.scenario:
        return simulate_scenario(args.scenario, args.world, variant=args.variant, registry=reg, settings=settings)
    if not args.product:
        raise DetenteError("give --scenario or --product (with --exporter, --importers, --weeks, --approval)")
    try:
        start = dt.date.fromisoformat(args.start)
    except ValueError:
        raise DetenteError(f"--start must be an ISO date such as 2025-04-07, got {args.start!r}") from None
    if args.weeks < 0 or args.horizon < 1:
        raise DetenteError("--weeks must be >= 0 and --horizon >= 1")
    importers = tuple(split_list(args.importers, "--importers", example="USA,JPN", what="importers"))
    r = Restriction(
        product=args.product,
        exporter=args.exporter,
        importers=importers,
        start=start,
        end=start + dt.timedelta(days=7 * args.weeks),
        approval=args.approval,
        review_days=args.review_days,
        licence=args.licence,
        regime="cli",
        label="--product",
    )
    reg[args.product]  # unknown product: a clear error
    world = load_world(args.world or "default")
    return simulate(
        world,
        [r] if args.weeks > 0 else [],
        start=start,
        weeks=args.horizon,
        registry=reg,
        products=[args.product],
        settings=settings,
        meta={
            "what_if": f"{args.exporter} -> {args.importers}: {args.product}, {args.weeks} weeks, "
            f"approval {args.approval}"
        },
    )


def summary(res, sectors, countries=None) -> dict:
    """A JSON-ready summary: stock-outs and losses for ``sectors``, losses by country."""
    ds = res.dataset
    secs = [s for s in sectors if s in ds.sector.values]
    table = res.first_stockouts(secs)
    if countries:
        table = table[table.country.isin(countries)]
    table = table[(table.output_lost > 0) | table.first_stockout_week.notna()]
    rows = [
        {k: (str(v) if k == "first_stockout_date" and v is not None else v) for k, v in r.items()}
        for r in table.to_dict(orient="records")
    ]
    by_c = ds.cum_va_lost.to_series()
    pct = ds.va_lost_pct_gdp.to_series()
    top = by_c[by_c > 0].sort_values(ascending=False)
    a = ds.attrs
    return {
        "world": a.get("world", ""),
        "vintage": a.get("vintage", ""),
        "registry": a.get("registry", ""),
        "scenario": a.get("scenario") or None,
        "variant": a.get("variant") or None,
        "settings": a.get("settings", ""),
        "weeks": int(ds.sizes["week"]),
        "first_week": str(ds.week_start.values[0])[:10],
        "units": a.get("units", ""),
        "stockouts": rows,
        "value_added_lost": [{"country": c, "va_lost": float(v), "pct_gdp": float(pct[c])} for c, v in top.items()],
    }


def run_shortage(args) -> int:
    """Simulate, print (or ``--json``) the summary, and write the weekly dataset (``--out``)."""
    if args.out:
        check_output_path(args.out, "--out")
    sectors = split_list(args.sectors, "--sectors", example="MOTOR,C29", what="sectors")
    countries = parse_countries(args.countries)
    res = _result(args)
    rec = summary(res, sectors, countries)
    if args.json:
        sys.stdout.write(json.dumps(rec, indent=2, default=str) + "\n")
    else:
        print_shortage(rec, res)
    if args.out:
        from detente._files import write_netcdf

        p = write_netcdf(res.dataset, args.out)
        if not args.json:
            print(f"weekly dataset written to {p}")
    return 0


def print_shortage(rec: dict, res) -> None:
    """The terminal tables of a shortage summary: first stock-outs, value added lost."""
    from rich.table import Table

    con = console()
    u = rec["units"]
    what = (
        f"scenario {rec['scenario']}" + (f" (variant {rec['variant']})" if rec["variant"] else "")
        if rec["scenario"]
        else "what-if"
    )
    con.print(f"{what}; world: {rec['world']} ({rec['vintage']}); registry: {rec['registry']}", markup=False)
    con.print(f"settings: {settings_text(rec['settings'])}", markup=False, style="dim")
    t = Table(title=f"first stock-outs and output lost ({rec['weeks']} weeks from {rec['first_week']})")
    for c in ("country", "sector", "first stock-out (week, date)", f"output lost ({u})", "% of output"):
        t.add_column(c, justify="right" if "lost" in c or "%" in c else "left")
    for r in rec["stockouts"]:
        w = r["first_stockout_week"]
        when = "never" if w is None else f"{int(w)} ({str(r['first_stockout_date'])[:10]})"
        t.add_row(r["country"], r["sector"], when, f"{r['output_lost']:,.0f}", f"{r['output_lost_pct']:.2f}")
    con.print(t)
    t2 = Table(title="value added lost by country")
    for c in ("country", f"value added lost ({u})", "% of GDP"):
        t2.add_column(c, justify="left" if c == "country" else "right")
    for r in rec["value_added_lost"][:12]:
        t2.add_row(r["country"], f"{r['va_lost']:,.0f}", f"{r['pct_gdp']:.3f}")
    con.print(t2 if rec["value_added_lost"] else "no output lost")
