"""The ``detente`` command: one module per command group, shared options in :mod:`._options`.

User errors (bad input, unknown labels, missing data) print one readable line and exit
with status 2; no stack trace. ``detente --help`` lists the commands. Building the
parser imports neither numpy nor pydantic: each command imports what it needs when it
runs.

Command groups: :mod:`.whatif`, :mod:`.scenarios` (validate, schema, replay, tariffs),
:mod:`.report`, :mod:`.runs`, :mod:`.shortage`, :mod:`.strategy` (with :mod:`.package`),
:mod:`.sweep`, :mod:`.serve`, :mod:`.reproduce` and :mod:`.data` (worlds, world,
elasticities, data build).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from detente.errors import DetenteError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of every command."""
    from detente import __version__
    from detente.cli import data, report, reproduce, runs, scenarios, serve, shortage, strategy, sweep, whatif

    p = argparse.ArgumentParser(prog="detente", description="Simulate trade wars and trade talks.")
    p.add_argument("--version", action="version", version=f"detente {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (whatif, reproduce, scenarios, report, runs, shortage, serve, strategy, sweep, data):
        group.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            code = int(args.func(args) or 0)
        for w in caught:
            if issubclass(w.category, UserWarning):
                sys.stderr.write(f"detente: warning: {w.message}\n")
        return code
    except DetenteError as exc:
        sys.stderr.write(f"detente: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("detente: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
