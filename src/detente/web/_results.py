"""Shaping results for the web API: tables, JSON series, what-if controls."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from fastapi.responses import JSONResponse, Response

from detente._defaults import DEFAULT_PAIR
from detente._lists import split_list
from detente.errors import DetenteError, ScenarioError, UnknownLabelError
from detente.report.whatif import main_countries
from detente.web import _models as m

log = logging.getLogger("detente.web")

TABLES = ("country", "pairs", "sectors", "country_sector")


def _nan_to_none(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _series(a: np.ndarray) -> list[float | None]:
    return [None if not math.isfinite(v) else round(float(v), 6) for v in np.asarray(a, dtype=float)]


def _event_text(e) -> str:
    s = e.spec

    def lab(x):
        return x if isinstance(x, str) else ",".join(x)

    if e.kind == "tariff":
        rate = "" if s.rate_pp is None else f" {s.rate_pp:g} pp"
        cov = "" if s.coverage >= 1 else f" on {s.coverage:.0%} of trade"
        return f"tariff {lab(s.importer)}<-{lab(s.exporter)} {lab(s.sectors)}: {s.layer} {s.op}{rate}{cov}"
    if e.kind == "exemption":
        return f"exemption {lab(s.importer)}<-{lab(s.exporter)} {lab(s.sectors)} from {s.layer}: {s.share:.0%}"
    if e.kind == "export_control":
        return (
            f"export licences {lab(s.exporter)}->{lab(s.importers)} {lab(s.sectors)}: coverage "
            f"{s.coverage:.0%}, approval {s.approval_share:.0%} after {s.review_days} days"
        )
    if e.kind == "export_tax":
        return f"export tax {lab(s.exporter)}->{lab(s.importers)} {lab(s.sectors)}: {s.rate_pp:g} pp (revenue to the exporter)"
    if e.kind == "iceberg":
        return f"trade cost {lab(s.importer)}<-{lab(s.exporter)} {lab(s.sectors)} x{s.factor:g}"
    return f"{s.instrument}: {s.actor}{' -> ' + s.target if s.target else ''} {s.text}".strip()


def _changes_on(e) -> list[str]:
    """The dates on which ``e`` changes the policy in force: its date, its expiry and the end of
    a licence review period, as :func:`detente.policy._timeline.change_dates` has them; none
    for a notice. The dashboard labels the replay's change dates with the events found here."""
    if e.kind == "notice":
        return []
    out = {e.date, *([e.until] if e.until else [])}
    if e.kind == "export_control":
        from detente.instruments import review_end

        end = review_end(e.export_control.licence, e.date, e.export_control.review_days)
        if end is not None:
            out.add(end)
    return [d.isoformat() for d in sorted(out)]


def _timeline(sc) -> list[dict]:
    rows = [
        {
            "index": k,
            "id": e.id,
            "date": e.date.isoformat(),
            "until": e.until.isoformat() if e.until else None,
            "kind": e.kind,
            "text": _event_text(e) + (f" ({e.note})" if e.note else ""),
            "source": e.source,
            "changes_on": _changes_on(e),
        }
        for k, e in enumerate(sc.events)
    ]
    return sorted(rows, key=lambda r: (r["date"], r["index"]))


def _scenario_info(sc) -> dict:
    return {
        "name": sc.name,
        "title": sc.title,
        "description": sc.description,
        "world": sc.world,
        "period": {"start": sc.period.start.isoformat(), "end": sc.period.end.isoformat(), "step": sc.period.step},
        "variants": {k: v.description for k, v in sc.variants.items()},
        "n_events": len(sc.events),
    }


def _check_world_name(sc) -> None:
    if sc.world not in m.WORLD_NAMES:
        raise ScenarioError(
            f"scenario world {sc.world!r} is not allowed over HTTP: a request names a world "
            f"by name, one of {', '.join(m.WORLD_NAMES)}"
        )


def _pair_arg(text: str | None, countries) -> tuple[str, str]:
    if not text:
        return DEFAULT_PAIR if set(DEFAULT_PAIR) <= set(countries) else (countries[0], countries[1])
    parts = split_list(text, "pair", n=2, what="countries")
    for p in parts:
        if p not in countries:
            raise UnknownLabelError(f"unknown country {p!r} in pair; known: {', '.join(countries)}")
    return parts[0], parts[1]


# ---------------------------------------------------------------------------- results
def dataset_table(ds, table: str, pair: tuple[str, str] | None = None):
    """A tidy pandas table of ``ds``: the variables whose dimensions are those of ``table``.

    ``country``: (country[, date]); ``pairs``: (importer, exporter[, date]); ``sectors``:
    (importer, exporter, sector[, date]), restricted to ``pair`` in both directions when
    given; ``country_sector``: (country, sector). Extra variables give extra columns.
    """
    dims = {
        "country": {"country"},
        "pairs": {"importer", "exporter"},
        "sectors": {"importer", "exporter", "sector"},
        "country_sector": {"country", "sector"},
    }[table]
    names = [k for k, v in ds.data_vars.items() if set(v.dims) - {"date"} == dims and v.dtype.kind in "fiu"]
    if not names:
        raise DetenteError(f"this result has no {table!r} table; tables: " + ", ".join(t for t in TABLES if t != table))
    sub = ds[names]
    if pair is not None and "importer" in dims:
        a, b = pair
        sub = sub.sel(importer=[a, b], exporter=[a, b])
    df = sub.to_dataframe().reset_index()
    if pair is not None and "importer" in dims:
        df = df[df["importer"] != df["exporter"]]
    if "date" in df.columns:
        df["date"] = df["date"].astype("datetime64[s]").dt.date.astype(str)
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].astype(str)
    return df.reset_index(drop=True)


def _table_response(df, fmt: str, stem: str) -> Response:
    if fmt == "csv":
        return Response(
            df.to_csv(index=False),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{stem}.csv"'},
        )
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), buf)
    return Response(
        buf.getvalue(),
        media_type="application/vnd.apache.parquet",
        headers={"content-disposition": f'attachment; filename="{stem}.parquet"'},
    )


def replay_json(ds, events: list[dict], pair: tuple[str, str], countries: list[str]) -> dict:
    """Compact time series for charts: country series and the pair's tariffs and trade."""
    a, b = pair
    dates = [str(d)[:10] for d in ds["date"].values]
    out: dict[str, Any] = {
        "meta": {
            k: (Path(str(v)).name if k == "scenario_file" else v if isinstance(v, (str, int, float)) else str(v))
            for k, v in ds.attrs.items()
        },
        "dates": dates,
        "countries": countries,
        "pair": [a, b],
        "series": {},
        "pairs": {},
        "events": events,
    }
    for var in ("welfare_pct", "real_wage_pct", "cpi_pct"):
        if var in ds:
            out["series"][var] = {c: _series(ds[var].sel(country=c).values) for c in countries}
    for imp, exp in ((a, b), (b, a)):
        entry: dict[str, list[float | None] | float | None] = {}
        for var in ("avg_tariff_pct", "avg_additional_tariff_pct"):
            if var in ds:
                entry[var] = _series(ds[var].sel(importer=imp, exporter=exp).values)
        if "trade" in ds:
            entry["trade"] = _series(ds["trade"].sel(importer=imp, exporter=exp).sum("sector").values)
            entry["trade_base"] = (
                float(ds["trade_base"].sel(importer=imp, exporter=exp).sum()) if "trade_base" in ds else None
            )
        out["pairs"][f"{imp}<-{exp}"] = entry
    if "state" in ds:
        states = [str(s) for s in ds["state"].values]
        out["change_dates"] = [d for k, d in enumerate(dates) if k == 0 or states[k] != states[k - 1]]
    if {"avg_tariff_pct", "avg_additional_tariff_pct", "trade", "trade_base", "tariff_pct", "welfare_pct"} <= set(
        ds.data_vars
    ):
        out["world"] = world_json(ds, a)
    return out


def world_json(ds, importer: str) -> dict:
    """The views of ``importer`` and all its partners (the dashboard's world panel).

    ``tariff_by_partner``: its average tariff on each partner and on ``all`` by date;
    ``retaliation``: each partner's average tariff on it (and ``all``: what it faces);
    ``welfare``: every country by date; ``share_change_pp``: each exporter's share of its
    goods imports minus the baseline share, by date; ``*_mean``: period means weighted by
    the days each policy is in force. Computed as the report's charts are
    (:mod:`detente.report.charts`), so both show the same numbers.
    """
    from detente.report import charts as C

    partners = C.partners_of(ds, importer)
    exps, shares, base = C.import_shares(ds, importer)
    change = shares - base[:, None]
    welfare = {str(c): np.asarray(ds["welfare_pct"].sel(country=c).values, float) for c in ds["country"].values}
    tariff = {
        "all": C.overall_tariff(ds, importer),
        **{c: np.asarray(ds["avg_tariff_pct"].sel(importer=importer, exporter=c).values, float) for c in partners},
    }
    back = {
        "all": C.faced_tariff(ds, importer),
        **{c: np.asarray(ds["avg_tariff_pct"].sel(importer=c, exporter=importer).values, float) for c in partners},
    }
    a = ds.attrs
    return {
        "importer": importer,
        "partners": partners,
        "multilateral": bool(C.is_multilateral(ds, importer)),
        "moving_partners": C.moving_partners(ds, importer),
        "retaliating_partners": C.moving_partners(ds, importer, direction="by"),
        "default_at": C.default_at(ds, importer).isoformat(),
        "tariff_by_partner": {k: _series(v) for k, v in tariff.items()},
        "tariff_mean": {k: _nan_to_none(round(float(C.period_mean(ds, v)), 6)) for k, v in tariff.items()},
        "retaliation": {k: _series(v) for k, v in back.items()},
        "welfare": {k: _series(v) for k, v in welfare.items()},
        "welfare_mean": {k: _nan_to_none(round(float(C.period_mean(ds, v)), 6)) for k, v in welfare.items()},
        "share_base_pct": {c: round(float(v), 6) for c, v in zip(exps, base, strict=True)},
        "share_change_pp": {c: _series(change[k]) for k, c in enumerate(exps)},
        "share_change_mean_pp": {c: round(float(C.period_mean(ds, change[k])), 6) for k, c in enumerate(exps)},
        "units": {
            "tariffs": "percent (goods, fixed baseline import weights)",
            "welfare": C.pct_label(ds),
            "shares": f"percentage points of {importer} goods imports at factory prices",
        },
        "provenance": {
            "world": str(a.get("world", "")),
            "vintage": str(a.get("vintage", "")),
            "elasticities": str(a.get("elasticities", "")),
            "closure": str(a.get("closure", "")),
            "footer": C.footer(ds),
        },
    }


@dataclasses.dataclass(frozen=True)
class ReplayResult:
    """What a finished replay job keeps: the dataset, its timeline, shortage paths, store id."""

    dataset: Any
    events: list
    run_id: str | None = None
    shortage: dict | None = None


def shortage_paths(sc, variant: str | None, world, top: int = 6) -> dict | None:
    """Weekly output of the worst-hit (country, sector) users, when the scenario controls products.

    Runs :func:`detente.shortage.simulate_scenario` if the shortage model is installed and
    an ``export_control`` event names a ``product``; otherwise returns None.
    """
    events = list(sc.events) + [
        e
        for v in list(sc.variants.values()) + list(sc.overrides.values())
        for e in list(v.add_events) + list(v.replace_events.values())
    ]
    if not any(e.kind == "export_control" and e.export_control.product for e in events):
        return None
    try:
        from detente.shortage import simulate_scenario
    except ImportError:
        return None
    try:
        res = simulate_scenario(sc, world, variant=variant)
    except DetenteError as exc:
        return {"note": str(exc)}
    ds = res.dataset
    lost = ds["cum_output_lost"].to_series()
    worst = [k for k, v in lost.sort_values(ascending=False).items() if v > 0][:top]
    weeks = [str(d)[:10] for d in ds["week_start"].values]
    return {
        "weeks": weeks,
        "units": str(ds.attrs.get("units", "")),
        "output_pct": {f"{c} {s}": _series(100 * ds["output_ratio"].sel(country=c, sector=s).values) for c, s in worst},
        "va_lost_pct_gdp": {str(c): round(float(v), 6) for c, v in ds["va_lost_pct_gdp"].to_series().items() if v > 0},
    }


# ============================================================================ the app


def _result_response(ds, events, fmt, table, pair_text, countries_text, stem, extra: dict | None = None) -> Response:
    labels = [str(c) for c in ds["country"].values] if "country" in ds.coords else []
    pair = _pair_arg(pair_text, labels) if labels else None
    if fmt == "json":
        if "date" not in ds.dims:
            df = dataset_table(ds, "country")
            return JSONResponse(
                {
                    "meta": {k: str(v) for k, v in ds.attrs.items()},
                    "countries": json.loads(df.to_json(orient="records")),
                }
            )
        cs = split_list(countries_text, "countries", what="countries") if countries_text else main_countries(labels)
        for c in cs:
            if c not in labels:
                raise UnknownLabelError(f"unknown country {c!r}; known: {', '.join(labels)}")
        assert pair is not None  # a dataset by date (a replay) always has its countries
        return JSONResponse({**replay_json(ds, events, pair, cs), **(extra or {})})
    df = dataset_table(ds, table, pair if table == "sectors" else None)
    return _table_response(df, fmt, f"{stem}-{table}")


def _apply_controls(cf, w, req: m.WhatIfRequest):
    """Export controls and iceberg costs of a what-if, with the scenario timeline's semantics.

    The controls become one-date scenario events; the iceberg factors are those in force
    once every review period has passed (:func:`detente.policy.iceberg_state`).
    """
    from detente.policy._schema import Event, Period, Scenario
    from detente.policy._timeline import iceberg_state, licence_wedge

    start = dt.date(2000, 1, 1)
    events = [
        Event(  # type: ignore[call-arg]  # Field(None) defaults: mypy needs the pydantic plugin to see them
            date=start, export_control=x if x.regime else x.model_copy(update={"regime": f"whatif-{k}"})
        )
        for k, x in enumerate(req.export_controls)
    ]
    # pydantic's Field(None) defaults are seen by mypy only with the pydantic plugin
    events += [Event(date=start, iceberg=x) for x in req.icebergs]  # type: ignore[call-arg]
    wait = max([x.review_days for x in req.export_controls], default=0)
    on = start + dt.timedelta(days=wait)
    sc = Scenario(name="whatif", period=Period(start=start, end=on), events=events)  # type: ignore[call-arg]
    factor = iceberg_state(w, sc, on)
    wedge = licence_wedge(w, sc, on)
    desc = [
        f"export licences {x.exporter}->{x.importers} [{x.sectors}] coverage {x.coverage:g} approval {x.approval_share:g}"
        for x in req.export_controls
    ] + [f"iceberg {x.importer}<-{x.exporter} [{x.sectors}] x{x.factor:g}" for x in req.icebergs]
    return dataclasses.replace(
        cf,
        iceberg=np.asarray(cf.iceberg) * factor,
        export_taxes=(1.0 + np.asarray(cf.export_taxes)) * (1.0 + wedge) - 1.0,
        changes=cf.changes + tuple(desc),
    )


def _average_tariffs(w, cf, pair) -> list[dict]:
    """Average tariffs of the pair (goods, baseline-import weights), before and after."""
    from detente.policy import average_tariff

    goods = np.array([s in set(w.goods) for s in w.sectors])
    flows = np.asarray(w.trade_flows)
    before = average_tariff(flows, 100 * np.asarray(w.tariffs), goods)
    after = average_tariff(flows, 100 * np.asarray(cf.tariffs), goods)
    out = []
    for imp, exp in (pair, pair[::-1]):
        n, i = w.country_index(imp), w.country_index(exp)
        out.append(
            {
                "importer": imp,
                "exporter": exp,
                "baseline_pct": _nan_to_none(float(before[n, i])),
                "counterfactual_pct": _nan_to_none(float(after[n, i])),
            }
        )
    return out
