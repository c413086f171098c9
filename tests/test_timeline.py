"""The policy timeline: layer stacking, set/add/remove, coverage, exemptions, expiry."""

from __future__ import annotations

import csv
import datetime as dt
import textwrap
from pathlib import Path

import numpy as np
import pytest
from _labels import COMPACT_COUNTRIES as COUNTRIES
from _labels import COMPACT_SECTORS as SECTORS
from _labels import COMPACT_SERVICES as SERVICES

from detente.policy import (
    ScenarioError,
    apply_variant,
    dates,
    iceberg_state,
    layer_rates,
    load_scenario,
    parse_scenario,
    policy_state,
    tariff_state,
)
from detente.world import WorldMeta, random_world

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HEADLINE = SHARED_DATA / "us_china" / "headline_rates_2025_2026.csv"


@pytest.fixture(scope="module")
def world():
    w = random_world(len(COUNTRIES), len(SECTORS), seed=3)
    return w.replace(
        countries=COUNTRIES,
        sectors=SECTORS,
        meta=WorldMeta(name="test-labelled", vintage="synthetic", services=SERVICES),
    )


def scenario(events: str, extra: str = ""):
    head = "name: t\nperiod: {start: 2025-01-01, end: 2025-12-31, step: month}\nevents:\n"
    return parse_scenario(head + textwrap.dedent(events) + textwrap.dedent(extra), "t.yaml")


def rate(world, sc, day, layer, imp="USA", exp="CHN", sector="TEXTILES"):
    r = layer_rates(world, sc, dt.date.fromisoformat(day))
    return float(r[layer][world.country_index(imp), world.country_index(exp), world.sector_index(sector)])


SUSPENSION = """\
  - {id: s34, date: 2025-05-14, tariff: {importer: USA, exporter: CHN, layer: r, op: set, rate_pp: 34}}
  - {id: susp, date: 2025-05-14, until: 2025-08-12,
     tariff: {importer: USA, exporter: CHN, layer: r, op: remove, rate_pp: 24}}
"""


def test_suspension_and_expiry(world):
    sc = scenario(SUSPENSION)
    assert rate(world, sc, "2025-05-13", "r") == 0
    assert rate(world, sc, "2025-05-14", "r") == pytest.approx(10)
    assert rate(world, sc, "2025-08-11", "r") == pytest.approx(10)
    assert rate(world, sc, "2025-08-12", "r") == pytest.approx(34)  # `until` is exclusive


def test_later_set_wins_over_a_lapsing_suspension(world):
    sc = scenario(
        SUSPENSION + "  - {date: 2025-07-01, tariff: {importer: USA, exporter: CHN, layer: r, op: set, rate_pp: 125}}\n"
    )
    assert rate(world, sc, "2025-07-01", "r") == pytest.approx(125)
    assert rate(world, sc, "2025-09-01", "r") == pytest.approx(125)


def test_add_coverage_remove_and_stacking(world):
    sc = scenario("""\
      - {date: 2025-02-01, tariff: {importer: USA, exporter: CHN, sectors: goods, layer: a, op: set, rate_pp: 10}}
      - {date: 2025-03-01, tariff: {importer: USA, exporter: CHN, sectors: goods, layer: a, op: add, rate_pp: 10}}
      - {date: 2025-03-01, tariff: {importer: USA, exporter: CHN, sectors: STEEL, layer: b, op: set, rate_pp: 50, coverage: 0.4}}
      - {date: 2025-06-01, tariff: {importer: USA, exporter: CHN, sectors: goods, layer: a, op: remove}}
    """)
    assert rate(world, sc, "2025-03-01", "a") == pytest.approx(20)
    assert rate(world, sc, "2025-03-01", "b", sector="STEEL") == pytest.approx(20)
    assert rate(world, sc, "2025-03-01", "a", sector="BUSINESS") == 0  # services are not goods
    assert rate(world, sc, "2025-06-01", "a") == 0
    tau = tariff_state(world, sc, dt.date(2025, 3, 1))
    u, c, s = world.country_index("USA"), world.country_index("CHN"), world.sector_index("STEEL")
    assert tau[u, c, s] == pytest.approx(world.tariffs[u, c, s] + 0.40)
    other = np.ones_like(tau, dtype=bool)
    other[u, c, :] = False
    assert np.array_equal(tau[other], world.tariffs[other])


def test_exemption_scales_the_layer_whatever_its_rate(world):
    sc = scenario("""\
      - {date: 2025-04-05, tariff: {importer: USA, exporter: CHN, layer: r, op: set, rate_pp: 10}}
      - {date: 2025-04-05, exemption: {importer: USA, exporter: CHN, sectors: ELECTRONICS, layer: r, share: 0.8}}
      - {date: 2025-04-10, tariff: {importer: USA, exporter: CHN, layer: r, op: set, rate_pp: 125}}
    """)
    assert rate(world, sc, "2025-04-05", "r", sector="ELECTRONICS") == pytest.approx(2)
    assert rate(world, sc, "2025-04-10", "r", sector="ELECTRONICS") == pytest.approx(25)
    assert rate(world, sc, "2025-04-10", "r") == pytest.approx(125)


def test_domestic_cells_are_never_taxed(world):
    sc = scenario(
        "  - {date: 2025-02-01, tariff: {importer: all, exporter: all, sectors: all, layer: a, op: set, rate_pp: 10}}\n"
    )
    tau = tariff_state(world, sc, dt.date(2025, 2, 1))
    d = np.arange(world.n_countries)
    assert np.array_equal(tau[d, d], world.tariffs[d, d])


def test_a_layer_cannot_go_negative(world):
    sc = scenario(
        "  - {id: x, date: 2025-02-01, tariff: {importer: USA, exporter: CHN, layer: a, op: remove, rate_pp: 5}}\n"
    )
    with pytest.raises(ScenarioError, match="event x .* cannot be negative"):
        layer_rates(world, sc, dt.date(2025, 2, 1))


def test_export_control_review_period_and_regime_replacement(world):
    sc = scenario("""\
      - {date: 2025-04-04, export_control: {regime: re, exporter: CHN, sectors: NONFERROUS, coverage: 0.1, approval_share: 0.25, review_days: 63}}
      - {date: 2025-06-27, export_control: {regime: re, exporter: CHN, sectors: NONFERROUS, coverage: 0.1, approval_share: 0.6}}
    """)
    u, c, j = world.country_index("USA"), world.country_index("CHN"), world.sector_index("NONFERROUS")
    theta = world.theta[j]
    from detente.policy import licence_wedge

    for day, refused in (("2025-04-03", 0.0), ("2025-04-04", 0.1), ("2025-06-06", 0.075), ("2025-06-27", 0.04)):
        on = dt.date.fromisoformat(day)
        x = licence_wedge(world, sc, on)
        # the licence's export-tax equivalent (rent to the exporter); no iceberg cost
        assert 1 + x[u, c, j] == pytest.approx((1 - refused) ** (-1 / theta)), day
        assert x[c, c, j] == 0.0
        assert np.all(iceberg_state(world, sc, on) == 1.0)


def test_dates_hold_steps_events_and_expiries(world):
    sc = scenario(SUSPENSION)
    ds = dates(sc)
    assert ds[0] == dt.date(2025, 1, 1) and ds[-1] <= dt.date(2025, 12, 31)
    assert {dt.date(2025, 5, 14), dt.date(2025, 8, 12), dt.date(2025, 2, 1)} <= set(ds)
    assert ds == sorted(set(ds))


def test_state_key_is_equal_for_equal_states(world):
    sc = scenario(SUSPENSION)
    k = [
        policy_state(world, sc, dt.date.fromisoformat(d)).key
        for d in ("2025-02-01", "2025-05-01", "2025-05-14", "2025-07-01", "2025-08-12", "2025-10-01")
    ]
    assert k[0] == k[1] and k[2] == k[3] and k[4] == k[5]
    assert len({k[0], k[2], k[4]}) == 3
    assert hash(k[0]) == hash(k[1])


# ---------------------------------------------------------------- the shipped scenario
def headline_rows():
    if not HEADLINE.is_file():
        pytest.skip(f"headline rates not found at {HEADLINE} (the ../shared/data folder is absent)")
    with HEADLINE.open() as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("sector", ["TEXTILES", "OTHER_MANUF", "CHEMICALS"])
def test_shipped_scenario_matches_headline_rates(world, sector):
    sc = load_scenario("us-china-2025")
    for row in headline_rows():
        day = row["effective_from"]
        fent = rate(world, sc, day, "ieepa-fentanyl", sector=sector)
        recip = rate(world, sc, day, "ieepa-reciprocal", sector=sector)
        assert fent == pytest.approx(float(row["us_ieepa_fentanyl_pp"])), day
        assert recip == pytest.approx(float(row["us_reciprocal_pp"])), day
        assert fent + recip == pytest.approx(float(row["us_ieepa_total_pp"])), day
        assert rate(world, sc, day, "section-122", sector=sector) == pytest.approx(float(row["us_sec122_pp"])), day
        cn = rate(world, sc, day, "retaliation", imp="CHN", exp="USA", sector=sector)
        assert cn == pytest.approx(float(row["cn_all_goods_additional_pp"])), day


def test_shipped_electronics_exemption_and_variants(world):
    sc = load_scenario("us-china-2025")
    assert rate(world, sc, "2025-04-12", "ieepa-reciprocal", sector="ELECTRONICS") == pytest.approx(125 * 0.2)
    nog = apply_variant(sc, "no-geneva")
    assert rate(world, nog, "2025-07-01", "ieepa-reciprocal") == pytest.approx(125)
    # 125, less China's whitelist exemptions (24% of goods, kept while the 125% stays)
    assert rate(world, nog, "2025-07-01", "retaliation", imp="CHN", exp="USA") == pytest.approx(125 * (1 - 0.24))
    lapse = apply_variant(sc, "suspension-lapses-aug-2025")
    assert rate(world, lapse, "2025-09-01", "ieepa-reciprocal") == pytest.approx(34)
    collapse = apply_variant(sc, "truce-collapses-aug-2025")
    assert rate(world, collapse, "2025-09-01", "ieepa-reciprocal") == pytest.approx(125)
    assert rate(world, collapse, "2025-12-01", "ieepa-fentanyl") == pytest.approx(20)
    assert rate(world, collapse, "2025-12-01", "retaliation-products", imp="CHN", exp="USA", sector="AGR") > 0
    assert rate(world, collapse, "2026-03-01", "ieepa-reciprocal") == 0  # the ruling still voids IEEPA


# ------------------------------------------------------------------------- limits (issue 14)
def test_count_dates_is_exact_without_building_the_steps(world):
    from detente.policy._timeline import count_dates

    sc = scenario("""\
      - {date: 2025-02-04, until: 2025-03-19, tariff: {importer: USA, exporter: CHN, layer: a, op: set, rate_pp: 10}}
      - {date: 2025-04-04, export_control: {exporter: CHN, sectors: NONFERROUS, coverage: 0.1, approval_share: 0.5, review_days: 45}}
      - {date: 2025-06-01, notice: {text: not a change}}
    """)
    assert count_dates(sc) == len(dates(sc))
    for step in ("day", "week"):
        sv = sc.model_copy(update={"period": sc.period.model_copy(update={"step": step})})
        assert count_dates(sv) == len(dates(sv))


def test_variant_choices_are_bounded_and_never_empty(world):
    sc = scenario(
        "  - {id: a, date: 2025-02-01, tariff: {importer: USA, exporter: CHN, layer: a, rate_pp: 10}}\n",
        "variants:\n  v: {remove_events: [a]}\n",
    )
    with pytest.raises(ScenarioError, match="has an empty name"):
        apply_variant(sc, "v+")
    with pytest.raises(ScenarioError, match="65 variants joined; the limit is 64"):
        apply_variant(sc, "+".join(["v"] * 65))
    assert apply_variant(sc, "v").events == []


def test_a_replay_state_names_its_changes_not_no_change(world):
    """A solver failure on a replay date is labelled with the state's changes (issue 14:
    "under 'no change'" while the state held +1000 pp)."""
    from detente.equilibrium import Counterfactual

    sc = scenario(
        "  - {date: 2025-02-01, tariff: {importer: USA, exporter: CHN, layer: a, op: set, rate_pp: 1000}}\n"
        "  - {date: 2025-03-01, iceberg: {importer: USA, exporter: MEX, sectors: STEEL, factor: 2}}\n"
    )
    ref = Counterfactual.from_world(world)
    text = policy_state(world, sc, dt.date(2025, 3, 1)).apply(ref).describe()
    assert "no change" not in text
    assert "policy on 2025-03-01: tariffs in 18 cells changed by +0 to +1000 pp" in text
    assert "trade costs x1 to x2 in 1 cells" in text
    assert policy_state(world, sc, dt.date(2025, 1, 1)).apply(ref).describe() == "no change; closure: fixed-deficits"


def test_product_controls_are_read_by_the_nest_not_the_parent_sector():
    """An export control with a registry product is a critical-input cut (the users' nested
    CES block), with the licence's shared reading (approval_on); it adds no parent-sector
    wedge. Without a product the parent-sector export-tax equivalent stays."""
    import datetime as dt

    from detente.policy import load_scenario, policy_state, refused_share
    from detente.policy._timeline import critical_cuts
    from detente.world import load_world

    w = load_world("default")
    sc = load_scenario("rare-earth-magnets-2025")
    april = dt.date(2025, 4, 10)  # per-shipment review: nothing approved yet
    cuts = {(c.product, c.importer): c.refused for c in critical_cuts(w, sc, april)}
    assert cuts[("ndfeb-magnets", ("USA",))] == 1.0
    assert not refused_share(w, sc, april).any()
    may = policy_state(w, sc, dt.date(2025, 5, 12))
    us = [c for c in may.critical if c.product == "ndfeb-magnets" and c.importer == ("USA",)]
    assert len(us) == 1 and 0.9 < us[0].refused < 1.0
    from detente.equilibrium import Counterfactual

    cf = may.apply(Counterfactual.from_world(w))
    assert cf.critical_block() is not None and len(cf.critical_cuts) == len(may.critical)
    assert any("ndfeb-magnets" in ch for ch in cf.changes)
    # the sector-level controls of us-china-2025 keep the parent-sector wedge
    uc = load_scenario("us-china-2025")
    st = policy_state(w, uc, dt.date(2025, 5, 1))
    assert not st.critical and np.any(st.export_taxes)
