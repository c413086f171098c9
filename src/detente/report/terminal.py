"""Readable terminal output (rich tables) for what-ifs and worlds.

rich reads ``[word]`` as markup, so every string that comes from the user or the data
(titles, change lines such as ``tariff USA<-CHN [goods] +145 pp``, labels, paths) goes
through :func:`esc`, or is printed with ``markup=False``.
"""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from detente.report._light import esc  # noqa: E402,F401 (re-exported; one definition)


def _pct(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.2f}"


def _scale(units: str) -> tuple[float, str]:
    """Show USD million as USD billion for readability."""
    if units == "USD million":
        return 1e-3, "USD bn"
    return 1.0, units


def _per_household(x) -> str:
    """USD per household a year, one decimal and no thousands separator (the README's rows
    are read back as plain signed decimals); "n/a" where the households are unknown."""
    return "n/a" if x is None or not np.isfinite(x) else f"{x:+.1f}"


def print_whatif(console: Console, eq, record: dict) -> None:
    m = record["meta"]
    console.print(str(m["scenario"]), style="bold", markup=False)
    for ch in m["changes"]:
        console.print(f"  · {ch}", markup=False)
    console.print(
        f"world: {m['world']} — {m['vintage']}; values in {m['units']}; percent changes vs the baseline equilibrium",
        markup=False,
    )
    console.print(f"trade elasticities: {m.get('elasticities', 'as stored in the world file')}", markup=False)
    f, unit = _scale(m["units"])
    t = Table(
        title="Effects by country (% change vs baseline)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
    )
    # headers broken by hand so that 11 columns fit in 100 characters without truncation
    for col, head in (
        ("country", "country"),
        ("welfare_pct", "real\nincome\n%"),
        ("real_wage_pct", "real\nwage %"),
        ("cpi_pct", "prices/\nwage %"),
        ("imports_pct", "imports\n%"),
        ("exports_pct", "exports\n%"),
        ("tot_pct", "ToT %"),
        ("vot_pct", "VoT %"),
        ("deficit_pct", "deficit\n%"),
        ("welfare_value", f"real\nincome\n{unit}/yr"),
        ("welfare_per_household", "USD/\nhousehold\n/yr"),
    ):
        t.add_column(head, justify="left" if col == "country" else "right", no_wrap=True)
    for row in record["countries"]:
        t.add_row(
            esc(row["country"]),
            *(
                _pct(row[k])
                for k in (
                    "welfare_pct",
                    "real_wage_pct",
                    "cpi_pct",
                    "imports_pct",
                    "exports_pct",
                    "tot_pct",
                    "vot_pct",
                    "deficit_pct",
                )
            ),
            "n/a" if row.get("welfare_value") is None else f"{f * row['welfare_value']:+,.1f}",
            _per_household(row.get("welfare_per_household")),
        )
    console.print(t)
    console.print(
        "prices/wage: consumer prices relative to the country's own nominal wage; ToT, VoT, "
        "deficit: terms-of-trade, volume-of-trade and deficit-valuation parts of real income "
        f"(CP 2015); real income {unit}/yr: equivalent variation at baseline income; USD/household/yr: "
        "the same per private household (n/a where the number of households is unknown); "
        f"closure: {m.get('closure', 'fixed-deficits')}",
        style="dim",
        markup=False,
    )
    for b in record["bilateral"]:
        bt = Table(
            title=esc(f"{b['exporter']} → {b['importer']}: sales by sector ({unit}, factory prices)"),
            title_justify="left",
        )
        for head in ("sector", "tariff before %", "tariff after %", "baseline", "counterfactual", "change %"):
            bt.add_column(head, justify="left" if head == "sector" else "right")
        rows = sorted(b["rows"], key=lambda r: -(r["baseline"] or 0))
        for r in rows[:12]:
            if not r["baseline"]:
                continue
            bt.add_row(
                esc(r["sector"]),
                f"{r['tariff_base_pct']:.1f}",
                f"{r['tariff_new_pct']:.1f}",
                f"{f * r['baseline']:,.1f}",
                f"{f * r['counterfactual']:,.1f}",
                _pct(r["change_pct"]),
            )
        tot_b, tot_n = b["total_baseline"], b["total_counterfactual"]
        bt.add_row(
            "[bold]all sectors[/bold]",
            "",
            "",
            f"{f * tot_b:,.1f}",
            f"{f * tot_n:,.1f}",
            _pct(100 * (tot_n / tot_b - 1) if tot_b else float("nan")),
        )
        console.print(bt)
    s = m["solver"]
    console.print(
        f"solver: {'converged' if s['converged'] else 'NOT converged'} in {s['iterations']} "
        f"iterations, {s['seconds']:.3f} s, max residual {s['max_equilibrium_residual']:.1e}; "
        f"numeraire: {m['numeraire']}; detente {m['detente_version']}",
        style="dim",
        markup=False,
    )


def print_world(console: Console, world) -> None:
    f, unit = _scale(world.meta.units)
    console.print(f"[bold]{esc(world.meta.name)}[/bold]: {world.n_countries} countries x {world.n_sectors} sectors")
    console.print(f"vintage: {world.meta.vintage}; units: {world.meta.units}", markup=False)
    for s in world.meta.sources:
        console.print(f"  source: {s}", markup=False)
    acc = world.accounting_residuals()
    console.print(
        "accounting residuals (share of world output): " + ", ".join(f"{k} {v:.1e}" for k, v in acc.items()),
        markup=False,
    )
    t = Table(title=esc(f"Largest economies ({unit})"), title_justify="left")
    for head in ("country", "value added", "exports", "imports", "deficit", "avg tariff %"):
        t.add_column(head, justify="left" if head == "country" else "right")
    T = world.trade_flows
    for n in np.argsort(-world.value_added)[:15]:
        imp = world.imports[n].sum()
        foreign = T[n].sum() - T[n, n].sum()
        avg = 100 * (T[n] * world.tariffs[n]).sum() / foreign if foreign > 0 else 0.0
        t.add_row(
            esc(world.countries[n]),
            f"{f * world.value_added[n]:,.0f}",
            f"{f * world.exports[n].sum():,.0f}",
            f"{f * imp:,.0f}",
            f"{f * world.deficit[n]:,.0f}",
            f"{avg:.2f}",
        )
    console.print(t)


def _num(x, fmt: str = "{:+.3f}") -> str:
    return "" if x is None else fmt.format(x)


def print_comparison(console: Console, comparison) -> None:
    """A validation comparison: model beside published, the difference and the target."""
    console.print(f"[bold]{escape(comparison.title)}[/bold]")
    console.print(", ".join(f"{k}: {v}" for k, v in comparison.settings.items()), markup=False)
    t = Table(title_justify="left")
    for head in ("quantity", "model", "published", "unit", "difference", "target", "src"):
        t.add_column(head, justify="right" if head in ("model", "published", "difference") else "left", overflow="fold")
    sources: list[str] = []
    for r in comparison.rows:
        target = "" if r.within is None else f"{'yes' if r.within else 'NO'} ({r.target})"
        if r.source not in sources:
            sources.append(r.source)
        t.add_row(
            escape(r.quantity),
            _num(r.model),
            _num(r.published),
            escape(r.unit),
            _num(r.difference),
            target,
            esc(f"[{sources.index(r.source) + 1}]"),
        )
    console.print(t)
    for k, src in enumerate(sources, 1):
        console.print(f"[{k}] {' '.join(src.split())}", markup=False)
    for r in comparison.rows:
        if r.note:
            console.print(f"· {r.quantity}: {' '.join(r.note.split())}", markup=False)
    for note in comparison.notes:
        console.print(f"· {note}", markup=False, style="dim")
    console.print(f"reproduce: {comparison.command}", markup=False, style="dim")


def print_elasticities(console: Console, name: str | None, horizon: str, *, world: str = "default") -> None:
    """The registry's sets, or one set by sector of ``world`` at ``horizon``."""
    from detente.world import load_world
    from detente.world.elasticities import describe, elasticity_set, list_sets, theta_for

    if not name:
        t = Table(title="Trade-elasticity sets (detente elasticities SET to show one)", title_justify="left")
        for head in ("set", "horizon", "citation"):
            t.add_column(head, overflow="fold")
        for s in list_sets():
            es = elasticity_set(s)
            t.add_row(esc(s), esc(es.horizon), escape(" ".join(str(es.citation).split())))
        console.print(t)
        return
    w = load_world(world)
    theta = theta_for(w.sectors, set=name, horizon=horizon)
    names = dict(zip(w.sectors, w.meta.sector_names)) if w.meta.sector_names else {}
    t = Table(title=esc(f"{describe(name, horizon)} on {w.meta.name}"), title_justify="left")
    for head in ("sector", "name", "theta"):
        t.add_column(head, justify="right" if head == "theta" else "left")
    for s, v in zip(w.sectors, theta, strict=True):
        t.add_row(esc(s), esc(names.get(s, s)), f"{v:.3f}")
    console.print(t)
    console.print(" ".join(str(elasticity_set(name).citation).split()), markup=False, style="dim")


def print_sensitivity(console: Console, sens, *, top: int = 3) -> None:
    """Which trade elasticities drive each headline: the exact derivatives, largest first."""
    a = np.abs(sens.d_pct)
    tot = a.sum(axis=1)
    step = np.log(1.1)  # +10% in theta
    t = Table(
        title="What drives each headline: change in pp for +10% in one sector's trade "
        "elasticity (exact derivatives), with its share of the dependence",
        title_justify="left",
    )
    for head in ("headline", "value %", "all +10%", *(f"driver {k + 1}" for k in range(top)), "one > half"):
        t.add_column(head, justify="left" if head.startswith(("headline", "driver")) else "right")
    for k, h in enumerate(sens.headlines):
        order = np.argsort(-a[k], kind="stable")[:top]
        cells = [
            f"{sens.sectors[j]} {100 * a[k, j] / tot[k]:.0f}% ({step * sens.d_pct[k, j]:+.3g})" if tot[k] > 0 else ""
            for j in order
        ]
        dominant = tot[k] > 0 and a[k, order[0]] > 0.5 * tot[k]
        t.add_row(
            escape(h),
            f"{sens.values[k]:+.3f}",
            f"{step * float(sens.uniform[k]):+.3f}",
            *(escape(c) for c in cells),
            "YES" if dominant else "no",
        )
    console.print(t)
    console.print(
        "elasticities: " + ", ".join(f"{s} {v:.3g}" for s, v in zip(sens.sectors, sens.theta, strict=True)),
        style="dim",
        markup=False,
    )


def print_bands(console: Console, bands: dict) -> None:
    """Welfare bands of a what-if from elasticity draws."""
    t = Table(
        title=f"Real income, {100 * bands['coverage']:.0f}% band from {bands['n_draws']} draws of the "
        f"trade elasticities (seed {bands['seed']})",
        title_justify="left",
    )
    for head in ("country", "lower %", "median %", "upper %"):
        t.add_column(head, justify="left" if head == "country" else "right")
    for r in bands["rows"]:
        t.add_row(esc(r["country"]), f"{r['lower']:+.3f}", f"{r['median']:+.3f}", f"{r['upper']:+.3f}")
    console.print(t)
    note = f"elasticities: {bands['elasticities']}"
    if bands["n_failed"]:
        note += f"; {bands['n_failed']} draws did not converge and are left out"
    console.print(note, style="dim", markup=False)
