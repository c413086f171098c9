"""The truce stage game in the Axelrod library's (R, S, T, P) form."""

from __future__ import annotations

import numpy as np
import pytest

from detente.strategy import StageGame, axelrod_payoffs


def pd_game() -> StageGame:
    """One instrument, two levels, a prisoner's dilemma: payoffs (U_A, U_B) in % of annual income."""
    pay = np.zeros((2, 2, 2))
    pay[0, 0] = (-0.1, -0.1)  # both keep the truce
    pay[1, 0] = (0.05, -0.6)  # A escalates
    pay[0, 1] = (-0.6, 0.05)
    pay[1, 1] = (-0.4, -0.4)
    return StageGame(("A", "B"), ("tariffs",), 2, pay, period_days=7)


def test_payoffs_reduce_to_r_s_t_p():
    p = axelrod_payoffs(pd_game(), 0)
    scale = 100 * 7 / 365
    assert p.is_prisoners_dilemma
    assert np.isclose(p.s, 0.0) and np.isclose(p.shift_bp, 0.6 * scale)
    assert np.allclose([p.r, p.t, p.p], np.array([0.5, 0.65, 0.2]) * scale)
    assert axelrod_payoffs(pd_game(), 1) == dataclass_replace(p, player="B")
    assert axelrod_payoffs(pd_game(), "mean").player.startswith("mean")
    with pytest.raises(Exception, match="player"):
        axelrod_payoffs(pd_game(), 3)


def dataclass_replace(p, **kw):
    import dataclasses

    return dataclasses.replace(p, **kw)


@pytest.mark.slow
def test_a_tournament_runs_on_the_exported_game():
    # axelrod imports torch (axelrod/load_data_.py), a multi-GB install that CI does not make
    axl = pytest.importorskip("axelrod", reason="the axelrod extra (pip install 'detente[axelrod]', needs torch)")
    from detente.strategy import axelrod_game

    game = axelrod_game(pd_game(), 0)
    r, p, s, t = game.RPST()
    assert t > r > p > s
    players = [axl.TitForTat(), axl.Defector(), axl.Cooperator(), axl.Grudger()]
    results = axl.Tournament(players, game=game, turns=20, repetitions=2, seed=1).play(
        progress_bar=False, processes=None
    )
    assert len(results.ranked_names) == 4
