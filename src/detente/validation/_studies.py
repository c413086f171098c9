"""The studies: each reproduces one published or observed number with the model.

Observed and published numbers live in ``detente/data/validation/observations.yaml``
(each with its source); this module computes the model's side only.
"""

from __future__ import annotations

import datetime as dt
import functools
from importlib import resources

import numpy as np
import yaml

from detente.validation._core import Comparison, Row, study


@functools.cache
def observations() -> dict:
    """The published and observed numbers, with their sources (package data)."""
    path = resources.files("detente") / "data" / "validation" / "observations.yaml"
    with path.open("r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _obs(key: str) -> dict:
    return observations()[key]


def _settings(world, **extra) -> dict:
    return {"world": world.meta.name, "vintage": world.meta.vintage,
            "elasticities": world.meta.elasticities or "as stored in the world file", **extra}


# ---------------------------------------------------------------------------- CP 2015
@study("cp2015", "Caliendo & Parro (2015) Table 2: NAFTA's welfare effects (needs ../shared/data/cp2015)")
def cp2015(data: str | None = None) -> Comparison:
    from detente.report.reproduce import PAPER_TABLE2, cp2015_table

    table, meta = cp2015_table(data)
    rows = []
    for region, paper in PAPER_TABLE2.items():
        r = table.loc[region]
        rows.append(Row(f"{region} welfare", float(r.welfare), paper["welfare"], "%",
                        meta["study"], tolerance=0.01))
        rows.append(Row(f"{region} real wage", float(r.real_wage), paper["real_wage"], "%",
                        meta["study"], tolerance=0.01))
    return Comparison("cp2015", meta["study"] + ": " + meta["experiment"], tuple(rows),
                      {"world": meta["world"], "elasticities": "CP 2015 (the paper's own, from T.txt)",
                       "closure": "balanced (deficits purged first, as in the paper)"},
                      ("welfare is the paper's terms-of-trade + volume-of-trade decomposition",),
                      extra={"table": table.reset_index().to_dict(orient="records")})


# ---------------------------------------------------------------------------- ACR
@study("acr", "Arkolakis, Costinot & Rodriguez-Clare (2012): welfare = lambda_hat^(-1/theta), one sector")
def acr(seed: int = 4) -> Comparison:
    from detente.equilibrium import Counterfactual, solve
    from detente.world import random_world

    w = random_world(6, 1, seed=seed, intermediates=False, tariff_max=0.0)
    w = solve(w, Counterfactual.from_world(w, deficits="zero")).to_world("acr-balanced")
    N = w.n_countries
    rng = np.random.default_rng(0)
    cf = Counterfactual.from_world(w)
    for n in range(N):
        for i in range(N):
            if n != i:
                cf = cf.iceberg_cost(w.countries[n], w.countries[i], "all", float(rng.uniform(0.7, 1.6)))
    eq = solve(w, cf, tol=1e-14)
    lam = np.diag(eq.solution.pi[:, :, 0]) / np.diag(w.trade_shares[:, :, 0])
    acr_hat = lam ** (-1.0 / float(w.theta[0]))
    rows = tuple(Row(f"{c} welfare", float(100 * (eq.welfare_hat[k] - 1)), float(100 * (acr_hat[k] - 1)),
                     "%", "ACR (2012, AER 102(1)), eq. (1): the closed form from domestic shares",
                     tolerance=1e-6) for k, c in enumerate(w.countries))
    return Comparison("acr", "ACR formula on a random 6-country one-sector world (iceberg shocks)", rows,
                      _settings(w, closure="balanced trade"),
                      ("the 'published' column is the closed form evaluated on the model's own domestic "
                       "shares: it checks the engine, not the data",))


# ---------------------------------------------------------------------------- 2018 war
def _replay(name: str, **kw):
    from detente.policy import load_scenario, replay

    return replay(load_scenario(name), **kw)


@study("war-2018", "the 2018 US-China tariffs' cost to the US vs Fajgelbaum et al. (2020) and "
       "Amiti-Redding-Weinstein (2019)")
def war_2018(elasticities: str | None = None, horizon: str | None = None) -> Comparison:
    obs = _obs("war_2018")
    rp = _replay("us-china-2018-2020", elasticities=elasticities, horizon=horizon)
    ds = rp.dataset
    when = np.datetime64(obs["policy_date"])
    date = ds["date"].values[ds["date"].values <= when][-1]
    us = float(ds["welfare_pct"].sel(country="USA", date=date))
    cn = float(ds["welfare_pct"].sel(country="CHN", date=date))
    gdp_usd_bn = float(rp.world.gdp[rp.world.country_index("USA")]) / 1e3
    us_usd_bn = us / 100 * gdp_usd_bn
    fg = obs["fgkk2020"]
    arw = obs["arw2019"]
    rows = (
        Row("US real income, end-2018 policy", us, fg["us_real_income_pct_gdp"], "% of GDP", fg["source"],
            tolerance=0.1, note=fg["note"]),
        Row("US real income, end-2018 policy, USD bn a year", us_usd_bn, fg["us_real_income_usd_bn"],
            "USD bn/yr (at the world's 2022 US GDP)", fg["source"]),
        Row("US deadweight loss, USD bn a month (ARW: a loss, sign flipped)", -us_usd_bn / 12,
            arw["deadweight_usd_bn_month"], "USD bn/month", arw["source"], note=arw["note"]),
        Row("China real income, end-2018 policy", cn, None, "%", "no comparable ex-post estimate"),
    )
    return Comparison("war-2018", "The 2018 US-China tariffs (as in force at the end of 2018): cost to the US",
                      rows, _settings(rp.world, date=str(date)[:10], scenario="us-china-2018-2020",
                                      closure=rp.scenario.settings.deficits + " deficits"),
                      tuple(obs["notes"]))


# ---------------------------------------------------------------------------- 2025 trade
def goods_trade_change(ds, world, importer: str, exporter: str, start: str, end: str) -> float:
    """Mean % change of goods sales exporter -> importer over replay dates in [start, end]."""
    goods = [s for s in world.sectors if s in set(world.goods)]
    t = ds["trade"].sel(importer=importer, exporter=exporter, sector=goods).sum("sector")
    b = float(ds["trade_base"].sel(importer=importer, exporter=exporter, sector=goods).sum())
    window = t.sel(date=slice(start, end))
    return float(100 * (window.mean() / b - 1))


@study("trade-2025", "the 2025 US-China goods trade collapse vs Census and China customs figures")
def trade_2025(elasticities: str | None = None, horizon: str | None = None,
               adjustment: str | None = None) -> Comparison:
    obs = _obs("trade_2025")
    rp = _replay("us-china-2025", elasticities=elasticities, horizon=horizon, adjustment=adjustment)
    ds, w = rp.dataset, rp.world
    rows = []
    for item in obs["rows"]:
        model = goods_trade_change(ds, w, item["importer"], item["exporter"], item["start"], item["end"])
        rows.append(Row(item["quantity"], model, item["observed_pct"], "% y/y", item["source"],
                        tolerance=item.get("tolerance_pp"), note=item.get("note", "")))
    return Comparison("trade-2025", "US-China goods trade in 2025: model vs observed", tuple(rows),
                      _settings(w, scenario="us-china-2025", adjustment=ds.attrs.get("adjustment", "fixed")),
                      tuple(obs["notes"]))


def today() -> str:
    return dt.date.today().isoformat()
