"""The ``detente package`` command: package bargaining over tariffs, licences and tech controls.

Parses, calls :func:`detente.strategy._package.package_bargain` and prints; the
economics is in :mod:`detente.strategy._package`.
"""

from __future__ import annotations

from detente.cli._options import Progress, console, parse_numbers, parse_players
from detente.errors import DetenteError


def _space(args, a: str, b: str):
    from detente.strategy._package import PackageSpace

    tmax_a, tmax_b = parse_numbers(args.tariff_max, "--tariff-max", n=2)
    return PackageSpace(
        players=(a, b),
        tariff_max_pp=(tmax_a, tmax_b),
        tariff_points=args.tariff_points,
        pass_points=args.pass_points,
    )


def cmd_package(args) -> int:
    from detente.cli.strategy import _emit, _objectives, _table, _world, charts
    from detente.strategy._package import Package, package_bargain, scenario_deals

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    space = _space(args, a, b)
    threat = None
    if args.threat:
        tariff_a, tariff_b, pass_a, pass_b = parse_numbers(args.threat, "--threat", n=4, example="145,125,0,0")
        threat = Package(tariff_a, tariff_b, pass_a, pass_b, label=f"threat {args.threat}")
    objectives = _objectives(args, world, a, b)
    loss = None
    if args.shortage:
        if b != "CHN":
            raise DetenteError(
                f"--shortage adds China's rare-earth shortage losses: the second player must be CHN, got {b!r}"
            )
        from detente.strategy import shortage_loss_model

        loss = shortage_loss_model(world)
    with Progress("package bargaining", total=3, enabled=not args.no_progress) as bar:
        res = package_bargain(
            world,
            space,
            threat=threat,
            objectives=objectives,
            loss_model=loss,
            closure=args.closure,
            refine=not args.no_refine,
            progress=lambda k, n, text: bar.update(k, n, text),
        )
    summary = res.summary_table()
    ranges = res.preferred_ranges()
    scen = None
    if (a, b) == ("USA", "CHN") and not args.no_deals:
        scen = scenario_deals(world, res.objectives, closure=args.closure).set_index("state")
        scen = scen.rename(
            columns={"U_A": f"U_{a} %", "U_B": f"U_{b} %", "gain_A": f"gain_{a} pp", "gain_B": f"gain_{b} pp"}
        )
    objective = args.objective + (f" ({args.schedule})" if args.objective == "revealed" else "")
    if not args.json:
        c = console()
        c.print(f"[bold]Package bargaining {a} and {b}[/bold] on {world.meta.name}: objective {objective}")
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        c.print(f"packages: {space.describe()}", markup=False)
        c.print(
            f"threat point: {res.threat.label} = {a} +{res.threat.tariff_a_pp:g} pp, {b} +{res.threat.tariff_b_pp:g} "
            f"pp, pass {a} {res.threat.pass_a:g}, {b} {res.threat.pass_b:g}; U {a} {res.threat_values[0]:+.4f}%, "
            f"{b} {res.threat_values[1]:+.4f}% of income" + ("; shortage losses included" if loss else ""),
            markup=False,
        )
        show = summary.copy()
        show.index = [str(i).split(" (")[0] for i in show.index]
        show.index.name = "package"
        coords = show[[f"{a} tariff pp", f"{b} tariff pp", f"{a} pass", f"{b} pass"]]
        c.print(
            _table(
                coords,
                "packages: tariffs in pp added to the 2022 baseline on goods; pass = share of the "
                "controlled exports let through (0 = all refused)",
                "{:.4g}",
            )
        )
        pay = show[
            [
                f"U_{a} %",
                f"U_{b} %",
                f"gain_{a} pp",
                f"gain_{b} pp",
                "both prefer",
                f"gain_{a} / bargain",
                f"gain_{b} / bargain",
            ]
        ]
        c.print(
            _table(
                pay,
                f"payoffs: U in % of baseline income ({objective}); gains in pp of income over the "
                "threat point; gain / bargain: share of the Nash bargain's gain",
                "{:+.4f}",
            )
        )
        if res.deals is not None:
            for _, r in res.deals.iterrows():
                c.print(f"  {r['deal']}: {r['note']}", markup=False)
        c.print(
            _table(
                ranges,
                f"mutually preferred set: {int(res.preferred.sum())} of {len(res.grid)} grid packages "
                "both prefer to the threat point; range of each coordinate over them",
                "{:.4g}",
            )
        )
        if scen is not None:
            c.print(
                _table(
                    scen,
                    "the scenario's own policy state on each date (us-china-2025: exemptions, coverage, "
                    "China's licences to every importer); gains over its April 2025 peak, pp of income",
                    "{:+.4f}",
                )
            )
        c.print(f"{res.message}; {res.solves} equilibrium solves, {res.seconds:.1f} s", markup=False)
        c.print(
            "Nash (1950) bargaining: maximise the product of gains over the threat point (docs/strategy.md, "
            "package bargaining)",
            style="dim",
            markup=False,
        )
    record = {
        **res.to_dict(),
        "objective_choice": objective,
        "scenario_view": None if scen is None else scen.reset_index().to_dict(orient="records"),
    }
    tables = {"packages": summary, "preferred_ranges": ranges}
    if scen is not None:
        tables["scenario_view"] = scen
    _emit(
        args,
        world,
        record,
        tables=tables,
        chart=lambda: charts().package_chart(res, f"{a} and {b}: packages and the Nash bargain ({world.meta.name})"),
    )
    return 0


def add_package(sub, common, schedules) -> None:
    """Add the ``package`` subcommand (``common`` adds the shared options)."""
    p = sub.add_parser(
        "package",
        help="package bargaining: tariffs, licence approvals and tech-control relaxation",
        description="Each side's payoff for packages of (tariffs of both sides, the share of "
        "China's rare-earth licences approved, the share of the US 2025 tech controls relaxed) "
        "on a grid, the set both prefer to the war, the Nash bargaining package, and Geneva, "
        "London and Busan placed against them.",
    )
    common(p)
    p.add_argument(
        "--objective",
        choices=["real-income", "revealed"],
        default="real-income",
        help="payoffs: real income, or the political weights revealed by --schedule (default: %(default)s)",
    )
    p.add_argument(
        "--schedule",
        choices=schedules,
        default="baseline",
        help="observed tariffs that reveal the weights for --objective revealed",
    )
    p.add_argument(
        "--tariff-max",
        default="145,125",
        help="largest tariffs 'A,B' of the grid, pp added on goods (default: the April 2025 peak)",
    )
    p.add_argument("--tariff-points", type=int, default=6, help="grid points per tariff axis (default: %(default)s)")
    p.add_argument("--pass-points", type=int, default=5, help="grid points per pass-share axis (default: %(default)s)")
    p.add_argument(
        "--threat",
        default=None,
        help="threat point 'TA,TB,SA,SB' (tariffs pp, pass shares); default: the top tariffs, all controls on",
    )
    p.add_argument("--no-refine", action="store_true", help="the grid's best package, without local refinement")
    p.add_argument("--no-deals", action="store_true", help="skip the scenario view of Geneva, London and Busan")
    p.add_argument(
        "--shortage", action="store_true", help="add the weekly shortage model's losses of China's rare-earth refusals"
    )
    p.set_defaults(func=cmd_package, command_name="package")
