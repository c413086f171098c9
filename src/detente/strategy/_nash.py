"""Nash (trade-war) tariffs: iterated best responses to a fixed point.

Each round every player in turn plays its :func:`best_response` to the tariffs in
force (Gauss-Seidel order); the iteration stops when no rate moved more than ``tol``
(fraction; 1e-4 = 0.01 pp) in a round. Every round is recorded: the largest change,
each player's objective and the time, so the report can show how the fixed point was
reached. Tariffs of countries that do not play stay as in the starting tariffs.

**More than two players.** Each player chooses its tariffs on all the other players.
By default it sets one rate per sector on all of them (an MFN rate among the players;
third countries keep their tariffs). With ``discriminate=True`` it sets a separate rate
per partner: each (player, partner) pair is a block, and the Gauss-Seidel sweep plays
each block's best response with the player's other blocks fixed. At the fixed point
every block's first-order conditions hold, which are the player's joint conditions.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from detente._defaults import DEFAULT_PAIR
from detente.errors import ConvergenceError, DetenteError
from detente.strategy._best_response import BestResponse, TariffSpace, best_response
from detente.strategy._gradient import PolicyModel
from detente.strategy._objective import Objective


@dataclasses.dataclass(frozen=True)
class NashRound:
    round: int
    max_change_pp: float  # largest change of any rate in this round, percentage points
    values: tuple[float, ...]  # each player's objective after its move, % of income
    seconds: float


@dataclasses.dataclass(frozen=True)
class NashResult:
    """Nash tariffs of ``players`` with the convergence record and the equilibrium."""

    players: tuple[str, ...]
    spaces: tuple[TariffSpace, ...]
    objectives: tuple[Objective, ...]
    rates: tuple[np.ndarray, ...]  # per player, fractions by space.labels
    tariffs: np.ndarray  # (N, N, J)
    history: tuple[NashRound, ...]
    responses: tuple[BestResponse, ...]  # the last round's best responses
    converged: bool
    seconds: float
    solves: int
    method: str
    equilibrium: object  # detente.equilibrium.Equilibrium at the Nash tariffs

    def rates_table(self):
        """pandas DataFrame: sector x player, Nash tariffs in percent."""
        import pandas as pd

        cols = {f"{sp.chooser} on {'+'.join(sp.targets)}": 100 * r for sp, r in zip(self.spaces, self.rates)}
        return pd.DataFrame(cols, index=pd.Index(self.spaces[0].labels, name="sector"))

    def welfare_table(self, **references):
        """pandas DataFrame by country: welfare change (%) at the Nash point vs the baseline.

        Each keyword ``name=Equilibrium`` adds a column ``vs_name_pct``: welfare at the
        Nash point relative to that equilibrium, ``100 (W_nash / W_ref - 1)``.
        """
        import pandas as pd

        eq = self.equilibrium
        df = pd.DataFrame(
            {"vs_baseline_pct": 100 * (eq.welfare_hat - 1)}, index=pd.Index(eq.world.countries, name="country")
        )
        for name, ref in references.items():
            df[f"vs_{name}_pct"] = 100 * (eq.welfare_hat / ref.welfare_hat - 1)
        return df

    def history_table(self):
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "round": h.round,
                    "max_change_pp": h.max_change_pp,
                    "seconds": h.seconds,
                    **{f"U_{p}": v for p, v in zip(self.players, h.values)},
                }
                for h in self.history
            ]
        )


def nash_tariffs(
    world_or_model,
    players: Sequence[str] = DEFAULT_PAIR,
    *,
    sectors: str | Sequence[str] = "goods",
    uniform: bool = False,
    objectives: Sequence[Objective] | None = None,
    start: np.ndarray | None = None,
    method: str = "gradient",
    tol: float = 1e-4,
    max_rounds: int = 30,
    upper: float = 5.0,
    d_hat: np.ndarray | None = None,
    deficits: Literal["baseline", "zero"] = "baseline",
    raise_on_failure: bool = True,
    multistart: bool = True,
    discriminate: bool = False,
    progress: Callable[[int, int, int, str], None] | None = None,
) -> NashResult:
    """Nash tariffs of ``players`` on each other by iterated best responses.

    Each player chooses its tariffs on the other players (``sectors``: ``"goods"``,
    ``"all"`` or a list; ``uniform``: one rate or one per sector), maximising its
    objective (default: real income). ``start`` is the starting tariffs (default the
    world's). Raises :class:`ConvergenceError` if the rates still move by more than
    ``tol`` after ``max_rounds`` (or returns with ``converged=False`` when
    ``raise_on_failure`` is False). With ``multistart`` the first round's best
    responses also start from zero tariffs and keep the better optimum: from
    prohibitive tariffs (say 145% in a sector with a trade elasticity of 65) the
    objective is flat and a local optimiser would stay there.

    ``discriminate``: with more than two players, one rate per partner instead of one
    rate on all partners (module docstring). ``progress(round, step, steps, label)`` is
    called after each best response (``steps`` best responses a round).
    """
    from detente.equilibrium import Counterfactual, solve

    model = (
        world_or_model if isinstance(world_or_model, PolicyModel) else PolicyModel(world_or_model, deficits=deficits)
    )
    world = model.world
    players = tuple(players)
    if len(players) < 2 or len(set(players)) != len(players):
        raise DetenteError(f"Nash tariffs need at least two distinct players, got {players}")
    objectives = tuple(objectives) if objectives else tuple(Objective(p) for p in players)
    if len(objectives) != len(players):
        raise DetenteError(f"{len(players)} players need {len(players)} objectives, got {len(objectives)}")
    if discriminate and len(players) > 2:
        blocks = [
            (k, TariffSpace.of(world, p, q, sectors, uniform)) for k, p in enumerate(players) for q in players if q != p
        ]
    else:
        blocks = [
            (k, TariffSpace.of(world, p, [q for q in players if q != p], sectors, uniform))
            for k, p in enumerate(players)
        ]
    spaces = tuple(sp for _, sp in blocks)
    tau = np.array(world.tariffs if start is None else start, dtype=float)
    t0 = time.perf_counter()
    solves0 = model.counters.solves
    history: list[NashRound] = []
    responses: list[BestResponse] = []
    converged = False
    scales: list = [None] * len(blocks)  # preconditioners, computed once per block
    for r in range(1, max_rounds + 1):
        tr = time.perf_counter()
        change = 0.0
        responses = []
        values = [np.nan] * len(players)
        for b, (k, sp) in enumerate(blocks):
            obj = objectives[k]
            before = sp.get(tau)
            x0 = np.stack([before, np.zeros_like(before)]) if multistart and r == 1 and before.any() else None
            br = best_response(model, tau, sp, obj, d_hat=d_hat, method=method, upper=upper, scale=scales[b], x0=x0)
            scales[b] = br.scale
            tau = br.tariffs
            change = max(change, float(np.abs(br.rates - before).max()))
            responses.append(br)
            values[k] = br.value
            if progress is not None:
                progress(r, b + 1, len(blocks), f"{sp.chooser} on {'+'.join(sp.targets)}")
        history.append(NashRound(r, 100 * change, tuple(values), time.perf_counter() - tr))
        if change <= tol:
            converged = True
            break
    if not converged and raise_on_failure:
        raise ConvergenceError(
            f"best responses did not settle in {max_rounds} rounds: the last round "
            f"moved a rate by {history[-1].max_change_pp:.3g} pp (tolerance {100 * tol:g} pp)"
        )
    cf = Counterfactual(
        world,
        tau,
        np.ones_like(tau) if d_hat is None else d_hat,
        model.D,
        label="Nash tariffs " + " vs ".join(players),
        changes=tuple(f"Nash tariffs of {sp.chooser} on {'+'.join(sp.targets)}" for sp in spaces),
    )
    eq = solve(world, cf)
    return NashResult(
        players,
        spaces,
        objectives,
        tuple(sp.get(tau) for sp in spaces),
        tau,
        tuple(history),
        tuple(responses),
        converged,
        time.perf_counter() - t0,
        model.counters.solves - solves0,
        method,
        eq,
    )
