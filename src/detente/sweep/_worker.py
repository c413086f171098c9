"""Running one chunk of tasks: the function every executor calls (pure, idempotent).

:func:`run_chunk` depends only on its arguments: the same chunk gives the same table,
bit for bit, on any worker, however often it runs. A task that does not converge (or
whose answer fails the solver's checks) gives rows with ``converged = False``, NaN
values and the reason; it is never an answer.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Iterable
from typing import Any

import numpy as np

COLUMNS = (
    "key",
    "grid_point",
    "seed",
    "draw",
    "elasticities",
    "horizon",
    "axes",
    "country",
    "date",
    "converged",
    "reason",
    "iterations",
)


@functools.lru_cache(maxsize=32)
def _world(name: str, es: str, horizon: str):
    from detente.world import load_world

    return load_world(name, elasticities=es, horizon=horizon)


@functools.lru_cache(maxsize=8)
def _scenario(name: str):
    from detente.policy import load_scenario

    return load_scenario(name)


def _task_world(task: dict):
    w = _world(task["world"], task["elasticities"], task["horizon"])
    if task.get("theta") is not None:
        theta = np.asarray(task["theta"], float)
        w = w.replace(
            theta=theta,
            meta=dataclasses.replace(
                w.meta, elasticities=f"{w.meta.elasticities}; drawn (seed {task['seed']}, draw {task['draw']})"
            ),
        )
    return w


def _counterfactual(world, task: dict):
    from detente.equilibrium import Counterfactual
    from detente.instruments import parse_all

    cf = Counterfactual.from_world(world, closure=task["closure"], label=task["key"])
    return cf.apply(*parse_all(task["tariffs"], "tariff"))


def _values(eq, headlines) -> dict[str, np.ndarray]:
    out = {
        "welfare_pct": 100 * (eq.welfare_hat - 1),
        "real_wage_pct": 100 * (eq.real_wage_hat - 1),
        "cpi_pct": 100 * (eq.consumer_price_hat - 1),
        "wage_pct": 100 * (eq.solution.w_hat - 1),
    }
    if {"imports_pct", "exports_pct"} & set(headlines):
        table = eq.country_table()
        out["imports_pct"] = table["imports_pct"].to_numpy(float)
        out["exports_pct"] = table["exports_pct"].to_numpy(float)
    return {h: np.asarray(out[h], float) for h in headlines}


def _rows(
    task: dict, countries, date: str, values: dict | None, reason: str, iterations: int, headlines, all_countries
) -> list[dict]:
    rows = []
    for c in countries:
        i = all_countries.index(c)
        row = {
            "key": task["key"],
            "grid_point": task["grid_point"],
            "seed": -1 if task["seed"] is None else int(task["seed"]),
            "draw": -1 if task["draw"] is None else int(task["draw"]),
            "elasticities": task["elasticities"],
            "horizon": task["horizon"],
            "axes": json.dumps(task["axes"], sort_keys=True),
            "country": c,
            "date": date,
            "converged": values is not None,
            "reason": reason,
            "iterations": int(iterations),
        }
        for h in headlines:
            row[h] = float(values[h][i]) if values is not None else float("nan")
        rows.append(row)
    return rows


def _whatif_rows(tasks: list[dict], headlines, countries) -> list[dict]:
    from detente.equilibrium import solve_batch

    rows: list[dict] = []
    # tasks sharing a world (no drawn theta) are solved in one batch; a drawn theta is its own world
    groups: dict[tuple, list[dict]] = {}
    for t in tasks:
        gk = (t["world"], t["elasticities"], t["horizon"]) if t.get("theta") is None else ("theta", t["key"])
        groups.setdefault(gk, []).append(t)
    by_key: dict[str, list[dict]] = {}
    for members in groups.values():
        world = _task_world(members[0])
        names = list(world.countries)
        sel = countries or names
        try:
            cfs = [_counterfactual(world, t) for t in members]
        except Exception as exc:  # a bad tariff: every member of the group fails, said why
            for t in members:
                by_key[t["key"]] = _rows(t, sel, "", None, f"{type(exc).__name__}: {exc}", 0, headlines, names)
            continue
        res = solve_batch(world, cfs, tol=members[0]["tol"], max_iter=members[0]["max_iter"])
        reasons = {f.index: f.reason for f in res.failed}
        for k, (t, eq) in enumerate(zip(members, res.equilibria)):
            if eq is None:
                fm = next(f for f in res.failed if f.index == k)
                it = fm.diagnostics.iterations if fm.diagnostics is not None else 0
                by_key[t["key"]] = _rows(t, sel, "", None, reasons[k], it, headlines, names)
            else:
                by_key[t["key"]] = _rows(
                    t, sel, "", _values(eq, headlines), "", eq.diagnostics.iterations, headlines, names
                )
    for t in tasks:
        rows.extend(by_key[t["key"]])
    return rows


def with_approval_share(sc, share: float):
    """``sc`` with every export licence that is not a ban approving ``share`` of controlled
    trade once approvals start (the ``approval_shares`` axis of a replay sweep)."""
    events = []
    for e in sc.events:
        if e.kind == "export_control" and e.export_control.licence != "ban":
            x = e.export_control.model_copy(update={"approval_share": float(share)})
            e = e.model_copy(update={"export_control": x})
        events.append(e)
    return sc.model_copy(update={"events": type(sc.events)(events)})


def _shortage_rows(task: dict, sc, headlines, countries) -> list[dict]:
    """A shortage replay: value added lost over the run by country (% of annual GDP)."""
    from detente.shortage import load_registry, simulate_scenario
    from detente.shortage._registry import scale_inventories

    world = _world(task["world"], "world", "1y")
    names = list(world.countries)
    sel = countries or names
    reg = load_registry()
    if task.get("inventory_scale") is not None:
        reg = scale_inventories(reg, float(task["inventory_scale"]))
    try:
        res = simulate_scenario(sc, world, variant=task["variant"], registry=reg)
    except Exception as exc:  # recorded, never an answer
        return _rows(task, sel, "", None, f"{type(exc).__name__}: {exc}", 0, headlines, names)
    ds = res.dataset
    last = str(ds["week_start"].values[-1])[:10]
    values = {"va_lost_pct_gdp": np.asarray(ds["va_lost_pct_gdp"].sel(country=names).values, float)}
    return _rows(task, sel, last, values, "", int(ds.sizes["week"]), headlines, names)


def _replay_rows(task: dict, headlines, countries) -> list[dict]:
    from detente.policy import replay

    world = _task_world(task) if task.get("theta") is not None else _world(task["world"], "world", "1y")
    names = list(world.countries)
    sel = countries or names
    sc = _scenario(task["scenario"])
    if task.get("approval_share") is not None:
        sc = with_approval_share(sc, task["approval_share"])
    if task.get("model") == "shortage":
        return _shortage_rows(task, sc, headlines, countries)
    try:
        if task.get("theta") is not None:
            rp = replay(
                sc, world, variant=task["variant"], elasticities="world", closure=task["closure"], tol=task["tol"]
            )
        else:
            rp = replay(
                sc,
                world,
                variant=task["variant"],
                elasticities=task["elasticities"],
                horizon=task["horizon"],
                closure=task["closure"],
                tol=task["tol"],
            )
    except Exception as exc:  # ConvergenceError and the like: recorded, never an answer
        return _rows(task, sel, "", None, f"{type(exc).__name__}: {exc}", 0, headlines, names)
    ds = rp.dataset
    all_dates = [str(d)[:10] for d in ds["date"].values]
    wanted = task["dates"]
    picks = [all_dates[-1]] if wanted == "last" else all_dates if wanted == "all" else [str(d) for d in wanted]
    rows: list[dict] = []
    var = {"welfare_pct": "welfare_pct", "real_wage_pct": "real_wage_pct", "cpi_pct": "cpi_pct"}
    for d in picks:
        if d not in all_dates:
            rows.extend(_rows(task, sel, d, None, f"date {d} is not a replay date", 0, headlines, names))
            continue
        t = all_dates.index(d)
        eq = rp.equilibria[rp.state_keys[t]]
        vals = {h: (ds[var[h]].values[:, t] if h in var else _values(eq, [h])[h]) for h in headlines}
        rows.extend(_rows(task, sel, d, vals, "", eq.diagnostics.iterations, headlines, names))
    return rows


def run_chunk(tasks: Iterable[dict], headlines: Iterable[str], countries: Iterable[str] | None = None) -> Any:
    """The result table of one chunk (pandas DataFrame, one row per task x country x date)."""
    import pandas as pd

    headlines, countries = list(headlines), (list(countries) if countries else None)
    tasks = list(tasks)
    rows: list[dict] = []
    whatifs = [t for t in tasks if t["kind"] == "whatif"]
    rows_by: dict[str, list[dict]] = {}
    for r in _whatif_rows(whatifs, headlines, countries) if whatifs else []:
        rows_by.setdefault(r["key"], []).append(r)
    for t in tasks:
        rows.extend(rows_by[t["key"]] if t["kind"] == "whatif" else _replay_rows(t, headlines, countries))
    frame = pd.DataFrame(rows, columns=list(COLUMNS) + headlines)
    return frame.astype(
        {"grid_point": "int64", "seed": "int64", "draw": "int64", "iterations": "int64", "converged": "bool"}
    )
