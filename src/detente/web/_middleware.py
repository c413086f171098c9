"""ASGI middleware of the web app: request-size limit and security headers."""

from __future__ import annotations

import logging

from fastapi.responses import JSONResponse



log = logging.getLogger("detente.web")


def _error(status: int, code: str, message: str, problems: list[str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "problems": problems or []}}, status_code=status)


class _BodyLimit:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with 413 (JSON error)."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

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
        while more:
            msg = await receive()
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

    CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
           "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
           "frame-ancestors 'none'")

    def __init__(self, app, allowed_hosts: tuple[str, ...]) -> None:
        self.app, self.allowed = app, set(allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if "*" not in self.allowed and name not in self.allowed:
            return await _error(400, "invalid_request", f"host {host!r} not allowed (this server "
                                "answers on loopback only; see `detente serve --help`)")(scope, receive, send)

        async def send_with_headers(msg):
            if msg["type"] == "http.response.start":
                h = list(msg.get("headers", []))
                h += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                      (b"content-security-policy", self.CSP.encode())]
                msg = {**msg, "headers": h}
            await send(msg)

        return await self.app(scope, receive, send_with_headers)
