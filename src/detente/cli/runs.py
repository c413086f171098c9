"""``detente runs``: list, show, compare, export and delete saved runs.

:func:`register` adds the command to the main parser's subcommands; every action sets
``func`` (called with the parsed arguments, returns the exit status). Errors are
:class:`~detente.errors.DetenteError` subclasses, printed by the main CLI without a trace.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from detente._defaults import DEFAULT_PAIR
from detente._files import check_output_path, write_csv
from detente.cli._options import add_countries_option, add_store_option, console, parse_countries
from detente.errors import DetenteError
from detente.report._light import esc, main_countries

if TYPE_CHECKING:
    from rich.console import JustifyMethod


def register(sub) -> None:
    """Add ``runs`` (with actions list, show, compare, export, delete) to ``sub``, the
    object returned by ``ArgumentParser.add_subparsers()``."""
    common = argparse.ArgumentParser(add_help=False)
    add_store_option(common)
    p = sub.add_parser(
        "runs",
        help="saved runs: list, show, compare, export, delete",
        description="Every saved run keeps its scenario, data vintage, code version and "
        "settings in a DuckDB database (docs/store.md). ID may be 'latest'.",
    )
    act = p.add_subparsers(dest="runs_command", required=True, metavar="ACTION")

    a = act.add_parser("list", parents=[common], help="list saved runs, newest first")
    a.add_argument("--kind", help="only runs of this kind (replay, whatif, ...)")
    a.add_argument("--limit", type=int, default=30, help="at most this many rows (default %(default)s)")
    a.set_defaults(func=_cmd_list)

    a = act.add_parser("show", parents=[common], help="a run's provenance, settings, summary and variables")
    a.add_argument("id")
    a.add_argument("--scenario", action="store_true", help="also print the scenario YAML as run")
    a.set_defaults(func=_cmd_show)

    a = act.add_parser("compare", parents=[common], help="two runs side by side: welfare, prices, tariffs")
    a.add_argument("id_a")
    a.add_argument("id_b")
    a.add_argument("--date", help="date to show (YYYY-MM-DD; default the last date of the runs)")
    add_countries_option(a)
    a.add_argument("--out", metavar="FILE", help="write the full comparison (every date) to this CSV file")
    a.set_defaults(func=_cmd_compare)

    a = act.add_parser("export", parents=[common], help="write a run as one file per variable plus meta.json")
    a.add_argument("id")
    a.add_argument(
        "--format",
        choices=["parquet", "csv", "xlsx"],
        default="parquet",
        help="parquet or csv: one file per variable; xlsx: one Excel workbook, a sheet per variable "
        "(needs detente[excel]) (default: %(default)s)",
    )
    a.add_argument("--out", metavar="DIR", help="output folder (default ./ID); an existing file is refused")
    a.set_defaults(func=_cmd_export)

    a = act.add_parser("delete", parents=[common], help="remove a run from the store")
    a.add_argument("id")
    a.set_defaults(func=_cmd_delete)


def _store(args):
    from detente.store import RunStore

    return RunStore(args.store)


def _missing(x) -> bool:
    """None, NaN or pandas' NA/NaT (how a missing value comes back from a DataFrame)."""
    if x is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(x)) if not isinstance(x, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _text(x, missing: str = "") -> str:
    """A table cell: ``missing`` for None/NaN/NA, else ``str(x)`` with rich markup escaped."""
    return missing if _missing(x) else esc(x)


def _fmt(x, digits: int = 3) -> str:
    if _missing(x):
        return "-"
    return f"{x:,.{digits}f}" if isinstance(x, float) else esc(x)


# ---------------------------------------------------------------------------- actions
def _cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    store = _store(args)
    df = store.list()
    if args.kind:
        df = df[df["kind"] == args.kind]
    con = console()
    if df.empty:
        con.print(f"no runs in {store.path}", markup=False)
        return 0
    t = Table(
        title=esc(f"runs in {store.path} ({len(df)}{', newest ' + str(args.limit) if len(df) > args.limit else ''})")
    )
    t.add_column("id", no_wrap=True)
    for c in ("kind", "name", "variant", "world", "created (UTC)", "code", "dates"):
        t.add_column(c, justify="right" if c == "dates" else "left", overflow="fold")
    for r in df.head(args.limit).itertuples():
        created = "" if _missing(r.created_at) else str(r.created_at)[:16].replace("T", " ")
        t.add_row(
            _text(r.id),
            _text(r.kind),
            _text(r.name),
            _text(r.variant),
            _text(r.world),
            created,
            _text(r.code_version),
            _text(r.n_dates),
        )
    con.print(t)
    return 0


def _cmd_show(args: argparse.Namespace) -> int:
    from rich.table import Table

    store = _store(args)
    rec = store.load(args.id)
    con = console()
    t = Table(title=esc(f"run {rec.id}"), show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value")
    for f in ("kind", "name", "variant", "world", "vintage", "code_version", "created_at", "seed"):
        t.add_row(f, _text(getattr(rec, f)))
    t.add_row("settings", esc(json.dumps(rec.settings, indent=1)))
    t.add_row(
        "scenario", f"{len(rec.scenario_text.splitlines())} lines (--scenario prints it)" if rec.scenario_text else "-"
    )
    con.print(t)
    s = Table(title="summary")
    s.add_column("item")
    s.add_column("value")
    for k, v in rec.summary.items():
        if isinstance(v, dict):
            v = ", ".join(f"{kk} {_fmt(vv)}" for kk, vv in v.items())
            s.add_row(esc(k), esc(v))
        else:
            s.add_row(esc(k), _fmt(v))
    con.print(s)
    ds = rec.dataset
    v = Table(title=esc(f"variables ({', '.join(f'{k} {n}' for k, n in ds.sizes.items())})"))
    for c in ("variable", "dims", "units", "description"):
        v.add_column(c)
    for name in ds.data_vars:
        a = ds[name]
        v.add_row(
            esc(name), esc(", ".join(map(str, a.dims))), _text(a.attrs.get("units")), _text(a.attrs.get("long_name"))
        )
    con.print(v)
    if args.scenario and rec.scenario_text:
        con.print(rec.scenario_text, markup=False)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    import pandas as pd
    from rich.table import Table

    if args.out:
        check_output_path(args.out, "--out")
    store = _store(args)
    df = store.compare(args.id_a, args.id_b)
    a, b = df.attrs["a"], df.attrs["b"]
    con = console()
    if args.out:
        write_csv(df.rename(columns={"a": a, "b": b}), args.out, index=False)
    dates = df["date"].dropna().unique()
    sel = df
    when = "no dates"
    if len(dates):
        if args.date:
            try:
                day = pd.Timestamp(args.date)
            except ValueError:
                raise DetenteError(f"--date must be YYYY-MM-DD, got {args.date!r}") from None
            if day not in set(dates):
                earlier = sorted(d for d in dates if d <= day)
                if not earlier:
                    raise DetenteError(
                        f"--date {args.date} is before the first date of the runs ({pd.Timestamp(min(dates)).date()})"
                    )
                day = earlier[-1]
        else:
            day = max(dates)
        sel = df[df["date"] == day]
        when = f"on {pd.Timestamp(day).date()}"
    countries = parse_countries(args.countries) or main_countries(sorted(set(sel["country"])), 12)
    unknown = [c for c in countries if c not in set(sel["country"])]
    if unknown:
        raise DetenteError(f"--countries: {unknown} not in these runs; they have {sorted(set(sel['country']))}")
    con.print(f"A = {a} ({df.attrs['a_name']})\nB = {b} ({df.attrs['b_name']})", markup=False)
    t = Table(title=esc(f"by country, % change vs baseline, {when}"))
    t.add_column("country")
    per = sel[sel["partner"] == ""].set_index(["variable", "country"])
    cols = [v for v in ("welfare_pct", "real_wage_pct", "cpi_pct") if v in set(per.index.get_level_values(0))]
    for v in cols:
        for side in ("A", "B", "B-A"):
            t.add_column(f"{v.removesuffix('_pct')} {side}", justify="right")
    for c in countries:
        row = [esc(c)]
        for v in cols:
            r = per.loc[(v, c)] if (v, c) in per.index else None
            row += [_fmt(None if r is None else r[k]) for k in ("a", "b", "diff")]
        t.add_row(*row)
    con.print(t)
    tar = sel[
        (sel["variable"] == "avg_tariff_pct")
        & sel["country"].isin(countries)
        & sel["partner"].isin(countries)
        & (sel["country"] != sel["partner"])
    ]
    if len(tar):
        tar = tar.assign(size=tar["diff"].abs().fillna(0)).sort_values("size", ascending=False, kind="stable")
        pairs = tar[(tar["size"] > 1e-9) | ((tar["country"].isin(DEFAULT_PAIR)) & (tar["partner"].isin(DEFAULT_PAIR)))]
        tt = Table(title=esc(f"average tariff (%), goods, baseline-import weights, {when}: pairs that differ"))
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("importer", "left"),
            ("exporter", "left"),
            ("A", "right"),
            ("B", "right"),
            ("B-A", "right"),
        )
        for c, j in columns:
            tt.add_column(c, justify=j)
        for r in pairs.head(15).itertuples():
            tt.add_row(esc(r.country), esc(r.partner), _fmt(r.a, 1), _fmt(r.b, 1), _fmt(r.diff, 1))
        con.print(tt)
    if args.out:
        con.print(f"full comparison written to {args.out}", markup=False)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if args.out:
        check_output_path(args.out, "--out", folder=True)
    store = _store(args)
    run_id = store.resolve(args.id)
    out = args.out or run_id
    if not args.out:
        check_output_path(out, "the export folder", folder=True)
    paths = store.export(run_id, out, format=args.format)
    console().print(f"{len(paths)} files written to {Path(out)}: " + ", ".join(p.name for p in paths), markup=False)
    return 0


def _cmd_delete(args: argparse.Namespace) -> int:
    store = _store(args)
    run_id = store.delete(args.id)
    console().print(f"deleted run {run_id} from {store.path}", markup=False)
    return 0
