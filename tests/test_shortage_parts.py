"""The parts channel: a user's critical input arrives inside bought parts (docs/shortage.md,
section 2, 'The parts channel')."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from _shortage_toy import PARTS_COUNTRIES, PARTS_SECTORS, parts_flows, parts_world

from detente.errors import DataError
from detente.shortage import Restriction, ShortageSettings, build_model, load_registry, map_registry, simulate
from detente.shortage._licensing import approval_schedule, route_sourcing, route_view, week_starts
from detente.shortage._registry import parts_origins

START = dt.date(2025, 4, 7)
MU = {"C27": 0.006, "C29": 0.0015}  # the shipped registry's intensities of the two parts makers


@pytest.fixture(scope="module")
def toy():
    return parts_world()


def _user(arr, world, country, sector):
    m = world.country_index(country) * world.n_sectors + world.sector_index(sector)
    return int(np.flatnonzero(arr.user_nodes == m)[0])


def test_shipped_registry_names_the_parts_makers():
    parts = load_registry()["ndfeb-magnets"].parts
    assert parts is not None and parts.industries == ("C27", "C29")
    assert parts.source and parts.date


def test_parts_share_is_the_hand_computation_from_the_flows(toy):
    """US car makers' magnet content, from the toy's flows by hand: content of the parts of
    industry kappa bought from k is (purchases of kappa) x (k's share of the country's
    kappa purchases) x (magnets per dollar of kappa). The US share is bought directly;
    Mexico's parts are all Chinese, so the Mexican share inherits China's (one at China);
    China's share is China's."""
    T, U, _ = parts_flows()
    usa = PARTS_COUNTRIES.index("USA")
    E, V = PARTS_SECTORS.index("C27"), PARTS_SECTORS.index("C29")
    pi = {kappa: T[usa, :, kappa] / T[usa, :, kappa].sum() for kappa in (E, V)}
    content = U[usa, E, V] * pi[E] * MU["C27"] + U[usa, V, V] * pi[V] * MU["C29"]  # by origin
    assert content.tolist() == pytest.approx(
        [20 * 0.6 * 0.006 + 50 * 0.8 * 0.0015, 20 * 0.1 * 0.006 + 50 * 0.2 * 0.0015, 20 * 0.3 * 0.006]
    )
    expected = np.array([content[0], 0.0, content[1] + content[2]]) / content.sum()  # MEX's share goes to CHN
    arr = map_registry(load_registry(), toy, ["ndfeb-magnets"])
    g = arr.parts_origin_pud[0]
    np.testing.assert_allclose(g[_user(arr, toy, "USA", "C29")], expected, atol=1e-12)
    assert expected[0] == pytest.approx(0.132 / 0.195)
    # US electrical equipment buys only C27 (60/10/30): 0.6 direct, Mexico's 0.1 -> China
    np.testing.assert_allclose(g[_user(arr, toy, "USA", "C27")], [0.6, 0.0, 0.4], atol=1e-12)
    for s in ("C27", "C29"):
        np.testing.assert_allclose(g[_user(arr, toy, "MEX", s)], [0.0, 0.0, 1.0], atol=1e-12)
        np.testing.assert_allclose(g[_user(arr, toy, "CHN", s)], [0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(g.sum(axis=-1), 1.0, atol=1e-12)


def test_parts_origins_solve_a_loop_of_imports():
    """Two countries' parts makers buy from each other: A's parts makers buy 70% at home
    and 30% from B, B's 60% at home and 40% from A. Then G_A = 0.7 e_A + 0.3 G_B and
    G_B = 0.6 e_B + 0.4 G_A: G_A = (0.7, 0.18) / 0.88. A's car makers (same import shares)
    inherit the same split."""
    N, J = 2, 2  # sector 0 parts, 1 cars
    g = np.zeros((N, J, J))
    g[:, 0, :] = 0.2  # every node spends 20% of output on parts
    pi = np.zeros((N, N, J))
    pi[0, :, 0], pi[1, :, 0] = (0.7, 0.3), (0.4, 0.6)
    pi[:, :, 1] = np.eye(N)
    G = parts_origins(g, pi, np.ones((N, J)), [0])
    ga = np.array([0.7, 0.18]) / 0.88
    np.testing.assert_allclose(G[0 * J + 0], ga, atol=1e-12)  # A's parts makers
    np.testing.assert_allclose(G[1 * J + 0], 0.6 * np.array([0.0, 1.0]) + 0.4 * ga, atol=1e-12)
    np.testing.assert_allclose(G[0 * J + 1], ga, atol=1e-12)  # A's car makers
    # no parts at all, or parts that carry none of the product: bought directly
    np.testing.assert_allclose(parts_origins(np.zeros_like(g), pi, np.ones((N, J)), [0]), np.repeat(np.eye(N), J, 0))
    np.testing.assert_allclose(parts_origins(g, pi, np.zeros((N, J)), [0]), np.repeat(np.eye(N), J, 0))


def test_a_user_whose_parts_come_from_an_unrestricted_origin_is_not_cut(toy):
    """China bans magnet exports to everyone. Mexico's users buy all their parts from
    China, whose parts makers buy Chinese magnets at home (never licensed): with the parts
    channel they are never cut, while under national sourcing (Mexico's users buy 94% of
    their magnets from China themselves) they stop. US car makers, a third of whose magnet
    content arrives in Chinese parts, lose less."""
    ban = [Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.0, 0, "ban")]
    out = {}
    for rule in ("io", "none"):
        res = simulate(toy, ban, start=START, weeks=30, settings=ShortageSettings(parts_channel=rule))
        out[rule] = res
    io, none = out["io"].dataset, out["none"].dataset
    for s in ("C27", "C29"):
        assert (io.output_ratio.sel(country="MEX", sector=s).values == 1.0).all(), s
        assert none.output_ratio.sel(country="MEX", sector=s).values.min() < 1.0 - 1e-6, s
    mex = (io.user_country.values == "MEX").nonzero()[0]
    assert (io.first_stockout_week.values[mex] == -1).all()
    assert (none.first_stockout_week.values[mex] >= 0).all()
    us = {r: float(out[r].dataset.cum_output_lost.sel(country="USA", sector="C29")) for r in out}
    assert 0 < us["io"] < us["none"]
    # the US cohorts whose route is China's own parts makers never stop
    m = build_model(toy, load_registry(), ["ndfeb-magnets"], ShortageSettings())
    u = _user(m.critical, toy, "USA", "C29")
    chn = toy.country_index("CHN")
    assert m.routes is not None and m.routes[0] is not None
    rt = m.routes[0]
    mix = rt.mix_uqr[int(np.flatnonzero(rt.users == u)[0])]  # (Q, R): this user's cohorts
    via_china = mix[:, rt.pairs(toy.n_countries)[:, 0] == chn].sum(axis=-1) > 1 - 1e-9
    first = out["io"].raw.first_stockout_duq[0, u]
    assert via_china.sum() >= 5 and (first[via_china] == -1).all() and (first[~via_china] >= 0).any()


def test_cohort_licensed_share_averages_to_the_route_reading():
    """With the parts channel each user of the product has a row of its own: the
    cohort-weighted licensed share is 1 - sum over routes (d, i) of the node's route share
    times the refused share of exports from i to d, and US car makers are licensed more
    than under national sourcing in May 2025 (39% of their magnets come through parts
    makers abroad)."""
    from detente.world import load_world

    world = load_world("default")
    m = build_model(world, load_registry(), ["ndfeb-magnets"], ShortageSettings())
    ws = week_starts(START, 12)
    r = [
        Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.25, 28, "per_shipment", regime="row"),
        Restriction("ndfeb-magnets", "CHN", ("USA",), START, None, 0.08, 28, "per_shipment", regime="us"),
    ]
    lic = m.licensed(r, ws)  # (T, P, N + K, Q): countries, then users with a row of their own
    U = m.critical.user_nodes.size
    assert lic.shape[2] == world.n_countries + U  # every magnet user has its own row
    assert sorted(set(m.user_row.tolist())) == list(range(world.n_countries, world.n_countries + U))
    lic = lic[:, :, m.user_row]  # (T, P, U, Q)
    a = approval_schedule(r, world, m.products, ws)
    assert m.critical.parts_origin_pud is not None
    routes = route_sourcing(m.critical.parts_origin_pud, m.critical.sourcing_pni)  # (P, U, N*N)
    node = 1.0 - np.einsum("pur,tpr->tpu", routes, route_view(1.0 - a))
    np.testing.assert_allclose((lic * m.cohort_w).sum(axis=-1), node, atol=1e-12)
    none = build_model(world, load_registry(), ["ndfeb-magnets"], ShortageSettings(parts_channel="none"))
    u = _user(m.critical, world, "USA", "MOTOR")
    usa = world.country_index("USA")
    late = slice(6, 12)
    assert (node[late, 0, u] > (none.licensed(r, ws) * none.cohort_w).sum(-1)[late, 0, usa] + 0.05).all()


def test_without_a_parts_entry_the_channel_is_national_sourcing(tmp_path):
    """A registry file that removes the product's parts entry (``parts: null``) makes every
    user buy all of it at home: the parts channel then gives the national-sourcing run."""
    from detente.world import load_world

    world = load_world("default")
    f = tmp_path / "noparts.yaml"
    f.write_text("products:\n  ndfeb-magnets:\n    parts: null\n")
    reg = load_registry(f)
    assert reg["ndfeb-magnets"].parts is None
    arr = map_registry(reg, world, ["ndfeb-magnets"])
    assert arr.parts_origin_pud is not None
    np.testing.assert_array_equal(arr.parts_origin_pud[0], np.eye(world.n_countries)[arr.user_nodes // world.n_sectors])
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.25, 28, "per_shipment")]
    a = simulate(world, r, start=START, weeks=20, registry=reg, settings=ShortageSettings()).dataset
    b = simulate(world, r, start=START, weeks=20, settings=ShortageSettings(parts_channel="none")).dataset
    np.testing.assert_allclose(a.output_ratio.values, b.output_ratio.values, atol=1e-12)
    np.testing.assert_allclose(a.shipped_share.values, b.shipped_share.values, atol=1e-12)
    np.testing.assert_array_equal(a.first_stockout_week.values, b.first_stockout_week.values)


def test_bad_parts_entries_and_settings_are_refused(tmp_path):
    for body, match in (
        ("parts: {industries: C27}", "non-empty list"),
        ("parts: {industries: [C27], weight: 2}", "expected {industries"),
        ("parts: [C27]", "expected {industries"),
    ):
        f = tmp_path / "bad.yaml"
        f.write_text(f"products:\n  ndfeb-magnets:\n    {body}\n")
        with pytest.raises(DataError, match=match):
            load_registry(f)
    with pytest.raises(DataError, match="parts_channel"):
        ShortageSettings(parts_channel="maybe")
    # the shipped registry's parts makers must be users (their intensity weighs the parts)
    import yaml

    from detente.shortage._registry import parse_registry, shipped_registry_path

    data = yaml.safe_load(shipped_registry_path().read_text(encoding="utf-8"))
    data["products"]["ndfeb-magnets"]["parts"]["industries"] = ["C27", "C31T33"]
    with pytest.raises(DataError, match=r"\['C31T33'\] are not users"):
        parse_registry(data, "shipped", strict=True)
    del data["products"]["ndfeb-magnets"]["parts"]["source"]
    with pytest.raises(DataError, match="needs a source and a date"):
        parse_registry(data, "shipped", strict=True)
