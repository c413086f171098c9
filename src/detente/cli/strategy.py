"""The ``detente nash | revealed | package | bargain | leverage | truce | deterrence | attrition`` commands.

:func:`register` adds the four subcommands to the main parser's subparsers; each
prints rich tables, and optionally writes JSON (``--json`` / ``--out``) and a chart
(``--chart FILE.png``). Economics happens in the strategy modules; this module only
parses, calls and prints.
"""

from __future__ import annotations

from detente._defaults import DEFAULT_PAIR
from detente._files import write_figure
from detente.cli._options import (
    Progress,
    add_closure_option,
    add_elasticity_options,
    add_json_option,
    add_no_save_option,
    add_out_option,
    add_world_option,
    console,
    emit,
    parse_numbers,
    parse_players,
    split_list,
)
from detente.errors import DetenteError

#: the tariff schedules that reveal political weights: the world's own and the presets
SCHEDULES = ("baseline", "april-2025-peak", "geneva-2025")


def _table(df, title: str, fmt: str = "{:.3f}", index: bool = True):
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    if index:
        t.add_column(str(df.index.name or ""), style="bold", no_wrap=True)
    for c in df.columns:
        t.add_column(str(c), justify="right")
    for idx, row in df.iterrows():
        cells = [fmt.format(v) if isinstance(v, float) else str(v) for v in row.tolist()]
        t.add_row(*([str(idx)] if index else []), *cells)
    return t


def _emit(args, world, record: dict, tables: dict | None = None, chart=None) -> None:
    """Print (``--json``), write (``--out``) and save (unless ``--no-save``) a command's results.

    The record is headed by the world's name and elasticity set (every strategy result says
    what it was computed on). ``chart``: a function returning the figure for ``--chart FILE``
    (called only when the option is given, so matplotlib is imported only then).
    """
    record = {"world": world.meta.name, "elasticities": world.meta.elasticities, **record}
    emit(args, record, save=lambda: _store(args, world, record, tables))
    if chart is not None and getattr(args, "chart", None):
        _save(chart(), args.chart)


def _store(args, world, record: dict, tables: dict | None) -> str:
    """Save the run in the results store (kind ``strategy``); returns its id."""
    from detente.store import RunStore, record_from_strategy

    command = getattr(args, "command_name", None) or getattr(args.func, "__name__", "strategy").removeprefix("_cmd_")
    settings = {
        k: v
        for k, v in sorted(vars(args).items())
        if k not in ("func", "json", "out", "chart", "no_save", "no_progress", "command_name")
        and (v is None or isinstance(v, (str, int, float, bool, list)))
    }
    rec = record_from_strategy(
        command,
        record,
        world=world,
        tables=tables,
        settings=settings,
        seed=getattr(args, "seed", None),
        name=f"detente {command} {getattr(args, 'players', '')}".strip(),
    )
    return RunStore().save(rec)


def charts():
    """:mod:`detente.report.strategy_charts`, imported when a chart is asked for."""
    from detente.report import strategy_charts

    return strategy_charts


def _save(fig, path: str | None) -> None:
    """``--chart FILE``: write the figure atomically and say where."""
    if path:
        console().print(f"chart written to {write_figure(fig, path)}", markup=False)


# ---------------------------------------------------------------------------- revealed
def _revealed_pair(*args, **kwargs):
    from detente.strategy._schedules import revealed_pair

    return revealed_pair(*args, **kwargs)


def _preset_equilibrium(*args, **kwargs):
    from detente.strategy._schedules import preset_equilibrium

    return preset_equilibrium(*args, **kwargs)


def _objectives(args, world, a: str, b: str, model=None):
    """The players' objectives: None (real income) or those revealed by ``--schedule``."""
    if getattr(args, "objective", "real-income") != "revealed":
        return None
    from detente.strategy import PolicyModel

    model = model or PolicyModel(world, closure=args.closure)
    return [r.objective for r in _revealed_pair(world, model, a, b, args.schedule)]


def _cmd_revealed(args) -> int:
    import numpy as np

    from detente.strategy import PolicyModel

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    model = PolicyModel(world, closure=args.closure)
    with Progress("revealed weights", total=2, enabled=not args.no_progress) as bar:
        res = _revealed_pair(world, model, a, b, args.schedule, progress=bar.update)
    if not args.json:
        c = console()
        c.print(
            f"Revealed political weights: {a} and {b} on {world.meta.name}, schedule {args.schedule}",
            style="bold",
            markup=False,
        )
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        for r in res:
            c.print(
                _table(
                    r.to_frame(),
                    f"{r.country} on {r.partner}: weight phi (a dollar of value added in the "
                    "sector counts 1 + phi dollars); first-order conditions, % of income per 100 pp",
                    "{:.4g}",
                )
            )
            c.print(
                f"fit: largest first-order condition left {r.fit:.2g} (real income alone: "
                f"{np.nanmax(np.abs(r.gradient_welfare)):.2g}){'; exact' if r.exact else ''}",
                markup=False,
            )
        c.print(
            "method: Ossa (2014, section V): weights that make the observed tariffs satisfy each "
            "government's first-order conditions (exact gradients; non-negative least squares)",
            style="dim",
            markup=False,
        )
    _emit(
        args,
        world,
        {
            "schedule": args.schedule,
            "players": [a, b],
            "revealed": [
                {
                    "country": r.country,
                    "partner": r.partner,
                    "weights": r.weights,
                    "fit": r.fit,
                    "exact": r.exact,
                    "table": r.to_frame().reset_index().to_dict(orient="records"),
                }
                for r in res
            ],
        },
    )
    return 0


# ---------------------------------------------------------------------------- nash
def _cmd_nash(args) -> int:
    from detente.strategy import PolicyModel, nash_tariffs

    world = _world(args)
    players = parse_players(args.players)
    a, b = players[0], players[1]
    model = PolicyModel(world, deficits=args.deficits, closure=args.closure)
    if args.objective == "revealed" and len(players) != 2:
        raise DetenteError("--objective revealed needs exactly two players")
    objectives = _objectives(args, world, a, b, model)
    with Progress("Nash tariffs", enabled=not args.no_progress) as bar:

        def step(r, k, n, label):
            bar.update(k, n, f"round {r}: {label} best response")

        res = nash_tariffs(
            model,
            players,
            sectors=args.sectors,
            uniform=args.uniform,
            method=args.method,
            tol=args.tol / 100,
            upper=args.upper / 100,
            objectives=objectives,
            discriminate=args.discriminate,
            progress=step,
        )
    peak = _preset_equilibrium(world, "april-2025-peak", (a, b), args.closure) if len(players) == 2 else None
    refs = {"april_2025_peak": peak} if peak is not None else {}
    welfare = res.welfare_table(**refs)
    title = " and ".join(players) if len(players) == 2 else ", ".join(players)
    if not args.json:
        c = console()
        c.print(
            f"[bold]Nash tariffs of {title}[/bold] on {world.meta.name} ({world.meta.vintage}); "
            f"others' tariffs at the baseline; deficits: {args.deficits}"
        )
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        if len(players) > 2:
            c.print(
                "each player sets "
                + (
                    "one rate per partner"
                    if args.discriminate
                    else "one rate on all the other players (add --discriminate for one per partner)"
                ),
                markup=False,
            )
        c.print(
            "objectives: " + ("; ".join(o.describe() for o in objectives) if objectives else "real income"),
            markup=False,
        )
        c.print(_table(res.rates_table(), "Nash tariffs by sector (%)", "{:.2f}"))
        c.print(
            _table(
                res.history_table().set_index("round"),
                "best-response iterations (max_change_pp: largest move of any rate; U: objective, % of income)",
                "{:.4g}",
            )
        )
        c.print(
            _table(
                welfare.loc[list(players)],
                "welfare at the Nash point (%): vs the 2022 baseline" + (" and vs the April 2025 peak" if refs else ""),
                "{:+.3f}",
            )
        )
        c.print(
            f"{'converged' if res.converged else 'NOT converged'} in {len(res.history)} rounds, "
            f"{res.solves} equilibrium solves, {res.seconds:.1f} s ({args.method} best responses)"
        )
        for br in res.responses:
            if br.at_upper:
                c.print(
                    f"[yellow]{br.space.chooser}: at the upper bound {args.upper:g}% in {', '.join(br.at_upper)}[/yellow]"
                )
    _emit(
        args,
        world,
        {
            "players": list(players),
            "method": args.method,
            "converged": res.converged,
            "discriminate": bool(args.discriminate),
            "seconds": res.seconds,
            "solves": res.solves,
            "tariffs_pct": res.rates_table().to_dict(),
            "history": res.history_table().to_dict(orient="records"),
            "welfare_pct": welfare.to_dict(),
        },
        tables={"tariffs_pct": res.rates_table(), "welfare_pct": welfare},
        chart=lambda: charts().nash_chart(res, f"Nash tariffs {' vs '.join(players)} ({world.meta.name})"),
    )
    return 0


# ---------------------------------------------------------------------------- bargain
def _cmd_bargain(args) -> int:
    import numpy as np
    import pandas as pd

    from detente.strategy import (
        PolicyModel,
        efficient_tariffs,
        mutually_preferred,
        nash_bargain,
        nash_tariffs,
    )

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    model = PolicyModel(world, deficits=args.deficits, closure=args.closure)
    with Progress("bargaining", total=3, enabled=not args.no_progress) as bar:
        bar.update(0, 3, "the trade war (Nash tariffs)")
        war = nash_tariffs(model, (a, b), sectors=args.sectors, uniform=args.uniform)
        bar.update(1, 3, "the Nash bargain")
        deal = nash_bargain(model, (a, b), war=war, sectors=args.sectors, uniform=args.uniform)
        bar.update(2, 3, "efficient tariffs")
        eff = efficient_tariffs(model, (a, b), sectors=args.sectors, uniform=args.uniform, start=war.tariffs)
        bar.update(3, 3, "done")
    base = model.values(world.tariffs, war.objectives)
    summary = pd.DataFrame(
        {
            "baseline": base,
            "trade war (Nash)": deal.disagreement,
            "Nash bargaining": deal.values,
            "efficient (equal weights)": eff.values,
        },
        index=pd.Index([a, b], name="objective (% of income)"),
    )
    rates = pd.concat({"war": war.rates_table(), "bargain": deal.rates_table()}, axis=1)
    if not args.json:
        c = console()
        c.print(f"[bold]Trade war and trade talks between {a} and {b}[/bold] on {world.meta.name}")
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        c.print(_table(summary, "objectives: 100 x log real income change vs the baseline", "{:+.4f}"))
        c.print(_table(rates, "tariffs (%): war vs agreement", "{:.2f}"))
        c.print(
            f"gains from the agreement over the war (pp of income): {a} {deal.gains[0]:+.4f}, "
            f"{b} {deal.gains[1]:+.4f}; {deal.message}"
        )
    grid = None
    if args.chart or args.grid:
        assert deal.disagreement is not None  # nash_bargain always sets the disagreement point
        grid = mutually_preferred(
            model,
            (a, b),
            deal.disagreement,
            start=war.tariffs,
            sectors=args.sectors,
            grid=tuple(np.linspace(0.0, args.grid_max / 100, args.grid or 11)),
            objectives=war.objectives,
        )
        if not args.json:
            console().print(
                f"uniform tariff pairs both prefer to the war: {int(grid.both_prefer.sum())} of {len(grid)} "
                f"(grid 0-{args.grid_max:g}%)"
            )
    _emit(
        args,
        world,
        {
            "players": [a, b],
            "objectives": summary.to_dict(),
            "tariffs_pct": {"war": war.rates_table().to_dict(), "bargain": deal.rates_table().to_dict()},
            "gains": deal.gains.tolist(),
            "converged": deal.converged,
            "mutually_preferred_share": None if grid is None else float(grid.both_prefer.mean()),
        },
        chart=lambda: charts().bargain_chart(
            grid,
            war=deal.disagreement,
            agreement=deal.values,
            title=f"{a} and {b}: uniform tariff pairs and the bargain",
        ),
    )
    return 0


# ---------------------------------------------------------------------------- leverage
def _cmd_leverage(args) -> int:
    from detente.equilibrium import Counterfactual
    from detente.presets import get_preset
    from detente.strategy import leverage_table, threat_points

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    ref = Counterfactual.from_world(world, closure=args.closure)
    if args.reference != "baseline":
        ref = ref.apply(*get_preset(args.reference).instruments())
    instruments = None
    if args.shortage:
        from detente.strategy import CriticalInputCutoff, default_instruments, shortage_loss_model

        loss = shortage_loss_model(world)
        # the table shows both readings of a cut-off side by side; the threat points read
        # each cut once, by the shortage model (threat_points -> read_once)
        instruments = {
            p: (
                *default_instruments(p),
                CriticalInputCutoff(
                    products=(), severity=args.severity, loss_model=loss, name="critical inputs (shortage model)"
                ),
            )
            for p in (a, b)
        }
    table = leverage_table(world, ((a, b), (b, a)), instruments, reference=ref)
    threats = threat_points(world, (a, b), instruments, reference=ref)
    if not args.json:
        c = console()
        c.print(f"[bold]Leverage of {a} and {b}[/bold] on {world.meta.name}, from: {ref.describe()}")
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        show = (
            table.drop(columns=["description"])
            .set_index(["imposer", "instrument"])
            .rename(
                columns={
                    "target_loss_pct": "target %",
                    "imposer_loss_pct": "own %",
                    "target_loss_usd_bn": "target $bn",
                    "imposer_loss_usd_bn": "own $bn",
                }
            )
        )
        show.index = [f"{i} {n}" for i, n in show.index]
        show.index.name = "instrument"
        c.print(
            _table(show, "losses (percent of income; USD bn a year) and leverage = target's loss / own loss", "{:.3f}")
        )
        for _, r in table.iterrows():
            c.print(f"  {r['imposer']} {r['instrument']}: {r['description']}")
        c.print(
            _table(
                threats.set_index("threat"),
                "threat points: objectives when both sides use the instrument (% of income)",
                "{:+.4f}",
            )
        )
        if not args.shortage:
            c.print(
                "critical-input cut-offs in the static model: the users' nested CES block at one year (rationed "
                "users, rent to the imposer; docs/model.md 5b); add --shortage for stock-out losses from the "
                "weekly shortage model (docs/strategy.md)",
                markup=False,
            )
    _emit(
        args,
        world,
        {
            "reference": ref.describe(),
            "leverage": table.to_dict(orient="records"),
            "threat_points": threats.to_dict(orient="records"),
        },
        tables={"leverage": table, "threat_points": threats.set_index("threat")},
        chart=lambda: charts().leverage_chart(table, f"Leverage {a} vs {b} ({world.meta.name})"),
    )
    return 0


# ---------------------------------------------------------------------------- truce
def _cmd_truce(args) -> int:
    import pandas as pd

    from detente.strategy import (
        STRATEGIES,
        get_strategy,
        truce_survival,
    )
    from detente.strategy._axelrod import axelrod_payoffs

    if args.list:
        c = console()
        for name, cls in sorted(STRATEGIES.items()):
            c.print(f"[bold]{name}[/bold]: {(cls.__doc__ or '').strip().splitlines()[0]}  {cls.classifier}")
        return 0
    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    game = _stage_game(args, world, a, b)
    if args.strategies:
        pairs = []
        for spec in args.strategies:
            names = split_list(spec, "--strategies", n=2, distinct=False, example="tit-for-tat,grim", what="names")
            pairs.append((names[0], names[1]))
    else:
        pairs = [
            (s, s)
            for s in (
                "tit-for-tat",
                "generous-tit-for-tat",
                "grim-trigger",
                "win-stay-lose-shift",
                "escalation-ladder",
                "pending-approval",
                "trust-threshold",
            )
        ]
    results = []
    with Progress("truce Monte Carlo", total=len(pairs) * args.runs, every=5, enabled=not args.no_progress) as bar:
        for i, (sa, sb) in enumerate(pairs):

            def step(done, runs, i=i, label=f"{sa} vs {sb}"):
                bar.update(i * runs + done, len(pairs) * runs, label)

            results.append(
                truce_survival(
                    game,
                    (get_strategy(sa), get_strategy(sb)),
                    runs=args.runs,
                    days=args.days,
                    noise=args.noise,
                    seed=args.seed,
                    trust_prior=args.trust,
                    progress=step,
                )
            )
    df = pd.DataFrame([r.summary() for r in results])
    df["strategies"] = [
        s if s.split(" vs ")[0] != s.split(" vs ")[-1] else f"{s.split(' vs ')[0]} (both)" for s in df["strategies"]
    ]
    df = df.set_index("strategies")
    pdp = axelrod_payoffs(game)
    from detente.strategy._deterrence import deterrence

    deter = deterrence(game, noise=args.noise)
    if not args.json:
        c = console()
        c.print(
            f"[bold]Truce game {a} vs {b}[/bold] on {world.meta.name}: instruments {', '.join(game.instruments)}, "
            f"{game.n_levels} levels each, {game.period_days}-day periods; noise {args.noise:g}, "
            f"prior trust {args.trust:g}, {args.runs} runs, seed {args.seed}"
        )
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        cols = [
            "holds_90d",
            "holds_365d",
            "median_break_day",
            "first_breaker_A",
            "payoff_A",
            "payoff_B",
            "final_trust_A",
            "final_trust_B",
        ]
        show = df[cols].rename(
            columns={
                "holds_90d": "holds 90d",
                "holds_365d": "holds 1y",
                "median_break_day": "break day",
                "first_breaker_A": f"{a} first",
                "payoff_A": f"U_{a}",
                "payoff_B": f"U_{b}",
                "final_trust_A": f"trust {a}",
                "final_trust_B": f"trust {b}",
            }
        )
        c.print(
            _table(
                show,
                f"truce survival: share of runs the truce holds; median day of a break; share "
                f"broken first by {a}; payoffs U in % of annual income over {args.days} days; final trust",
                "{:.2f}",
            )
        )
        bands = pd.DataFrame(
            {
                "holds 90d": df["holds_90d"],
                "95% band (90d)": [f"{lo:.3f}-{hi:.3f}" for lo, hi in zip(df["holds_90d_lo"], df["holds_90d_hi"])],
                "holds 1y": df["holds_365d"],
                "95% band (1y)": [f"{lo:.3f}-{hi:.3f}" for lo, hi in zip(df["holds_365d_lo"], df["holds_365d_hi"])],
            },
            index=df.index,
        )
        c.print(
            _table(
                bands, f"survival with exact binomial (Clopper-Pearson) 95% bands over the {args.runs} runs", "{:.3f}"
            )
        )
        c.print(
            f"two-action reduction (C = agreed levels, D = top of every ladder), bp of income per period, "
            f"mean of both: R={pdp.r:.3f} S={pdp.s:.3f} T={pdp.t:.3f} P={pdp.p:.3f} "
            f"({'a' if pdp.is_prisoners_dilemma else 'not a'} prisoner's dilemma)"
        )
        c.print(
            "grim trigger needs a weekly discount factor of at least: "
            + "; ".join(
                f"{d.player} {_fmt_delta(d.delta_star)} ({_fmt_delta(d.delta_both)} with noise and approval delays)"
                for d in deter
            )
            + " (detente deterrence)",
            markup=False,
        )
    _emit(
        args,
        world,
        {
            "players": [a, b],
            "stage_game": game.to_dict(),
            "results": df.reset_index().to_dict(orient="records"),
            "axelrod": pdp.as_dict(),
            "deterrence": [d.as_dict() for d in deter],
        },
        tables={"survival": df},
        chart=lambda: charts().survival_chart(results, f"Truce survival {a} vs {b} (noise {args.noise:g})"),
    )
    return 0


def _fmt_delta(d: float) -> str:
    import numpy as np

    return "none (cannot be sustained)" if not np.isfinite(d) else f"{d:.3f}"


# ---------------------------------------------------------------------------- deterrence
def _stage_game(args, world, a, b):
    from detente.strategy import build_stage_game, default_ladders

    loss = None
    if args.shortage:
        from detente.strategy import shortage_loss_model

        loss = shortage_loss_model(world)
    objectives = _objectives(args, world, a, b)
    from detente.equilibrium import Counterfactual

    return build_stage_game(
        world,
        (a, b),
        default_ladders((a, b), loss_model=loss),
        period_days=args.period_days,
        reference=Counterfactual.from_world(world, closure=args.closure),
        objectives=objectives,
    )


def _cmd_deterrence(args) -> int:
    from detente.strategy._deterrence import deterrence, deterrence_table

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    game = _stage_game(args, world, a, b)
    res = deterrence(
        game,
        noise=args.noise,
        detection=args.detection,
        approval_delay=args.approval_delay,
        delta=args.delta,
        temptation=args.temptation,
    )
    df = deterrence_table(res)
    if not args.json:
        c = console()
        c.print(
            f"[bold]Deterrence in the truce game {a} vs {b}[/bold] on {world.meta.name}: can grim trigger "
            f"sustain the agreed levels? objective {args.objective}"
            + (f" ({args.schedule})" if args.objective == "revealed" else ""),
            markup=True,
        )
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        c.print(
            _table(
                df,
                f"two-action reduction (C = agreed levels, D = top of every ladder; T: "
                f"{'best deviation' if args.temptation == 'best' else 'top of the ladder'}), bp of annual "
                f"income per {game.period_days}-day period; least discount factor delta* per period: perfect "
                f"monitoring, false signals eps={res[0].false_signal:.3f} a period, approval delays "
                f"1+Poisson({args.approval_delay:g}), both; horizon 1/(1-delta*); trust*: least prior "
                f"trust at delta={res[0].delta:.4f}",
                "{:.4g}",
            )
        )
        c.print(
            "delta* = (T-R)/(T-P) (grim trigger); with false signals (T-R)/((T-P)(1-eps)-(R-P)(1-q)); "
            "0 when T <= R (escalating never pays), inf when R <= P (docs/strategy.md section 7b)",
            style="dim",
            markup=False,
        )
    _emit(
        args,
        world,
        {
            "players": [a, b],
            "objective": args.objective,
            "schedule": args.schedule,
            "deterrence": [d.as_dict() for d in res],
        },
    )
    return 0


# ---------------------------------------------------------------------------- attrition
def _pair_pp(text: str, what: str) -> tuple[float, float]:
    a, b = parse_numbers(text, what, n=2)
    return a, b


def _thresholds(text: str, players) -> dict:
    if "=" not in text:
        return {p: parse_numbers(text, "--threshold", n=1, example="0.1")[0] for p in players}
    out = {}
    for part in split_list(text, "--threshold", example="USA=0.1,CHN=0.2", what="values"):
        k, _, v = part.partition("=")
        out[k.strip()] = parse_numbers(v, f"--threshold {k.strip()}=", n=1, example="0.1")[0]
    missing = [p for p in players if p not in out]
    if missing:
        raise DetenteError(f"--threshold has no value for {', '.join(missing)}")
    return out


def _cmd_attrition(args) -> int:
    import datetime as dt

    import pandas as pd

    from detente.equilibrium import Counterfactual
    from detente.strategy._attrition import (
        EVENTS_2025,
        START_2025,
        attrition,
        crossing,
        rare_earth_standoff,
        weekly_shortage_losses,
    )

    world = _world(args)
    a, b = parse_players(args.players, exactly=2)
    sa, sb = _pair_pp(args.standoff_pp, "--standoff-pp")
    ta, tb = _pair_pp(args.truce_pp, "--truce-pp")
    base = Counterfactual.from_world(world, closure=args.closure)
    standoff = base.tariff(a, b, "goods", sa, op="add").tariff(b, a, "goods", sb, op="add").with_label("standoff")
    truce = base
    if ta or tb:
        truce = base.tariff(a, b, "goods", ta, op="add").tariff(b, a, "goods", tb, op="add")
    truce = truce.with_label("truce")
    start = dt.date.fromisoformat(args.start) if args.start else START_2025
    shortage = None
    if args.shortage:
        if "CHN" not in (a, b):
            raise DetenteError("--shortage runs China's 2025 rare-earth licences: one player must be CHN")
        shortage = weekly_shortage_losses(world, rare_earth_standoff(start), start=start, weeks=args.weeks)
    objectives = _objectives(args, world, a, b)
    res = attrition(
        world,
        (a, b),
        standoff=standoff,
        truce=truce,
        objectives=objectives,
        thresholds=_thresholds(args.threshold, (a, b)),
        shortage=shortage,
        weeks=args.weeks,
        start=start,
    )
    summ = res.summary()
    events = EVENTS_2025 if {a, b} == {"USA", "CHN"} else {}
    revealed = {name: res.cost_at(day).tolist() for name, day in events.items()}
    grid = (
        list(parse_numbers(args.sensitivity, "--sensitivity", example="0.05,0.1"))
        if args.sensitivity
        else [0.05, 0.1, 0.15, 0.2, 0.3]
    )
    sens = pd.DataFrame(
        [
            {"threshold %": g, **{f"{p} week": crossing(res.weekly[:, k], g) for k, p in enumerate(res.players)}}
            for g in grid
        ]
    ).set_index("threshold %")
    if not args.json:
        c = console()
        c.print(
            f"[bold]War of attrition {a} vs {b}[/bold] on {world.meta.name}: standoff {a} +{sa:g} pp, "
            f"{b} +{sb:g} pp vs truce {a} +{ta:g} pp, {b} +{tb:g} pp (goods, over the baseline), "
            f"from {start}; objective {args.objective}"
        )
        c.print(f"trade elasticities: {world.meta.elasticities}", markup=False)
        tab = res.table()
        show = tab[[col for col in tab.columns if col.endswith(("_shortage_pct", "_cum_pct", "_cum_usd_bn"))]]
        show.insert(0, "week end", tab["week_end"])
        c.print(
            _table(
                show.iloc[: min(args.weeks, args.show_weeks)],
                "weekly shortage cost and cumulative cost (% of annual income; USD bn)",
                "{:.4f}",
            )
        )
        side = pd.DataFrame(summ["sides"]).set_index("player")[
            [
                "threshold_pct",
                "threshold_usd_bn",
                "tariff_cost_pct_per_week",
                "tariff_cost_usd_bn_per_week",
                "shortage_cost_pct_total",
                "crossing_week",
                "crossing_date",
            ]
        ]
        c.print(
            _table(
                side,
                "each side: threshold, tariff cost per week (standoff vs truce), shortage cost over "
                "the horizon, the week its cumulative cost crosses the threshold",
                "{:.4f}",
            )
        )
        first = res.first
        c.print(
            f"first to seek talks: {first + ' in week ' + format(res.crossing_week(first), '.1f') + ' (' + str(res.crossing_date(first)) + ')' if first else 'neither, within ' + str(args.weeks) + ' weeks'}",
            markup=False,
        )
        c.print(_table(sens, "sensitivity: week each side crosses a common threshold (% of annual income)", "{:.1f}"))
        for name, v in revealed.items():
            c.print(
                f"costs borne by {name}: "
                + ", ".join(
                    f"{p} {x:.4f}% ({x / 100 * res.income[k] / 1000:.1f} USD bn)"
                    for k, (p, x) in enumerate(zip(res.players, v))
                )
                + " (the tolerance a side revealed if it sought talks then)",
                markup=False,
            )
    _emit(
        args,
        world,
        {
            **summ,
            "weekly": res.table().reset_index().to_dict(orient="records"),
            "sensitivity": sens.reset_index().to_dict(orient="records"),
            "costs_at_events_pct": revealed,
        },
        chart=lambda: charts().attrition_chart(res, events, start),
    )
    return 0


def _world(args):
    """The ``--world`` with the ``--elasticities`` set at the ``--horizon``."""
    from detente.world import load_world

    return load_world(args.world, elasticities=args.elasticities, horizon=args.horizon)


# ---------------------------------------------------------------------------- parser
def register(sub) -> None:
    """Add ``nash``, ``revealed``, ``package``, ``bargain``, ``leverage``, ``truce``, ``deterrence`` and ``attrition``."""

    def common(p, players=True):
        add_world_option(p)
        if players:
            p.add_argument(
                "--players", default=",".join(DEFAULT_PAIR), help="the two sides 'A,B' (default: %(default)s)"
            )
        add_json_option(p)
        add_out_option(p)
        p.add_argument("--chart", metavar="FILE", help="write a chart to FILE (PNG, or the format its suffix names)")
        add_no_save_option(p)
        p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
        # strategy compares permanent policies: long-run elasticities by default
        add_elasticity_options(p, default_horizon="long")
        add_closure_option(p)

    n = sub.add_parser(
        "nash",
        help="Nash (trade-war) tariffs of two or more countries by iterated best responses",
        description="Each side's tariffs on the other maximise its real income given the other's; "
        "best responses use exact gradients through the equilibrium (JAX).",
    )
    common(n)
    n.add_argument("--sectors", default="goods", help="sectors tariffed: goods, all, or a comma list (default: goods)")
    n.add_argument("--uniform", action="store_true", help="one tariff rate for all sectors instead of one per sector")
    n.add_argument(
        "--method",
        choices=["gradient", "finite-difference", "derivative-free"],
        default="gradient",
        help="where best-response gradients come from (default: gradient)",
    )
    n.add_argument("--tol", type=float, default=0.01, help="stop when no rate moves more than this many pp (0.01)")
    n.add_argument("--upper", type=float, default=500.0, help="upper bound on a tariff, percent (500)")
    n.add_argument("--deficits", choices=["baseline", "zero"], default="baseline")
    n.add_argument(
        "--objective",
        choices=["real-income", "revealed"],
        default="real-income",
        help="real income, or the political weights revealed by --schedule (default: %(default)s)",
    )
    n.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="baseline",
        help="observed tariffs that reveal the weights (default: the world's, 2022)",
    )
    n.add_argument(
        "--discriminate",
        action="store_true",
        help="with three or more players: one rate per partner instead of one on all of them",
    )
    n.set_defaults(func=_cmd_nash)

    rv = sub.add_parser(
        "revealed",
        help="political weights that make observed tariffs best responses (Ossa 2014)",
        description="Which weights on sectors' value added make the observed tariffs of both "
        "players satisfy their first-order conditions, from exact gradients.",
    )
    common(rv)
    rv.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="baseline",
        help="the observed tariffs: the world's (2022) or a preset on top of them",
    )
    rv.set_defaults(func=_cmd_revealed)

    from detente.cli.package import add_package

    add_package(sub, common, SCHEDULES)

    b = sub.add_parser("bargain", help="cooperative tariffs: Nash bargaining with the trade war as disagreement point")
    common(b)
    b.add_argument("--sectors", default="goods")
    b.add_argument("--uniform", action="store_true", help="one tariff rate per side")
    b.add_argument(
        "--grid", type=int, default=0, help="points per axis of the uniform-tariff grid (default 11 with --chart)"
    )
    b.add_argument("--grid-max", type=float, default=60.0, help="largest uniform tariff of the grid, percent (60)")
    b.add_argument("--deficits", choices=["baseline", "zero"], default="baseline")
    b.set_defaults(func=_cmd_bargain)

    lv = sub.add_parser("leverage", help="damage each side's instruments inflict per unit of damage to itself")
    common(lv)
    lv.add_argument(
        "--reference",
        default="baseline",
        help="state the threats are made from: baseline or a preset (geneva-2025, april-2025-peak)",
    )
    lv.add_argument(
        "--shortage", action="store_true", help="add critical-input cut-offs through the weekly shortage model"
    )
    lv.add_argument(
        "--severity",
        type=float,
        default=0.75,
        help="share of critical-input exports refused with --shortage (default: %(default)s)",
    )
    lv.set_defaults(func=_cmd_leverage)

    t = sub.add_parser("truce", help="repeated truce game: Monte Carlo of how long a truce survives")
    common(t)
    t.add_argument(
        "--strategies",
        action="append",
        metavar="A,B",
        help="strategy pair, repeatable (default: each main strategy against itself); see --list",
    )
    t.add_argument("--list", action="store_true", help="list the strategies and exit")
    t.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs per pair (default: %(default)s)")
    t.add_argument("--days", type=int, default=365, help="days simulated (default: %(default)s)")
    t.add_argument("--period-days", type=int, default=7, help="days per period (default: %(default)s, weekly)")
    t.add_argument(
        "--noise", type=float, default=0.03, help="probability of misreading an action (default: %(default)s)"
    )
    t.add_argument("--trust", type=float, default=0.5, help="prior trust in the other side (default: %(default)s)")
    t.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    t.add_argument(
        "--shortage",
        action="store_true",
        help="add shortage losses of the export-control ladder (weekly shortage model)",
    )
    t.add_argument(
        "--objective",
        choices=["real-income", "revealed"],
        default="real-income",
        help="payoffs: real income, or the objectives revealed by --schedule (detente revealed)",
    )
    t.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="baseline",
        help="observed tariffs that reveal the weights for --objective revealed",
    )
    t.set_defaults(func=_cmd_truce)

    d = sub.add_parser(
        "deterrence",
        help="least patience or trust for grim trigger to sustain the truce",
        description="Two-action reduction (R, S, T, P) of the truce stage game and the grim-trigger "
        "thresholds: delta* = (T-R)/(T-P), with false signals and approval delays.",
    )
    common(d)
    d.add_argument("--period-days", type=int, default=7, help="days per period (default: %(default)s)")
    d.add_argument(
        "--noise",
        type=float,
        default=0.03,
        help="misreading probability per action, as in detente truce (default: %(default)s)",
    )
    d.add_argument(
        "--detection", type=float, default=1.0, help="probability that a real escalation is seen (default: %(default)s)"
    )
    d.add_argument(
        "--approval-delay",
        type=float,
        default=3.0,
        help="mean of the Poisson part of the punishment lag 1 + Poisson (default: %(default)s weeks)",
    )
    d.add_argument(
        "--delta",
        type=float,
        default=None,
        help="discount factor per period for the trust threshold (default: 5%% a year)",
    )
    d.add_argument(
        "--temptation",
        choices=["top", "best"],
        default="top",
        help="T: every instrument at the top of its ladder, or the best deviation (default: top)",
    )
    d.add_argument("--shortage", action="store_true", help="add shortage losses of the export-control ladder")
    d.add_argument("--objective", choices=["real-income", "revealed"], default="real-income")
    d.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="baseline",
        help="observed tariffs that reveal the weights for --objective revealed",
    )
    d.set_defaults(func=_cmd_deterrence)

    at = sub.add_parser(
        "attrition",
        help="who blinks first: cumulative standoff costs and threshold crossings",
        description="Each side's weekly cost of a tariff standoff against a truce (equilibrium "
        "real income, plus weekly shortage losses with --shortage), the week its cumulative cost "
        "crosses its threshold, and which side must seek talks first.",
    )
    common(at)
    at.add_argument(
        "--standoff-pp",
        default="145,125",
        help="standoff tariffs 'A,B', pp added on the other's goods (default: the April 2025 peak)",
    )
    at.add_argument(
        "--truce-pp",
        default="30,10",
        help="truce tariffs 'A,B', pp added on the other's goods (default: the Geneva terms)",
    )
    at.add_argument(
        "--threshold",
        default="0.1",
        help="cumulative cost at which a side seeks talks, %% of annual income: one value or "
        "'USA=0.1,CHN=0.2' (default: %(default)s)",
    )
    at.add_argument("--weeks", type=int, default=26, help="weeks simulated (default: %(default)s)")
    at.add_argument("--start", default=None, help="first day of the standoff (default: 2025-04-07)")
    at.add_argument(
        "--shortage",
        action="store_true",
        help="add the US shortage losses of China's rare-earth licences in force at --start, frozen",
    )
    at.add_argument("--objective", choices=["real-income", "revealed"], default="real-income")
    at.add_argument(
        "--schedule",
        choices=SCHEDULES,
        default="baseline",
        help="observed tariffs that reveal the weights for --objective revealed",
    )
    at.add_argument("--sensitivity", default=None, help="common thresholds for the sensitivity table, comma list")
    at.add_argument("--show-weeks", type=int, default=16, help="weeks shown in the table (default: %(default)s)")
    at.set_defaults(func=_cmd_attrition)
