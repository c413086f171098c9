"""What every ``detente`` command shares: options defined once, list parsing, console, progress.

One definition each of ``--world``, ``--countries``, ``--out``, ``--json``, ``--no-save``,
``--elasticities``/``--horizon``/``--adjustment``, ``--closure`` and the CSV-world options;
one parser of comma lists (:func:`split_list`, with :func:`parse_countries`,
:func:`parse_pair` and :func:`parse_players` on top); one console (:func:`console`); one
progress display (:class:`Progress`); one way to print, write and save a command's JSON
record (:func:`emit`). Importing this module imports neither numpy nor pydantic (the
parser is built on every start, ``detente --help`` included).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from detente._defaults import DEFAULT_PAIR
from detente._files import check_output_path, write_json
from detente._lists import split_list
from detente.errors import DetenteError

__all__ = [
    "Progress",
    "add_closure_option",
    "add_countries_option",
    "add_csv_world_options",
    "add_elasticity_options",
    "add_json_option",
    "add_no_save_option",
    "add_out_option",
    "add_store_option",
    "add_world_option",
    "check_output_path",
    "console",
    "csv_options",
    "emit",
    "main_countries",
    "parse_countries",
    "parse_numbers",
    "parse_pair",
    "pair_of",
    "parse_players",
    "split_list",
]


# ------------------------------------------------------------------------------ console
def console():
    """The terminal console of every command: no highlighting, 100-140 columns."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False, width=max(100, min(140, Console().width)))


class Progress:
    """Progress on stderr: a rich bar on a terminal, otherwise a line every ``every`` steps.

    Use as a context manager and call :meth:`update` with (done, total, text).
    """

    def __init__(self, label: str, total: int | None = None, every: int = 1, enabled: bool = True):
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.label, self.total, self.every, self.enabled = label, total, every, enabled
        self.bar: Any = None
        self.task: Any = None
        self.count = 0

    def __enter__(self):
        if self.enabled and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total)
        return self

    def update(self, done: int, total: int | None = None, text: str = "") -> None:
        if not self.enabled:
            return
        self.count += 1
        if self.bar is not None:
            self.bar.update(
                self.task, completed=done, total=total or self.total, description=f"{self.label} {text}".strip()
            )
        elif self.count % self.every == 0 or (total and done == total):
            self.console.print(f"{self.label} {text} {done}/{total or self.total or '?'}".strip(), markup=False)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False


# ------------------------------------------------------------------------------ lists
def parse_numbers(text: str, option: str, *, n: int | None = None, example: str = "145,125") -> tuple[float, ...]:
    """The numbers of a comma-separated option value (exactly ``n`` when given)."""
    items = split_list(text, option, n=n, distinct=False, example=example, what="numbers")
    try:
        return tuple(float(x) for x in items)
    except ValueError:
        raise DetenteError(f"{option} takes comma-separated numbers, e.g. {example!r}; got {text!r}") from None


def parse_countries(text: str | None, option: str = "--countries") -> list[str] | None:
    """The labels of a comma-separated ``--countries`` (None when the option is absent)."""
    if text is None:
        return None
    return split_list(text, option, what="countries")


def _canonical(world, labels: list[str], option: str) -> list[str]:
    """The world's own spelling of each label (``usa`` is USA); unknown ones raise with suggestions."""
    canon = [world.countries[world.country_index(c)] for c in labels]
    dups = [c for i, c in enumerate(canon) if c in canon[:i]]
    if dups:
        raise DetenteError(f"{option}: {', '.join(dict.fromkeys(dups))} given more than once; name each country once")
    return canon


def parse_pair(text: str | None, option: str = "--pair", world=None) -> tuple[str, str] | None:
    """Two different countries 'A,B' (None when ``text`` is None), in the world's spelling."""
    if text is None:
        return None
    a, b = split_list(text, option, n=2, what="countries")
    if world is not None:
        a, b = _canonical(world, [a, b], option)
    return a, b


def parse_players(text: str, option: str = "--players", *, at_least: int = 2, exactly: int | None = None):
    """Players of a game: ``exactly`` (or at least ``at_least``) different countries."""
    example = "A,B" if exactly == 2 else "A,B[,C...]"
    return tuple(split_list(text, option, n=exactly, at_least=at_least, example=example, what="countries"))


def main_countries(world, names: list[str] | str | None) -> list[str]:
    """The countries a command shows: ``--countries`` in the world's spelling, else its main ones."""
    if isinstance(names, str):
        names = parse_countries(names)
    if names is not None:
        return _canonical(world, names, "--countries")
    from detente.report.whatif import main_countries as default_countries

    return default_countries(world.countries)


def default_pair(countries) -> tuple[str, str] | None:
    """The documented default pair (detente._defaults.DEFAULT_PAIR) where both are present."""
    return DEFAULT_PAIR if set(DEFAULT_PAIR) <= set(countries) else None


def pair_of(text: str | None, world) -> tuple[str, str]:
    """``--pair`` in the world's spelling; else the default pair, else the world's first two."""
    return parse_pair(text, world=world) or default_pair(world.countries) or (world.countries[0], world.countries[1])


# ------------------------------------------------------------------------------ options
def add_world_option(parser: argparse.ArgumentParser, *, scenario: bool = False, what: str = "") -> None:
    """``--world NAME|PATH``: the world a command solves on (``detente worlds`` lists them).

    ``scenario=True``: the default is the scenario's own world. ``what`` adds what the
    world is used for, e.g. "supplying the weights".
    """
    use = f" {what}" if what else ""
    parser.add_argument(
        "--world",
        default=None if scenario else "default",
        help=f"world{use}: a name (`detente worlds`) or a world file; default: "
        + ("the scenario's" if scenario else "%(default)s"),
    )


def add_countries_option(parser: argparse.ArgumentParser, *, default: str = "the main countries") -> None:
    """``--countries A,B,...``: which countries the tables show."""
    parser.add_argument(
        "--countries", metavar="A,B,...", help=f"countries to show, comma-separated (default: {default})"
    )


def add_out_option(parser: argparse.ArgumentParser, what: str = "the JSON results", *, metavar: str = "FILE") -> None:
    """``--out FILE``: where a command also writes ``what`` (checked before any work)."""
    parser.add_argument("--out", metavar=metavar, help=f"also write {what} to {metavar}")


def add_json_option(parser: argparse.ArgumentParser, what: str = "the results") -> None:
    """``--json``: print ``what`` as JSON instead of tables."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON instead of tables")


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """``--store FILE``: the results database (docs/store.md)."""
    parser.add_argument(
        "--store", metavar="FILE", help="results database (default $DETENTE_STORE, else <data dir>/runs.duckdb)"
    )


def add_no_save_option(parser: argparse.ArgumentParser) -> None:
    """``--no-save``: do not keep the run in the results store."""
    parser.add_argument("--no-save", action="store_true", help="do not save the run in the results store")


def add_elasticity_options(
    parser: argparse.ArgumentParser, *, default_horizon: str = "1y", scenario: bool = False
) -> None:
    """``--elasticities`` and ``--horizon`` (and ``--adjustment`` for scenarios)."""
    from detente._defaults import DEFAULT_SET

    if scenario:
        parser.add_argument(
            "--elasticities",
            metavar="SET",
            default=None,
            help="trade-elasticity set (`detente elasticities` lists them; "
            "'world' keeps the world file's); default: the scenario's, else "
            f"{DEFAULT_SET}",
        )
        parser.add_argument(
            "--horizon",
            default=None,
            help=f"horizon of the elasticities: 1y, 3y, long or years; default: the scenario's, else {default_horizon}",
        )
        parser.add_argument(
            "--adjustment",
            choices=["fixed", "path"],
            default=None,
            help="'path': each date at the time elapsed since the policy changes "
            "in force; default: the scenario's, else fixed",
        )
        return
    parser.add_argument(
        "--elasticities",
        metavar="SET",
        default=None,
        help="trade-elasticity set (`detente elasticities` lists them; 'world' keeps "
        f"the world file's) (default: {DEFAULT_SET} where the registry maps the "
        "world's sectors, else the world file's)",
    )
    parser.add_argument(
        "--horizon",
        default=default_horizon,
        help="horizon of the elasticities: 1y, 3y, long or a number of years (default: %(default)s)",
    )


def add_closure_option(parser: argparse.ArgumentParser, *, scenario: bool = False) -> None:
    """``--closure``: how trade deficits adjust (docs/model.md, section 4)."""
    from detente._defaults import CLOSURES

    parser.add_argument(
        "--closure",
        choices=list(CLOSURES),
        default=None if scenario else "fixed-deficits",
        help="deficits fixed in levels, expenditure/output ratios fixed, or balanced trade "
        "(deficits purged first, Dekle-Eaton-Kortum); default: "
        + ("the scenario's, else fixed-deficits" if scenario else "%(default)s"),
    )


def add_csv_world_options(parser: argparse.ArgumentParser) -> None:
    """``--theta``, ``--csv-column``, ``--csv-extra``: reading a world from a CSV file."""
    parser.add_argument("--theta", type=float, help="trade elasticity of a CSV world without a theta column")
    parser.add_argument(
        "--csv-column",
        action="append",
        metavar="NAME=COLUMN",
        help="CSV world: read the layout's column NAME from COLUMN, e.g. value=trade (repeatable)",
    )
    parser.add_argument("--csv-extra", choices=["error", "ignore"], help="CSV world: what to do with unknown columns")


def csv_options(args: argparse.Namespace) -> dict:
    """``read_csv_world`` options from ``--theta``, ``--csv-column`` and ``--csv-extra``."""
    opts: dict = {}
    if args.theta is not None:
        opts["theta"] = args.theta
    if args.csv_column:
        cols = {}
        for item in args.csv_column:
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise DetenteError(f"--csv-column {item!r}: expected NAME=COLUMN, e.g. value=trade")
            cols[name.strip()] = column.strip()
        opts["columns"] = cols
    if args.csv_extra:
        opts["extra_columns"] = args.csv_extra
    return opts


# ------------------------------------------------------------------------------ output
def emit(args: argparse.Namespace, record: dict, *, save=None) -> None:
    """Print (``--json``), write (``--out``, atomically) and save (``save()``, unless ``--no-save``).

    ``save`` is a callable returning the run id of the stored record, or None when the
    command keeps nothing in the store.
    """
    as_json = bool(getattr(args, "json", False))
    if as_json:
        sys.stdout.write(json.dumps(record, indent=2, default=float) + "\n")
    if getattr(args, "out", None):
        path = write_json(args.out, record, default=float)
        if not as_json:
            console().print(f"results written to {path}", markup=False)
    if save is not None and not getattr(args, "no_save", True):
        run_id = save()
        if not as_json:
            console().print(f"saved as run {run_id} (detente runs show {run_id})", style="dim", markup=False)
