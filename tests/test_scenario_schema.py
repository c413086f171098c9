"""The scenario file schema: malformed files give errors naming file, line, field and value."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from _labels import COMPACT_COUNTRIES as COUNTRIES
from _labels import COMPACT_SECTORS as SECTORS
from _labels import COMPACT_SERVICES as SERVICES

from detente.errors import DetenteError
from detente.policy import ScenarioError, check_labels, load_scenario, scenario_json_schema
from detente.policy._commands import print_schema, validate_file
from detente.world import WorldMeta, random_world


def labelled_world(seed: int = 1):
    """A small random world with the default world's labels (20 regions x 22 sectors)."""
    w = random_world(len(COUNTRIES), len(SECTORS), seed=seed)
    return w.replace(
        countries=COUNTRIES,
        sectors=SECTORS,
        meta=WorldMeta(name="test-labelled", vintage="synthetic", services=SERVICES),
    )


GOOD = """\
name: test
period: {start: 2025-01-01, end: 2025-03-01, step: week}
events:
  - id: a
    date: 2025-02-04
    tariff:
      importer: USA
      exporter: CHN
      sectors: goods
      layer: ieepa-fentanyl
      op: set
      rate_pp: 10
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "scenario.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def error_of(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert isinstance(info.value, DetenteError)
    return str(info.value)


def test_good_file_loads(tmp_path):
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.events[0].kind == "tariff" and sc.events[0].tariff.rate_pp == 10
    assert sc.line_of(("events", 0, "tariff", "rate_pp")) == 12


@pytest.mark.parametrize(
    "old, new, field, value, expected, line",
    [
        (
            "      rate_pp: 10",
            "      rate_pp: 10\n      rates: 5",
            "events[0].tariff.rates",
            "rates",
            "unknown key",
            13,
        ),
        ("      rate_pp: 10", "      rate_pp: ten", "events[0].tariff.rate_pp", "'ten'", "valid number", 12),
        ("      rate_pp: 10", "      rate_pp: -5", "events[0].tariff.rate_pp", "-5", "greater than or equal to 0", 12),
        (
            "      rate_pp: 10",
            "      rate_pp: 10\n      coverage: 1.5",
            "events[0].tariff.coverage",
            "1.5",
            "less than or equal to 1",
            13,
        ),
        ("    date: 2025-02-04", "    date: 2025-13-04", "events[0].date", "'2025-13-04'", "valid date", 5),
        ("      op: set", "      op: multiply", "events[0].tariff.op", "'multiply'", "'set', 'add' or 'remove'", 11),
    ],
)
def test_malformed_fields_name_path_value_and_line(tmp_path, old, new, field, value, expected, line):
    assert old in GOOD
    msg = error_of(write(tmp_path, GOOD.replace(old, new)))
    assert "scenario.yaml" in msg
    assert field in msg
    assert value in msg
    assert expected in msg
    assert f"line {line}" in msg


def test_unknown_top_level_key_and_missing_period(tmp_path):
    msg = error_of(
        write(tmp_path, GOOD.replace("period: {start: 2025-01-01, end: 2025-03-01, step: week}", "periods: 2025"))
    )
    assert "periods: unknown key" in msg and "line 2" in msg
    assert "period: required field is missing" in msg


def test_event_needs_exactly_one_kind(tmp_path):
    text = GOOD + "    iceberg: {importer: USA, exporter: CHN, sectors: STEEL, factor: 1.2}\n"
    msg = error_of(write(tmp_path, text))
    assert "events[0]" in msg and "exactly one of" in msg and "line 4" in msg


def test_until_must_follow_date_and_ban_must_be_finite(tmp_path):
    text = GOOD.replace("    date: 2025-02-04", "    date: 2025-02-04\n    until: 2025-01-01")
    assert "until (2025-01-01) must be after date" in error_of(write(tmp_path, text))
    ban = GOOD + ("  - date: 2025-02-05\n    export_control: {exporter: CHN, sectors: NONFERROUS, approval_share: 0}\n")
    assert "infinite trade cost" in error_of(write(tmp_path, ban))


def test_variants_must_refer_to_known_events(tmp_path):
    text = GOOD + "variants:\n  v: {remove_events: [nope]}\n"
    assert "unknown event ids ['nope']" in error_of(write(tmp_path, text))


def test_bad_yaml_reports_line(tmp_path):
    msg = error_of(write(tmp_path, GOOD + "  - [unclosed\n"))
    assert "not valid YAML" in msg and "line" in msg


def test_unknown_country_and_sector_are_checked_against_the_world(tmp_path):
    text = GOOD.replace("exporter: CHN", "exporter: CHNA").replace("sectors: goods", "sectors: STEL,MOTOR")
    sc = load_scenario(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        check_labels(sc, labelled_world())
    msg = str(info.value)
    assert "line 8: events[0].tariff.exporter = 'CHNA': unknown country" in msg
    assert "did you mean CHN" in msg
    assert "line 9: events[0].tariff.sectors = 'STEL': unknown sector" in msg
    assert "did you mean STEEL" in msg


def test_labels_in_variants_are_checked(tmp_path):
    text = GOOD + (
        "variants:\n  v:\n    add_events:\n      - date: 2025-02-10\n"
        "        iceberg: {importer: USA, exporter: XXX, sectors: STEEL, factor: 1.1}\n"
    )
    sc = load_scenario(write(tmp_path, text))
    with pytest.raises(ScenarioError, match=r"line 17: variants\.v\.add_events\[0\]\.iceberg\.exporter = 'XXX'"):
        check_labels(sc, labelled_world())


def test_validate_file_summarises(tmp_path):
    text = GOOD + "variants:\n  none: {description: drop it, remove_events: [a]}\n"
    out = validate_file(write(tmp_path, text), world=labelled_world())
    assert "events: 1 (1 tariff)" in out and "variant none: drop it" in out and "OK" in out


def test_json_schema_lists_event_kinds():
    schema = scenario_json_schema()
    event = schema["$defs"]["Event"]["properties"]
    assert {"tariff", "exemption", "export_control", "iceberg", "notice"} <= set(event)
    assert schema["additionalProperties"] is False
    assert json.loads(print_schema())["title"] == "detente scenario"


def test_shipped_scenario_validates():
    out = validate_file("us-china-2025", world=labelled_world())
    assert "variant no-geneva" in out and "variant rare-earth-ban" in out


# ------------------------------------------------------------------------- baseline section
BASELINE = """\
baseline:
  source: "pre-war MFN"
  tariffs:
    - {importer: USA, exporter: CHN, sectors: STEEL, rate_pct: 3}
    - {importer: CHN, exporter: USA, sectors: goods, rate_pct: 8, coverage: 0.5}
"""


def with_baseline(text: str = BASELINE) -> str:
    return GOOD.replace("events:\n", text + "events:\n", 1)


def test_baseline_section_loads_and_sets_cells(tmp_path):
    import numpy as np

    from detente.policy import baseline_tariffs

    sc = load_scenario(write(tmp_path, with_baseline()))
    assert sc.baseline.tariffs[1].coverage == 0.5
    w = labelled_world()
    tau = baseline_tariffs(w, sc)
    u, c, s = w.country_index("USA"), w.country_index("CHN"), w.sector_index("STEEL")
    assert tau[u, c, s] == 0.03
    j = w.sector_index("AGR")
    assert tau[c, u, j] == pytest.approx(0.5 * 0.08 + 0.5 * w.tariffs[c, u, j])
    other = np.ones(tau.shape, dtype=bool)
    other[u, c, s] = False
    other[c, u, :] = False
    assert np.array_equal(tau[other], np.asarray(w.tariffs)[other])


@pytest.mark.parametrize(
    "old, new, field, value, expected, line",
    [
        ("rate_pct: 3}", "rate_pct: -3}", "baseline.tariffs[0].rate_pct", "-3", "greater than or equal to 0", 6),
        ("rate_pct: 3}", "rate_pct: 3, rate: 4}", "baseline.tariffs[0].rate", "rate", "unknown key", 6),
        ("coverage: 0.5}", "coverage: 2}", "baseline.tariffs[1].coverage", "2", "less than or equal to 1", 7),
        ('  source: "pre-war MFN"', '  sauce: "pre-war MFN"', "baseline.sauce", "sauce", "unknown key", 4),
    ],
)
def test_malformed_baseline_names_path_value_and_line(tmp_path, old, new, field, value, expected, line):
    msg = error_of(write(tmp_path, with_baseline(BASELINE.replace(old, new))))
    assert "scenario.yaml" in msg and field in msg and value in msg and expected in msg
    assert f"line {line}" in msg


def test_baseline_needs_tariffs(tmp_path):
    msg = error_of(write(tmp_path, with_baseline("baseline: {source: x, tariffs: []}\n")))
    assert "baseline.tariffs" in msg and "at least 1" in msg


def test_baseline_labels_are_checked_against_the_world(tmp_path):
    text = with_baseline(BASELINE.replace("exporter: CHN, sectors: STEEL", "exporter: CHNA, sectors: STEL"))
    sc = load_scenario(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        check_labels(sc, labelled_world())
    msg = str(info.value)
    assert "line 6: baseline.tariffs[0].exporter = 'CHNA': unknown country" in msg
    assert "line 6: baseline.tariffs[0].sectors = 'STEL': unknown sector" in msg and "did you mean STEEL" in msg


def test_replay_measures_welfare_against_the_rebased_world(tmp_path):
    from detente.policy import rebase, replay

    sc = load_scenario(write(tmp_path, with_baseline()))
    w = labelled_world()
    rp = replay(sc, w)
    assert rp.world.meta.name.endswith("-baseline")
    assert rebase(w, sc) is rebase(w, sc)
    first = rp.dataset["welfare_pct"].isel(date=0).values
    assert abs(first).max() < 1e-9  # before any event: the re-based world itself
    u, c, s = w.country_index("USA"), w.country_index("CHN"), w.sector_index("STEEL")
    assert float(rp.dataset["tariff_pct"].isel(date=0)[u, c, s]) == pytest.approx(3.0)


def test_alias_bombs_deep_nesting_and_duplicate_keys_are_refused_quickly():
    import time

    from detente.policy import parse_scenario
    from detente.policy._schema import MAX_DEPTH

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi")
    )
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_scenario(bomb, "bomb.yaml")
    assert time.perf_counter() - t0 < 5
    deep = "x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(ScenarioError, match="nesting deeper"):
        parse_scenario(deep, "deep.yaml")
    with pytest.raises(ScenarioError, match="line 2: duplicate key 'name'"):
        parse_scenario("name: a\nname: b\nperiod: {start: 2025-01-01, end: 2025-02-01}\nevents: []\n", "dup.yaml")


# ------------------------------------------------------------------------- limits and silent no-ops (issue 14)
def test_limits_hold_before_work_starts_and_from_python_too():
    import datetime as dt
    import time

    from detente.policy import parse_scenario
    from detente.policy._schema import MAX_STEPS, Period

    t0 = time.perf_counter()  # the 67-byte file: a daily period from year 1 to 9999
    with pytest.raises(ScenarioError, match="dates must lie between 1900-01-01 and 2100-12-31"):
        parse_scenario("name: x\nperiod: {start: 0001-01-01, end: 9999-12-31, step: day}\n")
    with pytest.raises(ScenarioError, match=f"the limit is {MAX_STEPS:,}"):
        parse_scenario("name: x\nperiod: {start: 1900-01-01, end: 2100-12-31, step: day}\n")
    assert time.perf_counter() - t0 < 1
    with pytest.raises(ValueError, match="steps; the limit is"):
        Period(start=dt.date(1900, 1, 1), end=dt.date(2000, 1, 1), step="day")
    with pytest.raises(ValueError, match="dates must lie between"):
        Period(start=dt.date(1800, 1, 1), end=dt.date(1801, 1, 1))
    assert Period(start="2025-01-01", end=dt.date(2025, 2, 1)).start == dt.date(2025, 1, 1)


def test_duplicate_ids_are_found_in_linear_time():
    import time

    from detente.policy import parse_scenario

    events = "".join(f"  - {{id: e{k}, date: 2025-02-01, notice: {{}}}}\n" for k in range(9_999))
    text = (
        "name: x\nperiod: {start: 2025-01-01, end: 2025-03-01}\nevents:\n"
        + events
        + "  - {id: e7, date: 2025-02-01, notice: {}}\n"
    )
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"duplicate event ids \['e7'\]"):
        parse_scenario(text)
    assert time.perf_counter() - t0 < 10  # 31 s for 20,000 with the quadratic check


def test_events_after_the_end_are_refused_unless_kept_for_the_record(tmp_path):
    late = GOOD.replace("date: 2025-02-04", "date: 2025-04-01")
    msg = error_of(write(tmp_path, late))
    assert "line 4: events[0] (tariff, id a) is dated 2025-04-01, after the period's end (2025-03-01)" in msg
    kept = late.replace("step: week}", "step: week, later_events: keep}")
    assert load_scenario(write(tmp_path, kept)).events[0].date.isoformat() == "2025-04-01"
    notice = GOOD + "  - {date: 2026-01-01, notice: {text: announced for later}}\n"
    assert len(load_scenario(write(tmp_path, notice)).events) == 2  # a notice is for the record anyway
    # the shipped world-2025 records the announced 2027 steps beyond its window
    sc = load_scenario("world-2025")
    assert sc.period.later_events == "keep" and max(e.date for e in sc.events) > sc.period.end


def test_selectors_that_select_nothing_and_own_goods_are_refused(tmp_path):
    for value in ("''", "' '", "','", "[]"):
        msg = error_of(write(tmp_path, GOOD.replace("sectors: goods", f"sectors: {value}")))
        assert "events[0].tariff.sectors" in msg and "an empty selector selects nothing" in msg
    sc = load_scenario(write(tmp_path, GOOD.replace("exporter: CHN", "exporter: USA")))
    with pytest.raises(
        ScenarioError,
        match=r"events\[0\]\.tariff\.exporter = 'USA': the importer and the exporter "
        r"are the same country, USA",
    ):
        check_labels(sc, labelled_world())
    sc = load_scenario(write(tmp_path, GOOD.replace("exporter: CHN", "exporter: 'USA,CHN'")))
    check_labels(sc, labelled_world())  # some pairs are not domestic: fine


def test_numbers_are_not_dates_and_nothing_is_coerced(tmp_path):
    msg = error_of(write(tmp_path, GOOD.replace("date: 2025-02-04", "date: 0")))
    assert "events[0].date = 0: a date is written YYYY-MM-DD (e.g. 2025-04-02), not the number 0" in msg
    msg = error_of(write(tmp_path, GOOD.replace("rate_pp: 10", "rate_pp: '10'")))
    assert "events[0].tariff.rate_pp = '10': Input should be a valid number" in msg
    sc = load_scenario(write(tmp_path, GOOD.replace("rate_pp: 10", "rate_pp: 1e-06")))  # YAML 1.2 float
    assert sc.events[0].tariff.rate_pp == 1e-06


def test_validate_solves_the_scenarios_own_baseline(tmp_path):
    """A scenario whose world cannot solve its own baseline fails `validate`, not the replay."""
    import numpy as np

    w = labelled_world()
    tiny = w.replace(theta=np.full(w.n_sectors, 1e-6))
    text = GOOD.replace("events:\n", "settings: {elasticities: world}\nevents:\n")
    with pytest.raises(ScenarioError, match=r"cannot solve its own baseline .*theta of sector 'AGR' is 1e-06"):
        validate_file(write(tmp_path, text), world=tiny)
    assert "baseline solves: converged" in validate_file(write(tmp_path, text), world=w)


def test_compose_depth_is_bounded_whatever_the_order_of_the_overrides():
    from detente.policy import parse_scenario

    head = "name: t\nperiod: {start: 2025-01-01, end: 2025-03-01}\noverrides:\n  o0: {}\n"
    chain = "".join(f"  o{k}: {{compose: [o{k - 1}]}}\n" for k in range(1, 41))  # each composes the one before
    with pytest.raises(
        ScenarioError, match=r"line \d+: overrides\.o32 composes overrides 33 levels deep; the limit is 32"
    ):
        parse_scenario(head + chain)
    ok = "".join(f"  o{k}: {{compose: [o{k - 1}]}}\n" for k in range(1, 32))
    assert len(parse_scenario(head + ok).overrides) == 32
