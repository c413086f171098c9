"""``detente report RUN [RUN ...]``: an HTML report and PNG figures of replays.

A RUN is a results-store run id (or ``latest``), a NetCDF file written by
``detente replay --out``, or ``scenario:NAME[:VARIANT]`` to replay on the fly. The first
RUN is the main one; more than one adds the comparison of variants.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from detente._files import check_output_path
from detente.errors import DetenteError
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


def _run_text(text: str) -> str:
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
    text = _run_text(text)
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


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "report"


def _history(ds, pair: tuple[str, str]):
    """The 2018-2026 average-tariff series for the US-China pair, or None elsewhere."""
    if tuple(pair) != ("USA", "CHN") or "2025" not in str(ds.attrs.get("scenario", "")):
        return None
    from detente.policy import tariff_series

    return tariff_series()


def _partner_history(ds, importer: str) -> list:
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


def _shortage_sections(ds) -> list:
    """Shortage figures when the run's scenario controls critical inputs (else none)."""
    from detente.report.html import run_scenario

    sc = run_scenario(ds)
    if sc is None or not any(e.kind == "export_control" and e.export_control.product for e in sc.events):
        return []
    from detente.shortage import _charts as S
    from detente.shortage import simulate_scenario

    res = simulate_scenario(sc)
    users = [c for c in ("USA", "JPN", "DEU", "EUR", "IND", "KOR", "MEX") if c in res.dataset.country.values]
    product = str(res.dataset["product"].values[0])
    note = (
        "Weekly shortage model (docs/shortage.md): inventories of critical inputs run down while "
        "licences are refused; output is capped by the scarcest input. An upper bound, see the docs."
    )
    return [
        (
            "shortage-output",
            "Critical inputs: motor-vehicle output, week by week",
            S.output_ratio_figure(res, "MOTOR", users),
            note,
        ),
        (
            "shortage-inventory",
            f"Critical inputs: {product} inventories of car makers",
            S.inventory_figure(res, product, users, "MOTOR"),
            note,
        ),
        ("shortage-losses", "Critical inputs: output lost per week by country", S.output_loss_figure(res), note),
        (
            "shortage-stockouts",
            "Critical inputs: first stock-out by user",
            S.stockout_table_figure(res, ["MOTOR", "ELECTRICAL", "MACHINERY", "ELECTRONICS"], users),
            note,
        ),
        (
            "shortage-static",
            "Shortages beside the static equilibrium",
            S.static_vs_dynamic_figure(res, ds, users),
            note,
        ),
    ]


def _strategy_section(args, ds, pair: tuple[str, str]) -> str | None:
    """The strategy section's HTML with ``--strategy`` (else None): on the run's world,
    with the ``--elasticities`` set at ``--horizon`` (default: the long run)."""
    if not getattr(args, "strategy", False):
        return None
    from detente.report.strategy import strategy_results, strategy_section
    from detente.world import load_world

    name = args.world or str(ds.attrs.get("world", "") or "default")
    try:
        world = load_world(name, elasticities=args.elasticities, horizon=args.horizon or "long")
    except (DetenteError, OSError, KeyError):
        world = load_world("default", elasticities=args.elasticities, horizon=args.horizon or "long")
    say = None if args.quiet else (lambda text: print(f"strategy: {text}", file=sys.stderr))
    return strategy_section(strategy_results(world, pair, objective=args.strategy_objective, progress=say))


def cmd_report(args: argparse.Namespace) -> int:
    """Resolve the runs, write the report, print the summary."""
    from rich.console import Console

    from detente.report.terminal_replay import print_runs_summary

    parts = [p.strip() for p in (args.pair or "USA,CHN").split(",")]
    if len(parts) != 2:
        raise DetenteError(f"--pair must be two countries 'A,B', got {args.pair!r}")
    ab: tuple[str, str] = (parts[0], parts[1])
    if args.out:
        check_output_path(args.out, "--out", folder=True)
    from detente.report.html import unique_label, write_report

    runs: dict[str, Any] = {}
    for text in args.runs:
        options = {
            k: getattr(args, k)
            for k in ("elasticities", "horizon", "adjustment", "closure")
            if getattr(args, k, None) is not None
        }
        label, ds = resolve_run(text, world=args.world, progress=not args.quiet, options=options)
        runs[unique_label(label, runs)] = ds
    main = next(iter(runs.values()))
    out = Path(args.out) if args.out else Path("results") / f"report-{_slug(str(main.attrs.get('scenario', 'replay')))}"
    if not args.out:
        check_output_path(out, "the report folder", folder=True)
    horizons = None
    first = _run_text(args.runs[0])
    if first.startswith("scenario:"):
        from detente.report.horizons import horizon_table

        name, _, variant = first.partition(":")[2].partition(":")
        world = None
        if args.world:
            from detente.world import load_world

            world = load_world(args.world)
        horizons = horizon_table(
            name, variant or None, world=world, pair=tuple(parts), elasticities=args.elasticities, closure=args.closure
        )
    index = write_report(
        runs,
        out,
        title=args.title,
        pair=tuple(parts),
        png=not args.no_png,
        history=_history(main, ab),
        extra_sections=_shortage_sections(main),
        horizons=horizons,
        at=args.at,
        extra_charts=_partner_history(main, parts[0]),
        bands=_bands(args, main),
        strategy=_strategy_section(args, main, ab),
    )
    console = Console(highlight=False, soft_wrap=False, width=max(100, min(140, Console().width)))
    if args.quiet:
        console.print(f"report written to {index}", markup=False)
    else:
        print_runs_summary(console, runs, tuple(parts), index)
    return 0


def _bands(args: argparse.Namespace, main):
    """``--bands N``: bands of the main run's scenario (detente.policy._bands), or None."""
    if not getattr(args, "bands", 0):
        return None
    from detente.policy._bands import replay_bands
    from detente.policy._schema import load_scenario
    from detente.world import load_world

    name = main.attrs.get("scenario_file") or main.attrs.get("scenario")
    if not name:
        raise DetenteError("--bands needs a run of a scenario (its dataset names no scenario)")
    try:
        sc = load_scenario(name)
    except DetenteError:
        sc = load_scenario(main.attrs["scenario"])
    world = load_world(args.world) if args.world else None
    opts = {k: getattr(args, k) for k in ("elasticities", "horizon", "adjustment", "closure")}
    return replay_bands(
        sc,
        world,
        n_draws=args.bands,
        seed=args.seed,
        level=args.level,
        variant=main.attrs.get("variant") or None,
        **opts,
    ).dataset


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def register(sub) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the main parser's subparsers; returns its parser."""
    p = sub.add_parser(
        "report",
        help="write an HTML report (offline) and PNG charts of one or more replays",
        description="Write a self-contained HTML report (interactive charts, works offline) and PNG "
        "figures: tariff paths, layers, welfare and real wages, trade of the pair by sector, prices; for "
        "a scenario on many partners (world-2025) the first country's tariffs by partner, retaliation, "
        "welfare of every country and trade diversion; and a comparison when several runs are given. RUN is a results-store run id (or 'latest'), a "
        "NetCDF file from `detente replay --out`, or scenario:NAME[:VARIANT] to replay now. "
        "Example: detente report scenario:us-china-2025 scenario:us-china-2025:no-geneva",
    )
    p.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="run id, NetCDF file or scenario:NAME[:VARIANT]; the first is the main run",
    )
    p.add_argument("--out", help="folder to write index.html and the PNGs into (default results/report-SCENARIO)")
    p.add_argument("--title", help="report title (default: the scenario and the pair)")
    p.add_argument("--pair", default="USA,CHN", help="the two countries 'A,B' at the centre (default %(default)s)")
    p.add_argument("--world", help="world for scenario: runs (default: the scenario's)")
    from detente.cli import add_closure_option, add_elasticity_options

    add_elasticity_options(p, scenario=True)
    add_closure_option(p, scenario=True)
    p.add_argument(
        "--at",
        type=_date,
        help="date YYYY-MM-DD of the bar charts of welfare and trade diversion "
        "(default: the first country's highest average tariff); they also show the period mean",
    )
    p.add_argument(
        "--bands",
        type=int,
        metavar="N",
        default=0,
        help="also draw the main run's uncertainty bands from N draws of the trade elasticities",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the elasticity draws (default: %(default)s)")
    p.add_argument("--level", type=float, default=0.9, help="coverage of the bands (default: %(default)s)")
    p.add_argument("--no-png", action="store_true", help="HTML only, no PNG figures")
    p.add_argument(
        "--strategy",
        action="store_true",
        help="add the strategy section: leverage, uniform Nash tariffs, package bargaining and the "
        "truce game of the pair, at the long run unless --horizon is given (about a minute)",
    )
    p.add_argument(
        "--strategy-objective",
        choices=["real-income", "revealed"],
        default="real-income",
        help="objective of the strategy section (default: %(default)s)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary tables")
    p.set_defaults(func=cmd_report)
    return p
