"""Reproduction of published results: Caliendo & Parro (2015) Table 2 (NAFTA)."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

PAPER_TABLE2 = {  # CP 2015 Table 2: welfare and real wage, % (Mexico, Canada, USA)
    "Mexico": {"welfare": 1.31, "real_wage": 1.72},
    "Canada": {"welfare": -0.06, "real_wage": 0.32},
    "USA": {"welfare": 0.08, "real_wage": 0.11},
}


def cp2015_table(data_dir: str | None = None):
    """The 31-region NAFTA table: welfare (ToT + VoT), ToT, VoT, real wage, exact real income, in %."""
    from detente.equilibrium import Counterfactual, solve
    from detente.world import load_cp2015
    from detente.world._cp2015 import nafta_tariffs

    w = load_cp2015(data_dir)
    base = solve(w, Counterfactual.from_world(w, deficits="zero")).to_world("cp2015-zero-deficit")
    cf = Counterfactual(
        base,
        nafta_tariffs(base, data_dir),
        np.ones_like(base.tariffs),
        np.zeros(base.n_countries),
        label="NAFTA tariff changes (1993 -> 2005 among CAN, MEX, USA)",
    )
    eq = solve(base, cf)
    t = eq.country_table()[["welfare_cp_pct", "tot_pct", "vot_pct", "real_wage_pct", "welfare_pct"]]
    t = t.rename(
        columns={
            "welfare_cp_pct": "welfare",
            "tot_pct": "terms_of_trade",
            "vot_pct": "volume_of_trade",
            "real_wage_pct": "real_wage",
            "welfare_pct": "real_income_exact",
        }
    )
    meta = {
        "study": "Caliendo & Parro (2015), Review of Economic Studies 82(1), Table 2",
        "world": w.meta.vintage,
        "experiment": cf.label,
        "units": "% change",
        "baseline": "1993 data re-solved with zero trade deficits (as in the paper)",
        "welfare": "terms of trade + volume of trade (the paper's decomposition)",
        "solver": str(eq.diagnostics),
        "paper": PAPER_TABLE2,
    }
    return t, meta


def print_cp2015(console: Console, table, meta: dict) -> None:
    console.print(f"[bold]{meta['study']}[/bold]: {meta['experiment']}")
    console.print(f"data: {meta['world']}; baseline: {meta['baseline']}")
    tb = Table(title="Welfare effects of NAFTA's tariff changes (% change)", title_justify="left")
    for head in (
        "region",
        "welfare",
        "terms of trade",
        "volume of trade",
        "real wage",
        "real income (exact)",
        "paper welfare / real wage",
    ):
        tb.add_column(head, justify="left" if head == "region" else "right")
    for region, r in table.iterrows():
        paper = meta["paper"].get(region)
        ref = f"{paper['welfare']:+.2f} / {paper['real_wage']:+.2f}" if paper else ""
        style = "bold" if paper else None
        tb.add_row(
            region,
            f"{r.welfare:+.2f}",
            f"{r.terms_of_trade:+.2f}",
            f"{r.volume_of_trade:+.2f}",
            f"{r.real_wage:+.2f}",
            f"{r.real_income_exact:+.2f}",
            ref,
            style=style,
        )
    console.print(tb)
    console.print(f"[dim]welfare = {meta['welfare']}; solver: {meta['solver']}[/dim]")
