"""The repeated truce game: strategies against scripted opponents, trust, Monte Carlo."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from detente.equilibrium import Counterfactual, solve
from detente.strategy import (
    DE_ESCALATE,
    ESCALATE,
    HOLD,
    STRATEGIES,
    StageGame,
    TariffLadder,
    build_stage_game,
    get_strategy,
    play,
    register,
    scripted,
    truce_survival,
)
from detente.strategy._strategies import Strategy
from detente.strategy._truce import _update_trust
from detente.world import random_world

C, D, H = "C", ESCALATE, HOLD


def flat_game(instruments: int = 1, levels: int = 3) -> StageGame:
    shape = (levels,) * (2 * instruments) + (2,)
    return StageGame(("A", "B"), tuple(f"i{k}" for k in range(instruments)), levels, np.zeros(shape))


def versus_test(strategy, opponent_script, expected, *, start=None, seed=0, instruments=1):
    """Axelrod-style behavioural test: ``strategy``'s actions on the first instrument.

    ``expected`` lists actions; "C" stands for cooperate (de-escalate above the agreed
    level, hold at it), checked against the strategy's own level.
    """
    game = flat_game(instruments)
    m = play(
        game, (strategy, scripted(opponent_script)), periods=len(expected), noise=0.0, rng=seed, start_levels=start
    )
    got = m.actions[:, 0, 0].tolist()
    for t, (e, g) in enumerate(zip(expected, got)):
        if e == "C":
            want = DE_ESCALATE if m.levels[t, 0, 0] > m.levels[0, 0, 0] else HOLD
            assert g == want, f"period {t}: expected cooperate ({want}), got {g}; actions {got}"
        else:
            assert g == e, f"period {t}: expected {e}, got {g}; actions {got}"
    return m


def test_registry_has_the_strategies_with_classifiers():
    for name in (
        "complier",
        "escalator",
        "tit-for-tat",
        "generous-tit-for-tat",
        "grim-trigger",
        "win-stay-lose-shift",
        "escalation-ladder",
        "pending-approval",
        "trust-threshold",
        "prober",
    ):
        cls = STRATEGIES[name]
        assert {"memory_depth", "stochastic", "uses_trust"} <= set(cls.classifier)
        assert cls.__doc__
    assert STRATEGIES["grim-trigger"].classifier["memory_depth"] == float("inf")
    assert STRATEGIES["trust-threshold"].classifier["uses_trust"]
    with pytest.raises(Exception, match="unknown strategy"):
        get_strategy("nope")


def test_register_needs_a_classifier():
    with pytest.raises(TypeError, match="classifier"):

        @register
        class Bad(Strategy):
            name = "bad"
            classifier: ClassVar[dict] = {}


def test_tit_for_tat():
    versus_test(get_strategy("tit-for-tat"), [H, D, H, H, D, D, H], [C, C, D, C, C, D, D])


def test_tit_for_tat_de_escalates_back_to_the_agreed_level():
    m = versus_test(get_strategy("tit-for-tat"), [D, H, H, H], [C, D, C, C])
    assert m.levels[:, 0, 0].tolist() == [0, 0, 1, 0, 0]


def test_grim_trigger_never_forgives():
    versus_test(get_strategy("grim-trigger"), [H, D, H, H, H, H], [C, C, D, D, D, D])


def test_win_stay_lose_shift():
    # (C, C) stay; the other escalates -> shift to D; (D, C) win -> stay D; (D, D) lose -> shift to C
    versus_test(get_strategy("win-stay-lose-shift"), [H, D, H, D, H, H], [C, C, D, D, C, C])


def test_generous_tit_for_tat_forgives_sometimes():
    never = versus_test(get_strategy("generous-tit-for-tat", generosity=0.0), [D] * 6, [C, D, D, D, D, D])
    always = versus_test(get_strategy("generous-tit-for-tat", generosity=1.0), [D] * 6, [C] * 6)
    assert never.actions[:, 0, 0].sum() == 5 and (always.actions[:, 0, 0] <= 0).all()
    some = play(flat_game(), (get_strategy("generous-tit-for-tat", generosity=0.5), scripted([D])), periods=200, rng=1)
    share = (some.actions[1:, 0, 0] == ESCALATE).mean()
    assert 0.35 < share < 0.65


def test_escalation_ladder_steps_up_and_back_down():
    m = versus_test(get_strategy("escalation-ladder", patience=2), [D, D, H, H, H, H, H], [C, D, D, H, C, C, C])
    assert m.levels[:, 0, 0].tolist() == [0, 0, 1, 2, 2, 1, 0, 0]


def test_pending_approval_holds_until_approved_then_plays_tit_for_tat():
    s = get_strategy("pending-approval", mean_delay=3.0, reject_prob=0.0)
    rng = np.random.default_rng(4)
    delay = s.start(rng)["delay"]
    # start at war (level 2); holds while pending, even if the other side escalates
    script = [D] + [H] * (delay + 4)
    m = play(
        flat_game(), (s, scripted(script)), periods=delay + 4, rng=4, start_levels=[[2], [2]], agreed_levels=[[0], [0]]
    )
    acts = m.actions[:, 0, 0].tolist()
    assert acts[:delay] == [HOLD] * delay
    assert acts[delay] == DE_ESCALATE and acts[delay + 1] == DE_ESCALATE
    rejected = get_strategy("pending-approval", mean_delay=2.0, reject_prob=1.0)
    m = play(flat_game(), (rejected, scripted([H])), periods=8, rng=0)
    assert m.actions[-1, 0, 0] == ESCALATE


def test_trust_falls_on_escalation_and_rises_on_compliance():
    assert _update_trust(0.5, True, 0.05, 0.3, 2) < 0.5 < _update_trust(0.5, False, 0.05, 0.3, 2)
    m = play(flat_game(), (get_strategy("trust-threshold", threshold=0.3), scripted([D])), periods=6, rng=0)
    assert m.trust[1, 0] < 0.5 and m.actions[-1, 0, 0] == ESCALATE
    m = play(flat_game(), (get_strategy("complier"), get_strategy("complier")), periods=10, rng=0, noise=0.0)
    assert m.trust[-1, 0] > 0.9 and m.break_period is None


def test_truce_breaks_only_after_the_grace_period():
    game = flat_game()
    m = play(game, (get_strategy("complier"), scripted([D, DE_ESCALATE, H, H, H, H])), periods=6, rng=0, grace=2)
    assert m.break_period is None  # one week above the terms, then back
    m = play(game, (get_strategy("complier"), scripted([D, H, H, H, H, H])), periods=6, rng=0, grace=2)
    assert m.break_period == 0 and m.breaker == 1


def test_monte_carlo_is_reproducible_with_a_seed():
    game = flat_game(2)
    pair = (get_strategy("tit-for-tat"), get_strategy("generous-tit-for-tat"))
    a = truce_survival(game, pair, runs=60, days=120, noise=0.05, seed=7)
    b = truce_survival(game, pair, runs=60, days=120, noise=0.05, seed=7)
    c = truce_survival(game, pair, runs=60, days=120, noise=0.05, seed=8)
    assert np.array_equal(a.break_periods, b.break_periods) and a.summary() == b.summary()
    assert not np.array_equal(a.break_periods, c.break_periods)
    assert a.survival[0] == 1.0 and (np.diff(a.survival) <= 0).all()
    assert 0.0 <= a.holds_after(90) <= 1.0
    quiet = truce_survival(game, (get_strategy("complier"), get_strategy("complier")), runs=5, days=365, noise=0.2)
    assert quiet.holds_after(365) == 1.0


def test_stage_game_payoffs_come_from_equilibrium_solves():
    w = random_world(3, 2, seed=2)
    ladder = TariffLadder({"C00": (0.0, 40.0), "C01": (0.0, 30.0)})
    game = build_stage_game(w, ("C00", "C01"), (ladder,))
    assert game.payoffs.shape == (2, 2, 2) and game.n_levels == 2
    assert np.allclose(game.payoff((0,), (0,)), 0.0, atol=1e-10)
    eq = solve(w, Counterfactual.from_world(w).tariff("C00", "C01", "goods", 40).tariff("C01", "C00", "goods", 30))
    assert np.allclose(game.payoff((1,), (1,)), 100 * np.log(eq.welfare_hat[:2]), atol=1e-10)
    again = StageGame.from_dict(game.to_dict())
    assert np.array_equal(again.payoffs, game.payoffs) and len(game.table()) == 4


def test_survival_bands_are_exact_binomial_intervals():
    from scipy.stats import binomtest

    from detente.strategy._truce import binomial_band

    lo, hi = binomial_band(53, 100)
    ci = binomtest(53, 100).proportion_ci(0.95, method="exact")
    assert (lo, hi) == pytest.approx((ci.low, ci.high), abs=1e-9)
    assert binomial_band(0, 50)[0] == 0.0 and binomial_band(50, 50)[1] == 1.0
    game = flat_game(1)
    s = truce_survival(
        game, (get_strategy("prober"), get_strategy("tit-for-tat")), runs=200, days=364, noise=0.05, seed=1
    )
    for d in (90, 364):
        lo, hi = s.band(d)
        assert lo <= s.holds_after(d) <= hi
        assert (lo, hi) == binomial_band(round(s.holds_after(d) * 200), 200)
    summ = s.summary()
    assert summ["holds_90d_lo"] <= summ["holds_90d"] <= summ["holds_90d_hi"]
    calls = []
    truce_survival(
        game,
        (get_strategy("complier"), get_strategy("complier")),
        runs=120,
        days=28,
        progress=lambda done, n: calls.append(done),
    )
    assert calls == [50, 100, 120]
