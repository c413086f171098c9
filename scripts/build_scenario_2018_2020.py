#!/usr/bin/env python
"""Build the shipped scenario ``us-china-2018-2020``: the 2018-2020 trade war and Phase One.

A development-time script. It reads the HS6 tariff files of ``../shared/data/us_china/
hs6_2018_2020`` (US tariffs on China at 7 dates, China's on the US at 12), the 2024 US
imports from China by HS chapter (``us_tariffs_hs2/hs2-tariff-5700.csv``) and the
2018-2020 rows of ``us_china/events.csv``, and writes
``src/detente/scenarios/us-china-2018-2020.yaml``:

- a ``baseline`` section with the pre-war (2018-01-01) rates of USA <- CHN and
  CHN <- USA by sector of the compact world;
- the trade-war increments as tariff layers, one ``set`` event per sector and date
  where the sector's rate changes: ``section-301`` (US), ``retaliation`` (China),
  ``section-232`` (US steel and aluminium, estimated coverage);
- the other events of 2018-2020 as notices.

Aggregation: HS6 -> ICIO industry (the HS4 rules of ``build_tariff_tables.py``, the same
concordance as the world's baseline tariffs) -> compact sector (``COMPACT_SECTORS``).
US lines are weighted by the 2024 US imports from China of their HS chapter, spread
evenly over the chapter's lines; China's lines have equal weights (no trade data).
China's rate on a line is split into MFN and retaliation by the date of each change
(the MFN cuts of 2018-05-01, 2018-07-01, 2018-11-01 and 2019-01-02 apply to all partners
and are left out). Method and choices: docs/scenarios.md section 5.

Usage::

    python scripts/build_scenario_2018_2020.py [--data ../shared/data] [--out FILE] [--check]

The output is deterministic (byte-identical for the same input).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "detente" / "scenarios" / "us-china-2018-2020.yaml"

from detente.world._build import COMPACT_SECTORS  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "build_tariff_tables", Path(__file__).with_name("build_tariff_tables.py")
)
_btt = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("build_tariff_tables", _btt)
_spec.loader.exec_module(_btt)
hs6_industry = _btt.hs6_industry

INDUSTRY_GROUP = {ind: grp for grp, members in COMPACT_SECTORS.items() for ind in members}
GOODS_GROUPS = [g for g in COMPACT_SECTORS if g not in ("UTIL_CONSTR", "TRADE_TRANSPORT", "BUSINESS", "PUBLIC_OTHER")]
BASE_DATE = "2018-01-01"

# US: file date -> (event date, source, note). The List 3 increase to 25% is dated
# 2019-05-10 (E009: goods exported on or after that day; shipments already in transit
# paid 10% if they entered by 1 June), where the HS6 file has 2019-06-01.
US_DATES = {
    "2018-07-06": ("2018-07-06", "E002 (List 1, ~$34bn, 25%); HS6 tradewar-tracker", "Section 301 List 1"),
    "2018-08-23": ("2018-08-23", "E004 (List 2, ~$16bn, 25%); HS6 tradewar-tracker", "Section 301 List 2"),
    "2018-09-24": ("2018-09-24", "E006 (List 3, ~$200bn, 10%); HS6 tradewar-tracker", "Section 301 List 3 at 10%"),
    "2019-06-01": (
        "2019-05-10",
        "E009 (List 3 to 25%, effective 2019-05-10; HS6 file date 2019-06-01)",
        "Section 301 List 3 at 25%",
    ),
    "2019-09-01": ("2019-09-01", "E012 (List 4A, 15%); HS6 tradewar-tracker", "Section 301 List 4A"),
    "2020-02-14": (
        "2020-02-14",
        "E015 (Phase One: List 4A halved to 7.5%); HS6 tradewar-tracker",
        "Phase One implementation",
    ),
}
# China: dates whose changes are retaliation (the rest are MFN changes for all partners).
CN_RETALIATION = {
    "2018-04-02": (
        "Retaliation for Section 232 (pork, fruit, nuts, aluminium scrap; 15/25%)",
        "State Council Tariff Commission, announcement of 2018-04-01 (not in events.csv); HS6 tradewar-tracker",
    ),
    "2018-07-06": ("Retaliation on the $34bn list (25%)", "E003; HS6 tradewar-tracker"),
    "2018-08-23": ("Retaliation on the $16bn list (25%)", "E005; HS6 tradewar-tracker"),
    "2018-09-24": ("Retaliation on the $60bn list (5/10%)", "E007; HS6 tradewar-tracker"),
    "2019-01-02": (
        "Additional tariffs on US cars (25%) and parts (5%) suspended",
        "Tariff Commission, announcement of 2018-12-14 (suspension from 2019-01-01; not in events.csv); HS6 tradewar-tracker",
    ),
    "2019-06-01": ("$60bn list raised to 10/20/25%", "E011; HS6 tradewar-tracker"),
    "2019-09-01": ("First tranche of the $75bn list (5/10%)", "E013; HS6 tradewar-tracker"),
    "2019-12-26": ("Exclusions on a few lines", "HS6 tradewar-tracker"),
    "2020-02-14": (
        "Phase One: the September 2019 tranche halved (10 -> 5, 5 -> 2.5)",
        "E016; derived: the HS6 file ends 2019-12-26",
    ),
}
CN_MFN = ("2018-05-01", "2018-07-01", "2018-11-01", "2019-01-02")
# Section 232 steel (25%) and aluminium (10%) from 2018-03-23 (E001); not in the HS6 file.
# Coverage: the share of the compact sector's imports from China the tariff covers
# (estimates, L): steel mill products are most of basic iron and steel; aluminium is
# about half of China's non-ferrous exports to the US.
SECTION_232 = (("STEEL", 25.0, 0.9, "steel"), ("NONFERROUS", 10.0, 0.5, "aluminium"))
# Events of 2018-2020 carried by the tariff layers (the rest become notices).
IN_LAYERS = {"E001", "E002", "E003", "E004", "E005", "E006", "E007", "E009", "E011", "E012", "E013", "E015", "E016"}


# ---------------------------------------------------------------- reading
def _wide(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype={"hs6": str})
    wide = raw.pivot_table(index="hs6", columns="time_of_tariff", values="tariff", aggfunc="first")
    wide = wide.sort_index(axis=1).sort_index()
    # A line missing on a date keeps its neighbour's rate (38 US lines lack 2018-01-01,
    # 4 Chinese lines lack some dates): forward fill, then back fill.
    return wide.ffill(axis=1).bfill(axis=1)


def _groups(index: pd.Index) -> pd.Series:
    ind = pd.Series([hs6_industry(h) for h in index], index=index)
    return ind.map(INDUSTRY_GROUP)


def us_hs6(data: Path) -> pd.DataFrame:
    """US tariff on China by HS6 line and file date (percent), with ``group`` and ``weight``.

    ``weight``: the 2024 US imports from China of the line's HS chapter divided by the
    number of the chapter's lines in the file.
    """
    wide = _wide(data / "us_china" / "hs6_2018_2020" / "us_tariffs_on_china_hs6.csv")
    wide["group"] = _groups(wide.index)
    wide = wide[wide["group"].isin(GOODS_GROUPS)].copy()
    census = pd.read_csv(data / "us_tariffs_hs2" / "hs2-tariff-5700.csv", dtype={"HS2": str})
    imports = census.set_index(census["HS2"].str.zfill(2))["2024_imports"]
    chapter = wide.index.str[:2]
    n_lines = pd.Series(chapter).value_counts()
    wide["weight"] = [float(imports.get(c, 0.0)) / n_lines[c] for c in chapter]
    return wide


def china_hs6(data: Path) -> pd.DataFrame:
    """China's tariff on the US by HS6 line: ``mfn_<date>``, ``ret_<date>`` and ``group``.

    The file's applied rate is split into an MFN part (changed on the MFN dates) and a
    retaliation part (changed on the retaliation dates); on 2019-01-02 the -25 and -5
    point cuts of lines that carry at least that much retaliation are the suspension of
    the car and parts tariffs, the other changes are MFN. A derived 2020-02-14 column
    halves the 2019-09-01 tranche (the same rule as the world's baseline tariffs).
    """
    wide = _wide(data / "us_china" / "hs6_2018_2020" / "china_tariffs_on_us_hs6.csv")
    dates = list(wide.columns)
    mfn = wide[dates[0]].copy()
    ret = pd.Series(0.0, index=wide.index)
    out = {f"mfn_{dates[0]}": mfn.copy(), f"ret_{dates[0]}": ret.copy()}
    for prev, d in zip(dates, dates[1:], strict=False):
        change = (wide[d] - wide[prev]).round(6)
        if d == "2019-01-02":
            auto = ((change + 25).abs() < 1e-9) & (ret >= 25 - 1e-9) | ((change + 5).abs() < 1e-9) & (ret >= 5 - 1e-9)
            ret = ret + change.where(auto, 0.0)
            mfn = mfn + change.where(~auto, 0.0)
        elif d in CN_MFN:
            mfn = mfn + change
        else:
            ret = ret + change
        out[f"mfn_{d}"], out[f"ret_{d}"] = mfn.copy(), ret.copy()
    rise = (wide["2019-09-01"] - wide["2019-06-01"]).round(6)
    tranche = rise.where(((rise - 5).abs() < 1e-9) | ((rise - 10).abs() < 1e-9), 0.0)
    out["mfn_2020-02-14"], out["ret_2020-02-14"] = mfn.copy(), ret - 0.5 * tranche
    frame = pd.DataFrame(out)
    frame["group"] = _groups(frame.index)
    return frame[frame["group"].isin(GOODS_GROUPS)].copy()


# ---------------------------------------------------------------- sector rates
def _mean(values: pd.Series, groups: pd.Series, weights: pd.Series | None) -> dict[str, float]:
    out = {}
    for g in GOODS_GROUPS:
        sel = groups == g
        if not sel.any():
            continue
        v = values[sel]
        w = weights[sel] if weights is not None else None
        out[g] = float(np.average(v, weights=w)) if w is not None and w.sum() > 0 else float(v.mean())
    return out


def sector_rates(data: Path) -> dict:
    """Sector-level rates (percent) from the HS6 files.

    Returns ``{"us_base": {sector: pct}, "us_layer": {event date: {sector: pp}},
    "cn_base": ..., "cn_layer": ...}``; layer dates are event dates.
    """
    us = us_hs6(data)
    file_dates = [c for c in us.columns if c not in ("group", "weight")]
    us_layer = {}
    for d in file_dates[1:]:
        extra = (us[d] - us[BASE_DATE]).clip(lower=0.0)
        us_layer[US_DATES[d][0]] = _mean(extra, us["group"], us["weight"])
    cn = china_hs6(data)
    cn_layer = {d: _mean(cn[f"ret_{d}"], cn["group"], None) for d in CN_RETALIATION}
    return {
        "us_base": _mean(us[BASE_DATE], us["group"], us["weight"]),
        "us_layer": us_layer,
        "cn_base": _mean(cn[f"mfn_{BASE_DATE}"], cn["group"], None),
        "cn_layer": cn_layer,
        "cn_applied_2020": _mean(cn["mfn_2020-02-14"] + cn["ret_2020-02-14"], cn["group"], None),
    }


# ---------------------------------------------------------------- events.csv
def events_2018_2020(data: Path) -> list[dict]:
    with open(data / "us_china" / "events.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if "2018-01-01" <= r["date_effective"] <= "2020-12-31"]


# ---------------------------------------------------------------- YAML
def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(x: float) -> str:
    v = round(float(x), 4)
    return f"{0.0 if v == 0 else v:g}"


def render(data: Path) -> str:
    rates = sector_rates(data)
    lines = [
        "# The 2018-2020 US-China trade war and Phase One, replayed on the default world.",
        "#",
        "# GENERATED by scripts/build_scenario_2018_2020.py from ../shared/data (HS6 tariffs of",
        "# mwaugh0328/tradewar-tracker, 2024 US imports from China by HS chapter, events.csv);",
        "# do not edit by hand. docs/scenarios.md section 5 explains every choice.",
        "#",
        "# The world's baseline (2022) already holds the trade-war tariffs, so the `baseline`",
        "# section first re-bases USA <- CHN and CHN <- USA to their 2018-01-01 (pre-war) rates:",
        "# welfare in a replay is relative to that re-based, pre-war world.",
        "name: us-china-2018-2020",
        'title: "US-China 2018-2020: Sections 301 and 232, China\'s retaliation, Phase One"',
        "description: >",
        "  The US Section 301 lists 1, 2, 3 (10% then 25%) and 4A, the Section 232 steel and",
        "  aluminium tariffs as they apply to China, China's retaliation lists and the Phase One",
        "  deal, from pre-war (2018-01-01) tariffs on the default world; sector rates are",
        "  aggregated from HS6 lines.",
        "world: default",
        "period: {start: 2018-01-01, end: 2020-12-31, step: month}",
        "settings: {deficits: baseline}",
        "",
        "baseline:",
        '  source: "HS6 applied rates on 2018-01-01 (mwaugh0328/tradewar-tracker, commit 753b351); '
        "US lines weighted by 2024 US imports from China by HS chapter, China's lines unweighted\"",
        '  note: "total applied rates in percent: US MFN (column 1) on China; China\'s MFN on the US"',
        "  tariffs:",
    ]
    for g, v in rates["us_base"].items():
        lines.append(f"    - {{importer: USA, exporter: CHN, sectors: {g}, rate_pct: {_num(v)}}}")
    for g, v in rates["cn_base"].items():
        lines.append(f"    - {{importer: CHN, exporter: USA, sectors: {g}, rate_pct: {_num(v)}}}")
    lines += [
        "",
        "layers:",
        '  section-301: "US Section 301 tariffs on China: lists 1, 2, 3, 4A; Phase One"',
        '  section-232: "US Section 232 steel (25%) and aluminium (10%) tariffs, as applied to China"',
        '  retaliation: "China\'s additional tariffs on US goods (232 and 301 retaliation; Phase One)"',
        "",
        "events:",
        "  # ---------------------------------------------------------------- Section 232",
    ]
    for g, rate, cov, what in SECTION_232:
        lines.append(
            f'  - {{id: us232-{g.lower()}, date: 2018-03-23, source: "E001 (Section 232, global)", '
            f'note: "Section 232 {what}: {_num(rate)} pp on an estimated {_num(cov)} of the sector (L)",'
        )
        lines.append(
            f"     tariff: {{importer: USA, exporter: CHN, sectors: {g}, layer: section-232, "
            f"op: set, rate_pp: {_num(rate)}, coverage: {_num(cov)}}}}}"
        )

    def layer_events(
        title: str,
        importer: str,
        exporter: str,
        layer: str,
        prefix: str,
        by_date: dict[str, dict[str, float]],
        meta: dict[str, tuple[str, str]],
    ) -> None:
        lines.append(f"  # ---------------------------------------------------------------- {title}")
        prev: dict[str, float] = {}
        for d, rates_d in sorted(by_date.items()):
            note, source = meta[d]
            for g, v in rates_d.items():
                v = round(v, 4)
                if abs(v - prev.get(g, 0.0)) < 1e-4:
                    continue
                prev[g] = v
                lines.append(f"  - {{id: {prefix}-{d}-{g.lower()}, date: {d}, source: {_q(source)}, note: {_q(note)},")
                lines.append(
                    f"     tariff: {{importer: {importer}, exporter: {exporter}, sectors: {g}, "
                    f"layer: {layer}, op: set, rate_pp: {_num(v)}}}}}"
                )

    us_meta = {ev: (note, src) for ev, src, note in US_DATES.values()}
    layer_events("Section 301 (US on China)", "USA", "CHN", "section-301", "us301", rates["us_layer"], us_meta)
    layer_events("retaliation (China on the US)", "CHN", "USA", "retaliation", "cn", rates["cn_layer"], CN_RETALIATION)
    lines.append("  # ---------------------------------------------------------------- notices")
    notices = []
    for r in events_2018_2020(data):
        if r["id"] in IN_LAYERS:
            continue
        instrument = r["instrument"].strip() or "other"
        text = f"{r['measure']} ({r['product_scope']}): {r['level_before']} -> {r['level_after']}".replace("\n", " ")
        notices.append(
            (
                r["date_effective"],
                r["id"],
                instrument,
                r["actor"],
                r["target"],
                text,
                f"{r['id']} ({r['confidence']}); {r['source'].split(' ; ')[0]}",
            )
        )
    e015 = next(r for r in events_2018_2020(data) if r["id"] == "E015")
    notices.append(
        (
            e015["date_announced"],
            "E015-signed",
            "other",
            "US+China",
            "",
            "Phase One agreement signed in Washington (in force 2020-02-14)",
            f"E015 (date announced); {e015['source'].split(' ; ')[0]}",
        )
    )
    for d, eid, instrument, actor, target, text, source in sorted(notices):
        lines.append(f"  - {{id: {eid.lower()}, date: {d}, source: {_q(source)},")
        lines.append(
            f"     notice: {{instrument: {_q(instrument)}, actor: {_q(actor)}, target: {_q(target)}, "
            f"text: {_q(text)}}}}}"
        )
    return "\n".join(lines) + "\n"


def compare_with_world(data: Path) -> pd.DataFrame:
    """Scenario rates on 2020-02-14 vs the default world's 2022 baseline, by sector."""
    from detente.policy import load_scenario, parse_scenario, tariff_state
    from detente.policy._baseline import baseline_tariffs
    from detente.world import load_world

    del load_scenario
    sc = parse_scenario(render(data), "us-china-2018-2020.yaml")
    w = load_world("default")
    w0 = w.replace(tariffs=baseline_tariffs(w, sc))
    tau = tariff_state(w0, sc, dt.date(2020, 2, 14))
    u, c = w.country_index("USA"), w.country_index("CHN")
    rows = []
    for g in GOODS_GROUPS:
        j = w.sector_index(g)
        rows.append(
            {
                "sector": g,
                "us_scenario": 100 * tau[u, c, j],
                "us_world": 100 * w.tariffs[u, c, j],
                "cn_scenario": 100 * tau[c, u, j],
                "cn_world": 100 * w.tariffs[c, u, j],
            }
        )
    out = pd.DataFrame(rows).set_index("sector")
    out["us_gap"] = out["us_scenario"] - out["us_world"]
    out["cn_gap"] = out["cn_scenario"] - out["cn_world"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the scenario file to write")
    ap.add_argument("--check", action="store_true", help="print the gap to the world's 2022 baseline")
    args = ap.parse_args(argv)
    text = render(args.data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(text.encode("utf-8"))
    print(f"wrote {args.out}")
    if args.check:
        with pd.option_context("display.float_format", "{:.1f}".format, "display.width", 120):
            print(compare_with_world(args.data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
