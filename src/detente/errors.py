"""Exceptions that detente raises for problems a user can act on.

Every error a user can cause (bad data, a malformed shock, an unknown country) is a
:class:`DetenteError`; the command line prints its message without a stack trace.
"""

from __future__ import annotations


class DetenteError(Exception):
    """Base class for errors caused by user input or data; the message says what to fix."""


class DataError(DetenteError, ValueError):
    """A world or data file violates a structural or accounting requirement."""


class ShockError(DetenteError, ValueError):
    """A counterfactual (tariffs, iceberg factors, deficits) is malformed."""


class UnknownLabelError(DetenteError, KeyError):
    """A country, sector or world name that does not exist."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class ConvergenceError(DetenteError, RuntimeError):
    """An equilibrium solve did not converge; carries the diagnostics."""

    def __init__(self, message: str, diagnostics: object | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class ScenarioError(DetenteError, ValueError):
    """A scenario file is malformed; the message names the file, line, field and value."""


class StoreError(DetenteError):
    """The results store cannot be read or written (locked, corrupt, not a store)."""
