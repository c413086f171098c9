"""One cut-off, every model: the table of docs/shortage.md, section 8.

A full-year ban on China's NdFeB magnet exports to every importer (and a licence that
refuses 80%, the IMF's case), read by:

1. the static equilibrium with the licence as an export-tax equivalent on the parent
   sector (the scenario timeline's and the leverage module's rule for unmapped controls);
2. the static equilibrium with the users' nested CES block (``whatif --cut``), at one
   and three years, with bands from the nest elasticity's range;
3. the weekly shortage model over 52 weeks (value added at risk), with a Monte Carlo band
   over inventories, with the default parts channel and (point only) the other rule
   (``ShortageSettings.parts_channel``, docs/shortage.md section 2, 'The parts channel').

A third table reads China's cut-off of the US alone (magnets, Dy/Tb and the other
controlled rare earths, ``CN_CRITICAL_2025``): the cut that ``detente leverage``, the
package bargain's threat point and the truce ladders use, statically (the nest, on the
strategy tools' long-run world and on the default one-year world) and weekly (the
shortage model, as ``shortage_loss_model`` reads it with ``--shortage``).

Run: ``python scripts/build_cutoff_table.py`` (about a minute); prints Markdown.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from detente.equilibrium import Counterfactual, solve
from detente.instruments import nest_sigma
from detente.shortage import ShortageSettings, cut_losses
from detente.strategy._leverage import CN_CRITICAL_2025, CN_RARE_EARTHS_2025, CriticalInputCutoff
from detente.world import load_world

SHOW = ("USA", "JPN", "DEU", "KOR", "MEX")
PARTS = ShortageSettings().parts_channel  # the default rule; the table adds the other one
PUBLISHED = {"USA": "IMF 1.5 (80% cut); ECB ~2", "JPN": "IMF 1.8", "DEU": "IMF 1.2"}


def static_nest(world, refused, horizon, sigma=None):
    cf = Counterfactual.from_world(world).critical_input_cut(
        "ndfeb-magnets", "CHN", "all", refused, horizon=horizon, sigma=sigma
    )
    eq = solve(world, cf)
    return 100 * (eq.welfare_hat - 1), 100 * (eq.real_value_added_hat - 1)


def static_parent(world, refused):
    cf = Counterfactual.from_world(world)
    for sector, share in CN_RARE_EARTHS_2025.items():
        cf = cf.licence("CHN", "all", sector, min(share * refused, 1 - 1e-9))
    eq = solve(world, cf)
    return 100 * (eq.welfare_hat - 1), 100 * (eq.real_value_added_hat - 1)


def weekly(world, refused, n_draws=40, settings=None, products=("ndfeb-magnets",), importers=("all",)):
    """The weekly model's year of the cut (:func:`detente.shortage.cut_losses`)."""
    return cut_losses(world, refused, products=products, importers=importers, n_draws=n_draws, settings=settings)


def band_text(cut, c: str, digits: int) -> str:
    """`` [-high to -low]``: the Monte Carlo 5-95% band of country ``c``'s loss, if drawn."""
    if cut.low is None or cut.high is None:
        return ""
    return f" [-{cut.high[c]:.{digits}f} to -{cut.low[c]:.{digits}f}]"


def us_cutoff(world) -> list[str]:
    """China refuses all (and 75%) of its rare earths and magnets to the US for a year."""
    long = load_world("default", horizon="long")
    cut = CriticalInputCutoff()  # CN_CRITICAL_2025, all refused, the nest at one year

    def static(w, sigma=None):
        cf = cut.apply(Counterfactual.from_world(w), "CHN", "USA")
        if sigma is not None:
            cf = dataclasses.replace(cf, critical_sigma=sigma)
        eq = solve(w, cf)
        return 100 * (eq.welfare_hat - 1), 100 * (eq.real_value_added_hat - 1)

    lev = static(long)
    one = static(world)
    lo = static(world, nest_sigma("1y", band="low"))
    hi = static(world, nest_sigma("1y", band="high"))
    wk = weekly(world, 1.0, products=CN_CRITICAL_2025, importers=("USA",))
    wk75 = weekly(world, 0.75, n_draws=0, products=CN_CRITICAL_2025, importers=("USA",)).point
    lines = [
        "\n**China's cut-off of the US** (magnets, Dy/Tb and the other controlled rare earths, "
        "CHN -> USA only, for a year: the cut of `detente leverage`, the package threat point and the "
        "truce ladders; % change)\n",
        "| economy | leverage reading (nest 1y, long-run trade elasticities): real income "
        "| static nest 1y: real income | static nest 1y: real GDP [sigma band] "
        "| weekly 52 weeks, all refused: value added lost, % GDP [5-95%] "
        "| weekly, 75% refused (`leverage --shortage`) |",
        "|---|---|---|---|---|---|",
    ]
    for c in ("USA", "CHN", "MEX", "CAN", "JPN", "DEU"):
        k = world.country_index(c)
        b = band_text(wk, c, 3)
        lines.append(
            f"| {c} | {lev[0][k]:+.3f} | {one[0][k]:+.3f} | {one[1][k]:+.3f} [{hi[1][k]:+.3f} to {lo[1][k]:+.3f}] "
            f"| -{float(wk.point.get(c, 0.0)):.3f}{b} | -{float(wk75.get(c, 0.0)):.3f} |"
        )
    return lines


def main() -> int:
    world = load_world("default")
    lines = []
    for refused in (1.0, 0.8):
        label = "full-year ban" if refused >= 1 else "80% refused for a year"
        par = static_parent(world, refused)
        rows = {h: static_nest(world, refused, h) for h in ("1y", "3y")}
        lo = static_nest(world, refused, "1y", sigma=nest_sigma("1y", band="low"))
        hi = static_nest(world, refused, "1y", sigma=nest_sigma("1y", band="high"))
        wk = weekly(world, refused)
        alt = dataclasses.replace(ShortageSettings(), parts_channel="none" if PARTS == "io" else "io")
        wk_alt = weekly(world, refused, n_draws=0, settings=alt).point
        lines.append(
            f"\n**{label}** (China's NdFeB magnet exports to every importer; % change; "
            f"nest sigma {nest_sigma('1y'):g} at 1 year [band {nest_sigma('1y', band='low'):g}-"
            f"{nest_sigma('1y', band='high'):g}], {nest_sigma('3y'):.2g} at 3 years)\n"
        )
        lines.append(
            "| economy | static, parent-sector licence: real income | static nest 1y: real income "
            "| static nest 1y: real GDP [sigma band] | static nest 3y: real GDP | weekly 52 weeks: "
            f'value added lost, % GDP [5-95%] | weekly, `parts_channel="{alt.parts_channel}"` | published (% GDP) |'
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        order = list(SHOW)
        worst = int(np.argmin(rows["1y"][1]))
        if world.countries[worst] not in order:
            order.append(world.countries[worst])
        for c in order:
            k = world.country_index(c)
            b = band_text(wk, c, 2)
            lines.append(
                f"| {c}{' (worst, static)' if k == worst else ''} | {par[0][k]:+.3f} | {rows['1y'][0][k]:+.2f} | "
                f"{rows['1y'][1][k]:+.2f} [{hi[1][k]:+.2f} to {lo[1][k]:+.2f}] | {rows['3y'][1][k]:+.3f} | "
                f"-{float(wk.point.get(c, 0.0)):.2f}{b} | -{float(wk_alt.get(c, 0.0)):.2f} | {PUBLISHED.get(c, '')} |"
            )
    lines += us_cutoff(world)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
