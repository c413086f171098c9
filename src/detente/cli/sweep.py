"""``detente sweep FILE``: run a sweep file serially, on a local Dask cluster or on a scheduler.

:func:`register` adds the command to the main parser's subcommands (the object returned
by ``ArgumentParser.add_subparsers()``); the action sets ``func`` (called with the parsed
arguments, returns the exit status). Errors are :class:`~detente.errors.DetenteError`
subclasses, printed by the main CLI without a trace.
"""

from __future__ import annotations

import argparse
import json
import sys

from detente.cli._options import add_store_option, console


def register(sub) -> None:
    """Add ``sweep`` to ``sub``."""
    p = sub.add_parser(
        "sweep",
        help="what-ifs or replays over grids and random draws (serial or Dask)",
        description="Run a sweep file (docs/sweeps.md): tariff changes or a scenario replay "
        "over grids and random draws of tariffs, elasticities, horizons and seeds. "
        "Results stream to Parquet, one file per chunk, then a merge.",
    )
    p.add_argument("file", help="sweep YAML file, or a shipped example (geneva-elasticity-bands, us-china-tariff-grid)")
    ex = p.add_mutually_exclusive_group()
    ex.add_argument(
        "--serial",
        dest="executor",
        action="store_const",
        const="serial",
        help="run in this process (the default without a scheduler)",
    )
    ex.add_argument(
        "--local",
        dest="executor",
        action="store_const",
        const="local",
        help="start a local Dask cluster (LocalCluster; no setup)",
    )
    ex.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="an existing Dask scheduler (default $DETENTE_DASK_SCHEDULER)"
    )
    p.add_argument("--workers", type=int, default=None, help="workers of the local cluster (default: cores, at most 4)")
    p.add_argument(
        "--out", metavar="DIR", help="output directory (default ./<name>.sweep); chunk files already there are reused"
    )
    p.add_argument("--no-resume", action="store_true", help="rerun every chunk even if its file exists")
    p.add_argument("--seed", type=int, help="replace draws.seed")
    p.add_argument("--draws", type=int, help="replace draws.n")
    p.add_argument("--save", action="store_true", help="also save the bands/results to the results store")
    add_store_option(p)
    p.add_argument(
        "--json", action="store_true", help="print a JSON summary (n_tasks, n_done, n_failed, bands) instead of a table"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(func=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from pathlib import Path

    from detente.sweep import load_sweep, run_sweep

    spec = load_sweep(args.file)
    upd = {}
    if args.seed is not None:
        upd["seed"], upd["seeds"] = args.seed, None
    if args.draws is not None:
        upd["n"] = args.draws
    if upd:
        spec = spec.model_copy(update={"draws": spec.draws.model_copy(update=upd)})
    store = (args.store or True) if args.save else None
    executor = args.executor
    if args.scheduler:
        executor = "dask"
    res = run_sweep(
        spec,
        executor,
        scheduler=args.scheduler,
        n_workers=args.workers,
        out=Path(args.out) if args.out else Path(f"{spec.name}.sweep"),
        progress=not args.no_progress and sys.stderr.isatty(),
        store=store,
        resume=not args.no_resume,
    )
    b = res.bands()
    if args.json:
        out = res.summary()
        out["bands"] = b.table.to_dict(orient="records")
        out["failed"] = b.failed.to_dict(orient="records")
        print(json.dumps(out, indent=1, default=str))
        return 0
    from rich.markup import escape
    from rich.table import Table

    con = console()
    con.print(
        f"sweep [bold]{escape(spec.name)}[/]: {res.n_done}/{res.n_tasks} tasks done, {res.n_failed} without an "
        f"equilibrium, {res.n_chunks} chunks ({res.n_reused} reused), {res.seconds:.1f} s on "
        f"{escape(str(res.executor.get('executor')))}; results {escape(str(res.path))}"
    )
    lo, hi = 50 * (1 - b.coverage), 50 * (1 + b.coverage)
    t = Table(title=f"median and {100 * b.coverage:g}% band (p{lo:g}-p{hi:g})")
    for c in ("grid", "country", "headline", "n", "median", "band"):
        t.add_column(c)
    for r in b.table.head(60).itertuples():
        grid = f"{r.elasticities} {r.axes if r.axes != '{}' else ''} {r.date}".strip()
        t.add_row(grid, r.country, r.headline, str(r.n), f"{r.median:.3f}", f"[{r.lower:.3f}, {r.upper:.3f}]")
    con.print(t)
    if len(b.table) > 60:
        con.print(f"... {len(b.table) - 60} more rows in {res.path}")
    if b.n_failed:
        con.print(f"[yellow]{b.n_failed} draw(s) did not converge and are not counted[/]")
    return 0
