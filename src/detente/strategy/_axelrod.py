"""Export the truce stage game to the Axelrod library's prisoner's-dilemma format.

The Axelrod library (``pip install axelrod``) plays two-action symmetric games with
payoffs ``(R, S, T, P)``: reward for mutual cooperation, sucker's payoff, temptation,
punishment. :func:`axelrod_payoffs` reduces a :class:`~detente.strategy.StageGame` to
two actions per side:

- **C** (cooperate): every instrument at the agreed level (0);
- **D** (defect): every instrument at the top of its ladder;

and reads the four payoffs of one player (``player=0`` or ``1``) or their mean
(``player="mean"``; the US-China game is not symmetric). Values are per-period flows in
basis points of annual income, shifted so that the smallest is 0 (an affine change
that leaves every strategic comparison as it was). :func:`axelrod_game` builds the
``axelrod.Game``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from detente.errors import DetenteError


@dataclasses.dataclass(frozen=True)
class PDPayoffs:
    r: float
    s: float
    t: float
    p: float
    player: str
    shift_bp: float  # what was added to every payoff (basis points per period)

    @property
    def is_prisoners_dilemma(self) -> bool:
        """T > R > P > S: defection dominates, mutual defection is worse than cooperation."""
        return self.t > self.r > self.p > self.s

    def as_dict(self) -> dict:
        return dataclasses.asdict(self) | {"is_prisoners_dilemma": self.is_prisoners_dilemma}


def axelrod_payoffs(game, player: int | str = "mean") -> PDPayoffs:
    """The (R, S, T, P) of ``game`` for ``player`` (0, 1 or "mean"); see the module docstring."""
    K, L = game.n_instruments, game.max_level
    C, D = (0,) * K, (L,) * K
    scale = 100.0 * game.period_days / 365.0  # percent of annual income -> bp per period

    def row(p: int):
        mine = (lambda a, b: game.payoff(a, b)[0]) if p == 0 else (lambda a, b: game.payoff(b, a)[1])
        return np.array([mine(C, C), mine(C, D), mine(D, C), mine(D, D)]) * scale  # R, S, T, P

    if player == "mean":
        v, label = (row(0) + row(1)) / 2, "mean of " + " and ".join(game.players)
    elif player in (0, 1):
        v, label = row(int(player)), game.players[int(player)]
    else:
        raise DetenteError(f"player must be 0, 1 or 'mean', got {player!r}")
    shift = -float(v.min())
    r, s, t, p = (float(x) for x in v + shift)
    return PDPayoffs(r, s, t, p, label, shift)


def axelrod_game(game, player: int | str = "mean"):
    """An ``axelrod.Game`` with the stage game's (R, S, T, P) (needs ``pip install axelrod``)."""
    try:
        import axelrod as axl
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DetenteError("exporting to the Axelrod library needs it installed: `pip install axelrod`") from exc
    pd = axelrod_payoffs(game, player)
    return axl.Game(r=pd.r, s=pd.s, t=pd.t, p=pd.p)
