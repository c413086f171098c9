"""The batched solver (:func:`detente.equilibrium.solve_batch`) against one-by-one ``solve``."""

from __future__ import annotations

import numpy as np
import pytest

from detente.equilibrium import BatchResult, Counterfactual, batch_bytes, solve, solve_batch
from detente.errors import ConvergenceError, ShockError
from detente.world import random_world


def _same(eq, eb, tol=1e-10):
    """Batched and serial answers agree: welfare, prices, trade flows (relative), wages."""
    assert eb is not None
    assert np.abs(eq.welfare_hat - eb.welfare_hat).max() <= tol
    assert np.abs(eq.solution.P_hat - eb.solution.P_hat).max() <= tol
    assert np.abs(eq.solution.w_hat - eb.solution.w_hat).max() <= tol
    scale = np.abs(eq.trade_flows).max()
    assert np.abs(eq.trade_flows - eb.trade_flows).max() <= tol * scale
    assert np.abs(eq.solution.I - eb.solution.I).max() <= tol * np.abs(eq.solution.I).max()
    assert eb.closure == eq.closure
    assert eb.diagnostics.converged and max(eb.diagnostics.residuals.values()) <= 1e-8


@pytest.fixture(scope="module")
def world():
    return random_world(6, 4, seed=3)


@pytest.fixture(scope="module")
def mixed(world):
    """Tariffs, iceberg costs, export taxes and every deficit closure, in one batch."""
    cf0 = Counterfactual.from_world(world)
    ratios = Counterfactual.from_world(world, closure="fixed-ratios")
    balanced = Counterfactual.from_world(world, closure="balanced")
    return [
        cf0.tariff("C00", "C01", "all", 25).with_label("tariff"),
        cf0.iceberg_cost("C02", "C03", "all", 1.3).with_label("iceberg"),
        cf0.export_tax("C01", "C04", "all", 20).with_label("export tax"),
        ratios.tariff("C05", "all", "S01", 40).with_label("fixed-ratios tariff"),
        balanced.tariff("C00", "C02", "all", 30).with_label("balanced tariff"),
        Counterfactual.from_world(world, deficits="zero").with_label("zero deficits"),
        cf0.with_label("identity"),
        ratios.export_tax("C03", "all", "S02", 15).iceberg_cost("C00", "C05", "S00", 0.8).with_label("ratios mix"),
        balanced.export_tax("C02", "C00", "all", 10).with_label("balanced export tax"),
        cf0.tariff("all", "C02", "S03", 60).tariff("C02", "all", "all", 35).with_label("trade war"),
    ]


def test_batched_equals_one_by_one(world, mixed):
    res = solve_batch(world, mixed)
    assert isinstance(res, BatchResult) and res.ok and len(res) == len(mixed)
    assert res.converged == list(range(len(mixed)))
    for cf, eb in zip(mixed, res.equilibria):
        eq = solve(world, cf)
        _same(eq, eb)
        assert eb.counterfactual.label == cf.label
        assert (eb.purge is not None) == (cf.closure == "balanced")
        if cf.closure == "balanced":
            assert eb.world.meta.name == eq.world.meta.name
        else:
            assert eb.world is world
    assert res.raise_on_failure() is res


def test_default_world_random_tariffs():
    import detente

    w = detente.load_world("default")
    rng = np.random.default_rng(7)
    cf0 = Counterfactual.from_world(w)
    C = w.countries
    cfs = []
    for k in range(20):
        a, b = rng.choice(len(C), 2, replace=False)
        cfs.append(
            cf0.tariff(C[a], C[b], "goods" if k % 2 else "all", float(rng.uniform(1, 150))).with_label(f"shock {k}")
        )
    res = solve_batch(w, cfs).raise_on_failure()
    for cf, eb in zip(cfs, res.equilibria):
        _same(solve(w, cf), eb)


def test_unconverged_member_is_reported_not_returned(world, mixed):
    cfs = mixed[:5]
    iters = [3000] * 5
    iters[2] = 3  # far too few map evaluations for member 2
    res = solve_batch(world, cfs, max_iter=iters)
    assert not res.ok
    assert [f.index for f in res.failed] == [2]
    f = res.failed[0]
    assert f.label == cfs[2].label and "did not converge" in f.reason
    assert f.diagnostics is not None and not f.diagnostics.converged and f.diagnostics.iterations == 3
    assert res.equilibria[2] is None
    for k in (0, 1, 3, 4):
        _same(solve(world, cfs[k]), res.equilibria[k])
    with pytest.raises(ConvergenceError, match=r"member 2 \('export tax'\)"):
        res.raise_on_failure()


def test_tolerance_miss_is_failure(world, mixed):
    # a fixed point that cannot reach tol=0 in a few steps: every member fails, none is returned
    res = solve_batch(world, mixed[:3], tol=0.0, max_iter=5)
    assert [f.index for f in res.failed] == [0, 1, 2]
    assert res.equilibria == [None, None, None]


def test_chunking_gives_identical_results(world, mixed):
    whole = solve_batch(world, mixed)
    per = batch_bytes(world.n_countries, world.n_sectors, export_taxes=True)
    for size in (1, 3):
        chunked = solve_batch(world, mixed, max_bytes=size * per)
        assert chunked.chunk_size == size and chunked.chunks > whole.chunks
        for a, b in zip(whole.equilibria, chunked.equilibria):
            np.testing.assert_allclose(b.welfare_hat, a.welfare_hat, rtol=0, atol=1e-14)
            np.testing.assert_allclose(b.trade_flows, a.trade_flows, rtol=1e-14, atol=0)
            np.testing.assert_allclose(b.solution.P_hat, a.solution.P_hat, rtol=0, atol=1e-14)
            assert a.diagnostics.iterations == b.diagnostics.iterations


def test_bad_member_names_its_index(world, mixed):
    D = np.array(world.deficit)
    D[0] -= 3 * world.value_added[0]  # spending of C00 would be negative
    D[1] += 3 * world.value_added[0]
    bad = Counterfactual(world, world.tariffs, np.ones_like(world.tariffs), D, label="too deep")
    cfs = [*mixed[:3], bad, *mixed[3:5]]
    with pytest.raises(ShockError, match=r"member 3 \('too deep'\).*final spending would be negative"):
        solve_batch(world, cfs)
    other = random_world(5, 4, seed=1)
    with pytest.raises(ShockError, match=r"member 1 .*different world"):
        solve_batch(world, [mixed[0], Counterfactual.from_world(other)])
    with pytest.raises(ShockError, match="member 0"):
        solve_batch(world, ["USA<-CHN:all:+10"])


def test_empty_batch(world):
    res = solve_batch(world, [])
    assert len(res) == 0 and res.ok and res.failed == []


def test_members_with_their_own_elasticities_equal_one_by_one():
    """A batch may mix worlds that differ only in their trade elasticities (the draws of
    a band): each member is solved with its own theta, as solve would; a world that differs
    in anything else is refused."""
    from detente.equilibrium import Counterfactual, solve, solve_batch
    from detente.errors import ShockError
    from detente.world import load_world

    w = load_world("default")
    rng = np.random.default_rng(3)
    cfs = []
    for k in range(6):
        wk = w if k == 0 else w.replace(theta=np.asarray(w.theta) * rng.uniform(0.6, 1.6, w.n_sectors))
        cfs.append(Counterfactual.from_world(wk).tariff("USA", "CHN", "goods", 20.0 + 10 * k))
    res = solve_batch(w, cfs)
    assert not res.failed
    for cf, eq in zip(cfs, res.equilibria):
        one = solve(cf.world, cf)
        np.testing.assert_allclose(eq.welfare_hat, one.welfare_hat, rtol=0, atol=1e-10)
        np.testing.assert_allclose(eq.solution.P_hat, one.solution.P_hat, rtol=1e-10)
        assert eq.world is cf.world
    other = w.replace(deficit=np.zeros(w.n_countries))
    with pytest.raises(ShockError, match="more than its trade elasticities"):
        solve_batch(w, [Counterfactual.from_world(other)])


@pytest.mark.slow
def test_jax_backend_equals_numpy_and_is_checked():
    """solve_batch(backend="jax"): the jitted, batched JAX solve (the accelerator path) gives
    the numpy answers to 1e-9, every member checked by the numpy equilibrium conditions;
    what it does not cover is refused with the reason."""
    pytest.importorskip("jax")
    from detente.equilibrium import Counterfactual, solve_batch
    from detente.errors import ShockError
    from detente.world import load_world

    w = load_world("default")
    cfs = [Counterfactual.from_world(w).tariff("USA", "CHN", "goods", float(r)) for r in (5, 40, 120)]
    ref = solve_batch(w, cfs)
    jx = solve_batch(w, cfs, backend="jax", chunk_size=2)
    assert not jx.failed and jx.chunks == 2
    for a, b in zip(ref.equilibria, jx.equilibria):
        np.testing.assert_allclose(b.welfare_hat, a.welfare_hat, rtol=0, atol=1e-9)
        assert b.diagnostics.converged and max(b.diagnostics.residuals.values()) < 1e-8
    with pytest.raises(ShockError, match="backend='jax'"):
        solve_batch(w, [cfs[0].export_tax("CHN", "USA", "goods", 10)], backend="jax")
    with pytest.raises(ShockError, match="backend must be"):
        solve_batch(w, cfs, backend="cuda")


@pytest.fixture(scope="module")
def default_world():
    import detente

    return detente.load_world("default")


@pytest.fixture(scope="module")
def cuts(default_world):
    """Critical-input cuts (the nested CES block) mixed with plain members: several
    shares, two horizons, a user-scoped licence and the balanced closure."""
    cf0 = Counterfactual.from_world(default_world)
    war = cf0.tariff("USA", "CHN", "goods", 60, "add")
    out = [war.with_label("plain")]
    for r in (0.3, 1.0):
        cf = war
        for p in ("ndfeb-magnets", "dy-tb-oxides"):
            cf = cf.critical_input_cut(p, "CHN", "USA", r)
        out.append(cf.with_label(f"cut {r}"))
    out.append(cf0.critical_input_cut("ndfeb-magnets", "CHN", "all", 0.8, horizon="3y").with_label("3y"))
    out.append(cf0.with_label("identity"))
    scoped = cf0.critical_input_cut("ndfeb-magnets", "CHN", "USA", 1.0)
    out.append(scoped.critical_input_cut("ndfeb-magnets", "CHN", "USA", 0.0, users="MOTOR", user_share=0.45))
    balanced = Counterfactual.from_world(default_world, closure="balanced")
    out.append(balanced.critical_input_cut("ndfeb-magnets", "CHN", "all", 0.9).with_label("balanced cut"))
    return out


def test_critical_cuts_batched_equal_one_by_one(default_world, cuts):
    res = solve_batch(default_world, cuts).raise_on_failure()
    whole = solve_batch(default_world, cuts, chunk_size=2).raise_on_failure()
    for cf, eb, ec in zip(cuts, res.equilibria, whole.equilibria):
        eq = solve(default_world, cf)
        _same(eq, eb, tol=1e-9)
        m, mb = eq.solution.critical_markup, eb.solution.critical_markup
        assert (m is None) == (mb is None) == (cf.critical_block() is None)
        if m is not None:
            np.testing.assert_allclose(mb, m, rtol=1e-9)
            assert eb.diagnostics.residuals["critical_quota"] <= 1e-8
        np.testing.assert_allclose(ec.welfare_hat, eb.welfare_hat, rtol=0, atol=1e-13)
    # the cut binds: US car makers' markups rise with the refused share
    assert res[2].solution.critical_markup.max() > res[1].solution.critical_markup.max() > 1


def test_bad_critical_block_names_the_member(default_world, cuts):
    import dataclasses

    bad = dataclasses.replace(cuts[1], critical_sigma=50.0, label="wild sigma")
    with pytest.raises(ShockError, match=r"member 2 \('wild sigma'\).*sigma is 50"):
        solve_batch(default_world, [cuts[0], cuts[2], bad])
