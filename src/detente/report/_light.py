"""What the command line needs from the report layer before any model is imported: the
error type, markup escaping and the default countries shown (no numpy, no plotting)."""

from __future__ import annotations

from rich.markup import escape

from detente.errors import DetenteError

#: the countries tables show first, when the world has them
MAIN_COUNTRIES = ("USA", "CHN", "MEX", "CAN", "JPN", "KOR", "TWN", "VNM", "DEU", "EUR", "IND", "GBR", "ROW")


class ReportError(DetenteError, ValueError):
    """A report cannot be made: a missing optional dependency, run or variable."""


def esc(x) -> str:
    """``str(x)`` with rich markup escaped: printed exactly as it is."""
    return escape("" if x is None else str(x))


def main_countries(labels, fallback: int = 10) -> list[str]:
    """The :data:`MAIN_COUNTRIES` among ``labels``, else the first ``fallback`` labels."""
    labels = list(labels)
    return [c for c in MAIN_COUNTRIES if c in labels] or labels[:fallback]
