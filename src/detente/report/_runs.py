"""The runs a report reads: store ids, NetCDF files and scenarios replayed on the fly.

A RUN is a results-store run id (or ``latest``), a NetCDF file written by
``detente replay --out``, or ``scenario:NAME[:VARIANT]`` to replay on the fly
(:func:`resolve_run`). :func:`history`, :func:`partner_history` and
:func:`shortage_sections` add the report's extra charts for a run.
"""

from __future__ import annotations

from pathlib import Path

from detente._defaults import DEFAULT_PAIR
from detente.report._light import ReportError


def replay_dataset(rp):
    """A :class:`~detente.policy.Replay`'s dataset with sector prices added.

    ``price_pct`` (country, sector, date): percent change of the sectoral price indices
    P_hat_n^j of each date's equilibrium, read from the solved states (not stored by
    :func:`~detente.policy.replay` itself).
    """
    import numpy as np

    ds = rp.dataset
    if "price_pct" in ds:
        return ds
    p = np.stack([100 * (rp.equilibria[k].solution.P_hat - 1) for k in rp.state_keys], axis=-1)
    return ds.assign(
        price_pct=(
            ("country", "sector", "date"),
            p,
            {"units": "%", "long_name": "sectoral price index change vs baseline"},
        )
    )


def _open_netcdf(path: Path):
    import xarray as xr

    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {str(path)!r} as a replay NetCDF file: {exc}") from None


def run_text(text: str) -> str:
    """A RUN as :func:`resolve_run` reads it: a path ending in .yaml/.yml is a scenario."""
    if not text.startswith("scenario:") and text.lower().endswith((".yaml", ".yml")):
        return f"scenario:{text}"
    return text


def resolve_run(
    text: str, *, world: str | None = None, progress: bool = False, store=None, options: dict | None = None
) -> tuple[str, object]:
    """(label, dataset) for one RUN argument.

    ``scenario:NAME[:VARIANT]`` replays a scenario (a shipped name or a YAML path), as
    does a path ending in ``.yaml``/``.yml``; another existing path is read as a NetCDF
    replay; anything else is a results-store id.
    """
    text = run_text(text)
    if text.startswith("scenario:"):
        from detente.policy._commands import replay_file

        _, _, rest = text.partition(":")
        name, _, variant = rest.partition(":")
        if not name:
            raise ReportError(
                f"{text!r}: give a scenario, e.g. scenario:us-china-2025 or scenario:us-china-2025:no-geneva"
            )
        rp = replay_file(name, variant=variant or None, world=world, progress=progress, **(options or {}))
        ds = replay_dataset(rp)
        return variant or str(ds.attrs.get("scenario", name)), ds
    path = Path(text)
    if path.is_file():
        ds = _open_netcdf(path)
        return str(ds.attrs.get("variant", "") or "") or str(ds.attrs.get("scenario", "") or path.stem), ds
    if path.suffix in (".nc", ".nc4", ".netcdf") or "/" in text:
        raise ReportError(
            f"no such file: {text!r} (a RUN is a store run id, a NetCDF file from "
            "`detente replay --out`, or scenario:NAME[:VARIANT])"
        )
    if store is None:
        try:
            from detente.store import RunStore
        except ImportError as exc:
            raise ReportError(f"{text!r} is not a file, and the results store is not available ({exc})") from None
        store = RunStore()
    if text in ("latest", "last"):
        text = _latest_replay(store, text)
    rec = store.load(text)
    kind = getattr(rec, "kind", None) or "replay"
    if kind != "replay":
        rid = getattr(rec, "id", text)
        raise ReportError(
            f"run {rid} ({getattr(rec, 'name', '') or kind!s}) is a {_kind_name(kind)}, not a "
            f"replay: a report needs a replay over time (`detente runs show {rid}` prints "
            f"this run; `detente replay SCENARIO` makes a replay)"
        )
    from detente.report.html import record_dataset, run_label

    return run_label(rec), record_dataset(rec)


def _kind_name(kind: str) -> str:
    return {"whatif": "what-if"}.get(kind, str(kind))


def _latest_replay(store, text: str) -> str:
    """The id of the newest replay in ``store`` for ``latest``.

    Newer runs of other kinds (what-ifs have no report) are skipped with a warning that
    names them; a store without replays raises, naming its latest run.
    """
    if not hasattr(store, "list"):
        return text
    df = store.list()
    if df.empty:
        return text  # load() says that the store has no runs
    newest = df.iloc[0]
    if newest["kind"] == "replay":
        return str(newest["id"])
    replays = df[df["kind"] == "replay"]
    what = f"the latest run, {newest['id']} ({newest['name']}), is a {_kind_name(newest['kind'])}"
    if replays.empty:
        raise ReportError(
            f"{what}, which has no report, and the store has no replay: run "
            "`detente replay SCENARIO` first, or give a NetCDF file or scenario:NAME"
        )
    import warnings

    rid = str(replays.iloc[0]["id"])
    warnings.warn(
        f"{what}, which has no report; reporting the latest replay, {rid} ({replays.iloc[0]['name']})",
        UserWarning,
        stacklevel=2,
    )
    return rid


def history(ds, pair: tuple[str, str]):
    """The 2018-2026 average-tariff series (:func:`detente.policy.tariff_series`, which is
    the US-China pair's) for that pair's 2025 runs, or None elsewhere."""
    if tuple(pair) != DEFAULT_PAIR or "2025" not in str(ds.attrs.get("scenario", "")):
        return None
    from detente.policy import tariff_series

    return tariff_series()


def partner_history(ds, importer: str) -> list:
    """The importer's average tariff by partner with 2024 weights (tariffs only, no solve),
    as a chart, when the run's scenario moves its tariffs on many partners (else none)."""
    from detente.report import charts as C
    from detente.report.html import run_scenario

    if not C.is_multilateral(ds, importer):
        return []
    sc = run_scenario(ds)
    if sc is None:
        return []
    from detente.errors import DetenteError
    from detente.policy._series import average_tariffs, weights_2024
    from detente.world import load_world

    try:
        w = load_world(sc.world)
        df = average_tariffs(sc, w, importer=importer, by_partner=True)
        weights, _ = weights_2024(w, importer)
    except (DetenteError, OSError, KeyError, ValueError):
        return []
    import numpy as np

    goods = np.array([s in set(w.goods) for s in w.sectors])
    tot = np.where(goods[None, :], weights, 0.0).sum(axis=1)
    share = {c: tot[w.country_index(c)] for c in w.countries if c != importer}
    df = df.assign(weight=df["exporter"].map(share))
    overall = (
        df.assign(x=df["avg_tariff_pct"] * df["weight"])
        .groupby("date", as_index=False)[["x", "weight"]]
        .sum()
        .assign(avg_tariff_pct=lambda f: f["x"] / f["weight"])[["date", "avg_tariff_pct"]]
    )
    return [C.partner_tariffs_2024(df, importer, overall, C.footer(ds))]


def shortage_sections(ds) -> list:
    """The weekly shortage model's charts and stock-out table when the run's scenario
    controls critical inputs (else none): :class:`~detente.report.charts.Chart` objects and
    one (key, heading, header, rows, note) table, for :func:`~detente.report.html.write_report`."""
    from detente.report.html import run_scenario

    sc = run_scenario(ds)
    if sc is None or not any(e.kind == "export_control" and e.export_control.product for e in sc.events):
        return []
    import dataclasses

    from detente.report import shortage_charts as S
    from detente.shortage import simulate_scenario

    res = simulate_scenario(sc)
    users = _hardest_hit(res, "MOTOR", n=7)
    product = str(res.dataset["product"].values[0])
    note = (
        "Weekly shortage model (docs/shortage.md): inventories of critical inputs run down while "
        "licences are refused; output is capped by the scarcest input. An upper bound, see the docs."
    )
    charts = [
        S.output_ratio_chart(res, "MOTOR", users),
        S.inventory_chart(res, product, users, "MOTOR"),
        S.output_loss_chart(res),
        S.static_vs_dynamic_chart(res, ds, users),
    ]
    header, rows = S.stockout_rows(res, ["MOTOR", "ELECTRICAL", "MACHINERY", "ELECTRONICS"], users)
    table = ("shortage-stockouts", "Critical inputs: first stock-out by user", header, rows, note)
    return [*(dataclasses.replace(c, note=note) for c in charts[:3]), table, dataclasses.replace(charts[3], note=note)]


def _hardest_hit(res, sector: str, n: int) -> list[str]:
    """The ``n`` countries whose ``sector`` loses the most output over a shortage run
    (those with a loss; the first users of the registry where none loses)."""
    import numpy as np

    ds = res.dataset
    if sector not in ds.sector.values:
        return []
    lost = ds["cum_output_lost"].sel(sector=sector)
    order = np.argsort(-lost.values, kind="stable")
    hit = [str(ds.country.values[k]) for k in order if lost.values[k] > 0][:n]
    if hit:
        return hit
    users = np.asarray(ds.user_country.values)[np.asarray(ds.user_sector.values) == sector]
    return [str(c) for c in dict.fromkeys(users)][:n]
