"""The comparison value and the registry of studies."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

from detente.errors import DetenteError


@dataclasses.dataclass(frozen=True)
class Row:
    """One compared quantity: the model's number beside the published or observed one."""

    quantity: str
    model: float
    published: float | None
    unit: str
    source: str
    tolerance: float | None = None  # the target's allowed |model - published|, same unit
    note: str = ""
    factor: float | None = None  # or: the target's allowed max(model/published, published/model)

    def __post_init__(self) -> None:
        if self.tolerance is not None and self.factor is not None:
            raise DetenteError(f"{self.quantity}: a target is a tolerance or a factor, not both")
        if self.factor is not None and not self.factor >= 1:
            raise DetenteError(f"{self.quantity}: a target factor must be >= 1, got {self.factor!r}")

    @property
    def difference(self) -> float | None:
        if self.published is None or not math.isfinite(self.model):
            return None
        return self.model - self.published

    @property
    def ratio(self) -> float | None:
        """model / published (None without a positive published number)."""
        if self.published is None or self.published <= 0 or not math.isfinite(self.model):
            return None
        return self.model / self.published

    @property
    def within(self) -> bool | None:
        """Whether the model is within the target (None: no target)."""
        target = self.factor if self.factor is not None else self.tolerance
        if self.published is None or target is None:
            return None
        if not math.isfinite(self.model):
            return False  # no finite answer (e.g. a stop that never comes) misses any target
        if self.factor is None:
            return abs(self.model - self.published) <= target + 1e-12
        r = self.ratio
        if r is None:
            return None
        return r > 0 and max(r, 1.0 / r) <= target * (1 + 1e-12)

    @property
    def target(self) -> str:
        """The target as shown to users: ``±tolerance`` or ``factor N``; empty without one."""
        if self.factor is not None:
            return f"factor {self.factor:g}"
        return "" if self.tolerance is None else f"±{self.tolerance:g}"

    def to_dict(self) -> dict:
        return {
            "quantity": self.quantity,
            "model": self.model,
            "published": self.published,
            "unit": self.unit,
            "difference": self.difference,
            "tolerance": self.tolerance,
            "factor": self.factor,
            "ratio": self.ratio,
            "within_tolerance": self.within,
            "source": self.source,
            "note": self.note,
        }


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A study reproduced: rows, the model settings used, and what differs and why."""

    name: str
    title: str
    rows: tuple[Row, ...]
    settings: dict
    notes: tuple[str, ...] = ()
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def command(self) -> str:
        return f"detente reproduce {self.name}"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "command": self.command,
            "settings": self.settings,
            "rows": [r.to_dict() for r in self.rows],
            "notes": list(self.notes),
            **({"extra": self.extra} if self.extra else {}),
        }


Study = Callable[..., Comparison]
_STUDIES: dict[str, tuple[Study, str]] = {}


def study(name: str, summary: str) -> Callable[[Study], Study]:
    """Register a study function under ``name`` (a decorator)."""

    def deco(fn: Study) -> Study:
        _STUDIES[name] = (fn, summary)
        return fn

    return deco


def list_studies() -> dict[str, str]:
    """Study names with a one-line summary each."""
    _load()
    return {k: v[1] for k, v in _STUDIES.items()}


def reproduce(name: str, **options) -> Comparison:
    """Run the study ``name`` (see :func:`list_studies`); ``options`` go to the study."""
    _load()
    if name not in _STUDIES:
        raise DetenteError(f"unknown study {name!r}; choose one of {', '.join(_STUDIES)}")
    return _STUDIES[name][0](**options)


def _load() -> None:
    from detente.validation import _studies  # noqa: F401  (registers the studies)
