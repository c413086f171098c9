"""The strategy section of the HTML report: leverage, Nash tariffs, bargaining, the truce game.

:func:`strategy_results` calls the strategy layer (:mod:`detente.strategy`) and
returns labelled pandas tables (each with ``attrs``: title, units, note);
:func:`strategy_section` renders them as one HTML ``<section id="strategy">``, with
the objective, the trade-elasticity set and its horizon on every table. The section is
added to ``detente report RUN --strategy``.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from detente._defaults import DEFAULT_PAIR

#: the truce strategies shown (each against itself)
TRUCE_STRATEGIES = ("tit-for-tat", "generous-tit-for-tat", "grim-trigger", "pending-approval")


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _label(df, title: str, units: str, note: str = ""):
    df.attrs.update(title=title, units=units, note=note)
    return df


def strategy_results(
    world,
    pair: Sequence[str] = DEFAULT_PAIR,
    *,
    objective: str = "real-income",
    nash: bool = True,
    package: bool = True,
    truce: bool = True,
    runs: int = 200,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Leverage, Nash, bargaining and truce tables of ``pair`` on ``world``.

    ``world`` carries its elasticities (strategy compares permanent policies: load it at
    the long run). ``objective``: ``real-income`` or ``revealed`` (the political weights
    that rationalise the 2022 tariffs, :mod:`detente.strategy._revealed`). ``nash``:
    uniform Nash tariffs (needs JAX; about 20 s); ``runs``: Monte Carlo runs per truce
    strategy pair. Returns ``{"labels": {...}, "tables": {name: DataFrame}}``.
    """
    import pandas as pd

    from detente.equilibrium import Counterfactual
    from detente.strategy import leverage_table, threat_points

    a, b = (str(p) for p in pair)
    for p in (a, b):
        world.country_index(p)
    say = progress or (lambda text: None)
    labels = {
        "world": world.meta.name,
        "vintage": world.meta.vintage,
        "elasticities": world.meta.elasticities,
        "objective": objective,
        "pair": [a, b],
    }
    objectives = None
    if objective == "revealed":
        from detente.strategy import PolicyModel
        from detente.strategy._revealed import revealed_weights

        say("revealed weights")
        model = PolicyModel(world)
        objectives = [revealed_weights(world, c, q, model=model).objective for c, q in ((a, b), (b, a))]
        labels["objective"] = "revealed (political weights that make the 2022 tariffs best responses)"
    elif objective != "real-income":
        raise ValueError(f"objective must be 'real-income' or 'revealed', got {objective!r}")
    tables = {}
    say("leverage")
    lev = leverage_table(world, ((a, b), (b, a)))
    show = lev[
        [
            "imposer",
            "instrument",
            "target_loss_pct",
            "imposer_loss_pct",
            "target_loss_usd_bn",
            "imposer_loss_usd_bn",
            "leverage",
        ]
    ].rename(
        columns={
            "target_loss_pct": "target loss (% of income)",
            "imposer_loss_pct": "own loss (% of income)",
            "target_loss_usd_bn": "target loss (USD bn a year)",
            "imposer_loss_usd_bn": "own loss (USD bn a year)",
            "leverage": "leverage (target / own loss)",
        }
    )
    show.index = [f"{i} {n}" for i, n in zip(show.pop("imposer"), show.pop("instrument"), strict=True)]
    show.index.name = "imposer and instrument"
    tables["leverage"] = _label(
        show,
        "Leverage: what each side's instruments inflict, per unit of damage to itself",
        "losses in % of baseline income and USD bn a year (equivalent variation at "
        "baseline income); leverage = target's USD loss / imposer's USD loss "
        "(inf: the imposer gains)",
        "; ".join(f"{r.imposer} {r.instrument}: {r.description}" for r in lev.itertuples()),
    )
    thr = threat_points(world, (a, b), objectives=objectives).set_index("threat")
    tables["threat_points"] = _label(
        thr, "Threat points: both sides use the instrument at once", "objective U, % of baseline income"
    )
    if nash:
        say("Nash tariffs")
        from detente.strategy import PolicyModel, nash_tariffs

        res = nash_tariffs(PolicyModel(world), (a, b), uniform=True, objectives=objectives)
        rates = res.rates_table().T.rename(columns={"uniform": "Nash tariff (%)"})
        w = res.welfare_table().loc[[a, b]]
        w.columns = [f"welfare {str(c).replace('_pct', '').replace('_', ' ')} (%)" for c in w.columns]
        tables["nash"] = _label(
            pd.concat([rates.reset_index(drop=True).set_index(pd.Index([a, b], name="player")), w], axis=1),
            "Nash (trade-war) tariffs: one uniform tariff on all goods each, by iterated best "
            "responses with exact gradients",
            "tariff in %; welfare columns in % vs the 2022 baseline",
            f"{'converged' if res.converged else 'NOT converged'} in {len(res.history)} rounds; "
            "by-sector Nash tariffs: detente nash",
        )
    if package:
        say("package bargaining")
        from detente.strategy._package import PackageSpace, package_bargain

        space = (
            PackageSpace(players=(a, b)) if {a, b} == {"USA", "CHN"} else PackageSpace(players=(a, b), pass_points=2)
        )
        pk = package_bargain(world, space, objectives=objectives)
        if pk is not None:
            summ = pk.summary_table()
            summ.index = [str(i).split(" (")[0] for i in summ.index]
            summ.index.name = "package"
            tables["package"] = _label(
                summ,
                "Package bargaining: the threat point, the Nash bargaining package and the real deals",
                "tariffs in pp added to the 2022 baseline on goods; pass = share of the "
                "controlled exports let through; U in % of baseline income; gains in pp of "
                "income over the threat point",
                f"threat point: {pk.threat.label}; {int(pk.preferred.sum())} of {len(pk.grid)} "
                f"grid packages are preferred by both; {pk.message}; detente package",
            )
    if truce:
        say("truce game")
        from detente.strategy import (
            build_stage_game,
            default_ladders,
            get_strategy,
            truce_survival,
        )
        from detente.strategy._axelrod import axelrod_payoffs
        from detente.strategy._deterrence import deterrence, deterrence_table

        game = build_stage_game(
            world, (a, b), default_ladders((a, b)), reference=Counterfactual.from_world(world), objectives=objectives
        )
        pdp = axelrod_payoffs(game)
        det: Any = deterrence_table(deterrence(game, noise=0.03))  # a pandas DataFrame
        tables["deterrence"] = _label(
            det[["R", "S", "T", "P", "PD", "delta*", "delta* both", "trust*"]],
            "Truce stage game: two-action reduction and grim-trigger thresholds",
            "R, S, T, P in bp of annual income per 7-day period; delta*: least weekly "
            "discount factor (perfect monitoring; 'both': with 3% misreadings and "
            "approval delays); trust*: least prior trust",
            f"mean of both: R={pdp.r:.3f} S={pdp.s:.3f} T={pdp.t:.3f} P={pdp.p:.3f} "
            f"({'a' if pdp.is_prisoners_dilemma else 'not a'} prisoner's dilemma)",
        )
        rows = []
        for name in TRUCE_STRATEGIES:
            s = truce_survival(game, (get_strategy(name), get_strategy(name)), runs=runs, noise=0.03, seed=seed)
            d = s.summary()
            rows.append(
                {
                    "strategies": f"{name} (both)",
                    "holds 90 days": d["holds_90d"],
                    "90-day 95% band": f"{d['holds_90d_lo']:.3f}-{d['holds_90d_hi']:.3f}",
                    "holds 1 year": d["holds_365d"],
                    "1-year 95% band": f"{d['holds_365d_lo']:.3f}-{d['holds_365d_hi']:.3f}",
                    "median break (day)": d["median_break_day"],
                }
            )
        tables["truce"] = _label(
            pd.DataFrame(rows).set_index("strategies"),
            f"Truce survival: Monte Carlo, {runs} runs per pair, seed {seed}, 3% misreadings",
            "share of runs in which the truce holds; exact binomial (Clopper-Pearson) 95% "
            "bands; break day in days (inf: no break)",
            "detente truce for every strategy and more runs",
        )
    return {"labels": labels, "tables": tables}


def _cell(v) -> str:
    if isinstance(v, bool):
        return f"<td>{'yes' if v else 'no'}</td>"
    if isinstance(v, float):
        if math.isinf(v):
            return "<td class='num'>∞</td>"
        if math.isnan(v):
            return "<td class='num'>–</td>"
        return f"<td class='num'>{v:.4g}</td>" if abs(v) >= 1e-3 or v == 0 else f"<td class='num'>{v:.2e}</td>"
    if isinstance(v, int):
        return f"<td class='num'>{v}</td>"
    return f"<td>{_e(v)}</td>"


def table_html(df, labels: Mapping[str, Any]) -> str:
    """One labelled table: caption (title), header, rows, and a note with units and labels."""
    import numpy as np

    head = f"<th>{_e(df.index.name or '')}</th>" + "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for idx, r in df.iterrows():
        vals = [v.item() if isinstance(v, np.generic) else v for v in r.tolist()]
        rows.append(f"<tr><td>{_e(idx)}</td>" + "".join(_cell(v) for v in vals) + "</tr>")
    meta = (
        f"Units: {df.attrs.get('units', '')}. Objective: {labels.get('objective')}. Trade elasticities: "
        f"{labels.get('elasticities')}. World: {labels.get('world')}."
    )
    note = df.attrs.get("note", "")
    return (
        f"<table class='strategy'><caption>{_e(df.attrs.get('title', ''))}</caption><tr>{head}</tr>"
        f"{''.join(rows)}</table><p class='note'>{_e(meta)}{(' ' + _e(note)) if note else ''}</p>"
    )


def strategy_section(
    results: Mapping[str, Any], heading: str = "Strategy: leverage, Nash tariffs, bargaining and the truce"
) -> str:
    """The ``<section id="strategy">`` of the report from :func:`strategy_results`."""
    labels = results["labels"]
    tables = results["tables"]
    parts = [table_html(df, labels) for df in tables.values()]
    intro = (
        "Strategy compares permanent policies, so these tables use the trade elasticities named below "
        "(by default at the long run), not the replay's horizon. docs/strategy.md explains each table."
    )
    style = "<style>table.strategy caption{text-align:left;font-weight:600;padding:4px 0}</style>"
    return (
        f"<section id='strategy'>{style}<h2>{_e(heading)}</h2><p class='note'>{_e(intro)}</p>{''.join(parts)}</section>"
    )
