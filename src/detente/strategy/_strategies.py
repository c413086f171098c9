"""Strategies for the repeated truce game, one small class each, registered by decorator.

Every period a side chooses, for each instrument, one of three actions:
``DE_ESCALATE`` (-1), ``HOLD`` (0) or ``ESCALATE`` (+1). Strategies think in terms of
the two moves of the classic game:

- *cooperate* (:func:`cooperate`): de-escalate where the own level is above the agreed
  level, hold where it is at it;
- *defect*: escalate.

A strategy sees a :class:`View` of the match: its own actions and levels, what it
*observed* of the other side's actions (possibly misread), and its trust (the
posterior probability that the other side is a complier, :mod:`._truce`). It never sees
the other side's true actions. ``start(rng)`` returns the strategy's per-match state
(e.g. a random approval delay); ``act(view, state, rng)`` is otherwise a pure function
of the view. Each class carries a ``classifier`` dict of metadata, in the manner of the
Axelrod library: ``memory_depth`` (periods of history used; ``inf`` for all),
``stochastic``, ``uses_trust``, ``retaliates``, ``forgives``.

Register a new strategy with :func:`register`; :data:`STRATEGIES` maps names to classes.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

DE_ESCALATE, HOLD, ESCALATE = -1, 0, 1
ACTION_NAMES = {DE_ESCALATE: "de-escalate", HOLD: "hold", ESCALATE: "escalate"}

STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: add a strategy to :data:`STRATEGIES` under ``cls.name``."""
    if not getattr(cls, "name", None):
        raise TypeError(f"{cls.__name__} needs a name")
    for key in ("memory_depth", "stochastic"):
        if key not in cls.classifier:
            raise TypeError(f"{cls.__name__}.classifier needs {key!r}")
    STRATEGIES[cls.name] = cls
    return cls


def get_strategy(name: str, **params) -> Strategy:
    """An instance of the registered strategy ``name`` with ``params``."""
    from detente.errors import UnknownLabelError

    try:
        cls = STRATEGIES[name]
    except KeyError:
        raise UnknownLabelError(f"unknown strategy {name!r}; known: {', '.join(sorted(STRATEGIES))}") from None
    return cls(**params)


@dataclasses.dataclass(frozen=True)
class View:
    """What a side knows at the start of period ``t`` (0-based)."""

    t: int
    own_actions: tuple[tuple[int, ...], ...]  # per past period, per instrument
    observed: tuple[tuple[int, ...], ...]  # the other side's actions as observed
    own_levels: tuple[int, ...]  # current levels, per instrument
    agreed_levels: tuple[int, ...]  # the truce terms (levels to return to)
    max_level: int
    trust: float  # posterior probability that the other side complies

    @property
    def n_instruments(self) -> int:
        return len(self.own_levels)

    def other_escalated(self, lag: int = 1) -> tuple[bool, ...]:
        """Per instrument: did the other side (seem to) escalate ``lag`` periods ago?"""
        if len(self.observed) < lag:
            return (False,) * self.n_instruments
        return tuple(a == ESCALATE for a in self.observed[-lag])

    def ever_escalated(self) -> bool:
        return any(a == ESCALATE for obs in self.observed for a in obs)


def cooperate(view: View, k: int) -> int:
    """De-escalate instrument ``k`` if above the agreed level, else hold."""
    return DE_ESCALATE if view.own_levels[k] > view.agreed_levels[k] else HOLD


class Strategy:
    """Base class: override ``act`` (and ``start`` for per-match state)."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}

    def start(self, rng: np.random.Generator) -> Any:
        return None

    def act(self, view: View, state: Any, rng: np.random.Generator) -> tuple[int, ...]:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        params = (
            ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
            if dataclasses.is_dataclass(self)
            else ""
        )
        return f"{type(self).__name__}({params})"


def _all(view: View, fn) -> tuple[int, ...]:
    return tuple(fn(k) for k in range(view.n_instruments))


@register
@dataclasses.dataclass(frozen=True)
class Complier(Strategy):
    """Always keeps the truce (cooperates on every instrument)."""

    name: ClassVar[str] = "complier"
    classifier: ClassVar[dict] = {
        "memory_depth": 0,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": False,
        "forgives": True,
    }

    def act(self, view, state, rng):
        return _all(view, lambda k: cooperate(view, k))


@register
@dataclasses.dataclass(frozen=True)
class Escalator(Strategy):
    """Escalates every instrument every period."""

    name: ClassVar[str] = "escalator"
    classifier: ClassVar[dict] = {
        "memory_depth": 0,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": True,
        "forgives": False,
    }

    def act(self, view, state, rng):
        return (ESCALATE,) * view.n_instruments


@register
@dataclasses.dataclass(frozen=True)
class TitForTat(Strategy):
    """Cooperates first; then, per instrument, escalates if the other side was seen to escalate."""

    name: ClassVar[str] = "tit-for-tat"
    classifier: ClassVar[dict] = {
        "memory_depth": 1,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        esc = view.other_escalated()
        return _all(view, lambda k: ESCALATE if esc[k] else cooperate(view, k))


@register
@dataclasses.dataclass(frozen=True)
class GenerousTitForTat(Strategy):
    """Tit-for-tat that lets an observed escalation pass with probability ``generosity``."""

    generosity: float = 0.3
    name: ClassVar[str] = "generous-tit-for-tat"
    classifier: ClassVar[dict] = {
        "memory_depth": 1,
        "stochastic": True,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        esc = view.other_escalated()
        return _all(view, lambda k: ESCALATE if esc[k] and rng.random() >= self.generosity else cooperate(view, k))


@register
@dataclasses.dataclass(frozen=True)
class GrimTrigger(Strategy):
    """Cooperates until it sees any escalation, then escalates everything for ever."""

    name: ClassVar[str] = "grim-trigger"
    classifier: ClassVar[dict] = {
        "memory_depth": math.inf,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": True,
        "forgives": False,
    }

    def act(self, view, state, rng):
        if view.ever_escalated():
            return (ESCALATE,) * view.n_instruments
        return _all(view, lambda k: cooperate(view, k))


@register
@dataclasses.dataclass(frozen=True)
class WinStayLoseShift(Strategy):
    """Pavlov, per instrument: repeat the last move if the other side did not escalate, else switch.

    A "win" is a period in which the other side was not seen to escalate; the move is
    cooperate or defect (escalate).
    """

    name: ClassVar[str] = "win-stay-lose-shift"
    classifier: ClassVar[dict] = {
        "memory_depth": 1,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        if not view.own_actions:
            return _all(view, lambda k: cooperate(view, k))
        esc = view.other_escalated()
        last = view.own_actions[-1]

        def move(k):
            defected = last[k] == ESCALATE
            if not esc[k]:  # win: stay
                return ESCALATE if defected else cooperate(view, k)
            return cooperate(view, k) if defected else ESCALATE  # lose: shift

        return _all(view, move)


@register
@dataclasses.dataclass(frozen=True)
class EscalationLadder(Strategy):
    """Graduated response: one step up per observed escalation, one step down after ``patience`` quiet periods.

    Per instrument: escalate right after an observed escalation; de-escalate (towards
    the agreed level) once the other side has been seen quiet on that instrument for
    ``patience`` consecutive periods; hold otherwise.
    """

    patience: int = 3
    name: ClassVar[str] = "escalation-ladder"
    classifier: ClassVar[dict] = {
        "memory_depth": math.inf,
        "stochastic": False,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        def move(k):
            if view.other_escalated()[k]:
                return ESCALATE
            quiet = 0
            for obs in reversed(view.observed):
                if obs[k] == ESCALATE:
                    break
                quiet += 1
            return cooperate(view, k) if quiet >= self.patience or not view.observed else HOLD

        return _all(view, move)


@register
@dataclasses.dataclass(frozen=True)
class PendingApproval(Strategy):
    """A deal agreed by negotiators that the leader still has to approve.

    Holds every instrument (no de-escalation, no retaliation) until the approval date,
    drawn per match: ``1 + Poisson(mean_delay - 1)`` periods. At that date the leader
    approves with probability ``1 - reject_prob``; then the side plays tit-for-tat
    (cooperating first); if the leader rejects, it escalates for ever.
    """

    mean_delay: float = 4.0
    reject_prob: float = 0.1
    name: ClassVar[str] = "pending-approval"
    classifier: ClassVar[dict] = {
        "memory_depth": 1,
        "stochastic": True,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def start(self, rng):
        delay = 1 + int(rng.poisson(max(self.mean_delay - 1.0, 0.0)))
        return {"delay": delay, "approved": bool(rng.random() >= self.reject_prob)}

    def act(self, view, state, rng):
        if view.t < state["delay"]:
            return (HOLD,) * view.n_instruments
        if not state["approved"]:
            return (ESCALATE,) * view.n_instruments
        if view.t == state["delay"]:
            return _all(view, lambda k: cooperate(view, k))
        return TitForTat().act(view, None, rng)


@register
@dataclasses.dataclass(frozen=True)
class TrustThreshold(Strategy):
    """Cooperates while trust is at least ``threshold``; escalates everything below it."""

    threshold: float = 0.25
    name: ClassVar[str] = "trust-threshold"
    classifier: ClassVar[dict] = {
        "memory_depth": math.inf,
        "stochastic": False,
        "uses_trust": True,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        if view.trust < self.threshold:
            return (ESCALATE,) * view.n_instruments
        return _all(view, lambda k: cooperate(view, k))


@register
@dataclasses.dataclass(frozen=True)
class Prober(Strategy):
    """Tit-for-tat that also escalates one random instrument with probability ``p`` each period."""

    p: float = 0.05
    name: ClassVar[str] = "prober"
    classifier: ClassVar[dict] = {
        "memory_depth": 1,
        "stochastic": True,
        "uses_trust": False,
        "retaliates": True,
        "forgives": True,
    }

    def act(self, view, state, rng):
        acts = list(TitForTat().act(view, None, rng))
        if rng.random() < self.p:
            acts[int(rng.integers(view.n_instruments))] = ESCALATE
        return tuple(acts)


def scripted(actions: Sequence[Sequence[int]] | Sequence[int], name: str = "scripted") -> Strategy:
    """A strategy that plays a fixed list of moves (per period; an int means all instruments)."""
    return _Scripted(tuple(tuple(a) if isinstance(a, (tuple, list)) else a for a in actions), name)


@dataclasses.dataclass(frozen=True)
class _Scripted(Strategy):
    script: tuple
    label: str = "scripted"
    classifier: ClassVar[dict] = {"memory_depth": 0, "stochastic": False}

    def act(self, view, state, rng):
        a = self.script[view.t % len(self.script)]
        return a if isinstance(a, tuple) else (a,) * view.n_instruments
