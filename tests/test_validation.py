"""Validation studies (detente reproduce) and the elasticity horizon reaching the solver."""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.cli import main
from detente.equilibrium import Counterfactual, solve
from detente.validation import list_studies, reproduce
from detente.world import load_world
from detente.world._theta import ElasticityChoice, normalise_horizon, with_elasticities
from detente.world.elasticities import horizon_factor


def test_every_study_is_listed_with_a_summary():
    studies = list_studies()
    assert "magnets-2025" in studies and len(studies) >= 8
    assert all(len(s) > 20 for s in studies.values())


def test_acr_study_matches_the_closed_form():
    c = reproduce("acr")
    assert len(c.rows) == 6 and all(r.within for r in c.rows)


def test_horizon_reaches_the_solver():
    base = load_world("default", elasticities="world")
    short = with_elasticities(base, ElasticityChoice("default", "1y"))
    long = with_elasticities(base, ElasticityChoice("default", "long"))
    np.testing.assert_allclose(short.theta, long.theta * horizon_factor("1y"), rtol=1e-12)
    assert "1 year" in short.meta.elasticities and "long run" in long.meta.elasticities
    eqs = [solve(w, Counterfactual.from_world(w).tariff("USA", "CHN", "goods", 100)) for w in (short, long)]
    fall = [
        float(e.bilateral("USA", "CHN")["counterfactual"].sum() / e.bilateral("USA", "CHN")["baseline"].sum())
        for e in eqs
    ]
    assert fall[0] > fall[1]  # trade falls less one year after the change than in the long run


def test_load_world_defaults_to_the_default_set_at_one_year():
    w = load_world("default")
    assert w.meta.elasticities.startswith("default") and "1 year" in w.meta.elasticities
    assert abs(load_world("default", horizon="long").theta.mean() - w.theta.mean() / horizon_factor("1y")) < 1e-9
    own = load_world("default", elasticities="world")
    assert own.theta.max() > 20  # the file keeps CP 2015's values (petroleum 64.85 before aggregation)


@pytest.mark.parametrize("bad", ["0y", "-1", "soon", "100y", True])
def test_bad_horizons_are_refused(bad):
    from detente.errors import DataError

    with pytest.raises(DataError, match="horizon"):
        normalise_horizon(bad)


def test_trade_2025_replay_is_within_the_observed_range(capsys):
    c = reproduce("trade-2025")
    primary = [r for r in c.rows if r.tolerance is not None]
    assert len(primary) == 4
    # measured: 4 of 4 within 10 pp of the importer's records (the tightest, US->China in May,
    # by 9.6 pp), and all 4 inside the range spanned by US Census and China's customs
    assert all(r.within for r in primary), [(r.quantity, r.model, r.published) for r in primary]
    assert all(r["distance_pp"] <= 10 for r in c.extra["ranges"])
    assert main(["reproduce", "trade-2025", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["settings"]["elasticities"].startswith("default") and rec["command"] == "detente reproduce trade-2025"


def test_war_2018_is_within_a_tenth_of_a_point_of_fgkk():
    c = reproduce("war-2018")
    us = c.rows[0]
    assert us.published == -0.04 and us.within, us


def test_gegravity_study_runs_on_the_shared_sample(gravity_sample):
    c = reproduce("gegravity", path=str(gravity_sample))
    can = {r.quantity: r for r in c.rows}
    assert abs(can["CAN welfare"].model - can["CAN welfare"].published) < 0.05
    assert can["CAN factory price"].model < 0 < can["JPN factory price"].model


def test_whatif_sensitivity_names_the_driving_elasticities(capsys):
    pytest.importorskip("jax")
    assert (
        main(
            ["whatif", "--preset", "april-2025-peak", "--countries", "USA,CHN", "--sensitivity", "--json", "--no-save"]
        )
        == 0
    )
    rec = json.loads(capsys.readouterr().out)
    sens = rec["sensitivity"]
    heads = [r["headline"] for r in sens["rows"]]
    assert heads[:2] == ["welfare USA", "welfare CHN"] and "trade CHN->USA goods" in heads
    assert len(sens["sectors"]) == 22 and all(d["drivers"] for d in sens["drivers"])


def test_elasticities_command_lists_and_shows_sets(capsys):
    assert main(["elasticities"]) == 0
    out = capsys.readouterr().out
    assert "cp2015" in out and "blp2023" in out
    assert main(["elasticities", "default", "--horizon", "3y"]) == 0
    assert "PETROLEUM" in capsys.readouterr().out


def test_whatif_runs_a_users_csv_world_with_the_ratio_closure(gravity_sample, capsys):
    assert (
        main(
            [
                "whatif",
                "--world",
                str(gravity_sample),
                "--theta",
                "4",
                "--csv-column",
                "value=trade",
                "--csv-extra",
                "ignore",
                "--closure",
                "fixed-ratios",
                "--tariff",
                "CAN<-JPN:all:+10",
                "--countries",
                "CAN,JPN",
                "--json",
                "--no-save",
            ]
        )
        == 0
    )
    rec = json.loads(capsys.readouterr().out)
    assert rec["meta"]["closure"] == "fixed-ratios"
    assert {r["country"] for r in rec["countries"]} == {"CAN", "JPN"}


def test_tariffs_2025_tracks_the_yale_budget_lab():
    c = reproduce("tariffs-2025")
    gaps = {r.quantity[-10:]: abs(r.difference) for r in c.rows}
    # measured: within 0.7 pp from June to October 2025; May (USMCA claims) and November further off
    assert all(gaps[d] < 1.0 for d in ("2025-06-16", "2025-09-03", "2025-10-17")), gaps
    assert all(g < 5.0 for g in gaps.values()), gaps


def test_the_cli_lists_every_registered_study():
    from detente.cli.reproduce import NO_ELASTICITIES, STUDIES

    assert set(STUDIES) == set(list_studies())
    assert set(NO_ELASTICITIES) <= set(STUDIES)


def test_a_factor_target_is_symmetric_and_refuses_nonsense():
    from detente.errors import DetenteError
    from detente.validation._core import Row

    def row(model, published=0.1):
        return Row("q", model, published, "weeks", "src", factor=3)

    assert row(0.3).within and row(0.1 / 3).within and row(0.1).within
    assert not row(0.31).within and not row(0.03).within and not row(0.0).within
    assert row(float("nan")).within is False  # no finite answer misses the target
    assert row(0.2, None).within is None and row(0.2).target == "factor 3"
    assert Row("q", float("inf"), 8.0, "week", "src", tolerance=2).within is False
    with pytest.raises(DetenteError, match="tolerance or a factor"):
        Row("q", 1.0, 1.0, "u", "s", tolerance=1, factor=2)
    with pytest.raises(DetenteError, match=">= 1"):
        Row("q", 1.0, 1.0, "u", "s", factor=0.5)


def test_magnets_2025_stops_are_within_target_and_the_losses_say_where_they_miss(capsys):
    """The 2025 magnets replay against the reports (docs/shortage.md section 5). Measured:
    every first stop within its target (US and Japan 26 May, Europe 2 June, India 23 June);
    the US loss 3.4 times the broader Ford reading (just outside a factor 3), Japan's about
    13 times the Swift's, India's scooter magnets about a tenth of Bajaj's; India's cars lose
    a small fraction of a week (no national loss reported). On the Indian auto firms' stuck
    applications (variant) India's cars lose weeks."""
    c = reproduce("magnets-2025")
    stops = [r for r in c.rows if r.unit == "week"]
    assert len(stops) == 6 and all(r.within for r in stops), [(r.quantity, r.model) for r in stops]
    lost = {r.quantity.split(":")[0]: r for r in c.rows if r.unit == "weeks"}
    assert 2.5 < lost["USA MOTOR"].ratio < 4 and not lost["USA MOTOR"].within
    assert lost["JPN MOTOR"].ratio > 3 and lost["IND OTHER_TRANSPORT"].ratio < 1 / 3
    assert lost["IND MOTOR"].published is None and 0 < lost["IND MOTOR"].model < 0.1
    stuck = reproduce("magnets-2025", variant="indian-applications-stuck")
    ind = next(r for r in stuck.rows if r.quantity.startswith("IND MOTOR: weeks"))
    assert ind.model > 5 and "indian-applications-stuck" in stuck.settings["scenario"]
    assert main(["reproduce", "magnets-2025", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["rows"][6]["factor"] == 3 and rec["rows"][6]["within_tolerance"] is False
    # national output by month against US industrial production (no target): the car
    # makers' June fall is the observed one's size; electrical equipment's is three times it
    monthly = {r.quantity: r for r in c.rows if r.unit == "% m/m"}
    assert len(monthly) == 4 and all(r.within is None and r.target == "" for r in monthly.values())
    cars, electrical = (
        monthly["USA MOTOR: national output, 2025-06 over 2025-05"],
        monthly["USA ELECTRICAL: national output, 2025-06 over 2025-05"],
    )
    assert cars.published == -2.6 and abs(cars.difference) < 1.0
    assert electrical.published == -2.5 and electrical.model < 2.5 * electrical.published


@pytest.mark.parametrize(
    "argv, field",
    [
        (["reproduce", "trade-2025", "--variant", "x"], "--variant"),
        (["reproduce", "magnets-2025", "--horizon", "1y"], "--horizon"),
    ],
)
def test_reproduce_refuses_options_a_study_does_not_read(argv, field, capsys):
    assert main(argv) != 0
    assert field in capsys.readouterr().err


def test_magnet_ban_study_against_the_imf_and_the_ecb():
    """docs/shortage.md section 6: a year of 80% refused and of a ban on China's NdFeB
    magnets. Measured (200 draws): US 0.31% and 0.46% of GDP against the IMF's 1.5% and the
    ECB's ~2%; Germany 1.59% and Japan 0.90% at 80% against the IMF's 1.2% and 1.8%. A ban
    costs more than 80% refused, and each band holds its point."""
    c = reproduce("magnet-ban", n_draws=20)
    got = {(r.quantity.split()[0], "100%" in r.quantity): r for r in c.rows}
    assert len(got) == 4 and all(r.within is None for r in c.rows)  # compared side by side
    assert 0.35 < got[("USA", True)].model < 0.6 and got[("USA", False)].model < got[("USA", True)].model
    assert 1.0 < got[("DEU", False)].model < 2.2 and 0.5 < got[("JPN", False)].model < 1.4
    assert all("5-95% band" in r.note for r in c.rows)


def test_cut_losses_refuses_a_share_outside_zero_to_one():
    from detente.errors import DataError
    from detente.shortage import cut_losses

    with pytest.raises(DataError, match="refused"):
        cut_losses(load_world("default"), 1.5)
