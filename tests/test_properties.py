"""Property tests (Hypothesis) over random small worlds and random tariff changes."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from detente.equilibrium import Counterfactual, solve
from detente.world import World, random_world

worlds = st.builds(
    random_world,
    n_countries=st.integers(2, 5),
    n_sectors=st.integers(1, 4),
    seed=st.integers(0, 10_000),
    zero_flow_prob=st.sampled_from([0.0, 0.2]),
    intermediates=st.booleans(),
)


@st.composite
def shocked(draw):
    w = draw(worlds)
    N, J = w.n_countries, w.n_sectors
    add = draw(st.lists(st.floats(0, 150), min_size=N * N * J, max_size=N * N * J))
    tau = np.array(w.tariffs) + np.array(add).reshape(N, N, J) / 100
    idx = np.arange(N)
    tau[idx, idx, :] = w.tariffs[idx, idx, :]
    closure = draw(st.sampled_from(["baseline", "zero"]))
    if closure == "zero":
        # balanced trade needs every country to both import and export something
        assume(w.imports.sum(axis=1).min() > 0 and w.exports.sum(axis=1).min() > 0)
    cf = Counterfactual.from_world(w, deficits=closure)
    return w, Counterfactual(w, tau, np.ones_like(tau), cf.deficits)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shocked())
def test_markets_clear_and_shares_sum_to_one(case):
    w, cf = case
    eq = solve(w, cf)
    s = eq.solution
    assert np.allclose(s.pi.sum(axis=1), 1.0, atol=1e-12)
    assert (s.pi >= 0).all() and (s.X >= -1e-12).all()
    new = eq.to_world()
    assert max(new.accounting_residuals().values()) < 1e-9
    assert np.isclose(new.value_added.sum(), w.value_added.sum(), rtol=1e-11)
    # world exports equal world imports
    assert np.isclose(new.imports.sum(), new.exports.sum(), rtol=1e-10)


@settings(max_examples=25, deadline=None)
@given(worlds)
def test_zero_shock_changes_nothing(w):
    eq = solve(w)
    assert np.abs(eq.solution.w_hat - 1).max() < 1e-11
    assert np.abs(eq.welfare_hat - 1).max() < 1e-11


@settings(max_examples=20, deadline=None)
@given(worlds, st.randoms(use_true_random=False))
def test_relabelling_countries_permutes_results(w, rnd):
    N = w.n_countries
    perm = np.array(rnd.sample(range(N), N))
    wp = World(
        tuple(w.countries[p] for p in perm),
        w.sectors,
        expenditure=w.expenditure[perm],
        trade_shares=w.trade_shares[np.ix_(perm, perm)],
        tariffs=w.tariffs[np.ix_(perm, perm)],
        theta=w.theta,
        va_share=w.va_share[perm],
        io_shares=w.io_shares[perm],
        final_shares=w.final_shares[perm],
        value_added=w.value_added[perm],
        deficit=w.deficit[perm],
        meta=w.meta,
    )
    target = w.countries[0]
    e1 = solve(w, Counterfactual.from_world(w).tariff("all", target, "all", 40))
    e2 = solve(wp, Counterfactual.from_world(wp).tariff("all", target, "all", 40))
    assert np.allclose(e2.welfare_hat, e1.welfare_hat[perm], rtol=1e-9)
    assert np.allclose(e2.solution.w_hat, e1.solution.w_hat[perm], rtol=1e-9)
