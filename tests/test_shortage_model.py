"""The shortage model on the default (compact) world: properties, scenario, CLI, Monte Carlo."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json

import numpy as np
import pytest

from detente.errors import DataError, UnknownLabelError
from detente.shortage import (
    Restriction,
    ShortageSettings,
    build_model,
    load_registry,
    monte_carlo,
    simulate,
    simulate_scenario,
)
from detente.world import load_world

START = dt.date(2025, 4, 7)


@pytest.fixture(scope="module")
def world():
    return load_world("default")


@pytest.fixture(scope="module")
def model(world):
    return build_model(world, load_registry(), ["ndfeb-magnets"])


def _ban(weeks, approval=0.0, importers=("USA",)):
    if weeks == 0:
        return []
    return [
        Restriction(
            "ndfeb-magnets", "CHN", importers, START, START + dt.timedelta(days=7 * weeks), approval, 0, "per_shipment"
        )
    ]


def _loss(world, model, weeks, approval=0.0):
    res = simulate(world, _ban(weeks, approval), start=START, weeks=30, model=model)
    return float(res.dataset.cum_output_lost.sum())


def test_zero_restriction_changes_nothing(world, model):
    res = simulate(world, _ban(12, approval=1.0), start=START, weeks=26, model=model)
    ds = res.dataset
    assert (ds.output_ratio.values == 1.0).all()
    assert (ds.cum_output_lost.values == 0).all()
    assert (ds.first_stockout_week.values == -1).all()


def test_short_restriction_loses_nothing(world):
    """With one cohort of 5 weeks' cover, a 4-week ban costs no output anywhere."""
    m = build_model(world, load_registry(), ["ndfeb-magnets"], ShortageSettings(cohorts=1))
    res = simulate(world, _ban(4), start=START, weeks=26, model=m)
    assert float(res.dataset.cum_output_lost.sum()) == 0.0


def test_loss_bounded_by_baseline_output(world, model):
    res = simulate(world, _ban(26, importers=("all",)), start=START, weeks=30, model=model)
    ds = res.dataset
    Yw = np.asarray(world.gross_output) / 52.0
    assert (ds.output_ratio.values >= 0).all() and (ds.output_ratio.values <= 1).all()
    assert (ds.output_lost.values <= Yw[None] * (1 + 1e-12)).all()
    assert (ds.va_lost.values <= ds.output_lost.values + 1e-9).all()


def test_losses_monotone_in_restricted_share_and_duration(world, model):
    by_approval = [_loss(world, model, 12, a) for a in (1.0, 0.75, 0.5, 0.25, 0.0)]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(by_approval, by_approval[1:]))
    assert by_approval[0] == 0 and by_approval[-1] > 0
    by_weeks = [_loss(world, model, w) for w in (0, 4, 8, 12, 16, 20)]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(by_weeks, by_weeks[1:]))
    assert by_weeks[-1] > by_weeks[2] > 0


def test_non_critical_input_loses_output_only_through_substitution_limits(world, tmp_path):
    """Criticality 0: users substitute fully, no loss even under a ban. Criticality c with
    other suppliers replacing a share phi of the refused supply (and shipping up to
    1 + surge): output settles at 1 - c (1 - min(1, phi (1 + surge)))."""
    f = tmp_path / "r.yaml"
    f.write_text("""
products:
  soft:
    name: a substitutable input
    parent: C24B
    supplier_shares: {CHN: 1.0}
    transit_weeks: 1
    refill_weeks: 1
    surge: 0.25
    substitution: {max_share: 0.4, ramp_weeks: 1}
    users:
      - {industry: C29, intensity: 0.001, criticality: 0.0, inventory_days: 7}
      - {industry: C27, intensity: 0.001, criticality: 0.5, inventory_days: 7}
""")
    reg = load_registry(f)
    st = ShortageSettings(cohorts=1, propagate=False)
    r = [Restriction("soft", "CHN", ("USA",), START, None, 0.0, 0, "ban")]
    ds = simulate(world, r, start=START, weeks=20, registry=reg, settings=st).dataset
    assert (ds.output_ratio.sel(country="USA", sector="MOTOR").values == 1.0).all()
    elec = ds.output_ratio.sel(country="USA", sector="ELECTRICAL").values
    assert elec[-1] == pytest.approx(1 - 0.5 * (1 - min(1.0, 0.4 * 1.25)))
    assert elec.min() >= 0.5


_WIDGET = """
links: LINKS
products:
  widget:
    name: a toy critical input made only in China
    parent: C24B
    supplier_shares: {CHN: 1.0}
    transit_weeks: 1
    refill_weeks: 1
    surge: 0.0
    substitution: {max_share: 0.0, ramp_weeks: 1}
    users:
      - {industry: C27, intensity: 0.001, criticality: CRIT, inventory_days: 14}
"""


def _widget(tmp_path, links="[]", crit=1.0):
    f = tmp_path / "w.yaml"
    f.write_text(_WIDGET.replace("LINKS", links).replace("CRIT", str(crit)))
    return load_registry(f)


def _widget_ban(weeks=30):
    return [Restriction("widget", "CHN", ("all",), START, START + dt.timedelta(days=7 * weeks), 0.0, 0, "ban")]


def _dependent_share(model):
    """(M,) output share that depends on the restricted products: a user's criticality,
    and through each registry link the largest dependent share among the input's
    suppliers (fixed point; io_essentiality is 1)."""
    w = model.world
    N, J = w.n_countries, w.n_sectors
    D = np.zeros(N * J)
    D[model.critical.user_nodes] = model.critical.criticality_up.max(axis=1)
    pi = np.asarray(w.trade_shares)  # (n, i, k)
    for _ in range(N * J):
        prev = D.copy()
        for m in range(N * J):
            for s, k in enumerate(model.io_k[m]):
                if model.io_e[m, s] > 0:
                    n = m // J
                    sup = np.flatnonzero(pi[n, :, k] > 0) * J + k
                    D[m] = max(D[m], model.io_e[m, s] * D[sup].max())
        if np.array_equal(prev, D):
            break
    return D


def test_every_loss_bounded_by_the_dependent_output_share(world, model):
    """Full-year ban on every importer (the issue's case): no node ever loses more than
    the share of its output that depends on magnets; sectors that neither use magnets nor
    buy along a registry link (services included) lose nothing."""
    start = dt.date(2025, 4, 7)
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), start, start + dt.timedelta(days=364), 0.0, 0, "ban")]
    ds = simulate(world, r, start=start, weeks=52, model=model).dataset
    loss = 1.0 - ds.output_ratio.values.reshape(52, -1)  # (T, M)
    D = _dependent_share(model)
    assert (loss <= D[None] + 1e-9).all()
    assert loss.max() > 0.5  # users do stop
    for sec in world.meta.services:
        assert (ds.output_ratio.sel(sector=sec).values == 1.0).all()


def test_criticality_list_decides_who_stops(world, tmp_path):
    """Only listed users stop. ELECTRICAL uses the widget; MOTOR buys ELECTRICAL goods
    well above 1% of its costs but is no link in the registry, so it never stops; under
    the old cost-threshold rule it does."""
    reg = _widget(tmp_path)
    st = ShortageSettings(cohorts=1)
    ds = simulate(world, _widget_ban(), start=START, weeks=30, registry=reg, settings=st).dataset
    lost = ds.cum_output_lost.sum("country")
    assert float(lost.sel(sector="ELECTRICAL")) > 0
    assert float(lost.drop_sel(sector="ELECTRICAL").sum()) == 0.0
    old = simulate(
        world,
        _widget_ban(),
        start=START,
        weeks=30,
        registry=reg,
        settings=ShortageSettings(cohorts=1, io_rule="threshold"),
    ).dataset
    assert float(old.cum_output_lost.sel(sector="MOTOR").sum()) > 0
    assert float(old.cum_output_lost.sel(sector="TRADE_TRANSPORT").sum()) == 0.0  # services: never
    # criticality 0: a user that substitutes fully never stops
    reg0 = _widget(tmp_path, crit=0.0)
    ds0 = simulate(world, _widget_ban(), start=START, weeks=30, registry=reg0, settings=st).dataset
    assert float(ds0.cum_output_lost.sum()) == 0.0


def test_three_stage_chain_with_a_service_user(world, tmp_path):
    """ELECTRICAL (user, criticality 1) -> MOTOR (link) -> TRADE_TRANSPORT (a service).
    The service is capped only when a link names it; then the three stages stop in order,
    each after its own buffer, and no stage loses more than its dependent share (1)."""
    two = "[{buyer: C29, input: C27}]"
    three = "[{buyer: C29, input: C27}, {buyer: TRADE_TRANSPORT, input: C29}]"
    st = ShortageSettings(cohorts=1)
    ds2 = simulate(world, _widget_ban(), start=START, weeks=30, registry=_widget(tmp_path, two), settings=st).dataset
    deu = ds2.first_loss_week.sel(country="DEU")
    assert 0 <= int(deu.sel(sector="ELECTRICAL")) < int(deu.sel(sector="MOTOR"))
    assert (ds2.output_ratio.sel(sector="TRADE_TRANSPORT").values == 1.0).all()
    ds3 = simulate(world, _widget_ban(), start=START, weeks=30, registry=_widget(tmp_path, three), settings=st).dataset
    d3 = ds3.first_loss_week.sel(country="DEU")
    e, m, t = (int(d3.sel(sector=s)) for s in ("ELECTRICAL", "MOTOR", "TRADE_TRANSPORT"))
    assert 0 <= e < m < t
    # stock-out of the user: 2 weeks of cover + 1 in transit (+ the ban's first days)
    assert e == 3
    # each downstream stage holds io_inventory_weeks (3) of its input and sees last week's output
    assert m - e >= 3 and t - m >= 3
    assert float(ds3.output_ratio.sel(country="DEU", sector="TRADE_TRANSPORT").min()) < 1.0


def test_sustained_total_cut_equals_the_dependent_share(world, tmp_path):
    """The static reading: a sustained total cut with stocks exhausted and nothing
    substituted costs each user exactly its dependent share c, every week, and each
    country the value added sum_u c_u VA_u per year (the 'value added at risk')."""
    reg = _widget(tmp_path, crit=0.6)
    st = ShortageSettings(propagate=False)
    res = simulate(world, _widget_ban(40), start=START, weeks=40, registry=reg, settings=st)
    ds = res.dataset
    x = ds.output_ratio.sel(sector="ELECTRICAL").values  # (T, N)
    chn = list(world.countries).index("CHN")
    others = [c for c in range(world.n_countries) if c != chn]
    np.testing.assert_allclose(x[-10:, others], 0.4, atol=1e-12)  # all cohorts dry: loss = c
    assert (1 - x <= 0.6 + 1e-12).all()
    assert (x[:, chn] == 1.0).all()  # China's own users are not licensed
    j = world.sector_index("ELECTRICAL")
    Y = np.asarray(world.gross_output)[:, j]
    vs = np.asarray(world.va_share)[:, j]
    weekly_va = ds.va_lost.sel(sector="ELECTRICAL").values[-1]
    np.testing.assert_allclose(weekly_va[others], 0.6 * Y[others] * vs[others] / 52.0, rtol=1e-12)


@pytest.fixture(scope="module")
def replay_2025():
    return simulate_scenario("rare-earth-magnets-2025")


def test_2025_losses_are_lines_not_industries(replay_2025):
    """The replay: US and European car lines stop from late May-June, Indian ones later;
    the US loses a fraction of one week of car output over the year, not weeks."""
    res = replay_2025
    table = res.first_stockouts(["MOTOR"]).set_index("country")
    ds = res.dataset
    for c in ("USA", "DEU", "EUR"):
        assert 7 <= table.loc[c, "first_stockout_week"] <= 11, c  # 19 May - 16 June
    assert table.loc["IND", "first_stockout_week"] >= table.loc["USA", "first_stockout_week"]
    weeks_lost = (1 - ds.output_ratio.sel(sector="MOTOR")).sum("week")
    assert 0 < float(weeks_lost.sel(country="USA")) < 1.0
    for c in ("JPN", "DEU", "EUR"):
        assert 0 < float(weeks_lost.sel(country=c)) < 0.5, c


def test_monthly_output_is_the_mean_of_the_weeks_that_start_in_the_month(replay_2025):
    """The monthly reading compared with industrial production: June 2025 is the mean of
    the weeks starting 2, 9, 16, 23 and 30 June, and the change is June's mean over May's;
    a month outside the run is an error naming it."""
    res = replay_2025
    ds = res.dataset
    starts = ds.week_start.values.astype("datetime64[D]")
    x = ds.output_ratio.sel(country="USA", sector="ELECTRICAL").values
    june = (starts >= np.datetime64("2025-06-01")) & (starts < np.datetime64("2025-07-01"))
    may = (starts >= np.datetime64("2025-05-01")) & (starts < np.datetime64("2025-06-01"))
    assert june.sum() == 5 and may.sum() == 4
    m = res.monthly_output().sel(country="USA", sector="ELECTRICAL")
    assert float(m.sel(month="2025-06")) == pytest.approx(x[june].mean(), rel=1e-12)
    assert res.monthly_change_pct("USA", "ELECTRICAL", "2025-06") == pytest.approx(
        100 * (x[june].mean() / x[may].mean() - 1), rel=1e-12
    )
    assert res.monthly_change_pct("USA", "MOTOR", "2025-06") < 0 < res.monthly_change_pct("USA", "MOTOR", "2025-07")
    with pytest.raises(UnknownLabelError, match="2025-02"):
        res.monthly_change_pct("USA", "MOTOR", "2025-03")  # the run starts on 31 March
    ds0 = ds.copy(deep=True)
    ds0["output_ratio"].loc[{"week": ds0.week[may], "country": "USA", "sector": "MOTOR"}] = 0.0
    with pytest.raises(DataError, match="USA MOTOR produces nothing in 2025-05"):
        dataclasses.replace(res, dataset=ds0).monthly_change_pct("USA", "MOTOR", "2025-06")


def test_2025_detroit_three_licences_shorten_the_us_stop(replay_2025):
    """The licences granted on 2 June 2025 to the Detroit Three's suppliers (Reuters,
    6 June 2025) are a licence of the car makers' own: without them the US loses more car
    output, after the same first stop (Ford's, late May, came before them). They reach car
    makers only, on the magnets US parts makers buy (so Canadian and Mexican car makers gain
    a little through their US parts); no other sector anywhere changes."""
    without = simulate_scenario("rare-earth-magnets-2025", variant="no-detroit-three-licences")
    a, b = replay_2025.dataset, without.dataset
    lost = {k: (1 - ds.output_ratio.sel(sector="MOTOR")).sum("week") for k, ds in (("with", a), ("without", b))}
    assert float(lost["with"].sel(country="USA")) < 0.6 * float(lost["without"].sel(country="USA"))
    t_a = replay_2025.first_stockouts(["MOTOR"]).set_index("country")
    t_b = without.first_stockouts(["MOTOR"]).set_index("country")
    assert t_a.loc["USA", "first_stockout_week"] == t_b.loc["USA", "first_stockout_week"]
    other = [s for s in a.sector.values if s != "MOTOR"]
    np.testing.assert_allclose(a.output_ratio.sel(sector=other), b.output_ratio.sel(sector=other), atol=1e-12)
    assert (a.output_ratio.sel(sector="MOTOR") >= b.output_ratio.sel(sector="MOTOR") - 1e-12).all()


def test_2025_japanese_car_stop_within_two_weeks_of_suzuki(replay_2025):
    """Suzuki stopped the Swift from 26 May 2025 (week 8 from 31 March; Reuters/Nikkei,
    5 June 2025). With single sourcing the first Japanese motor-vehicle stock-out falls
    within two weeks of it (docs/shortage.md section 5); with one mixed sourcing per node
    Japan never stopped."""
    table = replay_2025.first_stockouts(["MOTOR"]).set_index("country")
    wk = table.loc["JPN", "first_stockout_week"]
    assert wk is not None and not np.isnan(wk)
    assert abs(int(wk) - 8) <= 2, wk


def test_2025_japan_has_its_own_may_approvals_then_the_worlds(world):
    """China's customs data show a Japan-specific squeeze in May 2025 (~26 t to Japan, 13%
    of its 2024 month, where the world got 26%) and none from June (131 t, 65%; the world
    66%): Japan's approvals are half the rest of the world's from the first approvals to
    the London framework and equal to them from then on. Variant ``japan-on-world-path``
    puts Japan back on the world's path week by week, and changes no other importer."""
    from detente.policy import apply_variant, load_scenario
    from detente.shortage import restrictions_from_scenario
    from detente.shortage._licensing import approval_schedule

    sc = load_scenario("rare-earth-magnets-2025")
    ws = [dt.date(2025, 3, 31) + dt.timedelta(days=7 * t) for t in range(40)]
    chn, jpn, deu = (world.country_index(c) for c in ("CHN", "JPN", "DEU"))

    def approvals(scenario):
        return approval_schedule(restrictions_from_scenario(scenario, load_registry()), world, ["ndfeb-magnets"], ws)[
            :, 0, chn
        ]

    a = approvals(sc)
    may = [t for t, w in enumerate(ws) if dt.date(2025, 5, 5) <= w <= dt.date(2025, 6, 2)]
    np.testing.assert_allclose(a[may, jpn], 0.13)
    np.testing.assert_allclose(a[may, deu], 0.25)
    london = next(t for t, w in enumerate(ws) if w >= dt.date(2025, 6, 16))
    np.testing.assert_array_equal(a[london:, jpn], a[london:, deu])
    b = approvals(apply_variant(sc, "japan-on-world-path"))
    np.testing.assert_array_equal(b[:, jpn], a[:, deu])
    others = [i for i in range(world.n_countries) if i != jpn]
    np.testing.assert_array_equal(b[:, others], a[:, others])


def test_2025_india_is_on_the_rest_of_world_approvals(world):
    """China's customs data show no India-specific squeeze (150 t to India in May 2025,
    63% of its 2024 month where the world got 26%; a record month in July), so India's
    magnets follow the rest-of-world path, week by week the same as Germany's. Variant
    ``indian-applications-stuck`` reads the Indian auto firms' stuck licence applications
    for all of India's magnets: nothing approved until China's first licences to Indian
    firms on 30 October, half from then (docs/shortage.md section 5)."""
    from detente.policy import apply_variant, load_scenario
    from detente.shortage import restrictions_from_scenario
    from detente.shortage._licensing import approval_schedule

    sc = load_scenario("rare-earth-magnets-2025")
    ws = [dt.date(2025, 3, 31) + dt.timedelta(days=7 * t) for t in range(40)]
    chn, ind, deu = (world.country_index(c) for c in ("CHN", "IND", "DEU"))
    a = approval_schedule(restrictions_from_scenario(sc, load_registry()), world, ["ndfeb-magnets"], ws)[:, 0, chn]
    np.testing.assert_array_equal(a[:, ind], a[:, deu])
    assert a[:, ind].min() == 0.0 and a[-5:, ind].min() >= 0.85  # the April review lag, then the July path
    stuck = apply_variant(sc, "indian-applications-stuck")
    b = approval_schedule(restrictions_from_scenario(stuck, load_registry()), world, ["ndfeb-magnets"], ws)[:, 0, chn]
    np.testing.assert_array_equal(b[:, deu], a[:, deu])  # no other importer changes
    oct30 = next(t for t, w in enumerate(ws) if w >= dt.date(2025, 10, 27))
    assert b[0, ind] == pytest.approx(4 / 7)  # the week of 31 March: controls from 4 April
    assert (b[1:oct30, ind] == 0.0).all() and b[oct30 + 1, ind] == pytest.approx(0.5)


def test_2025_indian_stop_within_four_weeks_of_bajaj_and_no_national_loss(replay_2025):
    """Bajaj: 'impairment of production started towards the end of June' 2025 (week 13
    from 31 March; Business Standard, 6 August 2025). India's first motor-vehicle and
    other-transport stock-outs fall within four weeks of it, and India loses a small
    fraction of a week of national car output (no national loss was reported: passenger
    vehicle sales -1.4% in April-June, put down to demand). On the Indian auto firms'
    stuck applications (variant) India loses weeks of its whole car industry."""
    for sector in ("MOTOR", "OTHER_TRANSPORT"):
        wk = replay_2025.first_stockouts([sector]).set_index("country").loc["IND", "first_stockout_week"]
        assert wk is not None and not np.isnan(wk) and abs(int(wk) - 13) <= 4, (sector, wk)
    lost = float((1 - replay_2025.dataset.output_ratio.sel(country="IND", sector="MOTOR")).sum())
    assert 0 < lost < 0.1
    stuck = simulate_scenario("rare-earth-magnets-2025", variant="indian-applications-stuck").dataset
    assert float((1 - stuck.output_ratio.sel(country="IND", sector="MOTOR")).sum()) > 50 * lost


def test_china_only_cohorts_stop_under_a_total_china_cut(world):
    """Japanese users source 65% of magnets from China (registry): under a total ban on
    CHN -> JPN, the 13 of 20 cohorts of Japanese car makers that buy from China alone
    stop and the 7 buying Japanese magnets never do; the cohort-weighted mean of the
    cohorts' sourcing is the registry's. This is the national-sourcing rule
    (``parts_channel="none"``); the parts channel's version is in test_shortage_parts.py."""
    none = ShortageSettings(parts_channel="none")
    m = build_model(world, load_registry(), ["ndfeb-magnets"], none)
    jpn, chn = world.country_index("JPN"), world.country_index("CHN")
    sq = m.sourcing_pnqi[0, jpn]  # (Q, I)
    np.testing.assert_allclose(sq.mean(axis=0), m.critical.sourcing_pni[0, jpn], atol=1e-12)
    assert m.critical.sourcing_pni[0, jpn, chn] == pytest.approx(0.65)
    r = [Restriction("ndfeb-magnets", "CHN", ("JPN",), START, None, 0.0, 0, "ban")]
    res = simulate(world, r, start=START, weeks=30, model=m)
    J = world.n_sectors
    u = int(np.flatnonzero(m.critical.user_nodes == jpn * J + world.sector_index("MOTOR"))[0])
    first = res.raw.first_stockout_duq[0, u]
    china_only = sq[:, chn] > 1 - 1e-9
    assert china_only.sum() == 13 and (sq[~china_only, chn] < 1e-9).all()
    assert (first[china_only] >= 0).all()
    assert (first[~china_only] == -1).all()
    x = res.dataset.output_ratio.sel(country="JPN", sector="MOTOR").values
    assert x.min() >= 1 - 0.65 * 0.8 - 1e-9  # only the China-only cohorts' dependent share
    # the old rule (one mixed sourcing per node): every cohort is exposed, and more of
    # them run dry within 30 weeks than the 13 China-only ones
    mixed = build_model(
        world, load_registry(), ["ndfeb-magnets"], ShortageSettings(cohort_sourcing="mixed", parts_channel="none")
    )
    res_m = simulate(world, r, start=START, weeks=30, model=mixed)
    assert (res_m.raw.first_stockout_duq[0, u] >= 0).sum() > china_only.sum()


@pytest.mark.parametrize("rule", ["single", "mixed", "independent"])
def test_cohort_shipped_share_averages_to_the_node_reading(world, rule):
    """Licensing is linear in sourcing: the cohort-weighted licensed share is the node's
    (licensed_share on the registry's node-level sourcing), whatever the cohort rule;
    one cohort is today's single representative firm. National sourcing
    (``parts_channel="none"``: one row per country); the parts channel's version, one row
    per user node, is in test_shortage_parts.py."""
    from detente.shortage import licensed_share
    from detente.shortage._licensing import approval_schedule, week_starts

    m = build_model(
        world, load_registry(), ["ndfeb-magnets"], ShortageSettings(cohort_sourcing=rule, parts_channel="none")
    )
    ws = week_starts(START, 20)
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.25, 28, "per_shipment")]
    lic_q = m.licensed(r, ws)
    node = licensed_share(approval_schedule(r, world, m.products, ws), m.critical.sourcing_pni)
    country = m.critical.user_nodes // world.n_sectors  # every user's row reads its country's
    np.testing.assert_allclose((lic_q * m.cohort_w).sum(axis=-1)[:, :, m.user_row], node[:, :, country], atol=1e-12)
    one = build_model(
        world,
        load_registry(),
        ["ndfeb-magnets"],
        ShortageSettings(cohorts=1, cohort_sourcing=rule, parts_channel="none"),
    )
    np.testing.assert_allclose(one.licensed(r, ws)[:, :, one.user_row, 0], node[:, :, country], atol=1e-12)


def test_independent_sourcing_is_single_sourcing_averaged_over_slot_assignments(world, monkeypatch):
    """``cohort_sourcing="independent"`` (every cover quantile on every sourcing slot) is
    the exact expectation of single sourcing when sourcing is independent of cover: the
    mean over the Q cyclic assignments of slots to cover ranks, which pair every cover
    quantile with every slot once (a Latin square). Without propagation a user's output
    is linear in its cohorts, so the two agree to rounding, node by node."""
    import detente.shortage._licensing as lic

    Q, weeks = 5, 30
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.25, 28, "per_shipment")]

    def run(rule):
        st = ShortageSettings(cohorts=Q, cohort_sourcing=rule, propagate=False)
        m = build_model(world, load_registry(), ["ndfeb-magnets"], st)
        return simulate(world, r, start=START, weeks=weeks, model=m).raw.cum_shortfall_dm[0]

    exact = run("independent")
    shifted = []
    for k in range(Q):
        monkeypatch.setattr(lic, "cohort_slots", lambda n, rule="single", k=k: (np.arange(n) + k) % n)
        shifted.append(run("single"))
    monkeypatch.undo()
    assert exact.max() > 0.1  # the cut binds somewhere
    np.testing.assert_allclose(exact, np.mean(shifted, axis=0), atol=1e-9)


def test_independent_sourcing_is_monotone_in_the_exposed_share(world, tmp_path):
    """Under the exact expectation a smaller Chinese share of US magnet sourcing never
    raises the US car makers' loss in the 2025 replay (the stratified ``"single"`` rule
    moves in steps of one cohort and need not be monotone; docs/shortage.md, 'Cohorts')."""
    st = ShortageSettings(cohorts=10, cohort_sourcing="independent")
    losses = []
    for share in (0.45, 0.65, 0.85):
        f = tmp_path / f"us{share}.yaml"
        f.write_text(f"products:\n  ndfeb-magnets:\n    sourcing:\n      USA: {{CHN: {share}, JPN: 0.10}}\n")
        res = simulate_scenario("rare-earth-magnets-2025", world, settings=st, registry=load_registry(f))
        losses.append(float((1 - res.dataset.output_ratio.sel(country="USA", sector="MOTOR")).sum()))
    assert losses[-1] > 0.05
    assert losses[0] <= losses[1] + 1e-12 <= losses[2] + 2e-12


def _run_cli(argv, capsys):
    from detente.cli.shortage import register

    p = argparse.ArgumentParser(prog="detente")
    register(p.add_subparsers(dest="command"))
    args = p.parse_args(argv)
    assert args.func(args) == 0
    return capsys.readouterr().out


def test_cli_what_if(capsys):
    out = _run_cli(
        [
            "shortage",
            "--product",
            "ndfeb-magnets",
            "--exporter",
            "CHN",
            "--importers",
            "USA",
            "--weeks",
            "8",
            "--approval",
            "0",
            "--json",
        ],
        capsys,
    )
    rec = json.loads(out)
    usa = [r for r in rec["stockouts"] if r["country"] == "USA"]
    assert usa and usa[0]["first_stockout_week"] is not None and usa[0]["output_lost"] > 0
    assert [r for r in rec["value_added_lost"] if r["country"] == "USA"]


def test_cli_scenario_and_errors(capsys, tmp_path):
    out = _run_cli(
        [
            "shortage",
            "--scenario",
            "rare-earth-magnets-2025",
            "--countries",
            "USA,JPN,EUR,IND",
            "--out",
            str(tmp_path / "s.nc"),
        ],
        capsys,
    )
    assert "first stock-outs" in out and (tmp_path / "s.nc").is_file()
    from detente.errors import DetenteError

    with pytest.raises(DetenteError, match="unknown critical input"):
        _run_cli(["shortage", "--product", "magnets"], capsys)


def test_monte_carlo_reproducible_and_chunk_independent(world, model):
    r = _ban(10, importers=("USA", "JPN"))
    a = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=5).dataset
    b = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=12).dataset
    c = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=7, chunk=4, workers=2).dataset
    np.testing.assert_array_equal(a.first_stockout_week.values, b.first_stockout_week.values)
    np.testing.assert_allclose(a.cum_output_lost.values, b.cum_output_lost.values, rtol=1e-5)
    np.testing.assert_allclose(a.cum_output_lost.values, c.cum_output_lost.values, rtol=1e-5)
    d = monte_carlo(model, r, start=START, weeks=20, n_draws=12, seed=8, chunk=12).dataset
    assert not np.array_equal(a.cum_output_lost.values, d.cum_output_lost.values)
    assert float(a.cum_output_lost.sel(country="USA", sector="MOTOR").std()) > 0


@pytest.mark.parametrize("parts", ["io", "none"])
@pytest.mark.parametrize("rule", ["single", "mixed"])
def test_sustained_supply_is_the_weekly_steady_state(world, rule, parts):
    """A sustained US ban with stocks gone: the weekly output of US motor vehicles is
    1 - c (1 - sustained_supply(...)) on the model's cohort sourcing (the number a static
    Leontief block must use to agree with the weekly model); with the parts channel, on
    the cohorts' route mixes and the refused share of each route."""
    from detente.shortage._licensing import sustained_supply

    st = ShortageSettings(propagate=False, cohort_sourcing=rule, parts_channel=parts)
    m = build_model(world, load_registry(), ["ndfeb-magnets"], st)
    start, weeks = dt.date(2025, 4, 7), 60
    r = [Restriction("ndfeb-magnets", "CHN", ("USA",), start, start + dt.timedelta(days=7 * weeks), 0.0, 0, "ban")]
    x = (
        simulate(world, r, start=start, weeks=weeks, model=m)
        .dataset.output_ratio.sel(sector="MOTOR", country="USA")
        .values[-1]
    )
    usa, chn = world.country_index("USA"), world.country_index("CHN")
    refused = np.zeros(world.n_countries)
    refused[chn] = 1.0
    c = m.critical
    u = int(np.flatnonzero(c.user_nodes == usa * world.n_sectors + world.sector_index("MOTOR"))[0])
    if parts == "none":
        s = sustained_supply(m.sourcing_pnqi[0, usa], refused, float(c.max_subst_p[0]), float(c.surge_p[0]))
    else:  # route (d, i) is refused where i -> d is: here only CHN -> USA
        refused_in = np.zeros((1, 1, world.n_countries, world.n_countries))
        refused_in[0, 0, chn, usa] = 1.0
        assert m.routes is not None and m.routes[0] is not None
        sq = m.routes[0].mix_uqr[int(np.flatnonzero(m.routes[0].users == u)[0])]  # (Q, R)
        s = sustained_supply(sq, m.on_routes(0, refused_in)[0], float(c.max_subst_p[0]), float(c.surge_p[0]))
        assert s > sustained_supply(m.sourcing_pnqi[0, usa], refused, float(c.max_subst_p[0]), float(c.surge_p[0]))
    assert x == pytest.approx(1 - c.criticality_up[u, 0] * (1 - s), abs=1e-9)


def test_run_size_is_bounded_before_work_starts(world):
    """Too many kernel cohorts are refused by the settings, and a run whose one draw would
    not fit the memory limit by the model, both naming the settings; Monte Carlo batches
    shrink to fit the same limit without changing any draw."""
    from detente.errors import DataError
    from detente.shortage._simulate import MAX_RUN_BYTES

    with pytest.raises(DataError, match=r"cohorts=101 with cohort_sourcing='independent'"):
        ShortageSettings(cohorts=101, cohort_sourcing="independent")
    ShortageSettings(cohorts=101)  # fine under single sourcing
    m = build_model(world, load_registry(), None, ShortageSettings(cohorts=100, cohort_sourcing="independent"))
    assert m.run_bytes(520) > MAX_RUN_BYTES
    r = [Restriction("ndfeb-magnets", "CHN", ("all",), START, None, 0.0, 0, "ban")]
    with pytest.raises(DataError, match=r"cohorts=100 \(cohort_sourcing='independent': 10000 kernel cohorts\)"):
        simulate(world, r, start=START, weeks=520, model=m)
    with pytest.raises(DataError, match="GiB limit"):
        monte_carlo(m, r, start=START, weeks=520, n_draws=2)
    # the CLI's one-line errors for both: tests/bad_inputs/expected.yaml
