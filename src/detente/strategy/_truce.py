"""The repeated truce game: escalation ladders, noisy observation, trust, Monte Carlo.

**Stage game.** Two players; each has the same instruments (tariffs, export
controls), each instrument a ladder of levels ``0..L`` (level 0 = the truce terms).
Each period (a week by default) each player chooses per instrument to escalate
(+1), hold (0) or de-escalate (-1); levels move by the action and stay within
``0..L``. A player's flow payoff in a period is its objective (:mod:`._objective`,
percent of annual baseline income) in the static equilibrium at the current levels
of both players, times ``period_days / 365``.

**Payoffs from the models (the approximation).** :func:`build_stage_game` solves the
general equilibrium once for every combination of levels, ``(L+1)^(2K)`` solves for
``K`` instruments (81 for two instruments with three levels), and caches them in the
:class:`StageGame`. Within the game the economy jumps to the static equilibrium of the
levels in force each period: no adjustment dynamics, no inventories. Critical-input
shortage losses from a loss model (:data:`~detente.strategy._leverage.CriticalInputLoss`)
are added to the equilibrium payoff *separably*, as a flow of lost value added at the
level's refusal share (weighted by ``1 + security_weight``); the interaction between
shortages and prices is ignored.

**Observation and trust.** Each player sees the other's action on each instrument
correctly with probability ``1 - noise``; otherwise it sees one of the two other
actions at random (a misreading). Trust is the posterior probability that the other
side is a *complier* rather than an *opportunist* that escalates in a period with
probability ``opportunist_rate``. After each period it is updated by Bayes' rule on
whether any escalation was observed, allowing for misreadings.

**Truce survival.** The match starts at ``start_levels`` (default: all 0) and the
agreed terms are ``agreed_levels`` (default: the start), the levels a cooperating side
moves back to; a deal "agreed pending approval" starts above its terms. A period is a
*breach* when either player's level on any instrument is above its level at the start. The truce breaks when
breaches last ``grace`` consecutive periods (default 4 weeks): a retaliation that is
withdrawn within the grace period is a skirmish, not the end of the truce. The break
is dated at the first period of that run of breaches. The
Monte Carlo :func:`truce_survival` plays ``runs`` matches, each with its own random
generator spawned from ``numpy.random.SeedSequence(seed)``, so a result depends only
on the seed and the inputs (not on the number of workers or the run order).

**Bands.** The runs are independent, so the number of runs in which the truce still
holds after d days is binomial: :meth:`Survival.band` gives the exact (Clopper-Pearson)
interval for the survival share, 95% by default, pointwise in d.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import cast

import numpy as np

from detente._defaults import DEFAULT_PAIR
from detente.errors import DetenteError
from detente.strategy._leverage import CriticalInputCutoff, CriticalInputLoss
from detente.strategy._objective import Objective
from detente.strategy._strategies import DE_ESCALATE, ESCALATE, HOLD, Strategy, View


# ---------------------------------------------------------------------------- ladders
@dataclasses.dataclass(frozen=True)
class TariffLadder:
    """Tariff levels: ``rates_pp[player][level]`` percentage points added on the other's goods."""

    rates_pp: Mapping[str, tuple[float, ...]]
    sectors: str | tuple[str, ...] = "goods"
    name: str = "tariffs"

    def instruments(self, imposer, target, level: int) -> tuple:
        """Rung ``level`` of ``imposer``'s ladder as :mod:`detente.instruments` values."""
        from detente.instruments import Tariff

        r = self.rates_pp[imposer][level]
        return (Tariff(imposer, target, self.sectors, r, "add"),) if r else ()

    def apply(self, cf, imposer, target, level: int):
        return cf.apply(*self.instruments(imposer, target, level))

    def shortage(self, imposer, target, level: int) -> Mapping[str, float]:
        return {}

    def n_levels(self, player) -> int:
        return len(self.rates_pp[player])


@dataclasses.dataclass(frozen=True)
class ControlLadder:
    """Export-control levels: licences refuse ``refused[player][level]`` of the player's
    controlled exports to the other side.

    Controlled are the registry products ``products[player]`` (critical inputs, read by
    the users' nested CES block at ``horizon`` as
    :class:`~detente.strategy.CriticalInputCutoff` reads them: rationed users, the rent
    to the imposer) and the sectors of ``coverage[player]`` (sector -> share of the
    sector's exports under licence, for goods with no registry entry), read as the
    scenario timeline reads export licences (the quota's export-tax equivalent, the rent
    to the imposer; :meth:`Counterfactual.licence`).

    ``severity[player][level]`` is the share of critical-input exports refused, passed
    to ``loss_model`` (if any) for the shortage losses; with a loss model the registry
    products are read by it instead of the nest (one model per cut).
    """

    coverage: Mapping[str, Mapping[str, float]]
    refused: Mapping[str, tuple[float, ...]]
    severity: Mapping[str, tuple[float, ...]] = dataclasses.field(default_factory=dict)
    loss_model: CriticalInputLoss | None = None
    name: str = "export controls"
    products: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    horizon: str = "1y"

    def instruments(self, imposer, target, level: int) -> tuple:
        """Rung ``level`` of ``imposer``'s ladder as :mod:`detente.instruments` values."""
        from detente.instruments import ExportLicence

        r = self.refused[imposer][level]
        if r <= 0:
            return ()
        out: list = []
        if self.coverage.get(imposer):
            out.append(ExportLicence(imposer, target, r, coverage=self.coverage[imposer]))
        if self.products.get(imposer) and self.loss_model is None:
            out.extend(
                CriticalInputCutoff(self.products[imposer], r, horizon=self.horizon).instruments(imposer, target)
            )
        return tuple(out)

    def apply(self, cf, imposer, target, level: int):
        return cf.apply(*self.instruments(imposer, target, level))

    def shortage(self, imposer, target, level: int) -> Mapping[str, float]:
        sev = self.severity.get(imposer)
        if self.loss_model is None or not sev or sev[level] <= 0:
            return {}
        return dict(self.loss_model(imposer, target, sev[level]))

    def n_levels(self, player) -> int:
        return len(self.refused[player])

    @property
    def factors(self) -> Mapping[str, tuple[float, ...]]:
        """The refused shares by level (shown in the stage game's description)."""
        return self.refused


def default_ladders(
    players: tuple[str, str] = DEFAULT_PAIR, loss_model: CriticalInputLoss | None = None
) -> tuple[TariffLadder, ControlLadder]:
    """Ladders for ``players``: the 2025 US-China ones, or generic ones for other pairs.

    Generic: tariffs +0 / +50 / +100 pp on goods; export licences refusing 0 / 10 / 20%
    of all goods exports.

    The 2025 US-China ladders (level 0 = Geneva/London terms, 2 = the April peak).
    Tariffs added to the 2022 baseline: USA on CHN +30 / +80 / +145 pp, CHN on USA
    +10 / +60 / +125 pp (goods). Export controls: USA's licences on chip-design software
    (6% of business services), jet engines (15% of other transport) and ethane (20% of
    mining and energy), the covered shares the us-china-2025 scenario encodes, refusing
    0 / 50 / 100%; China's licences on the registry's rare earths and magnets
    (``CN_CRITICAL_2025``, the users' nested CES block) refusing 0 / 40 / 75%, the same
    shares passed to a shortage loss model, which then reads them instead (licence
    approvals of about 60% and 25% in June 2025).
    """
    from detente.strategy._leverage import CN_CRITICAL_2025, US_TECH_2025

    if set(players) != {"USA", "CHN"}:
        return (
            TariffLadder({p: (0.0, 50.0, 100.0) for p in players}),
            ControlLadder(coverage={p: {"goods": 1.0} for p in players}, refused={p: (0.0, 0.1, 0.2) for p in players}),
        )
    return (
        TariffLadder({"USA": (30.0, 80.0, 145.0), "CHN": (10.0, 60.0, 125.0)}),
        ControlLadder(
            coverage={"USA": dict(US_TECH_2025), "CHN": {}},
            refused={"USA": (0.0, 0.5, 1.0), "CHN": (0.0, 0.4, 0.75)},
            products={"CHN": CN_CRITICAL_2025},
            severity={"USA": (0.0, 0.0, 0.0), "CHN": (0.0, 0.4, 0.75)},
            loss_model=loss_model,
        ),
    )


# ---------------------------------------------------------------------------- stage game
@dataclasses.dataclass(frozen=True)
class StageGame:
    """Cached stage payoffs. ``payoffs[levels_A + levels_B] = (U_A, U_B)``, percent of annual income."""

    players: tuple[str, str]
    instruments: tuple[str, ...]
    n_levels: int
    payoffs: np.ndarray  # shape (n_levels,) * 2K + (2,)
    period_days: int = 7
    notes: tuple[str, ...] = ()

    @property
    def n_instruments(self) -> int:
        return len(self.instruments)

    @property
    def max_level(self) -> int:
        return self.n_levels - 1

    def payoff(self, levels_a: Sequence[int], levels_b: Sequence[int]) -> np.ndarray:
        """(2,) annual flow payoffs at the given levels."""
        return self.payoffs[tuple(levels_a) + tuple(levels_b)]

    def table(self):
        """pandas DataFrame: one row per combination of levels."""
        import pandas as pd

        K = self.n_instruments
        rows = []
        for idx in itertools.product(range(self.n_levels), repeat=2 * K):
            u = self.payoffs[idx]
            rows.append(
                {
                    **{f"{self.players[0]}:{n}": idx[k] for k, n in enumerate(self.instruments)},
                    **{f"{self.players[1]}:{n}": idx[K + k] for k, n in enumerate(self.instruments)},
                    f"U_{self.players[0]}": u[0],
                    f"U_{self.players[1]}": u[1],
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "players": list(self.players),
            "instruments": list(self.instruments),
            "n_levels": self.n_levels,
            "period_days": self.period_days,
            "notes": list(self.notes),
            "payoffs": self.payoffs.tolist(),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> StageGame:
        return cls(
            tuple(d["players"]),
            tuple(d["instruments"]),
            int(d["n_levels"]),
            np.asarray(d["payoffs"], float),
            int(d.get("period_days", 7)),
            tuple(d.get("notes", ())),
        )


def build_stage_game(
    world,
    players: tuple[str, str] = DEFAULT_PAIR,
    ladders=None,
    *,
    objectives: Sequence[Objective] | None = None,
    reference=None,
    period_days: int = 7,
) -> StageGame:
    """Solve the equilibrium for every combination of levels and cache the payoffs.

    ``reference``: the Counterfactual the ladders are applied to (default: the
    baseline). Payoffs are the players' objectives in percent of annual baseline income,
    minus shortage losses (separable, see the module docstring).
    """
    from detente.equilibrium import Counterfactual, solve
    from detente.strategy._gradient import objective_values

    ladders = tuple(ladders) if ladders is not None else default_ladders(players)
    a, b = players
    for ld in ladders:
        for p in players:
            try:
                ld.n_levels(p)
            except KeyError:
                raise DetenteError(f"the {ld.name} ladder has no levels for {p}") from None
    objectives = tuple(objectives) if objectives else (Objective(a), Objective(b))
    sizes = {ld.n_levels(p) for ld in ladders for p in players}
    if len(sizes) != 1:
        raise DetenteError(f"every ladder needs the same number of levels for both players, got {sorted(sizes)}")
    n_levels = sizes.pop()
    K = len(ladders)
    ref = reference if reference is not None else Counterfactual.from_world(world)
    pay = np.empty((n_levels,) * (2 * K) + (2,))
    income = np.array([world.income[world.country_index(o.country)] for o in objectives])
    weight = np.array([1.0 + o.security_weight for o in objectives])
    for idx in itertools.product(range(n_levels), repeat=2 * K):
        cf = ref
        loss: dict[str, float] = {}
        for k, ld in enumerate(ladders):
            for p, q, lev in ((a, b, idx[k]), (b, a, idx[K + k])):
                cf = ld.apply(cf, p, q, lev)
                for c, v in ld.shortage(p, q, lev).items():
                    loss[c] = loss.get(c, 0.0) + v
        eq = solve(world, cf)
        u = objective_values(world, eq.solution, objectives)
        u -= 100 * weight * np.array([loss.get(o.country, 0.0) for o in objectives]) / income
        pay[idx] = u
    notes = (
        f"world {world.meta.name}",
        f"reference: {ref.describe()}",
        (
            "payoffs: objective in percent of annual baseline income at the static equilibrium of each "
            "combination of levels; shortage losses added separably"
        ),
        *(
            f"{ld.name}: "
            + ("; ".join(f"{p} {getattr(ld, 'rates_pp', getattr(ld, 'factors', {})).get(p)}" for p in players))
            for ld in ladders
        ),
    )
    return StageGame(players, tuple(ld.name for ld in ladders), n_levels, pay, period_days, notes)


# ---------------------------------------------------------------------------- one match
@dataclasses.dataclass(frozen=True)
class Match:
    """One played match. Arrays: ``actions``/``observed`` (T, 2, K); ``levels`` (T+1, 2, K);
    ``payoffs`` (T, 2) per-period flows; ``trust`` (T+1, 2): each side's trust in the other."""

    actions: np.ndarray
    observed: np.ndarray
    levels: np.ndarray
    payoffs: np.ndarray
    trust: np.ndarray
    break_period: int | None  # first period of the run of breaches that broke the truce
    breaker: int | None  # who was above the agreed levels then: 0, 1, or 2 (both)


def _misread(action: int, rng: np.random.Generator) -> int:
    others = [a for a in (DE_ESCALATE, HOLD, ESCALATE) if a != action]
    return others[int(rng.integers(2))]


def _update_trust(trust: float, saw_escalation: bool, noise: float, rate: float, K: int) -> float:
    """Bayes' rule for 'the other side is a complier' after one period's observation."""
    false_alarm = 1.0 - (1.0 - noise / 2.0) ** K  # a complier seen escalating by misreading
    p_c = false_alarm if saw_escalation else 1.0 - false_alarm
    p_esc_o = rate + (1.0 - rate) * false_alarm
    p_o = p_esc_o if saw_escalation else 1.0 - p_esc_o
    num = trust * p_c
    den = num + (1.0 - trust) * p_o
    return float(num / den) if den > 0 else trust


def play(
    game: StageGame,
    strategies: tuple[Strategy, Strategy],
    *,
    periods: int,
    noise: float = 0.0,
    rng: np.random.Generator | int | None = None,
    start_levels: Sequence[Sequence[int]] | None = None,
    trust_prior: float = 0.5,
    opportunist_rate: float = 0.3,
    grace: int = 4,
    agreed_levels: Sequence[Sequence[int]] | None = None,
) -> Match:
    """Play one match of ``periods`` periods between two strategies (see the module docstring)."""
    if grace < 1:
        raise DetenteError(f"grace must be at least 1 period, got {grace}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    K, L = game.n_instruments, game.max_level
    levels = np.zeros((2, K), int) if start_levels is None else np.array(start_levels, int).reshape(2, K)
    if (levels < 0).any() or (levels > L).any():
        raise DetenteError(f"start levels must be within 0..{L}, got {levels.tolist()}")
    start = levels.copy()
    agreed = start.copy() if agreed_levels is None else np.array(agreed_levels, int).reshape(2, K)
    states = [s.start(rng) for s in strategies]
    # the loop runs on Python tuples (numpy calls on 2 x K arrays cost more than the work);
    # the random draws are made in the same order as ever, so results are unchanged
    valid = (DE_ESCALATE, HOLD, ESCALATE)
    cur = [tuple(int(x) for x in levels[s]) for s in (0, 1)]
    start_t = [tuple(int(x) for x in start[s]) for s in (0, 1)]
    agreed_t = [tuple(int(x) for x in agreed[s]) for s in (0, 1)]
    trust_cur = [float(trust_prior), float(trust_prior)]
    lev_l, trust_l, pay_l = [cur], [tuple(trust_cur)], []
    own_hist: list[list[tuple]] = [[], []]
    obs_hist: list[list[tuple]] = [[], []]
    table = game.payoffs
    break_period = breaker = None
    run_start, run_len = None, 0
    scale = game.period_days / 365.0
    for t in range(periods):
        acts_t = []
        for s in (0, 1):
            view = View(t, tuple(own_hist[s]), tuple(obs_hist[s]), cur[s], agreed_t[s], L, trust_cur[s])
            a = tuple(int(x) for x in strategies[s].act(view, states[s], rng))
            if len(a) != K or any(x not in valid for x in a):
                raise DetenteError(f"strategy {strategies[s]!r} returned {a!r}: expected {K} actions in -1, 0, 1")
            acts_t.append(a)
        cur = [tuple(min(max(x + d, 0), L) for x, d in zip(cur[s], acts_t[s], strict=True)) for s in (0, 1)]
        for s in (0, 1):
            o = tuple(_misread(x, rng) if noise > 0 and rng.random() < noise else x for x in acts_t[1 - s])
            trust_cur[s] = _update_trust(trust_cur[s], ESCALATE in o, noise, opportunist_rate, K)
            own_hist[s].append(acts_t[s])
            obs_hist[s].append(o)
        lev_l.append(cur)
        trust_l.append(tuple(trust_cur))
        pay_l.append(table[cur[0] + cur[1]] * scale)
        if break_period is None:
            above = [any(x > y for x, y in zip(cur[s], start_t[s], strict=True)) for s in (0, 1)]
            if above[0] or above[1]:
                if run_len == 0:
                    run_start, first = t, (2 if above[0] and above[1] else (0 if above[0] else 1))
                run_len += 1
                if run_len >= grace:
                    break_period, breaker = run_start, first
            else:
                run_len = 0
    acts = np.array([[own_hist[0][t], own_hist[1][t]] for t in range(periods)], int).reshape(periods, 2, K)
    obs = np.array([[obs_hist[0][t], obs_hist[1][t]] for t in range(periods)], int).reshape(periods, 2, K)
    lev = np.array(lev_l, int).reshape(periods + 1, 2, K)
    pay = np.array(pay_l, float).reshape(periods, 2)
    trust = np.array(trust_l, float).reshape(periods + 1, 2)
    return Match(acts, obs, lev, pay, trust, break_period, breaker)


# ---------------------------------------------------------------------------- Monte Carlo
@dataclasses.dataclass(frozen=True)
class Survival:
    """Monte Carlo of truce survival for one pair of strategies."""

    strategies: tuple[str, str]
    runs: int
    seed: int
    noise: float
    period_days: int
    survival: np.ndarray  # (T+1,) share of runs with the truce intact at the start of each period
    break_periods: np.ndarray  # (runs,) period of the break, -1 if it held
    breakers: np.ndarray  # (runs,) 0, 1, 2 (both) or -1
    mean_payoff: np.ndarray  # (2,) mean cumulative payoff, percent of annual income
    mean_trust: np.ndarray  # (T+1, 2)

    def holds_after(self, days: float) -> float:
        """Share of runs in which the truce still holds after ``days`` days."""
        t = min(math.ceil(days / self.period_days), len(self.survival) - 1)
        return float(self.survival[t])

    def band(self, days: float, level: float = 0.95) -> tuple[float, float]:
        """Exact binomial (Clopper-Pearson) ``level`` interval for :meth:`holds_after`."""
        return binomial_band(round(self.holds_after(days) * self.runs), self.runs, level)

    def summary(self) -> dict:
        bp = self.break_periods[self.break_periods >= 0]
        (lo90, hi90), (lo365, hi365) = self.band(90), self.band(365)
        return {
            "strategies": " vs ".join(self.strategies),
            "runs": self.runs,
            "seed": self.seed,
            "noise": self.noise,
            "holds_90d": self.holds_after(90),
            "holds_365d": self.holds_after(365),
            "holds_90d_lo": lo90,
            "holds_90d_hi": hi90,
            "holds_365d_lo": lo365,
            "holds_365d_hi": hi365,
            "median_break_day": float(np.median(bp) * self.period_days) if bp.size else math.inf,
            "first_breaker_A": float(np.mean(self.breakers == 0)),
            "first_breaker_B": float(np.mean(self.breakers == 1)),
            "payoff_A": float(self.mean_payoff[0]),
            "payoff_B": float(self.mean_payoff[1]),
            "final_trust_A": float(self.mean_trust[-1, 0]),
            "final_trust_B": float(self.mean_trust[-1, 1]),
        }


def truce_survival(
    game: StageGame,
    strategies: tuple[Strategy, Strategy],
    *,
    runs: int = 1000,
    days: int = 365,
    noise: float = 0.05,
    seed: int = 0,
    start_levels=None,
    trust_prior: float = 0.5,
    opportunist_rate: float = 0.3,
    grace: int = 4,
    agreed_levels=None,
    progress: Callable[[int, int], None] | None = None,
) -> Survival:
    """Monte Carlo of how long the truce holds: ``runs`` matches of ``days`` days.

    Match r uses ``numpy.random.default_rng(SeedSequence(seed).spawn(runs)[r])``: the
    same seed gives the same result. ``progress(done, runs)`` is called every 50 runs
    and at the end.
    """
    if runs < 1:
        raise DetenteError(f"runs must be at least 1, got {runs}")
    periods = math.ceil(days / game.period_days)
    children = np.random.SeedSequence(seed).spawn(runs)
    breaks = np.full(runs, -1)
    who = np.full(runs, -1)
    total = np.zeros(2)
    trust = np.zeros((periods + 1, 2))
    for r, child in enumerate(children):
        m = play(
            game,
            strategies,
            periods=periods,
            noise=noise,
            rng=np.random.default_rng(child),
            start_levels=start_levels,
            trust_prior=trust_prior,
            opportunist_rate=opportunist_rate,
            grace=grace,
            agreed_levels=agreed_levels,
        )
        if m.break_period is not None:
            breaks[r], who[r] = m.break_period, m.breaker
        total += m.payoffs.sum(axis=0)
        trust += m.trust
        if progress is not None and ((r + 1) % 50 == 0 or r + 1 == runs):
            progress(r + 1, runs)
    t = np.arange(periods + 1)
    survival = np.array([np.mean((breaks < 0) | (breaks >= k)) for k in t])
    names = cast("tuple[str, str]", tuple(s.name or type(s).__name__ for s in strategies))  # one per player
    return Survival(names, runs, seed, noise, game.period_days, survival, breaks, who, total / runs, trust / runs)


def binomial_band(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) ``level`` interval for a share of ``k`` successes in ``n`` trials."""
    from scipy.stats import beta

    if n < 1 or not 0 <= k <= n or not 0 < level < 1:
        raise DetenteError(f"need 0 <= k <= n, n >= 1 and 0 < level < 1; got k={k}, n={n}, level={level}")
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi
