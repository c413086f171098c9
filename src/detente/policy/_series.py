"""The trade-weighted average tariff each side of a pair applies to the other, 2018-2026.

:func:`tariff_series` chains two shipped scenarios into one dated series without solving
any equilibrium (tariffs only, fast): the 2018-2020 trade war (``us-china-2018-2020``,
whose ``baseline`` section sets the pre-war rates) and the 2025-2026 escalation
(``us-china-2025``, whose layers are additional to the 2022 world). From the first
tariff event of the later scenario (the 2024 Section 301 tranche, 2024-09-27) the level
is the earlier scenario's last state (Phase One) plus the later scenario's layers, so
the series is one statutory measure throughout; between Phase One and that date it is
flat.

Method (the replay's, after PIIE's tariff chart): the average over goods sectors with
fixed weights, the default world's baseline bilateral imports at factory prices by
sector (2022). docs/scenarios.md section 6 compares the result with PIIE's series.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from detente._defaults import DEFAULT_IMPORTER, DEFAULT_PAIR
from detente.policy._baseline import baseline_tariffs
from detente.policy._replay import average_tariff
from detente.policy._schema import Scenario, load_scenario
from detente.policy._timeline import layer_rates, tariff_state
from detente.world import World, load_world

EARLY = "us-china-2018-2020"
LATE = "us-china-2025"


def _tariff_events(sc: Scenario) -> list:
    return [e for e in sc.events if e.kind in ("tariff", "exemption")]


def _changes(sc: Scenario) -> list[dt.date]:
    out = set()
    for e in _tariff_events(sc):
        out.add(e.date)
        if e.until:
            out.add(e.until)
    return sorted(out)


def _notes(sc: Scenario, d: dt.date) -> str:
    notes = [e.note or e.id or "" for e in _tariff_events(sc) if e.date == d]
    notes += [f"{e.id or 'event'} ends" for e in _tariff_events(sc) if e.until == d]
    return "; ".join(dict.fromkeys(n for n in notes if n))


def pair_columns(pair: tuple[str, str]) -> tuple[str, str]:
    """The :func:`tariff_series` columns of ``pair`` (a, b): a's average tariff on b, b's on a."""
    a, b = pair
    return f"{a}_on_{b}_pct", f"{b}_on_{a}_pct"


def tariff_series(
    world: World | None = None,
    *,
    early: str | Scenario = EARLY,
    late: str | Scenario = LATE,
    start: dt.date = dt.date(2018, 1, 1),
    end: dt.date = dt.date(2026, 7, 31),
    pair: tuple[str, str] = DEFAULT_PAIR,
    freq: str | None = None,
):
    """Average tariffs of ``pair`` on each other from ``start`` to ``end``, as a DataFrame.

    Parameters
    ----------
    world : World, optional
        Supplies the sector weights (``trade_flows``, goods only) and the tariffs of the
        cells the scenarios do not re-base; default ``load_world(early.world)``.
    early, late : str or Scenario
        The 2018-2020 scenario (with a ``baseline`` section) and the 2025-2026 one
        (layers additional to the world's baseline), names or scenarios.
    pair : (str, str)
        Importer a and exporter b; the columns are a on b and b on a.
    freq : str, optional
        A pandas frequency (``"D"``, ``"W-MON"``, ``"MS"``) to resample the step series;
        default: one row at ``start``, at each change and at ``end``.

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``{a}_on_{b}_pct``, ``{b}_on_{a}_pct`` (:func:`pair_columns`; for
        the default pair ``USA_on_CHN_pct`` and ``CHN_on_USA_pct``: the a-on-b and b-on-a
        averages, percent, baseline MFN included), ``source`` (the scenario(s) the level
        comes from) and ``events`` (the notes of the tariff events of the date).
    """
    import pandas as pd

    sc_e = early if isinstance(early, Scenario) else load_scenario(early)
    sc_l = late if isinstance(late, Scenario) else load_scenario(late)
    w = world if world is not None else load_world(sc_e.world)
    a, b = w.country_index(pair[0]), w.country_index(pair[1])
    weights = np.asarray(w.trade_flows)
    goods = np.array([s in set(w.goods) for s in w.sectors])
    w_e = w.replace(tariffs=baseline_tariffs(w, sc_e))
    late_changes = [d for d in _changes(sc_l) if start < d <= end]
    switch = late_changes[0] if late_changes else end + dt.timedelta(days=1)
    tau_last = tariff_state(w_e, sc_e, switch - dt.timedelta(days=1))
    src_e = sc_e.name
    src_l = f"{sc_e.name} ({(switch - dt.timedelta(days=1)).isoformat()} level) + {sc_l.name} layers"

    col_ab, col_ba = pair_columns(pair)

    def row(d: dt.date) -> dict:
        if d < switch:
            tau, src, sc = tariff_state(w_e, sc_e, d), src_e, sc_e
        else:
            extra = sum(layer_rates(w, sc_l, d).values(), np.zeros(weights.shape))
            tau, src, sc = tau_last + extra / 100.0, src_l, sc_l
        avg = average_tariff(weights, 100.0 * tau, goods)
        return {
            "date": d,
            col_ab: float(avg[a, b]),
            col_ba: float(avg[b, a]),
            "source": src,
            "events": _notes(sc, d),
        }

    days = sorted({start, end, *[d for d in _changes(sc_e) if start < d < switch], *late_changes})
    rows, prev = [], None
    for d in days:
        r = row(d)
        key = (round(r[col_ab], 9), round(r[col_ba], 9))
        if prev is None or key != prev or d == end:
            rows.append(r)
        prev = key
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"])
    if freq is not None:
        idx = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq=freq)
        frame = (
            frame.set_index("date")
            .reindex(frame["date"].tolist() + list(idx))
            .sort_index()
            .pipe(lambda f: f[~f.index.duplicated(keep="first")])
            .ffill()
            .loc[idx]
            .rename_axis("date")
            .reset_index()
        )
        frame["events"] = ""
    frame.attrs = {
        "pair": f"{pair[0]},{pair[1]}",
        "world": w.meta.name,
        "vintage": w.meta.vintage,
        "early": sc_e.name,
        "late": sc_l.name,
        "method": "goods sectors, fixed weights: world baseline bilateral imports by sector",
    }
    return frame


# --------------------------------------------------------------------------- any scenario
WEIGHTS_2024 = "world_2025/weights_2024.csv"


def weights_2024(world: World, importer: str = DEFAULT_IMPORTER) -> tuple[np.ndarray, str]:
    """(exporter, sector) import weights of ``importer`` and a description of their source.

    For the US: 2024 US imports for consumption (Census, HS10 lines aggregated to the
    compact regions and goods sectors by ``scripts/build_world_2025.py``, table
    ``data/world_2025/weights_2024.csv``; the EU aggregate is split over DEU, FRA, ITA and
    EUR by the world's 2022 flows). Other importers, and sectors without 2024 data: the
    world's baseline flows (2022, factory prices) scaled to the 2024 total.
    """
    from importlib import resources

    import pandas as pd

    flows = np.asarray(world.trade_flows)[world.country_index(importer)].copy()
    if importer != "USA":
        return flows, f"the world's {world.meta.vintage} baseline imports of {importer} by sector"
    try:
        text = resources.files("detente.data").joinpath(WEIGHTS_2024).read_text()
    except (FileNotFoundError, ModuleNotFoundError):
        return flows, "the world's baseline imports by sector (weights_2024.csv not shipped)"
    import io

    table = pd.read_csv(io.StringIO(text), comment="#")
    out = np.zeros_like(flows)
    for (exp, sec), v in table.groupby(["exporter", "sector"])["weight_usd"].sum().items():
        if exp in world.countries and sec in world.sectors:
            out[world.country_index(exp), world.sector_index(sec)] = v / 1e6  # USD million
    return out, "2024 US imports for consumption by HS10 line (Census), aggregated to region x sector"


def average_tariffs(
    scenario: str | Scenario,
    world: World | None = None,
    *,
    importer: str = DEFAULT_IMPORTER,
    by_partner: bool = True,
    variant: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
):
    """Import-weighted average tariff of ``importer`` on each partner (or all) at each change.

    Tariffs are the world's baseline (applied 2022 rates) plus the scenario's layers
    (coverage and exemptions applied; no equilibrium is solved). Weights are fixed, goods
    sectors only: :func:`weights_2024`. ``increase_vs_2024_pp`` is the change against the
    policy in force on 2024-12-31 (the same weights).

    Returns a DataFrame with columns ``date``, ``importer``, ``exporter`` (``all`` without
    ``by_partner``), ``avg_tariff_pct``, ``increase_vs_2024_pp``.
    """
    import pandas as pd

    from detente.policy._timeline import apply_variant

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    sc = apply_variant(sc, variant)
    w = world if world is not None else load_world(sc.world)
    n = w.country_index(importer)
    weights, wsource = weights_2024(w, importer)
    goods = np.array([s in set(w.goods) for s in w.sectors])
    weights = np.where(goods[None, :], weights, 0.0)
    weights[n, :] = 0.0
    start = start or sc.period.start
    end = end or sc.period.end
    ref = dt.date(2024, 12, 31)
    days = sorted({start, end, *[d for d in _changes(sc) if start < d <= end]})
    partners = [c for c in w.countries if c != importer]

    def level(d: dt.date) -> np.ndarray:
        extra = sum(layer_rates(w, sc, d).values(), np.zeros(np.shape(w.tariffs)))
        return 100.0 * np.asarray(w.tariffs)[n] + extra[n]  # (exporter, sector), percent

    def averages(tau: np.ndarray) -> dict[str, float]:
        if not by_partner:
            return {"all": float((weights * tau).sum() / weights.sum())}
        tot = weights.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(tot > 0, (weights * tau).sum(axis=1) / tot, np.nan)
        return {c: float(avg[w.country_index(c)]) for c in partners}

    base = averages(level(ref))
    rows = []
    for d in days:
        for exp, v in averages(level(d)).items():
            rows.append(
                {
                    "date": d,
                    "importer": importer,
                    "exporter": exp,
                    "avg_tariff_pct": v,
                    "increase_vs_2024_pp": v - base[exp],
                }
            )
    frame = pd.DataFrame(rows)
    frame["date"] = pd.to_datetime(frame["date"])
    frame.attrs = {
        "scenario": sc.name,
        "variant": sc.variant or "",
        "world": w.meta.name,
        "importer": importer,
        "weights": wsource,
        "method": "goods sectors; world baseline tariffs plus the scenario's layers; fixed weights: " + wsource,
    }
    return frame
