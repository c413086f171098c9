"""The critical-input registry and the licensing schedule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from detente.errors import DataError
from detente.shortage import Restriction, approval_schedule, load_registry, map_registry
from detente.world import load_world


@pytest.fixture(scope="module")
def world():
    return load_world("default")


def test_shipped_registry_is_sourced_and_complete():
    reg = load_registry()  # strict: raises if a number lacks source or date
    for pid in (
        "ndfeb-magnets",
        "dy-tb-oxides",
        "other-controlled-rees",
        "gallium",
        "germanium",
        "graphite",
        "antimony",
        "advanced-chips",
        "eda-software",
        "jet-engines",
    ):
        assert pid in reg
    m = reg["ndfeb-magnets"]
    assert m.parent == "C24B" and m.supplier_shares["CHN"].value == pytest.approx(0.94)
    assert {u.industry for u in m.users} >= {"C29", "C27", "C28", "C26"}
    assert reg.sources[m.supplier_shares["CHN"].source]


def test_user_file_overrides_and_adds(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("""
products:
  ndfeb-magnets:
    users:
      - {industry: C29, intensity: 0.002, criticality: 1, inventory_days: 70}
  tungsten:
    name: Tungsten
    parent: C24B
    supplier_shares: {CHN: 0.8}
    transit_weeks: 3
    refill_weeks: 4
    surge: 0.2
    substitution: {max_share: 0.2, ramp_weeks: 20}
    users:
      - {industry: C25, intensity: 0.001, criticality: 0.1, inventory_days: 60}
""")
    reg = load_registry(f)
    assert reg["ndfeb-magnets"].users[0].inventory_days.value == 70
    assert reg["ndfeb-magnets"].supplier_shares["CHN"].value == pytest.approx(0.94)  # kept
    assert reg["tungsten"].users[0].industry == "C25"


def test_user_file_updates_sourcing_country_by_country(tmp_path):
    """A user file's ``sourcing`` replaces the listed countries' mixes only; ``null``
    removes one (that country then buys at ``supplier_shares``)."""
    shipped = load_registry()["ndfeb-magnets"]
    f = tmp_path / "mine.yaml"
    f.write_text("products:\n  ndfeb-magnets:\n    sourcing:\n      USA: {CHN: 0.75}\n      IND: null\n")
    got = load_registry(f)["ndfeb-magnets"]
    assert got.shares_for("USA") == pytest.approx({"CHN": 0.75})
    assert got.shares_for("JPN") == shipped.shares_for("JPN") and "JPN" in got.sourcing
    assert "IND" not in got.sourcing and got.shares_for("IND") == shipped.shares_for("")


def test_bad_registry_value_names_the_field(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "products:\n  ndfeb-magnets:\n    users:\n      - {industry: C29, intensity: 0.1, criticality: 2, inventory_days: 5}\n"
    )
    with pytest.raises(DataError, match=r"ndfeb-magnets.users\[0\].criticality = 2.0"):
        load_registry(f)
    with pytest.raises(DataError, match="did you mean ndfeb-magnets"):
        load_registry()["ndfeb-magnet"]


def test_registry_maps_to_compact_and_full_sectors(world):
    reg = load_registry()
    arr = map_registry(reg, world, ["ndfeb-magnets"])
    J = world.n_sectors
    sectors = {world.sectors[m % J] for m in arr.user_nodes}
    assert {"MOTOR", "ELECTRICAL", "MACHINERY", "ELECTRONICS", "OTHER_TRANSPORT"} <= sectors
    assert world.sectors[arr.parent_p[0]] == "NONFERROUS"
    usa, chn, jpn = (world.country_index(c) for c in ("USA", "CHN", "JPN"))
    assert arr.sourcing_pni[0, usa, chn] == pytest.approx(0.85)
    assert arr.sourcing_pni[0, jpn, jpn] == pytest.approx(0.35)
    m = usa * J + world.sector_index("MOTOR")
    u = int(np.flatnonzero(arr.user_nodes == m)[0])
    assert arr.cover_up[u, 0] == pytest.approx(65 / 7)  # 65 days of supply-chain cover (CLEPA rule)
    assert arr.criticality_up[u, 0] == pytest.approx(0.8)  # dependent output share


def _week(world, r, start=dt.date(2025, 4, 7), n=12):
    ws = [start + dt.timedelta(days=7 * t) for t in range(n)]
    a = approval_schedule(r, world, ["ndfeb-magnets"], ws)
    return a[:, 0, world.country_index("CHN"), world.country_index("USA")]


def test_licence_types_and_review_lag(world):
    d0 = dt.date(2025, 4, 7)
    per = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.5, 21, "per_shipment")])
    np.testing.assert_allclose(per[:5], [0, 0, 0, 0.5, 0.5])
    gen = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.5, 21, "general")])
    np.testing.assert_allclose(gen[:3], [0.5, 0.5, 0.5])
    ban = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, d0 + dt.timedelta(days=28), 0.9, 0, "ban")])
    np.testing.assert_allclose(ban[:6], [0, 0, 0, 0, 1, 1])  # suspended: supply resumes


def test_approval_path_and_mid_week_change(world):
    d0 = dt.date(2025, 4, 7)
    r = [
        Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.25, 0, "per_shipment", regime="x"),
        Restriction(
            "ndfeb-magnets", "CHN", ("USA",), d0 + dt.timedelta(days=16), None, 0.6, 0, "per_shipment", regime="x"
        ),
    ]
    a = _week(world, r)
    assert a[0] == pytest.approx(0.25) and a[3] == pytest.approx(0.6)
    assert a[2] == pytest.approx((2 * 0.25 + 5 * 0.6) / 7)  # change on the third day of week 2
    other = approval_schedule(r, world, ["ndfeb-magnets"], [d0])[
        0, 0, world.country_index("CHN"), world.country_index("JPN")
    ]
    assert other == 1.0


def test_weekly_reading_of_an_export_control_event(world):
    """The weekly model's reading of one event (docs/shortage.md, 'Licensing'): a ban
    passes nothing whatever its approval_share; a general licence has no review lag
    whatever its review_days; per-shipment licences pass nothing for review_days days."""
    from detente.shortage import licensed_share

    d0 = dt.date(2025, 4, 7)
    ban = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.5, 63, "ban")], n=14)
    assert (ban == 0.0).all()
    gen = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.5, 63, "general")], n=14)
    np.testing.assert_allclose(gen, 0.5)
    per = _week(world, [Restriction("ndfeb-magnets", "CHN", ("USA",), d0, None, 0.5, 63, "per_shipment")], n=14)
    np.testing.assert_allclose(per[:9], 0.0)  # 63 days = 9 weeks
    np.testing.assert_allclose(per[9:], 0.5)
    # through sourcing: a ban leaves only the users' other suppliers (US: 15% not Chinese)
    reg = load_registry()
    arr = map_registry(reg, world, ["ndfeb-magnets"])
    ws = [d0 + dt.timedelta(days=7 * t) for t in range(3)]
    a = approval_schedule(
        [Restriction("ndfeb-magnets", "CHN", ("all",), d0, None, 0.5, 0, "ban")], world, ["ndfeb-magnets"], ws
    )
    lic = licensed_share(a, arr.sourcing_pni)[:, 0]
    usa, chn = world.country_index("USA"), world.country_index("CHN")
    np.testing.assert_allclose(lic[:, usa], 1.0 - arr.sourcing_pni[0, usa, chn])
    assert (lic[:, chn] == 1.0).all()  # domestic sales are never licensed


def test_scenario_ban_variant_is_read_as_a_ban(world):
    """The scenario's counterfactual 'ban-no-licences' passes nothing to any importer."""
    from detente.policy import apply_variant, load_scenario
    from detente.shortage import restrictions_from_scenario

    sc = apply_variant(load_scenario("rare-earth-magnets-2025"), "ban-no-licences")
    rs = [r for r in restrictions_from_scenario(sc, load_registry()) if r.product == "ndfeb-magnets"]
    assert {r.regime for r in rs if r.licence == "ban"} == {"magnets-row", "magnets-jpn", "magnets-us"}
    assert all(r.approval == 0.0 for r in rs)  # India is in the rest-of-world regime
    ws = [dt.date(2025, 4, 7) + dt.timedelta(days=7 * t) for t in range(30)]
    a = approval_schedule(rs, world, ["ndfeb-magnets"], ws)[:, 0, world.country_index("CHN")]
    others = [i for i in range(world.n_countries) if world.countries[i] != "CHN"]
    assert (a[:, others] == 0.0).all()


def test_static_and_weekly_models_read_licence_events_identically():
    """One reading (detente.instruments.approval_on) for the timeline and the weekly model."""
    import datetime as dt

    from detente.policy import parse_scenario
    from detente.policy._timeline import change_dates, refused_share
    from detente.shortage._licensing import Restriction
    from detente.world import load_world

    w = load_world("default")
    head = "name: t\nperiod: {start: 2025-04-01, end: 2025-09-30, step: week}\nevents:\n"
    start = dt.date(2025, 4, 4)
    cases = {"ban": [0.0, 0.0], "general": [0.5, 0.5], "per_shipment": [0.0, 0.5]}
    for licence, (early, late) in cases.items():
        sc = parse_scenario(
            head
            + (
                "  - {id: x, date: 2025-04-04, export_control: {exporter: CHN, importers: USA, sectors: NONFERROUS,"
                f" coverage: 0.5, approval_share: 0.5, review_days: 63, licence: {licence}}}}}\n"
            ),
            "t.yaml",
        )
        n, i, j = w.country_index("USA"), w.country_index("CHN"), w.sector_index("NONFERROUS")
        for day, expected in ((start + dt.timedelta(days=10), early), (start + dt.timedelta(days=70), late)):
            static = 1 - refused_share(w, sc, day)[n, i, j] / 0.5  # approved share of the covered flow
            weekly = Restriction(
                "ndfeb-magnets", "CHN", ("USA",), start=start, approval=0.5, review_days=63, licence=licence
            ).approval_on(day)
            assert static == pytest.approx(expected) and weekly == pytest.approx(expected), (licence, day)
        has_review_end = start + dt.timedelta(days=63) in change_dates(sc)
        assert has_review_end == (licence == "per_shipment")


def test_the_shipped_registry_is_parsed_once_and_handed_out_as_copies():
    from detente.shortage import load_registry

    a = load_registry()
    b = load_registry()
    assert a.products is not b.products and a.products == b.products
    assert a.products["ndfeb-magnets"] is b.products["ndfeb-magnets"]  # parsed once, shared (frozen)
    del a.products["ndfeb-magnets"]
    assert "ndfeb-magnets" in load_registry().products  # a caller's change stays its own
