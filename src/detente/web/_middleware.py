"""ASGI middleware of the web app: request-size and read-time limits, security headers;
the JSON error body (scrubbed of local paths and process ids); the ``Allow`` header of 405s;
the uvicorn protocol that bounds how long a client may take to send its request headers."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping

from fastapi.responses import JSONResponse

log = logging.getLogger("detente.web")

#: URL paths of this server: kept in messages ("no such page or endpoint: /api/x")
_URL_PREFIXES = ("/api/", "/static/", "/vendor/", "/openapi.json")
_LOCK_HOLDER = re.compile(r"\s*Conflicting lock is held in .*?(?=$|\n)", re.S)
_PID = re.compile(r"\s*\(?\b(?:PID|pid|process id)\b[ :=#]*\d+\)?")
_USER = re.compile(r"\s+by user \S+")
_QUOTED_PATH = re.compile(r"""(?<=')(?:~?/|[A-Za-z]:\\)[^'\n]*(?=')|(?<=")(?:~?/|[A-Za-z]:\\)[^"\n]*(?=")""")
_POSIX_PATH = re.compile(r"(?<![\w/.~<>-])(~?/[^\s'\"()<>,;]*[^\s'\"()<>,;.:])")
_WINDOWS_PATH = re.compile(r"(?<![\w])[A-Za-z]:\\[^\s'\"<>,;]*")


def _hide_path(match: re.Match) -> str:
    path = match.group(0)
    if path.startswith(_URL_PREFIXES) or path in ("/", "/openapi.json"):
        return path
    name = re.split(r"[/\\]", path.rstrip("/\\"))[-1]
    return f"<local>/{name}" if name else "<local>"


def public_text(text: str) -> str:
    """``text`` without local file paths (only their last part is kept), process ids and
    user names: what an error message may show a client."""
    text = _LOCK_HOLDER.sub("", str(text))
    text = _USER.sub("", _PID.sub("", text))
    text = _QUOTED_PATH.sub(_hide_path, text)
    text = _WINDOWS_PATH.sub(_hide_path, text)
    return _POSIX_PATH.sub(_hide_path, text)


def _error(
    status: int, code: str, message: str, problems: list[str] | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON error response; messages never carry local paths or process ids."""
    body = {"code": code, "message": public_text(message), "problems": [public_text(p) for p in problems or []]}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def allowed_methods(routes, scope) -> str:
    """The ``Allow`` header for a 405: the methods of every route matching the path."""
    from starlette.routing import Match

    matching = [r for r in routes if r.matches(scope)[0] != Match.NONE]
    # the most specific paths only: /api/scenarios/validate (POST), not also /api/scenarios/{name}
    # (GET), which matches the same URL but is documented as another resource
    fewest = min((len(getattr(r, "param_convertors", {}) or {}) for r in matching), default=0)
    methods: set[str] = set()
    for route in matching:
        if len(getattr(route, "param_convertors", {}) or {}) != fewest:
            continue
        route_methods = getattr(route, "methods", None)
        methods |= set(route_methods) if route_methods else {"GET", "HEAD"}  # mounts: static files
    order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    return ", ".join(sorted(methods or {"GET", "HEAD"}, key=lambda m: (order.index(m) if m in order else 99, m)))


class _BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413, and bodies not
    received in full within ``timeout`` seconds with 408 (JSON errors)."""

    def __init__(self, app, limit: int, timeout: float | None = None) -> None:
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > self.limit:
            return await self._refuse(scope, receive, send)
        chunks, size, more = [], 0, True
        loop = asyncio.get_running_loop()
        deadline = None if self.timeout is None else loop.time() + self.timeout
        while more:
            try:
                msg = await (
                    receive() if deadline is None else asyncio.wait_for(receive(), max(deadline - loop.time(), 0.0))
                )
            except asyncio.TimeoutError:
                resp = _error(
                    408,
                    "timeout",
                    f"request body not received within {self.timeout:g} s",
                    headers={"connection": "close"},
                )
                return await resp(scope, receive, send)
            if msg["type"] == "http.disconnect":
                return None
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            more = msg.get("more_body", False)
            if size > self.limit:
                return await self._refuse(scope, receive, send)
        body, sent = b"".join(chunks), False

        async def replay_receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay_receive, send)

    async def _refuse(self, scope, receive, send):
        resp = _error(413, "too_large", f"request body too large: the limit is {self.limit} bytes")
        return await resp(scope, receive, send)


class _SecurityHeaders:
    """ASGI middleware: no sniffing, no referrer, scripts only from this server."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )

    def __init__(self, app, allowed_hosts: tuple[str, ...]) -> None:
        self.app, self.allowed = app, set(allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if "*" not in self.allowed and name not in self.allowed:
            return await _error(
                400,
                "invalid_request",
                f"host {host!r} not allowed (this server answers on loopback only; see `detente serve --help`)",
            )(scope, receive, send)

        async def send_with_headers(msg):
            if msg["type"] == "http.response.start":
                h = list(msg.get("headers", []))
                h += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"content-security-policy", self.CSP.encode()),
                ]
                msg = {**msg, "headers": h}
            await send(msg)

        return await self.app(scope, receive, send_with_headers)


def timed_protocol(header_timeout: float, write_timeout: float | None = None):
    """A uvicorn HTTP/1.1 (h11) protocol class that closes a connection whose request
    headers are not all received within ``header_timeout`` seconds of the connection's
    start or of the previous response (slow clients sending a byte at a time), and one
    whose client reads none of a response for ``write_timeout`` seconds."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TimedH11Protocol(H11Protocol):
        _header_timer = None
        _write_timer = None
        _timed_cycle = None

        def _arm_header_timer(self) -> None:
            self._cancel_header_timer()
            self._timed_cycle = self.cycle
            self._header_timer = self.loop.call_later(header_timeout, self._header_timeout)

        def _cancel_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _header_timeout(self) -> None:
            self._header_timer = None
            if self.cycle is self._timed_cycle and not self.transport.is_closing():
                log.info(
                    "closing a connection from %s: no complete request headers within %g s", self.client, header_timeout
                )
                self.transport.close()

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._arm_header_timer()

        def handle_events(self) -> None:
            super().handle_events()
            if self._header_timer is not None and self.cycle is not self._timed_cycle:
                self._cancel_header_timer()  # a new request's headers are in

        def on_response_complete(self) -> None:
            if not self.transport.is_closing():
                self._arm_header_timer()  # the next request on this connection
            super().on_response_complete()

        def connection_lost(self, exc) -> None:
            self._cancel_header_timer()
            if self._write_timer is not None:
                self._write_timer.cancel()
            super().connection_lost(exc)

        def pause_writing(self) -> None:
            super().pause_writing()
            if write_timeout is not None and self._write_timer is None:
                self._write_timer = self.loop.call_later(write_timeout, self._write_timeout)

        def resume_writing(self) -> None:
            if self._write_timer is not None:
                self._write_timer.cancel()
                self._write_timer = None
            super().resume_writing()

        def _write_timeout(self) -> None:
            self._write_timer = None
            if not self.transport.is_closing():
                log.info("closing a connection from %s: the client read nothing for %g s", self.client, write_timeout)
                self.transport.abort()

    return TimedH11Protocol
