"""Hypothesis over scenario structures: broken or hostile scenarios are refused cleanly.

Scenario documents are generated as data (mappings with good and bad values in every
field: dates as text, numbers, out-of-range years; selectors empty, unknown or own-goods;
rates NaN, negative or huge; compose graphs with cycles and unknown names; unknown keys),
written as YAML and read as a user's file is. The properties:

- reading, checking labels, composing variants and evaluating the policy either succeed
  or raise :class:`~detente.errors.DetenteError` (never another exception), quickly;
- a scenario that is accepted has no silent no-op: every date lies in 1900-2100, every
  event that is not a notice is dated within the period and touches at least one
  trade flow, and ``count_dates`` (the limit checked before work starts) is exact.

Bounded: a fixed number of examples (``DETENTE_FUZZ_EXAMPLES``, default 200), derandomized,
with a deadline per example, so it runs in a few seconds in CI.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.errors import DetenteError
from detente.policy import apply_variant, check_labels, parse_scenario, policy_state
from detente.policy._schema import MAX_DATE, MIN_DATE
from detente.policy._timeline import _mask, count_dates, dates
from detente.world import WorldMeta, random_world

EXAMPLES = int(os.environ.get("DETENTE_FUZZ_EXAMPLES", "200"))
COUNTRIES = ("USA", "CHN", "MEX", "DEU")
SECTORS = ("STEEL", "AGR", "BUSINESS")
WORLD = random_world(len(COUNTRIES), len(SECTORS), seed=3).replace(
    countries=COUNTRIES, sectors=SECTORS, meta=WorldMeta(name="fuzz", vintage="synthetic", services=("BUSINESS",))
)

# ------------------------------------------------------------------------- values
# Each field draws a good value, or (with the document's own probability p: 0, 5% or 30%)
# a bad one, so that documents range from valid to hostile.
good_dates = st.dates(dt.date(2024, 6, 1), dt.date(2026, 6, 1)).map(dt.date.isoformat)
bad_dates = st.one_of(
    st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.booleans(),
    st.sampled_from(["2025-13-01", "2025-02-30", "10000-01-01", "2025-1-1", "", "soon", "2025-02-01T00:00:00"]),
)
good_shares = st.floats(0, 1)
good_rates = st.one_of(st.floats(0, 200), st.integers(0, 100))
bad_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**9),
    st.sampled_from(["10", "ten", None, True, [], {}]),
)
good_label = st.sampled_from([*COUNTRIES, "all", "USA,CHN", " CHN ", "MEX,DEU"])
good_sectors = st.sampled_from([*SECTORS, "all", "goods", "services", "STEEL,AGR"])
bad_labels = st.one_of(
    st.sampled_from(["", " ", ",", "XXX", "USA,", "usa", "*,", "STEAL"]),
    st.lists(st.sampled_from(["", "USA", " "]), max_size=2),
    st.integers(),
    st.none(),
)


def chance(draw, p: float) -> bool:
    """True with probability about p (uniform: Hypothesis's floats favour 0.0)."""
    return p > 0 and draw(st.sampled_from(range(1000))) < 1000 * p


def pick(draw, p: float, good, bad):
    return draw(bad) if chance(draw, p) else draw(good)


def maybe(d: dict, draw, p: float) -> dict:
    """Drop some keys and, sometimes, add an unknown one (more often the more hostile)."""
    keep = {k: v for k, v in d.items() if not chance(draw, p / 3)}
    if chance(draw, p / 10):
        keep["unexpected"] = 1
    return keep


@st.composite
def event_specs(draw, p: float):
    kind = draw(st.sampled_from(["tariff", "exemption", "export_control", "iceberg", "notice"]))

    def country():
        return pick(draw, p, good_label, bad_labels)

    def sectors():
        return pick(draw, p, st.one_of(good_sectors, st.lists(good_sectors, min_size=1, max_size=2)), bad_labels)

    def share():
        return pick(draw, p, good_shares, bad_numbers)

    if kind == "tariff":
        spec = {
            "importer": country(),
            "exporter": country(),
            "sectors": sectors(),
            "layer": draw(st.sampled_from(["a", "b"])),
            "op": pick(draw, p, st.sampled_from(["set", "add", "remove"]), st.just("times")),
            "rate_pp": pick(draw, p, good_rates, bad_numbers),
            "coverage": share(),
        }
    elif kind == "exemption":
        spec = {
            "importer": country(),
            "exporter": country(),
            "sectors": sectors(),
            "layer": draw(st.sampled_from(["a", "b"])),
            "share": share(),
        }
    elif kind == "export_control":
        spec = {
            "exporter": country(),
            "importers": country(),
            "sectors": sectors(),
            "coverage": pick(draw, p, st.floats(0, 0.9), bad_numbers),
            "approval_share": share(),
            "review_days": pick(draw, p, st.integers(0, 400), bad_numbers),
            "licence": pick(draw, p, st.sampled_from(["per_shipment", "general", "ban"]), st.just("none")),
        }
    elif kind == "iceberg":
        spec = {
            "importer": country(),
            "exporter": country(),
            "sectors": sectors(),
            "factor": pick(draw, p, st.floats(0.5, 3), bad_numbers),
        }
    else:
        spec = {"text": draw(st.text(max_size=10))}
    return kind, maybe(spec, draw, p)


@st.composite
def events(draw, ids, p: float):
    kind, spec = draw(event_specs(p))
    day = draw(st.dates(dt.date(2024, 6, 1), dt.date(2025, 6, 30)))  # (after the end: in bad_dates)
    ev = {"id": draw(st.sampled_from(ids)), "date": pick(draw, p, st.just(day.isoformat()), bad_dates), kind: spec}
    if draw(st.booleans()):
        later = st.integers(1, 400).map(lambda k: (day + dt.timedelta(days=k)).isoformat())
        ev["until"] = pick(draw, p, later, st.one_of(good_dates, bad_dates))
    if chance(draw, p / 3):  # two kinds
        kind2, spec2 = draw(event_specs(p))
        ev[kind2] = spec2
    return maybe(ev, draw, p)


@st.composite
def scenarios(draw):
    p = draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]))
    ids = ["e0", "e1", "e2", "e3", "e4", "e5", None]
    period = {
        "start": pick(draw, p, st.just("2024-09-01"), bad_dates),
        "end": pick(draw, p, st.sampled_from(["2025-06-30", "2026-12-31"]), bad_dates),
        "step": pick(draw, p, st.sampled_from(["week", "month", "day"]), st.just("year")),
    }
    if chance(draw, 0.2):
        period["later_events"] = "keep"
    doc = {"name": pick(draw, p, st.just("fuzz"), st.sampled_from(["", 3])), "period": maybe(period, draw, p)}
    doc["events"] = draw(st.lists(events(ids, p), max_size=6, unique_by=lambda e: e.get("id") or id(e)))
    names = ["o1", "o2", "v1", "v2"]
    ACYCLIC = {"o1": [], "o2": ["o1"], "v1": ["o1", "o2"], "v2": ["o2"]}  # valid documents: no cycles
    for section in ("overrides", "variants"):
        if draw(st.booleans()):
            doc[section] = {
                n: maybe(
                    {
                        "compose": draw(st.lists(st.sampled_from(names + ["nope"]), max_size=3))
                        if p
                        else draw(st.lists(st.sampled_from(ACYCLIC[n]), max_size=2) if ACYCLIC[n] else st.just([])),
                        "remove_events": draw(st.lists(st.sampled_from(["e0", "e1", "zz"]), max_size=1 if p else 0)),
                        "add_events": draw(st.lists(events(["a0", "a1", None], p), max_size=2)),
                    },
                    draw,
                    p,
                )
                for n in (names[:2] if section == "overrides" else names[2:])
            }
    if chance(draw, 0.2):
        doc["settings"] = maybe(
            {
                "elasticity_overrides": {
                    draw(st.sampled_from(SECTORS)): pick(draw, p, st.floats(0.5, 20), bad_numbers)
                },
                "horizon": pick(draw, p, st.sampled_from(["1y", "long", "3y"]), st.sampled_from(["0", "99"])),
                "deficits": pick(draw, p, st.sampled_from(["baseline", "zero"]), st.just("none")),
            },
            draw,
            p,
        )
    return doc


def check_accepted(sc) -> None:
    """The properties of a scenario that was accepted: nothing in it is a silent no-op."""
    p = sc.period
    assert MIN_DATE <= p.start <= p.end <= MAX_DATE
    assert count_dates(sc) == len(dates(sc))
    for where, ev in sc.all_events():
        assert MIN_DATE <= ev.date <= MAX_DATE and (ev.until is None or ev.date < ev.until <= MAX_DATE)
        if ev.kind == "notice":
            continue
        assert ev.date <= p.end, f"{where} after the end was accepted"
        assert _mask(WORLD, ev, where).any(), f"{where} touches no trade flow but was accepted"


@pytest.mark.filterwarnings("ignore::UserWarning")
@given(doc=scenarios())
@settings(
    max_examples=EXAMPLES,
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
def test_generated_scenarios_are_accepted_whole_or_refused_cleanly(doc):
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    t0 = time.perf_counter()
    try:
        sc = parse_scenario(text, "fuzz.yaml")
        check_labels(sc, WORLD)
    except DetenteError as exc:
        assert str(exc).strip()
        return
    check_accepted(sc)
    for variant in [None, *sc.variants, *sc.overrides]:
        try:
            sv = apply_variant(sc, variant)
        except DetenteError:
            continue
        days = dates(sv)
        for d in days[:40]:
            try:
                st_ = policy_state(WORLD, sv, d)
            except DetenteError:
                break
            assert np.isfinite(st_.tariffs).all() and (st_.iceberg > 0).all()
    assert time.perf_counter() - t0 < 5


@given(doc=scenarios())
@settings(
    max_examples=max(EXAMPLES // 4, 10),
    deadline=5000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_the_same_documents_through_the_api(doc, api_client):
    """The API answers every generated document with 200 or a 4xx error body, never a 5xx."""
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    r = api_client.post("/api/scenarios/validate", json={"text": text})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["error"]["message"]


@pytest.fixture(scope="module")
def api_client():
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from fastapi.testclient import TestClient

    from detente.web import WebSettings, create_app

    with TestClient(
        create_app(WebSettings(warm=False, use_store=False, workers=1)), raise_server_exceptions=False
    ) as c:
        yield c
