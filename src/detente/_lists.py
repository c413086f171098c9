"""The one parser of comma-separated lists ("A,B", "USA,CHN,EUR", "145,125"), shared by
the command line (:mod:`detente.cli._options`) and the HTTP API; light enough for the
parser of every command (no numpy, no pydantic)."""

from __future__ import annotations

from detente.errors import DetenteError

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


def split_list(
    text: str,
    option: str,
    *,
    n: int | None = None,
    at_least: int = 1,
    distinct: bool = True,
    example: str = "USA,CHN",
    what: str = "labels",
) -> list[str]:
    """The items of a comma-separated option value, stripped; the one parser of "A,B".

    Raises :class:`~detente.errors.DetenteError` naming ``option`` and the value when the
    list is empty, has the wrong number of items (exactly ``n``, else at least
    ``at_least``) or, with ``distinct``, repeats an item.
    """
    items = [x.strip() for x in str(text).split(",") if x.strip()]
    one = what[:-3] + "y" if what.endswith("ies") else what.removesuffix("s")
    different = "different " if distinct else ""
    if not items:
        raise DetenteError(f"{option} {text!r} names no {one}: give {what} separated by commas, e.g. {example}")
    if n is not None and len(items) != n:
        count = _WORDS.get(n, str(n))
        raise DetenteError(f"{option} must be {count} {different}{what} {example!r}, got {text!r}")
    if len(items) < at_least:
        count = _WORDS.get(at_least, str(at_least))
        raise DetenteError(f"{option} must be {count} or more {different}{what} {example!r}, got {text!r}")
    if distinct:
        seen: set[str] = set()
        dups = [x for x in items if x in seen or seen.add(x)]  # type: ignore[func-returns-value]
        if dups:
            raise DetenteError(
                f"{option}: {', '.join(dict.fromkeys(dups))} given more than once in {text!r}; name each once"
            )
    return items


def selector_text(sel) -> str:
    """A label selector (a string, or a sequence of labels) as its comma text."""
    return sel if isinstance(sel, str) else ",".join(sel)


def selects_all(sel) -> bool:
    """Whether a label selector is the whole set ("all" or "*")."""
    return selector_text(sel).strip().lower() in ("all", "*")
