"""The main results of a scenario at several elasticity horizons, side by side."""

from __future__ import annotations

from collections.abc import Sequence

from detente._defaults import DEFAULT_PAIR

#: horizons the report compares
REPORT_HORIZONS = ("1y", "3y", "long")


def horizon_table(
    scenario: str,
    variant: str | None = None,
    *,
    world=None,
    pair: Sequence[str] = DEFAULT_PAIR,
    horizons: Sequence[str] = REPORT_HORIZONS,
    elasticities: str | None = None,
    closure: str | None = None,
):
    """pandas DataFrame: rows = headline quantities, columns = horizons.

    Each column replays ``scenario`` with the default elasticity set at that horizon
    (:func:`detente.policy.replay`). Quantities: period-mean and worst welfare of both
    countries (%), and the period-mean change of each side's goods exports to the other (%).
    """
    import pandas as pd

    from detente.policy import load_scenario, replay
    from detente.policy._replay import goods_trade_change
    from detente.world.elasticities import describe

    a, b = pair
    sc = load_scenario(scenario)
    cols = {}
    for h in horizons:
        rp = replay(sc, world, variant=variant, horizon=h, elasticities=elasticities, closure=closure)
        ds, w = rp.dataset, rp.world
        col = {}
        for c in (a, b):
            wf = ds["welfare_pct"].sel(country=c)
            col[f"{c} welfare, period mean %"] = float(wf.mean())
            col[f"{c} welfare, worst %"] = float(wf.min())
        for imp, exp in ((a, b), (b, a)):
            col[f"{exp}->{imp} goods trade, period mean %"] = goods_trade_change(ds, w, imp, exp)
        name = elasticities or "default"
        label = describe(name, h) if name != "world" else f"world file's at {h}"
        cols[label.split(" at ", 1)[-1]] = col
    table = pd.DataFrame(cols)
    table.attrs["note"] = (
        "Default elasticity set (docs/elasticities.md) at each horizon: the same "
        "policy path with trade responding as it does 1 year, 3 years and in the "
        "long run after a tariff change. Means are over the replay dates."
    )
    return table
