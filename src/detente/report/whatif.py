"""The machine-readable record of a what-if (JSON-ready dict with units and provenance)."""

from __future__ import annotations

import datetime as _dt
import math

from detente.equilibrium import Equilibrium

#: economies shown by default (those present in a world, in this order)
from detente.report._light import MAIN_COUNTRIES, main_countries  # noqa: F401 (re-exported)

COUNTRY_COLUMNS = {
    "welfare_pct": "real income (welfare), % change",
    "welfare_value": "real income change, equivalent variation at baseline income (world units)",
    "welfare_per_household": "real income change per private household, equivalent variation at baseline income "
    "(USD a year; null where the number of households is unknown)",
    "real_wage_pct": "real wage, % change",
    "cpi_pct": "consumer prices relative to the country's own nominal wage, % change",
    "imports_pct": "imports (factory prices), % change",
    "exports_pct": "exports (factory prices), % change",
    "tot_pct": "terms-of-trade effect, % of income (CP 2015)",
    "vot_pct": "volume-of-trade effect, % of income (CP 2015)",
    "deficit_pct": "deficit-valuation effect (D' - D) / income, % (the closure's part)",
    "tariff_revenue_base": "tariff revenue, baseline",
    "tariff_revenue": "tariff revenue, counterfactual",
}


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def whatif_record(eq: Equilibrium, *, countries: list[str], pair: tuple[str, str] | None) -> dict:
    """A JSON-ready dict: provenance, the country table, and bilateral trade by sector."""
    w = eq.world
    d = eq.diagnostics
    full = eq.country_table()
    table = full.loc[countries]
    units = w.meta.units
    per_household = (
        "real income change per private household, equivalent variation at baseline income (USD a year; "
        "null where the number of households is unknown; src/detente/data/households.csv)"
    )
    if str(full.attrs.get("welfare_per_household", "")).startswith("n/a"):
        per_household += f"; {full.attrs['welfare_per_household']}"
    rec: dict = {
        "meta": {
            "world": w.meta.name,
            "vintage": w.meta.vintage,
            "year": w.meta.year,
            "units": units,
            "scenario": eq.counterfactual.label,
            "changes": list(eq.counterfactual.changes),
            "numeraire": "world value added (fixed)",
            "detente_version": eq.provenance()["detente_version"],
            "elasticities": w.meta.elasticities or "as stored in the world file",
            "closure": eq.counterfactual.closure,
            "computed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "solver": {
                "converged": d.converged,
                "iterations": d.iterations,
                "seconds": round(d.seconds, 4),
                "max_equilibrium_residual": max(d.residuals.values()),
                "residuals": d.residuals,
            },
        },
        "columns": {
            **COUNTRY_COLUMNS,
            "welfare_value": f"real income change, equivalent variation at baseline income ({units} a year)",
            "welfare_per_household": per_household,
            "tariff_revenue_base": f"tariff revenue, baseline ({units})",
            "tariff_revenue": f"tariff revenue, counterfactual ({units})",
        },
        "countries": [
            {"country": c, **{k: _clean(float(v)) for k, v in row.items()}}
            for c, row in table[list(COUNTRY_COLUMNS)].to_dict("index").items()
        ],
        "bilateral": [],
    }
    if pair:
        a, b = pair
        names = dict(zip(w.sectors, w.meta.sector_names)) if w.meta.sector_names else {}
        for imp, exp in ((a, b), (b, a)):
            bt = eq.bilateral(imp, exp)
            rec["bilateral"].append(
                {
                    "importer": imp,
                    "exporter": exp,
                    "units": units,
                    "rows": [
                        {"sector": s, "name": names.get(s, s), **{k: _clean(float(v)) for k, v in row.items()}}
                        for s, row in bt.to_dict("index").items()
                    ],
                    "total_baseline": float(bt["baseline"].sum()),
                    "total_counterfactual": float(bt["counterfactual"].sum()),
                }
            )
    return rec
