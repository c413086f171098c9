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

from detente.policy._replay import goods_trade_change
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
    return {
        "world": world.meta.name,
        "vintage": world.meta.vintage,
        "elasticities": world.meta.elasticities or "as stored in the world file",
        **extra,
    }


# ---------------------------------------------------------------------------- CP 2015
@study("cp2015", "Caliendo & Parro (2015) Table 2: NAFTA's welfare effects (needs ../shared/data/cp2015)")
def cp2015(data: str | None = None) -> Comparison:
    from detente.report.reproduce import PAPER_TABLE2, cp2015_table

    table, meta = cp2015_table(data)
    rows = []
    for region, paper in PAPER_TABLE2.items():
        r = table.loc[region]
        rows.append(Row(f"{region} welfare", float(r.welfare), paper["welfare"], "%", meta["study"], tolerance=0.01))
        rows.append(
            Row(f"{region} real wage", float(r.real_wage), paper["real_wage"], "%", meta["study"], tolerance=0.01)
        )
    return Comparison(
        "cp2015",
        meta["study"] + ": " + meta["experiment"],
        tuple(rows),
        {
            "world": meta["world"],
            "elasticities": "CP 2015 (the paper's own, from T.txt)",
            "closure": "balanced (deficits purged first, as in the paper)",
        },
        ("welfare is the paper's terms-of-trade + volume-of-trade decomposition",),
        extra={"table": table.reset_index().to_dict(orient="records")},
    )


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
    rows = tuple(
        Row(
            f"{c} welfare",
            float(100 * (eq.welfare_hat[k] - 1)),
            float(100 * (acr_hat[k] - 1)),
            "%",
            "ACR (2012, AER 102(1)), eq. (1): the closed form from domestic shares",
            tolerance=1e-6,
        )
        for k, c in enumerate(w.countries)
    )
    return Comparison(
        "acr",
        "ACR formula on a random 6-country one-sector world (iceberg shocks)",
        rows,
        _settings(w, closure="balanced trade"),
        (
            "the 'published' column is the closed form evaluated on the model's own domestic "
            "shares: it checks the engine, not the data",
        ),
    )


# ---------------------------------------------------------------------------- 2018 war
def _replay(name: str, **kw):
    from detente.policy import load_scenario, replay

    return replay(load_scenario(name), **kw)


@study(
    "war-2018",
    "the 2018 US-China tariffs' cost to the US vs Fajgelbaum et al. (2020) and Amiti-Redding-Weinstein (2019)",
)
def war_2018(elasticities: str | None = None, horizon: str | None = None) -> Comparison:
    obs = _obs("war_2018")
    rp = _replay("us-china-2018-2020", elasticities=elasticities, horizon=horizon)
    ds = rp.dataset
    date = np.datetime64(rp.in_force(dt.date.fromisoformat(obs["policy_date"])))
    us = float(ds["welfare_pct"].sel(country="USA", date=date))
    cn = float(ds["welfare_pct"].sel(country="CHN", date=date))
    gdp_usd_bn = float(rp.world.gdp[rp.world.country_index("USA")]) / 1e3
    us_usd_bn = us / 100 * gdp_usd_bn
    fg = obs["fgkk2020"]
    arw = obs["arw2019"]
    rows = (
        Row(
            "US real income, end-2018 policy",
            us,
            fg["us_real_income_pct_gdp"],
            "% of GDP",
            fg["source"],
            tolerance=0.1,
            note=fg["note"],
        ),
        Row(
            "US real income, end-2018 policy, USD bn a year",
            us_usd_bn,
            fg["us_real_income_usd_bn"],
            "USD bn/yr (at the world's 2022 US GDP)",
            fg["source"],
        ),
        Row(
            "US deadweight loss, USD bn a month (ARW: a loss, sign flipped)",
            -us_usd_bn / 12,
            arw["deadweight_usd_bn_month"],
            "USD bn/month",
            arw["source"],
            note=arw["note"],
        ),
        Row("China real income, end-2018 policy", cn, None, "%", "no comparable ex-post estimate"),
    )
    return Comparison(
        "war-2018",
        "The 2018 US-China tariffs (as in force at the end of 2018): cost to the US",
        rows,
        _settings(
            rp.world,
            date=str(date)[:10],
            scenario="us-china-2018-2020",
            closure=rp.scenario.settings.deficits + " deficits",
        ),
        tuple(obs["notes"]),
    )


# ---------------------------------------------------------------------------- 2025 trade
@study("trade-2025", "the 2025 US-China goods trade collapse vs Census and China customs figures")
def trade_2025(
    elasticities: str | None = None, horizon: str | None = None, adjustment: str | None = None
) -> Comparison:
    obs = _obs("trade_2025")
    rp = _replay("us-china-2025", elasticities=elasticities, horizon=horizon, adjustment=adjustment)
    ds, w = rp.dataset, rp.world
    rows = []
    spans: dict[tuple, list[float]] = {}
    for item in obs["rows"]:
        model = goods_trade_change(ds, w, item["importer"], item["exporter"], item["start"], item["end"])
        rows.append(
            Row(
                item["quantity"],
                model,
                item["observed_pct"],
                "% y/y",
                item["source"],
                tolerance=item.get("tolerance_pp"),
                note=item.get("note", ""),
            )
        )
        key = (item["exporter"], item["importer"], item["start"], item["end"])
        spans.setdefault(key, [model]).append(item["observed_pct"])
    ranges = []
    for (exp, imp, start, end), (model, *seen) in spans.items():
        if len(seen) < 2:
            continue
        lo, hi = min(seen), max(seen)
        gap = max(lo - model, model - hi, 0.0)
        ranges.append(
            {
                "flow": f"{exp}->{imp}",
                "window": f"{start}..{end}",
                "model": model,
                "sources_low": lo,
                "sources_high": hi,
                "distance_pp": gap,
            }
        )
    notes = tuple(obs["notes"]) + tuple(
        f"{r['flow']} {r['window']}: model {r['model']:+.1f}% against the two sources' range "
        f"[{r['sources_low']:+.1f}, {r['sources_high']:+.1f}]: "
        + ("inside" if r["distance_pp"] == 0 else f"{r['distance_pp']:.1f} pp outside")
        for r in ranges
    )
    return Comparison(
        "trade-2025",
        "US-China goods trade in 2025: model vs observed",
        tuple(rows),
        _settings(w, scenario="us-china-2025", adjustment=ds.attrs.get("adjustment", "fixed")),
        notes,
        extra={"ranges": ranges},
    )


def today() -> str:
    return dt.date.today().isoformat()


# ---------------------------------------------------------------------------- gegravity
def gravity_sample_path() -> str:
    """``$DETENTE_GRAVITY_SAMPLE``, else ``../shared/data/gravity_sample/sample_data_set.csv``."""
    from detente.world._cp2015 import shared_data_path

    return str(shared_data_path("gravity_sample", "sample_data_set.csv", env="DETENTE_GRAVITY_SAMPLE"))


@study(
    "gegravity",
    "gegravity's documented Canada-Japan agreement on its 30-country sample (needs ../shared/data/gravity_sample)",
)
def gegravity(path: str | None = None) -> Comparison:
    """The experiment of gegravity's documentation, solved exactly (one sector, sigma = 5).

    gegravity fits trade costs t_ij^(1-sigma) = exp(x_ij b) by PPML (coefficients printed
    in its documentation) and solves the structural gravity system for the baseline; the
    experiment sets the CAN-JPN PTA dummy to 1. Here the same coefficients build the same
    modelled baseline flows (multilateral resistances by a root solve), which become a
    one-sector detente world; the PTA change is the iceberg factor
    exp(-b_pta / (sigma - 1)) on both directions, and the closure is fixed
    expenditure/output ratios (gegravity's E = phi Y). Prices are factory-gate prices
    relative to Germany's consumer price index (gegravity's reference importer).
    """
    import pandas as pd
    from scipy.optimize import root

    from detente.equilibrium import Counterfactual, solve
    from detente.errors import DataError
    from detente.world import World

    obs = _obs("gegravity")
    src = path or gravity_sample_path()
    try:
        df = pd.read_csv(src)
    except OSError as exc:
        raise DataError(
            f"gegravity's sample data not found at {src!r} ({exc}); it is in "
            "../shared/data/gravity_sample or set $DETENTE_GRAVITY_SAMPLE"
        ) from None
    beta, sigma = obs["coefficients"], float(obs["sigma"])
    names = sorted(set(df["exporter"]))
    k = {c: i for i, c in enumerate(names)}
    N = len(names)
    cost = np.zeros((N, N))  # t_ij^(1-sigma), [exporter, importer]
    for r in df.itertuples(index=False):
        x = beta["constant"] + sum(beta[v] * getattr(r, v) for v in beta if v != "constant")
        cost[k[r.exporter], k[r.importer]] = np.exp(x)
    Y = df.groupby("exporter")["Y"].first().reindex(names).to_numpy(float)
    E = df.groupby("importer")["E"].first().reindex(names).to_numpy(float)
    ys, es, ref = Y / Y.sum(), E / E.sum(), k[obs["reference"]]

    def resistances(x):
        a = np.insert(np.exp(x[: N - 1]), ref, 1.0)  # 1 / P_j^(1-sigma), reference fixed
        b = np.exp(x[N - 1 :])  # 1 / Pi_i^(1-sigma)
        f1 = 1 - a * (cost * ys[:, None] * b[:, None]).sum(axis=0)
        f2 = 1 - b * (cost * es[None, :] * a[None, :]).sum(axis=1)
        return np.concatenate([np.delete(f1, ref), f2])

    sol = root(resistances, np.zeros(2 * N - 1), method="hybr", tol=1e-14)
    if not sol.success:
        raise DataError(f"gegravity baseline: multilateral resistances did not solve ({sol.message})")
    a0, b0 = np.insert(np.exp(sol.x[: N - 1]), ref, 1.0), np.exp(sol.x[N - 1 :])
    X = cost * Y[:, None] * E[None, :] / Y.sum() * b0[:, None] * a0[None, :]  # [exporter, importer]
    T = X.T[:, :, None]
    w = World.from_flows(
        names,
        ["total"],
        trade=T,
        tariffs=np.zeros_like(T),
        inter_use=np.zeros((N, 1, 1)),
        final_use=T.sum(axis=1),
        theta=[sigma - 1],
    )
    f = float(np.exp(-beta["pta"] / (sigma - 1)))
    a, b = obs["pair"]
    cf = Counterfactual.from_world(w, closure="fixed-ratios").iceberg_cost(a, b, "all", f).iceberg_cost(b, a, "all", f)
    eq = solve(w, cf, tol=1e-14)
    price = 100 * (eq.solution.w_hat / eq.solution.P_hat[ref, 0] - 1)
    welfare = 100 * (eq.welfare_hat - 1)
    rows = []
    for item in obs["rows"]:
        c = k[item["country"]]
        model = float(price[c] if item["what"] == "factory price" else welfare[c])
        rows.append(
            Row(
                f"{item['country']} {item['what']}",
                model,
                item["published_pct"],
                "%",
                obs["source"],
                note=item.get("note", ""),
            )
        )
    return Comparison(
        "gegravity",
        f"gegravity's documented {a}-{b} agreement (sigma = {sigma:g}) on its 30-country 2006 sample",
        tuple(rows),
        {
            "world": f"one sector, {N} countries, modelled baseline flows",
            "closure": "fixed-ratios",
            "elasticities": f"theta = sigma - 1 = {sigma - 1:g}",
            "data": src,
        },
        tuple(obs["notes"]),
    )


# ---------------------------------------------------------------------------- 2025 tariffs
@study("tariffs-2025", "the US average tariff of the world-2025 scenario vs the Yale Budget Lab tracker")
def tariffs_2025() -> Comparison:
    """The import-weighted US average tariff over all partners (no solve) on the policy dates
    of the Yale Budget Lab's "State of U.S. Tariffs" editions, against its average
    effective tariff rate before substitution (the same concept: statutory rates on fixed
    2024 import weights, MFN included)."""
    from detente.policy._series import average_tariffs

    obs = _obs("tariffs_2025")
    df = average_tariffs("world-2025", by_partner=False)
    days = [str(d)[:10] for d in df["date"]]
    rows = []
    for item in obs["rows"]:
        k = max(i for i, d in enumerate(days) if d <= item["policy_date"])
        rows.append(
            Row(
                f"US average tariff, policy of {item['policy_date']}",
                float(df["avg_tariff_pct"].iloc[k]),
                item["published_pct"],
                "%",
                item["source"],
                note=item.get("note", ""),
            )
        )
    return Comparison(
        "tariffs-2025",
        "The US average tariff in 2025: world-2025 scenario vs the Yale Budget Lab",
        tuple(rows),
        {"scenario": "world-2025", "weights": "2024 US imports (Census), goods", "solves": "none (statutory rates)"},
        tuple(obs["notes"]),
    )


# ---------------------------------------------------------------------------- 2025 diversion
DIVERSION_PARTNERS = ("CHN", "MEX", "CAN", "TWN", "VNM", "JPN", "KOR", "DEU", "EUR", "IND", "ASE")


def window_weights(days: list[dt.date], start: str, end: str) -> np.ndarray:
    """Days of [start, end] (inclusive) during which each replay date's policy is in force
    (a date's policy holds until the next date; before the first date none does)."""
    lo, hi = np.datetime64(start, "D"), np.datetime64(end, "D") + 1
    d = np.array(days, dtype="datetime64[D]")
    nxt = np.append(d[1:], max(d[-1], hi - 1) + 1)
    a, b = np.maximum(d, lo), np.minimum(nxt, hi)
    return np.maximum((b - a).astype("int64"), 0).astype(float)


def us_import_share_changes(ds, start: str, end: str, importer: str = "USA") -> dict[str, dict]:
    """Each exporter's share of ``importer``'s goods imports (factory prices), day-weighted
    over [start, end], and its baseline share, in percent."""
    from detente.report.charts import dates_of, import_shares

    exps, shares, base = import_shares(ds, importer)
    w = window_weights(dates_of(ds), start, end)
    if w.sum() <= 0:
        raise ValueError(f"no replay date covers {start}..{end}")
    mean = (shares * w).sum(axis=1) / w.sum()
    return {
        c: {"model_share_pct": float(mean[k]), "base_share_pct": float(base[k]), "change_pp": float(mean[k] - base[k])}
        for k, c in enumerate(exps)
    }


@study(
    "diversion-2025",
    "trade diversion in 2025: modelled change of US import shares by partner (world-2025) vs US Census 2025 vs 2024",
)
def diversion_2025(elasticities: str | None = None, horizon: str | None = "1y") -> Comparison:
    """Replay world-2025 on the default world and compare the change of each partner's share of
    US goods imports over calendar 2025 with the observed change from 2024 to 2025."""
    obs = _obs("diversion_2025")
    rp = _replay("world-2025", elasticities=elasticities, horizon=horizon)
    ds, w = rp.dataset, rp.world
    year = us_import_share_changes(ds, "2025-01-01", "2025-12-31")
    tot = obs["total"]
    rows, table = [], []
    seen = {}
    for p in obs["partners"]:
        c = p["exporter"]
        s24, s25 = 100 * p["2024"] / tot["2024"], 100 * p["2025"] / tot["2025"]
        seen[c] = (s24, s25, bool(p.get("lower_bound", False)))
        m = year[c]
        bound = " (observed: lower bound)" if p.get("lower_bound") else ""
        note = (
            f"observed share {s24:.2f}% -> {s25:.2f}%{' or more' if p.get('lower_bound') else ''}; "
            f"model baseline (2022) {m['base_share_pct']:.2f}% -> {m['model_share_pct']:.2f}%"
        )
        rows.append(
            Row(
                f"{c} share of US goods imports, 2025 vs 2024{bound}",
                m["change_pp"],
                s25 - s24,
                "pp",
                " ".join(str(p["source"]).split()),
                tolerance=p.get("tolerance_pp"),
                note=note,
            )
        )
    for snap in obs.get("snapshots", ()):
        c = snap["exporter"]
        m = us_import_share_changes(ds, snap["start"], snap["end"])[c]
        rows.append(
            Row(
                f"{c} share of US goods imports, {snap['start'][:7]} vs a year earlier",
                m["change_pp"],
                snap["change_pp"],
                "pp",
                " ".join(str(snap["source"]).split()),
                note=f"observed share {snap['share_pct']}%; model {m['model_share_pct']:.2f}%",
            )
        )
    for c in DIVERSION_PARTNERS:
        if c not in year:
            continue
        m = year[c]
        s24, s25, lower = seen.get(c, (None, None, False))
        obs_pp = None if s24 is None else s25 - s24
        agree = (
            None
            if obs_pp is None
            else ((m["change_pp"] > 0) if lower else (np.sign(m["change_pp"]) == np.sign(obs_pp)))
        )
        table.append(
            {
                "partner": c,
                "model_base_share_pct": m["base_share_pct"],
                "model_2025_share_pct": m["model_share_pct"],
                "model_change_pp": m["change_pp"],
                "observed_2024_share_pct": s24,
                "observed_2025_share_pct": s25,
                "observed_change_pp": obs_pp,
                "observed_is_lower_bound": lower,
                "model_relative_change_pct": 100 * m["change_pp"] / m["base_share_pct"],
                "observed_relative_change_pct": None if s24 is None or obs_pp is None else 100 * obs_pp / s24,
                "sign_agrees": None if agree is None else bool(agree),
            }
        )
    signs = [r for r in table if r["sign_agrees"] is not None]
    notes = tuple(obs["notes"]) + (
        f"Sign of the change: the model agrees with the observed direction for "
        f"{sum(r['sign_agrees'] for r in signs)} of {len(signs)} partners with a sourced figure "
        f"({', '.join(r['partner'] + (' yes' if r['sign_agrees'] else ' NO') for r in signs)}).",
    )
    return Comparison(
        "diversion-2025",
        "Trade diversion in 2025: US import shares by partner, world-2025 vs observed",
        tuple(rows),
        _settings(
            w,
            scenario="world-2025",
            window="2025-01-01..2025-12-31 (day-weighted)",
            closure=rp.scenario.settings.deficits + " deficits",
        ),
        notes,
        extra={"table": table},
    )


# ---------------------------------------------------------------------------- 2025 magnets
def _magnets_only(scenario):
    """``scenario`` with only its NdFeB-magnet export controls (and every other kind of event)."""
    events = [e for e in scenario.events if e.export_control is None or e.export_control.product == "ndfeb-magnets"]
    return scenario.model_copy(update={"events": events})


@study(
    "magnets-2025",
    "China's 2025 magnet licences, week by week: first stops and output lost vs what was reported",
)
def magnets_2025(variant: str | None = None) -> Comparison:
    """Run ``rare-earth-magnets-2025`` with the weekly shortage model on the default world
    and compare the first stop of each reported user and its output lost with the reports
    (docs/shortage.md section 5)."""
    from detente.policy import apply_variant, load_scenario
    from detente.shortage import simulate_scenario
    from detente.shortage._rules import settings_text
    from detente.world import load_world

    obs = _obs("magnets_2025")
    world = load_world("default")
    sc = load_scenario(obs["scenario"])
    if variant:
        sc = apply_variant(sc, variant)
    runs = {False: simulate_scenario(sc, world)}  # default settings
    if any(m.get("magnets_only") for m in obs["magnitudes"]):
        runs[True] = simulate_scenario(_magnets_only(sc), world)
    ds = runs[False].dataset
    start = np.datetime64(ds.week_start.values[0], "D")
    rows = []
    for item in obs["stops"]:
        c, s = item["country"], item["sector"]
        wk = runs[False].first_stockouts([s]).set_index("country").loc[c, "first_stockout_week"]
        stopped = wk is not None and not np.isnan(wk)
        date = str(start + np.timedelta64(7 * int(wk), "D")) if stopped else "never"
        rows.append(
            Row(
                f"{c} {s}: first stop, week from {start}",
                float(wk) if stopped else float("nan"),
                float(item["week"]),
                "week",
                item["source"],
                tolerance=float(item["tolerance_weeks"]),
                note=f"model {date}; reported: {' '.join(item['reported'].split())}",
            )
        )
    for item in obs["magnitudes"]:
        c, s, only = item["country"], item["sector"], bool(item.get("magnets_only"))
        x = runs[only].dataset.output_ratio.sel(country=c, sector=s).values
        rows.append(
            Row(
                f"{c} {s}: weeks of national output lost" + (" (NdFeB magnets alone)" if only else ""),
                float((1.0 - x).sum()),
                None if item["weeks"] is None else float(item["weeks"]),
                "weeks",
                item["source"],
                factor=None if item["weeks"] is None else float(item["factor"]),
                note=f"trough {100 * float(x.min()):.1f}%; reported: {' '.join(item['reported'].split())}",
            )
        )
    monthly = runs[False].monthly_output()
    for item in obs.get("industrial_production", ()):
        c, s, month = item["country"], item["sector"], str(item["month"])
        prev = str(np.datetime64(month, "M") - np.timedelta64(1, "M"))
        level = monthly.sel(country=c, sector=s)
        rows.append(
            Row(
                f"{c} {s}: national output, {month} over {prev}",
                runs[False].monthly_change_pct(c, s, month),
                float(item["change_pct"]),
                "% m/m",
                item["source"],
                note=f"model {100 * float(level.sel(month=prev)):.1f}% -> {100 * float(level.sel(month=month)):.1f}% "
                f"of baseline; observed: industrial production, {item['industry']}, first print, "
                "seasonally adjusted (every cause's change, no target)"
                + (f"; {item['remark']}" if item.get("remark") else ""),
            )
        )
    return Comparison(
        "magnets-2025",
        "China's 2025 magnet licences: the weekly shortage model vs reported stops and losses",
        tuple(rows),
        {
            "world": world.meta.name,
            "vintage": world.meta.vintage,
            "scenario": obs["scenario"] + (f" (variant {variant})" if variant else ""),
            "model": f"{ds.attrs['model']}, default settings ({settings_text(ds.attrs['settings'])})",
            "registry": ds.attrs["registry"],
        },
        tuple(obs["notes"]),
    )


# ---------------------------------------------------------------------------- magnet ban
@study(
    "magnet-ban",
    "a year without China's NdFeB magnets (80% and 100% refused): the weekly model vs the IMF and the ECB",
)
def magnet_ban(n_draws: int = 200) -> Comparison:
    """Cut China's NdFeB magnet exports to every importer for a year (each row's refused
    share) in the weekly shortage model and compare the value added lost with the IMF's
    and the ECB's published output losses (docs/shortage.md section 6)."""
    from detente.shortage import cut_losses
    from detente.shortage._rules import settings_text
    from detente.world import load_world

    obs = _obs("magnet_ban")
    world = load_world("default")
    cuts = {r: cut_losses(world, r, n_draws=n_draws) for r in sorted({float(x["refused"]) for x in obs["rows"]})}
    ds = next(iter(cuts.values())).dataset
    rows = []
    for item in obs["rows"]:
        c, r = item["country"], float(item["refused"])
        cut = cuts[r]
        worst = cut.point.drop("CHN", errors="ignore").sort_values().index[-1]
        band = "no band" if cut.low is None or cut.high is None else f"5-95% band {cut.low[c]:.2f}-{cut.high[c]:.2f}"
        rows.append(
            Row(
                f"{c} value added lost, {100 * r:g}% of China's NdFeB magnets refused for a year",
                float(cut.point[c]),
                float(item["published_pct_gdp"]),
                "% of GDP",
                item["source"],
                note=f"{band}; model / published {float(cut.point[c]) / float(item['published_pct_gdp']):.2f}; "
                f"the worst economy at this cut: {worst} {float(cut.point[worst]):.2f}",
            )
        )
    return Comparison(
        "magnet-ban",
        "A year without China's NdFeB magnets: the weekly shortage model vs the IMF and the ECB",
        tuple(rows),
        {
            "world": world.meta.name,
            "vintage": world.meta.vintage,
            "model": f"detente weekly shortage, default settings ({settings_text(ds.attrs['settings'])}), "
            f"{ds.sizes['week']} weeks from {str(ds.week_start.values[0])[:10]}",
            "draws": n_draws,
        },
        tuple(obs["notes"]),
    )
