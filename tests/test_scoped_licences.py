"""Licences of the users' own: a regime that names ``users`` (user sectors) licenses only
those users' supply chains, on the share ``user_share`` of their purchases, in place of
the other regimes there (docs/shortage.md, section 2). Both models read it the same way:
for the named users, on its cells, refused = (1 - s) refused_others + s refused_own."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from detente.errors import DataError, ScenarioError, ShockError, UnknownLabelError
from detente.instruments import CriticalCut, ExportLicence, critical_block
from detente.shortage import Restriction, ShortageSettings, build_model, load_registry
from detente.shortage._licensing import week_starts
from detente.world import load_world

START = dt.date(2025, 4, 7)
P = "ndfeb-magnets"


@pytest.fixture(scope="module")
def world():
    return load_world("default")


def _general(approval, users="all", share=1.0, start=START, end=None, regime="others"):
    return Restriction(P, "CHN", ("USA",), start, end, approval, 0, "general", regime, regime, users, share)


@pytest.mark.parametrize("channel", ["io", "none"])
def test_weekly_model_blends_the_users_licence_into_their_rows_only(world, channel):
    m = build_model(world, load_registry(), [P], ShortageSettings(parts_channel=channel))
    ws = week_starts(START, 6)
    both = m.licensed([_general(0.2), _general(1.0, ("MOTOR",), 0.45, regime="own")], ws)
    blended = m.licensed([_general(0.2 * 0.55 + 0.45)], ws)
    others = m.licensed([_general(0.2)], ws)
    motor = m.critical.user_nodes % world.n_sectors == world.sector_index("MOTOR")
    rows = m.user_row
    np.testing.assert_allclose(both[:, :, rows[motor]], blended[:, :, rows[motor]], atol=1e-12)
    np.testing.assert_allclose(both[:, :, rows[~motor]], others[:, :, rows[~motor]], atol=1e-12)
    us_cars = motor & (m.critical.user_nodes // world.n_sectors == world.country_index("USA"))
    w = m.cohort_w
    assert ((both[:, :, rows[us_cars]] * w).sum(-1) > (others[:, :, rows[us_cars]] * w).sum(-1) + 1e-3).all()


def test_weekly_users_licence_counts_only_the_days_in_force(world):
    """A licence of the users' own from a Thursday to the next Monday: the first week has
    four days of it, the second one; later weeks are the others' path."""
    m = build_model(world, load_registry(), [P], ShortageSettings())
    ws = week_starts(START, 3)
    own = _general(1.0, ("MOTOR",), 1.0, start=START + dt.timedelta(days=3), end=START + dt.timedelta(days=8))
    a, overlays = m.approvals([_general(0.2), own], ws)
    ((p, users, a_tin),) = overlays
    cell = a_tin[:, world.country_index("CHN"), world.country_index("USA")]
    np.testing.assert_allclose(cell, [0.2 + 0.8 * 4 / 7, 0.2 + 0.8 / 7, 0.2], atol=1e-12)
    assert p == 0 and (m.critical.user_nodes[users] % world.n_sectors == world.sector_index("MOTOR")).all()


def test_static_block_blends_the_users_licence_into_their_rows_only(world):
    both = critical_block(
        world, [CriticalCut(P, "CHN", "USA", 0.8), CriticalCut(P, "CHN", "USA", 0.0, ("MOTOR",), 0.45)]
    )
    blended = critical_block(world, [CriticalCut(P, "CHN", "USA", 0.8 * 0.55)])
    others = critical_block(world, [CriticalCut(P, "CHN", "USA", 0.8)])
    j = world.sector_index("MOTOR")

    def rows(blk, motor):
        sel = (blk.node % world.n_sectors == j) == motor
        return dict(zip(blk.node[sel].tolist(), blk.supply[sel].tolist(), strict=True))

    assert rows(both, True) == pytest.approx(rows(blended, True), abs=1e-12)
    assert rows(both, False) == pytest.approx(rows(others, False), abs=1e-12)
    us_cars = world.country_index("USA") * world.n_sectors + j
    assert rows(both, True)[us_cars] > rows(others, True)[us_cars] + 1e-3


def test_static_and_weekly_read_a_users_licence_event_identically(world):
    """One scenario with the others' licence and the users' own: the timeline's cuts on a
    date and the weekly restrictions both equal the blended single licence, per model."""
    from detente.policy import parse_scenario
    from detente.policy._timeline import critical_cuts
    from detente.shortage import restrictions_from_scenario

    head = "name: t\nperiod: {start: 2025-04-07, end: 2025-06-30, step: week}\nevents:\n"
    ctl = "{{product: ndfeb-magnets, exporter: CHN, importers: USA, sectors: NONFERROUS, licence: general, {}}}"
    sc = parse_scenario(
        head
        + f"  - {{id: others, date: 2025-04-07, export_control: {ctl.format('approval_share: 0.2')}}}\n"
        + f"  - {{id: own, date: 2025-04-07, export_control: {ctl.format('approval_share: 1.0, users: MOTOR, user_share: 0.45')}}}\n"
    )
    one = parse_scenario(
        head + f"  - {{id: x, date: 2025-04-07, export_control: {ctl.format('approval_share: 0.56')}}}\n"
    )
    day = dt.date(2025, 5, 5)
    j = world.sector_index("MOTOR")
    b_sc = critical_block(world, critical_cuts(world, sc, day))
    b_one = critical_block(world, critical_cuts(world, one, day))
    motor = b_sc.node % world.n_sectors == j
    np.testing.assert_allclose(b_sc.supply[motor], b_one.supply[b_one.node % world.n_sectors == j], atol=1e-12)
    m = build_model(world, load_registry(), [P], ShortageSettings())
    ws = week_starts(START, 4)
    lic_sc = m.licensed(restrictions_from_scenario(sc), ws)
    lic_one = m.licensed(restrictions_from_scenario(one), ws)
    rows = m.user_row[m.critical.user_nodes % world.n_sectors == j]
    np.testing.assert_allclose(lic_sc[:, :, rows], lic_one[:, :, rows], atol=1e-12)


def test_bad_users_licences_are_refused_with_the_field(world):
    from detente.policy import parse_scenario

    with pytest.raises(ShockError, match="users = 'MOTOR' needs a registry product"):
        ExportLicence("CHN", "USA", 0.5, coverage={"NONFERROUS": 0.1}, users="MOTOR")
    with pytest.raises(ShockError, match="user_share"):
        ExportLicence("CHN", "USA", 0.5, product=P, users="MOTOR", user_share=0.0)
    with pytest.raises(DataError, match="user_share"):
        _general(1.0, ("MOTOR",), 1.5)
    head = "name: t\nperiod: {start: 2025-04-07, end: 2025-06-30, step: week}\nevents:\n"
    with pytest.raises(ScenarioError, match="users"):
        parse_scenario(
            head + "  - {id: a, date: 2025-04-07, export_control: {exporter: CHN, importers: USA, "
            "sectors: NONFERROUS, coverage: 0.1, approval_share: 0.5, users: MOTOR}}\n"
        )
    with pytest.raises(UnknownLabelError, match="NOTASECTOR"):
        critical_block(world, [CriticalCut(P, "CHN", "USA", 0.0, ("NOTASECTOR",), 0.5)])


def test_a_users_licence_is_a_grant_never_a_cut(world):
    """Holders of a licence of their own can still apply under the others' regimes: one
    that approves less than the others leaves them as they were, in both models."""
    m = build_model(world, load_registry(), [P], ShortageSettings())
    ws = week_starts(START, 4)
    np.testing.assert_allclose(
        m.licensed([_general(0.85), _general(0.5, ("MOTOR",), 0.45, regime="own")], ws),
        m.licensed([_general(0.85)], ws),
        atol=1e-12,
    )
    low = critical_block(
        world, [CriticalCut(P, "CHN", "USA", 0.15), CriticalCut(P, "CHN", "USA", 0.5, ("MOTOR",), 0.45)]
    )
    ref = critical_block(world, [CriticalCut(P, "CHN", "USA", 0.15)])
    np.testing.assert_allclose(low.supply, ref.supply, atol=1e-12)
    with pytest.raises(DataError, match="cannot be a ban"):
        Restriction(P, "CHN", ("USA",), START, None, 0.0, 0, "ban", "x", "x", ("MOTOR",), 1.0)
