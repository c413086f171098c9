"""``detente serve``: the dashboard and HTTP API on a local port.

The main CLI calls :func:`register` with its argparse subparsers.
"""

from __future__ import annotations

import argparse
import ipaddress

from detente.cli._options import add_store_option
from detente.errors import DetenteError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def register(sub) -> argparse.ArgumentParser:
    """Add the ``serve`` subcommand to the ``detente`` subparsers ``sub``."""
    p = sub.add_parser(
        "serve",
        help="serve the web dashboard and HTTP API (http://127.0.0.1:8765)",
        description="Serve the dashboard (scenario editor, tariff sliders, charts) and the HTTP API "
        "(OpenAPI schema at /openapi.json). Binds 127.0.0.1 by default: only this machine "
        "can connect. Needs the web extra: pip install 'detente[web]'.",
    )
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to bind (default %(default)s; 0.0.0.0 exposes the server to the network)",
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="replays run at the same time (default %(default)s)")
    p.add_argument("--max-jobs", type=int, default=8, help="jobs queued or running at most (default %(default)s)")
    add_store_option(p)
    p.add_argument(
        "--jobs",
        metavar="FILE",
        help="file that keeps the job table across restarts (default: <store>.jobs.json next to "
        "the results store; 'none': memory only)",
    )
    p.add_argument("--no-warm", action="store_true", help="do not replay the default scenario on start-up")
    p.add_argument(
        "--header-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds a client has to send a request's headers (default %(default)s)",
    )
    p.add_argument(
        "--body-timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="seconds a client has to send a request's body (default %(default)s)",
    )
    p.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    p.set_defaults(func=_cmd_serve)
    return p


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _jobs_path(args: argparse.Namespace) -> str | None:
    """``--jobs``, else ``<store>.jobs.json`` beside the results store (``none``: None)."""
    if args.jobs:
        return None if args.jobs.lower() == "none" else args.jobs
    from pathlib import Path

    if args.store:
        store = Path(args.store).expanduser()
    else:
        try:
            from detente.store import default_store_path

            store = default_store_path()
        except ImportError:
            import os

            from detente.world._registry import data_dir

            store = Path(os.environ.get("DETENTE_STORE") or data_dir() / "runs.duckdb").expanduser()
    return str(store.with_name(store.name + ".jobs.json"))


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from detente.web._app import WebSettings, create_app
    except ImportError as exc:
        raise DetenteError(
            f"the web extra is not installed ({exc.name} is missing): pip install 'detente[web]'"
        ) from None
    if not 1 <= args.port <= 65535:
        raise DetenteError(f"--port must be between 1 and 65535, got {args.port}")
    if args.workers < 1 or args.max_jobs < 1:
        raise DetenteError("--workers and --max-jobs must be at least 1")
    if not (args.header_timeout > 0 and args.body_timeout > 0):
        raise DetenteError("--header-timeout and --body-timeout must be positive")
    loopback = _is_loopback(args.host)
    hosts = WebSettings.allowed_hosts if loopback else ("*",)
    settings = WebSettings(
        workers=args.workers,
        max_jobs=args.max_jobs,
        store_path=args.store,
        allowed_hosts=hosts,
        jobs_path=_jobs_path(args),
        warm=not args.no_warm,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
    )
    if not loopback:
        import sys

        sys.stderr.write(
            f"detente: warning: serving on {args.host}: anyone who can reach this address can "
            "run simulations; there is no authentication\n"
        )
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"detente dashboard on http://{shown}:{args.port}/  (API schema: /openapi.json; Ctrl-C stops)", flush=True)
    from detente.web._middleware import timed_protocol

    # read limits (docs/web.md): headers within header_timeout, a body within body_timeout (the
    # app), an idle keep-alive connection closed after keep_alive_timeout, a client that reads
    # nothing of a response for write_timeout; header size is capped by h11 (16 KiB)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        http=timed_protocol(settings.header_timeout, settings.write_timeout),
        timeout_keep_alive=settings.keep_alive_timeout,
    )
    return 0
