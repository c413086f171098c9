"""Deterrence: how much patience, or trust, a trigger strategy needs to sustain the truce.

The stage game (:func:`~detente.strategy.build_stage_game`) is reduced to two actions
per side, as for the Axelrod export (:func:`~detente.strategy.axelrod_payoffs`):
C = every instrument at the agreed level, D = every instrument at the top of its
ladder. For one player, R = u(C, C), S = u(C, D), T = u(D, C), P = u(D, D), flows per
period. With ``temptation="best"``, T is the best unilateral deviation from the agreed
levels instead (the largest payoff over all of the player's own levels against C).

**Grim trigger, perfect monitoring.** Cooperate until a defection is seen, then play D
for ever. Cooperation is an equilibrium for a player with discount factor delta per
period iff ``R/(1-delta) >= T + delta P/(1-delta)``, i.e.

.. math::  \\delta \\ge \\delta^* = \\frac{T - R}{T - P}  \\qquad (T > R > P).

If ``T <= R`` defection never pays (``delta* = 0``); if ``R <= P`` the punishment is no
punishment and no discount factor will do (``delta* = inf``).

**False signals.** Each period, with probability ``epsilon`` a defection is seen although
both cooperated, and punishment starts; a real defection is seen with probability
``q`` (``detection``). With ``D = V_C - V_P`` the value of cooperating over punishing,
``D = (R - P) / (1 - delta (1 - epsilon))``, and a one-period deviation pays
``T - P + delta (1 - q) D``. Cooperation holds iff

.. math::  \\delta \\ge \\delta^*_\\varepsilon = \\frac{T - R}{(T - P)(1 - \\varepsilon) - (R - P)(1 - q)}

which is ``(T - R) / ((T - P)(1 - epsilon))`` when every defection is seen (q = 1).
Noise raises the threshold by the factor ``1 / (1 - epsilon)``, and the truce cannot be
sustained at all once ``epsilon >= (R - P) / (T - P)``. In the truce game the false
signal of one side is a misreading of a hold as an escalation on some instrument,
``f = 1 - (1 - noise/2)^K`` a period for K instruments; either side's false signal sets
off punishment, so ``epsilon = 1 - (1 - f)^2`` (an approximation: the game's monitoring
is private, this treats it as public).

**Approval delays.** If punishment starts only ``L >= 1`` periods after the defection is
seen (the leader's approval; L = 1 is the standard case), the deviator earns T for L
periods, and cooperation holds iff ``E[delta^L] >= (T - R)/(T - P)``. With the
``pending-approval`` delay ``L = 1 + Poisson(lambda)``, ``E[delta^L] = delta exp(-lambda
(1 - delta))``, so

.. math::  \\delta^*_\\lambda = \\frac{W(\\lambda k e^{\\lambda})}{\\lambda}, \\qquad k = \\frac{T - R}{T - P}

(W: the Lambert W function). With both noise and delays there is no closed form:
:func:`grim_threshold` finds the root of the incentive constraint numerically (a false
signal then also starts punishment only after the delay).

**Trust.** Against a partner that is a grim-trigger complier with probability mu and an
opportunist that always defects otherwise, opening with C pays iff
``mu [(R - P)/(1 - delta) - (T - P)] >= (1 - mu)(P - S)``, so the minimal trust is

.. math::  \\mu^* = \\frac{P - S}{A + P - S}, \\qquad A = \\frac{R - P}{1 - \\delta} - (T - P)

(``mu* = 0`` when ``P <= S``: cooperating is not even risky; ``mu* = inf`` when
``A <= 0``: the partner's cooperation is not worth keeping at that patience).

A weekly discount factor is mostly the probability that the relationship (the same
leaders, the same deal) goes on another week, so the report also gives the implied
horizon ``1 / (1 - delta*)`` periods: the truce is self-enforcing if the sides expect to
keep dealing with each other for at least that long.
"""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import lambertw

from detente.errors import DetenteError


@dataclasses.dataclass(frozen=True)
class Deterrence:
    """One player's deterrence thresholds (payoffs in basis points of annual income per period)."""

    player: str
    r: float
    s: float
    t: float
    p: float
    delta_star: float  # grim trigger, perfect monitoring
    false_signal: float  # epsilon per period
    detection: float  # q
    approval_delay: float  # lambda: delay = 1 + Poisson(lambda) periods
    delta_noisy: float  # with false signals and detection (closed form)
    delta_delayed: float  # with approval delays only (closed form, Lambert W)
    delta_both: float  # with both (numerical)
    trust_star: float  # minimal trust at the discount factor ``delta`` below
    delta: float  # the discount factor the trust threshold is evaluated at
    period_days: int

    @property
    def prisoners_dilemma(self) -> bool:
        return self.t > self.r > self.p > self.s

    def horizon_weeks(self, delta: float | None = None) -> float:
        """The expected horizon ``1/(1 - delta)`` periods, in weeks (inf if delta >= 1)."""
        d = self.delta_both if delta is None else delta
        if not np.isfinite(d) or d >= 1:
            return math.inf
        return self.period_days / 7.0 / (1.0 - d)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self) | {
            "prisoners_dilemma": self.prisoners_dilemma,
            "horizon_weeks": self.horizon_weeks(),
        }


def grim_threshold(
    r: float,
    s: float,
    t: float,
    p: float,
    *,
    false_signal: float = 0.0,
    detection: float = 1.0,
    approval_delay: float = 0.0,
) -> float:
    """The least discount factor at which grim trigger sustains (C, C); see the module docstring.

    Returns 0 when defection never pays (T <= R), ``inf`` when no discount factor below
    1 will do. ``approval_delay`` is the mean lambda of the Poisson part of the
    punishment lag ``1 + Poisson(lambda)``.
    """
    if not 0.0 <= false_signal < 1.0 or not 0.0 <= detection <= 1.0 or approval_delay < 0:
        raise DetenteError(
            f"need 0 <= false_signal < 1, 0 <= detection <= 1, approval_delay >= 0; got "
            f"{false_signal}, {detection}, {approval_delay}"
        )
    if t <= r:
        return 0.0
    if r <= p:
        return math.inf
    k = (t - r) / (t - p)
    if approval_delay == 0.0:
        den = (t - p) * (1.0 - false_signal) - (r - p) * (1.0 - detection)
        d = (t - r) / den if den > 0 else math.inf
        return d if d < 1.0 else math.inf
    if false_signal == 0.0 and detection == 1.0:
        lam = approval_delay
        d = float(np.real(lambertw(lam * k * math.exp(lam)))) / lam
        return d if d < 1.0 else math.inf

    def gap(d):
        return incentive_gap(
            r, s, t, p, d, false_signal=false_signal, detection=detection, approval_delay=approval_delay
        )

    hi = 1.0 - 1e-12
    if gap(hi) < 0:
        return math.inf
    if gap(1e-12) >= 0:
        return 0.0
    return float(brentq(gap, 1e-12, hi, xtol=1e-13))


def _lag_moments(delta: float, lam: float) -> tuple[float, float]:
    """E[delta^L] and E[(1 - delta^(L-1)) / (1 - delta)] for L = 1 + Poisson(lam)."""
    e_dl = delta * math.exp(-lam * (1.0 - delta))
    e_dl1 = math.exp(-lam * (1.0 - delta))  # E[delta^(L-1)]
    return e_dl, (1.0 - e_dl1) / (1.0 - delta)


def incentive_gap(
    r: float,
    s: float,
    t: float,
    p: float,
    delta: float,
    *,
    false_signal: float = 0.0,
    detection: float = 1.0,
    approval_delay: float = 0.0,
) -> float:
    """Value of cooperating minus the value of the best deviation, per unit of ``1/(1-delta)``.

    Grim trigger with a public signal: false alarms with probability ``false_signal``,
    real defections seen with probability ``detection``, punishment ``1 + Poisson(lambda)``
    periods after the signal. Cooperation holds iff the gap is >= 0. Two deviations are
    compared: defect once and return (caught with probability q), and defect for ever.
    """
    e, q = false_signal, detection
    vp = p / (1.0 - delta)
    e_dl, e_sum = _lag_moments(delta, approval_delay)
    # after a signal at the end of a period: R for L-1 periods, then punishment
    w_signal = r * e_sum + e_dl / delta * vp if delta > 0 else vp
    # V_C = R + delta [(1 - e) V_C + e W]
    vc = (r + delta * e * w_signal) / (1.0 - delta * (1.0 - e))
    # defect for ever: T until punished (a lag 1 + Poisson after the first signal, seen w.p. q each period)
    # with q = 1: T for L periods then P; in general solve V_D = T + delta [(1-q) V_D + q W_D]
    w_dev = t * e_sum + e_dl / delta * vp if delta > 0 else vp  # after the signal: T during the lag
    vd_forever = (t + delta * q * w_dev) / (1.0 - delta * (1.0 - q))
    # defect once, then cooperate: T now; caught w.p. q (then punished after the lag, cooperating meanwhile)
    vd_once = t + delta * ((1.0 - q) * vc + q * w_signal)
    return (vc - max(vd_forever, vd_once)) * (1.0 - delta)


def trust_threshold(r: float, s: float, t: float, p: float, delta: float) -> float:
    """Least prior that the partner is a grim-trigger complier (not a defector) for C to pay."""
    if p <= s:
        return 0.0
    if delta >= 1.0:
        return 0.0
    a = (r - p) / (1.0 - delta) - (t - p)
    if a <= 0:
        return math.inf
    return (p - s) / (a + p - s)


def false_signal_rate(noise: float, instruments: int, sides: int = 2) -> float:
    """Probability a period of a false escalation signal from ``noise`` misreadings (module docstring)."""
    f = 1.0 - (1.0 - noise / 2.0) ** instruments
    return 1.0 - (1.0 - f) ** sides


def two_action_payoffs(game, player: int, temptation: str = "top") -> tuple[float, float, float, float]:
    """(R, S, T, P) of ``player`` in basis points of annual income per period (not shifted)."""
    K, L = game.n_instruments, game.max_level
    C, D = (0,) * K, (L,) * K
    scale = 100.0 * game.period_days / 365.0

    def mine(own, other):
        return float(game.payoff(own, other)[0] if player == 0 else game.payoff(other, own)[1])

    r, s, p = mine(C, C), mine(C, D), mine(D, D)
    if temptation == "top":
        t = mine(D, C)
    elif temptation == "best":
        t = max(mine(lv, C) for lv in itertools.product(range(L + 1), repeat=K))
    else:
        raise DetenteError(f"temptation must be 'top' or 'best', got {temptation!r}")
    return r * scale, s * scale, t * scale, p * scale


def deterrence(
    game,
    *,
    noise: float = 0.03,
    detection: float = 1.0,
    approval_delay: float = 3.0,
    delta: float | None = None,
    temptation: str = "top",
    false_signal: float | None = None,
) -> tuple[Deterrence, Deterrence]:
    """Both players' deterrence thresholds in ``game`` (module docstring).

    ``noise``: the truce game's misreading probability, turned into a false-signal rate
    by :func:`false_signal_rate` unless ``false_signal`` is given. ``approval_delay``:
    lambda of the ``1 + Poisson(lambda)`` punishment lag (3 as in ``pending-approval``).
    ``delta``: the discount factor for the trust threshold (default: 5% a year,
    ``0.95 ** (period_days / 365)``).
    """
    eps = false_signal_rate(noise, game.n_instruments) if false_signal is None else false_signal
    d = 0.95 ** (game.period_days / 365.0) if delta is None else delta
    out = []
    for k in (0, 1):
        r, s, t, p = two_action_payoffs(game, k, temptation)
        out.append(
            Deterrence(
                game.players[k],
                r,
                s,
                t,
                p,
                grim_threshold(r, s, t, p),
                eps,
                detection,
                approval_delay,
                grim_threshold(r, s, t, p, false_signal=eps, detection=detection),
                grim_threshold(r, s, t, p, approval_delay=approval_delay),
                grim_threshold(r, s, t, p, false_signal=eps, detection=detection, approval_delay=approval_delay),
                trust_threshold(r, s, t, p, d),
                d,
                game.period_days,
            )
        )
    return out[0], out[1]


def deterrence_table(results) -> object:
    """pandas DataFrame, one row per player."""
    import pandas as pd

    rows = []
    for x in results:
        rows.append(
            {
                "player": x.player,
                "R": x.r,
                "S": x.s,
                "T": x.t,
                "P": x.p,
                "PD": x.prisoners_dilemma,
                "delta*": x.delta_star,
                "delta* noise": x.delta_noisy,
                "delta* delay": x.delta_delayed,
                "delta* both": x.delta_both,
                "horizon (weeks)": x.horizon_weeks(),
                "trust*": x.trust_star,
            }
        )
    return pd.DataFrame(rows).set_index("player")
