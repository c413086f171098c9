"""The web dashboard and HTTP API (``detente serve``; needs the ``web`` extra).

Public names: :func:`create_app`, :class:`WebSettings`. Importing this package does
not import FastAPI; the names load on first use.
"""

from __future__ import annotations

__all__ = ["WebSettings", "create_app"]


def __getattr__(name: str):  # lazy: `import detente.web` works without the web extra
    if name in __all__:
        from detente.web import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'detente.web' has no attribute {name!r}")
