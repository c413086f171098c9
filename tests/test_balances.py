"""Observed 2022 trade balances: the targets table, the balance fit and the re-base check."""

from __future__ import annotations

import numpy as np
import pytest

from detente.errors import DataError
from detente.world import load_world
from detente.world._balances import BalanceTarget, fit_balances, node_deficits, read_balance_targets
from detente.world._plausibility import check_rebase

N, J = 4, 3
TOL_BN = 0.5  # USD bn: the shipped fit meets its level targets far closer (see docs)


@pytest.fixture(scope="module")
def world():
    return load_world("default")


@pytest.fixture(scope="module")
def targets():
    return read_balance_targets()


def test_every_target_row_has_a_source(targets):
    tg, rows = targets
    assert len(rows) == len(tg) >= 8
    for row in rows:
        for k in ("source", "table", "url", "accessed", "period"):
            assert row[k].strip(), (row["economy"], k)
        assert row["url"].startswith("http")
    kinds = {t.economy: t.kind for t in tg}
    assert {kinds[c] for c in ("USA", "CHN", "MEX", "BRA")} == {"level"}
    assert kinds["VNM"] == "sign"


def test_targets_csv_sign_convention(targets):
    tg, rows = targets
    usa = next(r for r in rows if r["economy"] == "USA")
    assert float(usa["total"]) == pytest.approx(float(usa["goods"]) + float(usa["services"]))
    t = {x.economy: x for x in tg}
    assert t["USA"].deficit == pytest.approx(945_300.0)  # CSV exports - imports -> model deficit
    assert t["CHN"].deficit < 0 and t["CHN"].sign == -1


def test_shipped_world_meets_level_targets(world, targets):
    for t in targets[0]:
        if t.kind == "level" and t.economy in world.countries:
            got = world.deficit[world.country_index(t.economy)]
            assert abs(got - t.deficit) / 1e3 < TOL_BN, t.economy


def test_shipped_world_signs(world, targets):
    D = dict(zip(world.countries, world.deficit))
    assert D["USA"] > 9e5 and D["MEX"] > 0  # deficits
    assert D["CHN"] < -5e5 and D["BRA"] < 0 and D["VNM"] < 0  # surpluses
    for t in targets[0]:
        if t.economy in D:
            assert np.sign(D[t.economy]) == t.sign, t.economy
    assert abs(sum(D.values())) < 1e-6 * world.gross_output.sum()
    assert any("trade balances fitted" in n for n in world.meta.notes)


def _synthetic(seed=0):
    rng = np.random.default_rng(seed)
    R = N * J
    Z = rng.uniform(0.5, 5.0, (R, R))
    P = rng.uniform(1.0, 10.0, (R, N))
    P[0, 3] = 0.0  # a structural zero
    return Z, P


def test_fit_balances_meets_level_and_sign_targets():
    Z, P = _synthetic()
    countries = ["USA", "CHN", "MEX", "DEU"]
    D0 = node_deficits(Z, P, N)
    tg = [
        BalanceTarget("USA", "level", D0[0] + 5.0, 1, "x", "s", "u"),
        BalanceTarget("CHN", "sign", None, -1 if D0[1] > 0 else 1, "x", "s", "u"),
    ]
    fit = fit_balances(Z, P, countries, tg)
    D1 = node_deficits(Z, fit.by_origin, N)
    assert fit.converged
    assert D1[0] == pytest.approx(D0[0] + 5.0, abs=1e-6)
    assert np.sign(D1[1]) == tg[1].sign
    np.testing.assert_allclose(fit.by_origin.sum(axis=1), P.sum(axis=1), rtol=1e-12)
    assert (fit.by_origin >= 0).all() and fit.by_origin[0, 3] == 0.0
    assert abs(D1.sum()) < 1e-9
    again = fit_balances(Z, P, countries, tg)
    assert np.array_equal(again.by_origin, fit.by_origin)  # deterministic


def test_fit_balances_without_targets_is_identity():
    Z, P = _synthetic(1)
    fit = fit_balances(Z, P, ["A", "B", "C", "D"], [BalanceTarget("USA", "level", 1.0, 1, "", "", "")])
    assert np.array_equal(fit.by_origin, P) and fit.table == ()


def test_read_targets_rejects_unsourced_rows(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(
        "economy,kind,period,goods,services,total,source,table,url,accessed,note\n"
        "USA,level,CY2022,,,-1.0,,t,http://x,2026-05,\n"
    )
    with pytest.raises(DataError, match="source"):
        read_balance_targets(p)


# ---------------------------------------------------------------------- re-base check
def test_check_rebase_flags_pathological_flows(world):
    T = world.trade_flows.copy()
    usa, chn, mex = (world.country_index(c) for c in ("USA", "CHN", "MEX"))
    motor = world.sector_index("MOTOR")
    T[usa, chn, motor] = 10 * T[usa, chn, motor] + 1e5  # x10: pathological
    T[usa, mex, motor] *= 1.5  # below the factor: fine
    tiny = np.unravel_index(np.argmin(np.where(T > 0, T, np.inf)), T.shape)
    T[tiny] *= 50  # negligible flow: under the floor
    msgs = check_rebase(world, _with_trade(world, T))
    assert len(msgs) == 1
    assert msgs[0].startswith("USA imports MOTOR from CHN: base ")
    assert "USD million" in msgs[0] and "x2" in msgs[0]
    assert check_rebase(world, world) == []
    assert len(check_rebase(world, _with_trade(world, T), factor=1.2)) >= 2
    with pytest.raises(ValueError):
        check_rebase(world, world, factor=0)


def _with_trade(world, T):
    """The world with trade flows T (same expenditure shares rebuilt from T)."""
    spend = (T * (1.0 + world.tariffs)).sum(axis=1)
    shares = np.divide(T * (1.0 + world.tariffs), spend[:, None, :], out=np.zeros_like(T), where=spend[:, None, :] > 0)
    return world.replace(trade_shares=shares, expenditure=spend)


@pytest.mark.slow
def test_full_build_meets_targets_and_none_keeps_prior(tmp_path):
    from test_build import _cached_wheel, zero_policy

    from detente.world._build import build_icio_world

    wheel = _cached_wheel()
    if wheel is None:
        pytest.skip("sanction-simulator wheel not cached (tests never download)")
    kw = zero_policy(80, 50)
    full = build_icio_world(wheel, **kw).check()
    prior = build_icio_world(wheel, balance_targets=None, **kw).check()
    D, D0 = dict(zip(full.countries, full.deficit)), dict(zip(prior.countries, prior.deficit))
    for t in read_balance_targets()[0]:
        if t.kind == "level":
            assert abs(D[t.economy] - t.deficit) < TOL_BN * 1e3, t.economy
        assert np.sign(D[t.economy]) == t.sign, t.economy
    assert D0["MEX"] > 1e5 and D0["VNM"] > 0  # the prior's wrong signs
    np.testing.assert_allclose(full.gross_output, prior.gross_output, rtol=1e-9)
