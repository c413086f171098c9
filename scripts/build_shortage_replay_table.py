"""The 2025 replay tables of docs/shortage.md, section 5.

Runs scenario ``rare-earth-magnets-2025`` on the default world with the default settings
and prints, as Markdown:

1. the motor-vehicle table (first stock-out, trough, last week with a loss, weeks of
   national car output lost, output lost) for the US, Japan, Germany, the rest of the EU
   and India, and value added lost over the period (% of GDP);
2. the same with the other parts-channel rule (``parts_channel``: "io" and "none");
3. the sensitivity table (first stop and weeks lost under each variant of the settings);
4. the national-output table: US output by month against the Federal Reserve's industrial
   production, with what-ifs of the electrical users' criticality and cover, and the same
   what-ifs in the full-year cut of section 6.

Run: ``python scripts/build_shortage_replay_table.py`` (about 10 s). ``--no-sensitivity``
prints only the first two tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

import numpy as np

from detente.shortage import Registry, ShortageSettings, load_registry, simulate_scenario
from detente.shortage._registry import scale_inventories
from detente.world import load_world

SCENARIO = "rare-earth-magnets-2025"
SHOW = (("USA", "US"), ("JPN", "Japan"), ("DEU", "Germany"), ("EUR", "Rest of EU"), ("IND", "India"))
SECTOR = "MOTOR"

#: the date of the bayme vbm survey of Bavarian metal and electrical firms (press release,
#: 21 August 2025), read as the end of that month (docs/shortage.md section 5, item 4)
SURVEY_DATE = "2025-08-31"


def _date(ds, week) -> str:
    d = np.datetime64(ds.week_start.values[int(week)], "D").astype(object)
    return f"{d.day} {d.strftime('%b')}"


def _run(world, settings, registry=None, scenario=SCENARIO, variant=None):
    return simulate_scenario(scenario, world, settings=settings, registry=registry, variant=variant)


def _scenario_event(sc, event_id: str):
    """Event ``event_id`` of scenario ``sc``; a clear exit if the scenario has none."""
    for e in sc.events:
        if e.id == event_id:
            return e
    raise SystemExit(f"{sc.name} has no event {event_id!r}")


def _with_event(event_id: str, **update):
    """The scenario with the export control of event ``event_id`` changed by ``update``."""
    from detente.policy import load_scenario

    sc = load_scenario(SCENARIO)
    _scenario_event(sc, event_id)
    events = [
        e.model_copy(update={"export_control": e.export_control.model_copy(update=update)}) if e.id == event_id else e
        for e in sc.events
    ]
    return sc.model_copy(update={"events": events})


def _detroit_three(**update):
    """The scenario with the Detroit Three's licences of 2 June changed by ``update``:
    ``approval_share=0.5`` (they approve half of what the suppliers asked for; the
    quantities were not reported), or ``user_share=1.0`` (a what-if: every US car maker's
    suppliers licensed on 2 June, which was not reported)."""
    return _with_event("mag-us-detroit-three", **update)


#: Japan's May approvals if Japan's 2024 month of magnets was ~178 t instead of ~200 t: the
#: broader customs measure (magnets, alloys and powders) to Japan was 4,877.6 t in 2025,
#: 3.9% below 2024 (Reuters via globalspark.news, 19 January 2026), and finished magnets were
#: 42% of it in October 2025 (226 of 538 t), so ~2,130 t of magnets in 2024; ~26 t in May
#: 2025 is then 14.5% of the month
JAPAN_MAY_APPROVAL_LOW_BASE = 0.145


def cover_days(report_date: str, weeks_left: float, approval: float) -> float:
    """Supply-chain cover (days) read from a reported *remaining* cover by the rule of
    docs/shortage.md section 3: the median user runs dry ``T`` weeks after 4 April 2025
    (the report's date plus ``weeks_left``); with ``approval`` of orders approved from the
    first approved arrivals ~6 weeks after 4 April, the stock with transit at 4 April was
    ``S0 = T - approval (T - 6)`` weeks, and cover is ``S0 - 2`` weeks in transit."""
    import datetime as dt

    t = (dt.date.fromisoformat(report_date) - dt.date(2025, 4, 4)).days / 7.0 + weeks_left
    return 7.0 * (t - approval * (t - 6.0) - 2.0)


#: the variant that reads the Indian auto firms' stuck licence applications for all of
#: India's magnets (nothing approved until 30 October 2025)
STUCK = "indian-applications-stuck"

#: the variant that keeps Japan's magnets on the rest of the world's approvals (the default
#: before China's Japan-bound exports by month were found)
WORLD_PATH = "japan-on-world-path"

#: the what-if of Indian car makers' assembled motors, on variant STUCK: from the SIAM
#: letter of 27 June 2025 (Mint, 7 July 2025), a share of their magnets arrives inside
#: motors imported from China, which no licence covers; the share was not reported, so
#: the table shows several
ASSEMBLED_MOTORS_FROM = "2025-07-01"


def _india_assembled_motors(share: float):
    """Variant STUCK plus a grant to Indian car makers: the share ``share`` of their magnet
    purchases arrives in assembled motors from China (uncontrolled) from 1 July 2025, read
    as a licence of the users' own that approves in full (docs/shortage.md section 2)."""
    import datetime as dt

    from detente.policy import apply_variant, load_scenario
    from detente.policy._schema import Event

    sc = apply_variant(load_scenario(SCENARIO), STUCK)
    grant = Event(
        id="what-if-ind-assembled-motors",
        date=dt.date.fromisoformat(ASSEMBLED_MOTORS_FROM),
        source="what-if: SIAM letter of 27 June 2025 (Mint, 7 July 2025); share not reported",
        export_control={
            "regime": "magnets-ind-motors",
            "product": "ndfeb-magnets",
            "licence": "general",
            "exporter": "CHN",
            "importers": "IND",
            "users": "MOTOR",
            "user_share": share,
            "sectors": "NONFERROUS",
            "coverage": 0.068,
            "approval_share": 1.0,
        },
    )
    return sc.model_copy(update={"events": [*sc.events, grant]})


#: the what-if of Japanese users' magnet sourcing: the registry's CHN 0.65 / JPN 0.35 is an
#: estimate; China's customs data (~2,000-2,600 t a year to Japan, 2024, from the monthly
#: figures of late 2025 and their growth) against Japan's own output (12,400 t in 2020,
#: Japan Society of Newer Metals) read lower, if most of that output stays in Japan
#: (docs/shortage.md section 5, 'Why the misses'); the share is not reported
JAPAN_WHAT_IF = {"CHN": 0.35, "JPN": 0.65}


def _with_sourcing(reg, country: str, shares: dict[str, float], product: str = "ndfeb-magnets"):
    """``reg`` with ``country``'s sourcing of ``product`` replaced by ``shares``."""
    from detente.shortage._registry import Sourced

    prod = reg[product]
    src = {**prod.sourcing, country: {k: Sourced(v, "what-if", "2024") for k, v in shares.items()}}
    return dataclasses.replace(reg, products={**reg.products, product: dataclasses.replace(prod, sourcing=src)})


#: Japanese car makers' supply-chain cover read from UBS SuMi Trust (CIO note, 11 June
#: 2025): "several months" (数カ月分) of rare-earth stocks left in Japan's car supply chain,
#: read by the rule of docs/shortage.md section 3 at two months left and three, with
#: Japan's own May approvals (the scenario's event ``mag-jpn-april``); the note gives no
#: number, so these are what-if rows, not a calibration
JAPAN_COVER_MONTHS_LEFT = {"two months": 2.0, "three months": 3.0}
UBS_NOTE_DATE = "2025-06-11"


def japan_cover_what_ifs() -> dict[str, float]:
    """The UBS SuMi Trust readings of Japanese cover, in whole days."""
    from detente.policy import load_scenario

    approval = _scenario_event(load_scenario(SCENARIO), "mag-jpn-april").export_control.approval_share
    weeks_per_month = 365.25 / 12 / 7
    return {
        what: float(round(cover_days(UBS_NOTE_DATE, months * weeks_per_month, approval)))
        for what, months in JAPAN_COVER_MONTHS_LEFT.items()
    }


def _with_country_cover(reg, country: str, industry: str, days: float, product: str = "ndfeb-magnets"):
    """``reg`` with ``country``'s cover of ``product`` for ``industry`` set to ``days``."""
    from detente.shortage._registry import Sourced

    prod = reg[product]
    users = tuple(
        dataclasses.replace(
            u,
            countries={
                **u.countries,
                country: {**u.countries.get(country, {}), "inventory_days": Sourced(days, "what-if", "2025")},
            },
        )
        if u.industry == industry
        else u
        for u in prod.users
    )
    return dataclasses.replace(reg, products={**reg.products, product: dataclasses.replace(prod, users=users)})


def _with_user(reg, industry: str, product: str = "ndfeb-magnets", **fields: float):
    """``reg`` with ``industry``'s fields of ``product`` (``criticality``, ``inventory_days``)
    replaced: what-ifs, marked so in the registry's sources."""
    from detente.shortage._registry import Sourced

    prod = reg[product]
    users = tuple(
        dataclasses.replace(u, **{k: Sourced(v, "what-if", "2025") for k, v in fields.items()})
        if u.industry == industry
        else u
        for u in prod.users
    )
    return dataclasses.replace(reg, products={**reg.products, product: dataclasses.replace(prod, users=users)})


def national_output(world, base: ShortageSettings) -> list[str]:
    """Model vs observed US industrial production by month (observations.yaml
    ``magnets_2025.industrial_production``), with what-ifs of the electrical users' two
    uncited numbers (docs/shortage.md section 5, 'National output')."""
    from detente.validation._studies import observations

    items = observations()["magnets_2025"]["industrial_production"]
    cols = [(i["country"], i["sector"], str(i["month"])) for i in items]
    reg = load_registry()
    c27 = next(u for u in reg["ndfeb-magnets"].users if u.industry == "C27")
    crit, cover = c27.criticality.value, c27.inventory_days.value
    motor = next(u for u in reg["ndfeb-magnets"].users if u.industry == "C29").inventory_days.value
    rows = [
        (f"model, default (C27 criticality {crit:g}, cover {cover:g} days)", reg),
        ("what-if: C27 criticality 0.2", _with_user(reg, "C27", criticality=0.2)),
        ("what-if: C27 criticality 0.1", _with_user(reg, "C27", criticality=0.1)),
        (
            f"what-if: C27 cover {motor:g} days (the car makers' CLEPA figure)",
            _with_user(reg, "C27", inventory_days=motor),
        ),
    ]
    lines = [
        "\n**National output** (US, % change from the month before; model: mean weekly output "
        "over the weeks that start in the month)\n",
        "| | " + " | ".join(f"{c} {s} {m}" for c, s, m in cols) + " |",
        "|---" * (len(cols) + 1) + "|",
        "| observed: industrial production, first print (Federal Reserve G.17) | "
        + " | ".join(f"{float(i['change_pct']):+.1f}" for i in items)
        + " |",
    ]
    for label, r in rows:
        res = _run(world, base, r)
        lines.append(f"| {label} | " + " | ".join(f"{res.monthly_change_pct(c, s, m):+.1f}" for c, s, m in cols) + " |")
    lines += _ban_what_ifs(world, base, rows)
    return lines


def _ban_what_ifs(world, base: ShortageSettings, rows) -> list[str]:
    """The same what-ifs in the full-year cut of section 6 (80% of China's NdFeB magnets
    refused to every importer): value added lost and electrical equipment's share of it."""
    from detente.shortage import cut_losses

    show = ("USA", "DEU", "JPN", "KOR")
    lines = [
        "\n**The same what-ifs, a year with 80% of China's NdFeB magnets refused** "
        "(value added lost, % of GDP; in brackets electrical equipment's share of it)\n",
        "| | " + " | ".join(show) + " |",
        "|---" * (len(show) + 1) + "|",
    ]
    for label, r in rows:
        cut = cut_losses(world, 0.8, settings=base, registry=r)
        va = cut.dataset.va_lost.sum("week")
        share = va.sel(sector="ELECTRICAL") / va.sum("sector")
        lines.append(
            f"| {label} | "
            + " | ".join(f"{float(cut.point[c]):.2f} ({100 * float(share.sel(country=c)):.0f}%)" for c in show)
            + " |"
        )
    return lines


def _stop_and_weeks(res) -> dict[str, tuple[str, float]]:
    ds = res.dataset
    table = res.first_stockouts([SECTOR]).set_index("country")
    out = {}
    for c, _ in SHOW:
        wk = table.loc[c, "first_stockout_week"]
        lost = float((1 - ds.output_ratio.sel(country=c, sector=SECTOR)).sum())
        out[c] = ("never" if wk is None or np.isnan(wk) else _date(ds, wk), lost)
    return out


def main_table(res, title: str) -> list[str]:
    ds = res.dataset
    table = res.first_stockouts([SECTOR]).set_index("country")
    lines = [
        f"\n**{title}**\n",
        "| user | first stock-out (first cohort to run dry) | trough | last week with a loss "
        "| weeks of output lost | output lost |",
        "|---|---|---|---|---|---|",
    ]
    for c, name in SHOW:
        x = ds.output_ratio.sel(country=c, sector=SECTOR).values
        wk = table.loc[c, "first_stockout_week"]
        first = "never" if wk is None or np.isnan(wk) else f"week {int(wk)} ({_date(ds, wk)})"
        lossy = np.flatnonzero(x < 1 - 1e-9)
        last = _date(ds, lossy[-1]) if lossy.size else "-"
        trough = f"{100 * x.min():.1f}%, {_date(ds, int(np.argmin(x)))}" if lossy.size else "100%"
        bn = float(ds.cum_output_lost.sel(country=c, sector=SECTOR)) / 1000.0
        pct = float(ds.cum_output_lost_pct.sel(country=c, sector=SECTOR))
        lines.append(
            f"| {name} motor vehicles | {first} | {trough} | {last} | {float((1 - x).sum()):.2f} "
            f"| US${bn:.1f}bn, {pct:.1f}% |"
        )
    va = ds.va_lost_pct_gdp.to_series()
    lines.append(
        "\nValue added lost over the period, % of GDP: "
        + ", ".join(f"{name} {float(va[c]):.3f}" for c, name in SHOW)
        + "."
    )
    dry = cohorts_dry(res, SECTOR, SURVEY_DATE)
    lines.append(
        f"\nCar-maker cohorts that had run dry by {SURVEY_DATE} (of {dry['cohorts']}, equal output slices): "
        + ", ".join(f"{name} {dry[c]}" for c, name in SHOW)
        + "."
    )
    return lines


def cohorts_dry(res, sector: str, by: str) -> dict:
    """How many of each country's ``sector`` user cohorts had run dry (any critical input
    binding) in a week starting on or before ``by``."""
    ds = res.dataset
    first = res.raw.first_stockout_duq[0]  # (U, Q): first binding week by cohort, -1 never
    last = int(np.searchsorted(ds.week_start.values.astype("datetime64[D]"), np.datetime64(by), side="right")) - 1
    out: dict = {"cohorts": first.shape[1]}
    for k in range(ds.sizes["user"]):
        if str(ds.user_sector[k].item()) == sector:
            f = first[k]
            out[str(ds.user_country[k].item())] = int(((f >= 0) & (f <= last)).sum())
    return out


def sensitivity(world, base: ShortageSettings) -> list[str]:
    reg = load_registry()
    rows: list[tuple[str, ShortageSettings, Registry, object, str | None]] = [
        (label, st, r, SCENARIO, None) for label, st, r in _settings_rows(base, reg)
    ]
    japan = f"what-if: Japanese users' magnets {100 * JAPAN_WHAT_IF['CHN']:g}% Chinese"
    japan_reg = _with_sourcing(reg, "JPN", JAPAN_WHAT_IF)
    indep = dataclasses.replace(base, cohort_sourcing="independent")
    rows += [
        (japan, base, japan_reg, SCENARIO, None),
        (f'{japan}, `cohort_sourcing="independent"`', indep, japan_reg, SCENARIO, None),
    ]
    rows += [
        (
            f"what-if: Japanese car makers' cover {days:g} days (UBS SuMi Trust's \"several months\" read as {what})",
            base,
            _with_country_cover(reg, "JPN", "C29", days),
            SCENARIO,
            None,
        )
        for what, days in japan_cover_what_ifs().items()
    ]
    rows.insert(
        2,
        (
            "without the Detroit Three's licences (variant `no-detroit-three-licences`)",
            base,
            reg,
            SCENARIO,
            "no-detroit-three-licences",
        ),
    )
    rows.insert(3, ("the Detroit Three's licences approve half", base, reg, _detroit_three(approval_share=0.5), None))
    rows.insert(
        4, ("what-if: every US maker's suppliers licensed on 2 Jun", base, reg, _detroit_three(user_share=1.0), None)
    )
    rows.insert(5, (f"India on its auto firms' licence applications (variant `{STUCK}`)", base, reg, SCENARIO, STUCK))
    for k, share in enumerate((0.25, 0.5, 0.75)):
        rows.insert(
            6 + k,
            (
                f"variant `{STUCK}` and {100 * share:g}% of Indian car makers' magnets in assembled motors from 1 Jul",
                base,
                reg,
                _india_assembled_motors(share),
                None,
            ),
        )
    rows[9:9] = [
        ("Japan on the rest of the world's approvals (variant `japan-on-world-path`)", base, reg, SCENARIO, WORLD_PATH),
        (
            f"Japan's May approvals {JAPAN_MAY_APPROVAL_LOW_BASE:g} (its 2024 month ~178 t, not ~200 t)",
            base,
            reg,
            _with_event("mag-jpn-april", approval_share=JAPAN_MAY_APPROVAL_LOW_BASE),
            None,
        ),
    ]
    lines = [
        "\n**Sensitivity** (first stop, and weeks of national car output lost)\n",
        "| setting | " + " | ".join(name for _, name in SHOW) + " |",
        "|---" * (len(SHOW) + 1) + "|",
    ]
    for label, st, r, scenario, variant in rows:
        got = _stop_and_weeks(_run(world, st, r, scenario, variant))
        lines.append(f"| {label} | " + " | ".join(f"{got[c][0]}, {got[c][1]:.2f}" for c, _ in SHOW) + " |")
    return lines


def _settings_rows(base: ShortageSettings, reg: Registry) -> list[tuple[str, ShortageSettings, Registry]]:
    other = "none" if base.parts_channel == "io" else "io"
    return [
        (f'default (`parts_channel="{base.parts_channel}"`, single sourcing, spread 0.25)', base, reg),
        (f'`parts_channel="{other}"`', dataclasses.replace(base, parts_channel=other), reg),
        ('`cohort_sourcing="single-low"`', dataclasses.replace(base, cohort_sourcing="single-low"), reg),
        ('`cohort_sourcing="single-high"`', dataclasses.replace(base, cohort_sourcing="single-high"), reg),
        ('`cohort_sourcing="mixed"`', dataclasses.replace(base, cohort_sourcing="mixed"), reg),
        ('`cohort_sourcing="independent"`', dataclasses.replace(base, cohort_sourcing="independent"), reg),
        ("cohort spread 0.15", dataclasses.replace(base, cohort_spread=0.15), reg),
        ("cohort spread 0.40", dataclasses.replace(base, cohort_spread=0.40), reg),
        ("cover x 0.75", base, scale_inventories(reg, 0.75)),
        ("cover x 1.25", base, scale_inventories(reg, 1.25)),
        ("5 cohorts", dataclasses.replace(base, cohorts=5), reg),
        ("50 cohorts", dataclasses.replace(base, cohorts=50), reg),
        ('`io_rule="threshold"`', dataclasses.replace(base, io_rule="threshold"), reg),
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-sensitivity", action="store_true")
    args = ap.parse_args(argv)
    world = load_world("default")
    base = ShortageSettings()
    lines = main_table(_run(world, base), f'default settings (`parts_channel="{base.parts_channel}"`)')
    other = dataclasses.replace(base, parts_channel="none" if base.parts_channel == "io" else "io")
    lines += main_table(_run(world, other), f'`parts_channel="{other.parts_channel}"`')
    if not args.no_sensitivity:
        lines += sensitivity(world, base)
        lines += national_output(world, base)
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
