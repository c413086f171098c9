#!/usr/bin/env python
"""Build the shipped scenario ``world-2025``: the US tariffs of 2025-2026 on all partners.

A development-time script. It reads ``../shared/data/world_2025/`` (``actions.csv``: 172
dated actions W001-W172; ``lists/``: the product lists; ``hs10_imports_2024/``: 2024 US
imports by HS10 line for 50 partners and the EU) and writes

- ``src/detente/scenarios/world-2025.yaml`` (the scenario, with a provenance header);
- ``src/detente/data/world_2025/coverage_by_sector.csv`` (the US layers by partner
  region, sector and regime period: rate, coverage share, sources);
- ``src/detente/data/world_2025/weights_2024.csv`` (the HS10 weights by region, member
  and sector, and the USMCA-qualifying shares of Canada and Mexico).

Method (docs/world_2025.md has the full account):

1. Every HS10 line of every member of a compact region gets, on each date where any action
   changes, a rate in each US layer (percentage points over the 2024 applied duty), by the
   rules of the actions table (lists, stacking, floors, exemptions, USMCA shares).
2. The layer of a (region, sector) cell is the 2024-import-weighted mean of its lines:
   ``coverage`` = weight share of the lines with a positive rate, ``rate_pp`` = their
   weighted mean rate, so ``coverage * rate_pp`` is the sector's trade-weighted rate.
3. One ``set`` event per layer, cell and date where the value changes (``remove`` where it
   falls to zero); each event cites the W ids behind it. China's retaliation and the
   export controls are copied from ``us-china-2025``; Canada's and China's other
   retaliation use documented shares.

Usage::

    python scripts/build_world_2025.py [--data ../shared/data] [--check]

The output is deterministic except the build date and commit in the provenance lines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_SCENARIO = REPO / "src" / "detente" / "scenarios" / "world-2025.yaml"
DEFAULT_TABLES = REPO / "src" / "detente" / "data" / "world_2025"
TRACKER_COMMIT = "726c5958e1e43eb08ac076a1e602ae3149164b03"

from detente.world._build import COMPACT_SECTORS  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "build_tariff_tables", Path(__file__).with_name("build_tariff_tables.py")
)
_btt = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("build_tariff_tables", _btt)
_spec.loader.exec_module(_btt)

INDUSTRY_GROUP = {ind: grp for grp, members in COMPACT_SECTORS.items() for ind in members}
SERVICES = ("UTIL_CONSTR", "TRADE_TRANSPORT", "BUSINESS", "PUBLIC_OTHER")
GOODS = [g for g in COMPACT_SECTORS if g not in SERVICES]
D = dt.date

# Census code -> ISO3 (README of world_2025); 4359 (Slovakia) is inside 0003 and is not used.
CENSUS = {
    "0003": "EUU",
    "1220": "CAN",
    "2010": "MEX",
    "2050": "GTM",
    "2110": "SLV",
    "2150": "HND",
    "2190": "NIC",
    "2230": "CRI",
    "2470": "DOM",
    "2740": "TTO",
    "3010": "COL",
    "3070": "VEN",
    "3310": "ECU",
    "3330": "PER",
    "3370": "CHL",
    "3510": "BRA",
    "3570": "ARG",
    "4039": "NOR",
    "4120": "GBR",
    "4419": "CHE",
    "4621": "RUS",
    "4890": "TUR",
    "5050": "IRQ",
    "5081": "ISR",
    "5130": "KWT",
    "5170": "SAU",
    "5200": "ARE",
    "5330": "IND",
    "5350": "PAK",
    "5380": "BGD",
    "5420": "LKA",
    "5490": "THA",
    "5520": "VNM",
    "5550": "KHM",
    "5570": "MYS",
    "5590": "SGP",
    "5600": "IDN",
    "5650": "PHL",
    "5700": "CHN",
    "5800": "KOR",
    "5820": "HKG",
    "5830": "TWN",
    "5880": "JPN",
    "6021": "AUS",
    "6141": "NZL",
    "7210": "DZA",
    "7290": "EGY",
    "7530": "NGA",
    "7620": "AGO",
    "7910": "ZAF",
}
EU_REGIONS = ("DEU", "FRA", "ITA", "EUR")
# compact region -> members with an HS10 file (the EU regions all use the EU aggregate).
REGIONS: dict[str, list[str]] = {
    **{c: [c] for c in ("CHN", "MEX", "CAN", "JPN", "KOR", "TWN", "VNM", "IND", "GBR", "BRA", "AUS", "RUS")},
    **{c: ["EUU"] for c in EU_REGIONS},
    "ASE": ["IDN", "KHM", "MYS", "PHL", "SGP", "THA"],
    "LAM": ["ARG", "CHL", "COL", "CRI", "PER"],
    "ROW": ["AGO", "ARE", "BGD", "CHE", "EGY", "HKG", "ISR", "NGA", "NOR", "NZL", "PAK", "SAU", "TUR", "ZAF"],
}
PARTNERS = list(REGIONS)
MFN_POOL = ["EUU", "JPN", "TWN", "IND", "THA", "IDN", "VNM", "MYS", "BRA", "CHE", "GBR", "PHL"]
USMCA = ("CAN", "MEX")
USMCA_VEHICLE_NON_US_CONTENT = 0.5  # qualifying vehicles/trucks pay 232 on the non-US content (L)

# ------------------------------------------------------------------ key dates
STEEL_25, STEEL_50, METALS_2026 = D(2025, 3, 12), D(2025, 6, 4), D(2026, 4, 6)
COPPER = D(2025, 8, 1)
AUTOS, PARTS = D(2025, 4, 3), D(2025, 5, 3)
UK_AUTOS, EU_AUTOS, JP_AUTOS, KR_AUTOS = D(2025, 6, 30), D(2025, 8, 1), D(2025, 9, 16), D(2025, 11, 1)
TIMBER, KR_TIMBER, TIMBER_STEP = D(2025, 10, 14), D(2025, 11, 14), D(2027, 1, 1)
TRUCKS = D(2025, 11, 1)
RECIP, RECIP_ANNEX1, RECIP_PAUSE, AUG7 = D(2025, 4, 5), D(2025, 4, 9), D(2025, 4, 10), D(2025, 8, 7)
CN_84, CN_125, GENEVA = D(2025, 4, 9), D(2025, 4, 10), D(2025, 5, 14)
EU_EXEMPT, ANNEX2_REV, FARM, KR_CH_DEALS = D(2025, 9, 1), D(2025, 9, 8), D(2025, 11, 13), D(2025, 11, 14)
FENT_CN10, FENT_CN20, FENT_BUSAN = D(2025, 2, 4), D(2025, 3, 4), D(2025, 11, 10)
FENT_CAMX, USMCA_EXEMPT, FENT_CA35 = D(2025, 3, 4), D(2025, 3, 7), D(2025, 8, 1)
BRAZIL40, INDIA_OIL, INDIA_OIL_END = D(2025, 8, 6), D(2025, 8, 27), D(2026, 2, 7)
RULING, S122_END = D(2026, 2, 24), D(2026, 7, 24)
S301_2025, S301_2026 = D(2025, 1, 1), D(2026, 1, 1)
BRAZIL301, FORCED_LABOUR, S338 = D(2026, 7, 22), D(2026, 7, 24), D(2026, 8, 19)
JP_AIRCRAFT = D(2025, 9, 16)
PERIOD = (D(2025, 1, 1), D(2026, 12, 31))

RECIP_EXCLUDED = {"CAN", "MEX", "RUS", "BLR", "PRK", "CUB"}
CHINA_LIKE = {"CHN", "HKG", "MAC"}
DEAL_PARTNERS = {"GBR", "EUU", "JPN", "KOR", "VNM", "IDN", "PHL", "THA", "MYS", "KHM", "CHE", "LIE"}

LAYERS = {
    "ieepa-fentanyl": "US IEEPA 'fentanyl/border' duties: Canada, Mexico (USMCA-qualifying goods exempt), China/HK (W001-W010); void from 2026-02-24",
    "ieepa-reciprocal": "US IEEPA reciprocal tariff: 10% baseline, Annex I rates (2025-04-09), China, the 2025-08-07 country rates and the deals (W013-W093); void from 2026-02-24",
    "ieepa-brazil": "US IEEPA 40% on Brazil (W097, W098); void from 2026-02-24",
    "ieepa-russia-oil": "US IEEPA 25% on India for Russian oil (W095), 2025-08-27 to 2026-02-06",
    "section-232-metals": "US Section 232 steel, aluminium (25 -> 50) and copper; 2026 tiers (W099-W110)",
    "section-232-autos": "US Section 232 autos and parts; UK, EU, Japan, Korea deal rates (W111-W116)",
    "section-232-timber": "US Section 232 softwood lumber, upholstered furniture, cabinets (W118-W125)",
    "section-232-trucks": "US Section 232 medium/heavy trucks and buses (W126-W127)",
    "section-301": "US Section 301 after 2024: China four-year-review steps 2025-2026 (W133-W136), Brazil (W145)",
    "section-301-2024": "US Section 301 2024 tranche on China after the 2022 baseline (from us-china-2025, E024)",
    "section-301-forced-labour": "US Section 301 'forced labour' duties from 2026-07-24 (W146-W149)",
    "section-122": "US Section 122 surcharge 10%, 2026-02-24 to 2026-07-23 (W143)",
    "section-338": "US Section 338 duties on three baskets of Canadian goods from 2026-08-19 (W150-W152)",
    "retaliation": "China's additional tariff on all US goods (W163-W166; from us-china-2025)",
    "retaliation-products": "China's product tariffs on US goods of Feb-Mar 2025 (W159-W162; from us-china-2025)",
    "retaliation-canada": "Canada's surtaxes on US goods (W153-W155, remission W157)",
    "retaliation-canada-vehicles": "Canada's surtax on US vehicles (W156)",
    "retaliation-china-canada": "China's duties on Canadian canola, peas, pork and aquatic products (W167-W169)",
    "retaliation-eu": "The EU's countermeasures (W170, W171): adopted and suspended, applied only in variant full-retaliation",
    "retaliation-india": "India's WTO-notified retaliation (W172): never applied, only in variant full-retaliation",
}


# ------------------------------------------------------------------ reading
def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_actions(data: Path) -> pd.DataFrame:
    return pd.read_csv(data / "world_2025" / "actions.csv", dtype=str, keep_default_na=False)


def read_codes(path: Path, column: int | str = 0, header: bool = True) -> list[str]:
    """HTS codes of a list file, digits only (dots dropped)."""
    frame = pd.read_csv(path, dtype=str, header=0 if header else None, keep_default_na=False)
    col = frame.columns[column] if isinstance(column, int) else column
    return sorted({c.replace(".", "").strip() for c in frame[col] if c.strip()})


_IND_CACHE: dict[str, str | None] = {}


def hs6_sector(hs6: str) -> str | None:
    """Compact goods sector of an HS6 code, None for chapters 77, 98, 99 and electricity."""
    if hs6 not in _IND_CACHE:
        try:
            grp = INDUSTRY_GROUP.get(_btt.hs6_industry(hs6))
        except (SystemExit, ValueError):
            grp = None
        _IND_CACHE[hs6] = grp if grp in GOODS else None
    return _IND_CACHE[hs6]


def read_lines(data: Path) -> pd.DataFrame:
    """All HS10 lines of the members used, with their sector and 2024 applied rate (%)."""
    folder = data / "world_2025" / "hs10_imports_2024"
    used = {m for ms in REGIONS.values() for m in ms} | set(MFN_POOL)
    frames = []
    for code, iso in sorted(CENSUS.items()):
        if iso not in used:
            continue
        f = pd.read_parquet(folder / f"2024-hs10-imports{code}.parquet", columns=["HS10", "imports", "duty"])
        f = f[f["imports"] > 0].groupby("HS10", as_index=False)[["imports", "duty"]].sum()
        f.insert(0, "member", iso)
        frames.append(f)
    lines = pd.concat(frames, ignore_index=True)
    lines["sector"] = lines["HS10"].str[:6].map(hs6_sector)
    lines = lines[lines["sector"].notna()].reset_index(drop=True)
    lines["rate2024"] = (100.0 * lines["duty"] / lines["imports"]).clip(0, 100)
    return lines


def in_list(hs10: pd.Series, codes) -> np.ndarray:
    """Lines whose HS10 code starts with one of ``codes`` (4 to 10 digits)."""
    out = np.zeros(len(hs10), dtype=bool)
    by_len = defaultdict(set)
    for c in codes:
        by_len[len(c)].add(c)
    for n, cs in by_len.items():
        out |= hs10.str[:n].isin(cs).to_numpy()
    return out


def list_coverage(lines: pd.DataFrame, codes, by=("member", "sector")) -> pd.Series:
    """Share of each group's 2024 imports (``imports``) on lines in ``codes`` (prefix match)."""
    x = lines.assign(_in=in_list(lines["HS10"], codes) * lines["imports"])
    g = x.groupby(list(by))[["_in", "imports"]].sum()
    return g["_in"] / g["imports"]


def mfn_estimate(lines: pd.DataFrame) -> pd.Series:
    """MFN estimate per HS10: duty / imports over partners paying MFN in 2024 (MFN_POOL)."""
    pool = lines[lines["member"].isin(MFN_POOL)]
    est = {}
    for key in ("HS10",):
        g = pool.groupby(key)[["duty", "imports"]].sum()
        est[key] = 100 * g["duty"] / g["imports"]
    hs8 = pool.assign(HS8=pool["HS10"].str[:8]).groupby("HS8")[["duty", "imports"]].sum()
    hs8 = 100 * hs8["duty"] / hs8["imports"]
    out = lines["HS10"].map(est["HS10"])
    out = out.fillna(lines["HS10"].str[:8].map(hs8))
    return out.fillna(0.0).clip(0, 100)


def usmca_shares(lines: pd.DataFrame) -> pd.Series:
    """USMCA-qualifying share of each Canadian and Mexican line (0 elsewhere).

    On a dutiable line (MFN estimate > 0.5%) the share that entered duty-free under the
    FTA in 2024 is ``1 - rate2024 / MFN``; on MFN-free lines (where claiming did not pay in
    2024) the member-sector mean of the dutiable lines is used.
    """
    q = pd.Series(0.0, index=lines.index)
    mfn = mfn_estimate(lines)
    for m in USMCA:
        sel = lines["member"] == m
        dut = sel & (mfn > 0.5)
        share = (1 - lines.loc[dut, "rate2024"] / mfn[dut]).clip(0, 1)
        q[dut] = share
        w = lines.loc[dut, "imports"]
        sec = (share * w).groupby(lines.loc[dut, "sector"]).sum() / w.groupby(lines.loc[dut, "sector"]).sum()
        total = float((share * w).sum() / w.sum())
        rest = sel & ~dut
        q[rest] = lines.loc[rest, "sector"].map(sec).fillna(total).to_numpy()
    return q


# ------------------------------------------------------------------ the product sets
class Lists:
    """Boolean masks of the product lists over the line table."""

    def __init__(self, data: Path, lines: pd.DataFrame):
        L = data / "world_2025" / "lists"
        h = lines["HS10"]
        self.files = {}

        def f(name, column=0, header=True):
            path = L / name
            self.files[name] = sha256(path)
            return in_list(h, read_codes(path, column, header))

        chapter = h.str[:2]
        hs4 = h.str[:4]
        annex_ia_codes = read_codes(L / "metals-annex-IA.csv")
        steel_base = [c for c in annex_ia_codes if len(c) == 4 and (c.startswith("72") or c.startswith("730"))]
        alu_base = [c for c in annex_ia_codes if len(c) == 4 and c.startswith("76")]
        self.steel = f("steel-tariffs.csv") | in_list(h, steel_base)
        self.alu = f("alu-tariffs.csv") | in_list(h, alu_base)
        self.copper = f("copper-list.csv")
        self.ia = f("metals-annex-IA.csv")
        self.ib = f("metals-annex-IB.csv") & ~self.ia
        self.iii = f("metals-annex-III-temporary.csv") & ~self.ia & ~self.ib
        self.removed = f("metals-annex-II-removed.csv")
        auto = f("auto-tariffs.csv")
        self.vehicles = auto & hs4.isin(["8703", "8704"]).to_numpy()
        self.parts = auto & ~self.vehicles
        trucks = [
            "870121",
            "870122",
            "870123",
            "870124",
            "870129",
            "870422",
            "870423",
            "870432",
            "870442",
            "870443",
            "870452",
        ]
        self.trucks = in_list(h, trucks) & ~auto
        self.buses = in_list(h, ["8702"])
        self.lumber = in_list(
            h,
            [
                "440311",
                "440321",
                "440322",
                "440323",
                "440324",
                "440325",
                "440326",
                "440399",
                "440611",
                "440691",
                "44071",
            ],
        )
        self.upholstered = in_list(h, ["9401614011", "9401614031", "9401616011", "9401616031"])
        self.furniture = self.upholstered | in_list(h, ["9403409060", "9403608093"])
        orig = read_codes(L / "annex-II-exemptions.csv")
        nov = read_codes(L / "annex-II-exemptions-nov14.csv")
        self.files["annex-II-exemptions.csv"] = sha256(L / "annex-II-exemptions.csv")
        self.files["annex-II-exemptions-nov14.csv"] = sha256(L / "annex-II-exemptions-nov14.csv")
        orig8 = {c[:8] for c in orig}
        self.annex2 = in_list(h, orig)
        self.farm = in_list(h, [c for c in nov if c[:8] not in orig8])  # the new (mostly food) codes
        self.annex2_nov = self.annex2 | self.farm | in_list(h, nov)
        self.electronics = f("consumer_electronics_EO14257_apr11.csv")
        self.aircraft = f("brazil-airplane-exemptions.csv")
        self.brazil_exempt = f("brazil-non-airplane-exemptions.csv") | self.aircraft
        self.brazil301_exempt = f("brazil-301-exemptions.csv")
        self.s122_exempt = (
            f("section122-product-exemptions.csv")
            | f("section122-specific-exemptions.csv")
            | f("section122-aircraft-exemptions.csv")
        )
        self.ca338 = (f("canada-338-alcohol.csv") | f("canada-338-dairy.csv") | f("canada-338-autos.csv")) & ~f(
            "canada-338-aircraft-exempt.csv"
        )
        self.energy = ((chapter == "27") & (hs4 != "2716")).to_numpy() | in_list(h, ["310420"])
        self.eu_exempt = self.aircraft | (chapter == "30").to_numpy() | in_list(h, ["4501", "4502", "4503"])
        self.textiles = chapter.isin([str(c) for c in range(50, 64)]).to_numpy()
        # China Section 301 steps after 2024 (W133-W136): increments over the earlier rate
        self.cn_semis = in_list(h, ["8541", "8542"])
        self.cn_poly = in_list(h, ["280461", "381800"])
        self.cn_tungsten = in_list(h, ["81019400", "81019910", "81019980"])
        self.cn_batteries = in_list(h, ["850760"]) & ~in_list(h, ["8507600010"])
        self.cn_graphite_magnets = in_list(h, ["2504", "85051100"])


# ------------------------------------------------------------------ the rules
def member_rates(ctx, m: str, d: dt.date, *, deals: bool = True, ruling: bool = True) -> dict[str, np.ndarray]:
    """Rates (pp over the 2024 duty) of every US layer on the lines of member ``m`` on ``d``."""
    lines, ls, sel = ctx["lines"], ctx["lists"], ctx["index"][m]
    n = len(sel)
    zero = np.zeros(n)
    g = lambda a: a[sel]  # noqa: E731
    r24 = lines["rate2024"].to_numpy()[sel]
    q = ctx["usmca"][sel] if m in USMCA else zero
    ieepa = (d < RULING) or not ruling
    out = {k: zero.copy() for k in LAYERS if not k.startswith("retaliation") and k != "section-301-2024"}
    floor = lambda level: np.maximum(0.0, level - r24)  # noqa: E731  inclusive of MFN

    # --- Section 232 autos, trucks (take priority over metals, timber, IEEPA)
    veh, parts = g(ls.vehicles), g(ls.parts)
    auto = (veh & (d >= AUTOS)) | (parts & (d >= PARTS))
    rate = np.full(n, 25.0)
    if deals:
        for who, start, level in (
            ("GBR", UK_AUTOS, 10),
            ("EUU", EU_AUTOS, 15),
            ("JPN", JP_AUTOS, 15),
            ("KOR", KR_AUTOS, 15),
        ):
            if m == who and d >= start:
                rate = floor(level)
    if m in USMCA:  # qualifying vehicles: non-US content; qualifying parts exempt
        rate = np.where(veh, rate * (1 - q + q * USMCA_VEHICLE_NON_US_CONTENT), rate * (1 - q))
    out["section-232-autos"] = np.where(auto, rate, 0.0)
    truck = (g(ls.trucks) | g(ls.buses)) & (d >= TRUCKS) & ~auto
    trate = np.where(g(ls.buses), 10.0, 25.0)
    if m in USMCA:
        trate = np.where(g(ls.buses), trate, trate * (1 - q + q * USMCA_VEHICLE_NON_US_CONTENT))
    out["section-232-trucks"] = np.where(truck, trate, 0.0)
    vehicle_232 = auto | truck

    # --- Section 232 metals
    if d < METALS_2026:
        metal = (g(ls.steel) | g(ls.alu)) & (d >= STEEL_25)
        mrate = np.full(n, 50.0 if d >= STEEL_50 and not (m == "GBR" and deals) else 25.0)
        cu = g(ls.copper) & (d >= COPPER)
        mrate = np.where(cu, 50.0, mrate)
        metal = (metal | cu) & ~vehicle_232
    else:
        metal = (g(ls.ia) | g(ls.ib) | g(ls.iii)) & ~g(ls.removed) & ~vehicle_232
        uk = m == "GBR" and deals
        mrate = np.where(g(ls.ia), 25.0 if uk else 50.0, np.where(g(ls.ib), 15.0 if uk else 25.0, floor(15)))
    if deals and m in ("EUU", "JPN") and d >= (EU_EXEMPT if m == "EUU" else JP_AIRCRAFT):
        metal &= ~g(ls.aircraft)
    if deals and m == "GBR" and d >= UK_AUTOS:
        metal &= ~g(ls.aircraft)
    # Canada/Mexico before 2025-06-04: IEEPA fentanyl instead of 232 on non-qualifying goods
    camx_early = m in USMCA and d < STEEL_50 and d >= FENT_CAMX and ieepa
    metal_share = np.where(metal, (q if camx_early else 1.0), 0.0)
    out["section-232-metals"] = metal_share * mrate

    # --- Section 232 timber
    lumber, furn = g(ls.lumber) & (d >= TIMBER) & ~vehicle_232, g(ls.furniture) & (d >= TIMBER) & ~vehicle_232
    if d >= TIMBER_STEP:  # W124, W125: upholstered furniture 30, cabinets and vanities 50
        frate = np.where(g(ls.upholstered), 30.0, 50.0)
    else:
        frate = np.full(n, 25.0)
    if deals:
        if m == "GBR":
            frate = np.full(n, 10.0)
        elif m in ("EUU", "JPN") or (m == "KOR" and d >= KR_TIMBER):
            frate = floor(15)
    out["section-232-timber"] = np.where(lumber, 10.0, 0.0) + np.where(furn & ~lumber, frate, 0.0)
    s232 = vehicle_232 | metal | lumber | furn
    # goods under 232: only the share paying 232 escapes the other duties (CAN/MEX early metals)
    free = np.where(s232, 0.0, 1.0)
    if camx_early:  # the non-qualifying share of the metal lines pays fentanyl (the 1 - q below)
        free = np.where(metal & ~vehicle_232, 1.0, free)

    # --- IEEPA fentanyl
    if ieepa:
        if m in CHINA_LIKE and d >= FENT_CN10:
            out["ieepa-fentanyl"] = np.full(n, 10.0 if d < FENT_CN20 or d >= FENT_BUSAN else 20.0)
        elif m in USMCA and d >= FENT_CAMX:
            base = 35.0 if (m == "CAN" and d >= FENT_CA35) else 25.0
            frate = np.where(g(ls.energy), 10.0, base)
            nonq = (1 - q) if d >= USMCA_EXEMPT else 1.0
            out["ieepa-fentanyl"] = frate * nonq * free

    # --- IEEPA reciprocal
    if ieepa and d >= RECIP and m not in RECIP_EXCLUDED:
        annex2 = g(ls.annex2_nov) if d >= FARM else g(ls.annex2)
        scope = ~annex2 & ~g(ls.electronics)
        if deals and m == "EUU" and d >= EU_EXEMPT:
            scope &= ~g(ls.eu_exempt)
        if deals and m == "JPN" and d >= JP_AIRCRAFT or deals and m == "GBR" and d >= UK_AUTOS:
            scope &= ~g(ls.aircraft)
        rrate = np.full(n, 10.0)
        if m in CHINA_LIKE:
            if d >= GENEVA:
                rrate[:] = 10.0
            elif d >= CN_125:
                rrate[:] = 125.0
            elif d >= CN_84:
                rrate[:] = 84.0
        elif d == RECIP_ANNEX1 and m in ctx["annex1"]:
            rrate[:] = ctx["annex1"][m]
        elif d >= AUG7:
            if not deals and m in DEAL_PARTNERS:
                rrate[:] = max(ctx["annex1"].get(m, 0.0), ctx["aug7"].get(m, 10.0))
            elif m == "EUU" or m == "JPN" or (m in ("KOR", "CHE") and d >= KR_CH_DEALS):
                rrate = floor(15)
            else:
                rrate[:] = ctx["aug7"].get(m, 10.0)
        out["ieepa-reciprocal"] = rrate * scope * free
        if m == "IND" and INDIA_OIL <= d < INDIA_OIL_END:
            out["ieepa-russia-oil"] = 25.0 * scope * free
    if ieepa and m == "BRA" and d >= BRAZIL40:
        scope = ~g(ls.brazil_exempt)
        if d >= FARM:
            scope &= ~g(ls.farm)
        out["ieepa-brazil"] = 40.0 * scope * free

    # --- Section 122 (replaces the IEEPA duties after the ruling)
    if ruling and RULING <= d < S122_END:
        scope = (~g(ls.s122_exempt)).astype(float) * free
        if m in USMCA:
            scope = scope * (1 - q)
        if m in ("CRI",):
            scope = np.where(g(ls.textiles), 0.0, scope)
        out["section-122"] = 10.0 * scope

    # --- Section 301
    s301 = zero.copy()
    if m == "CHN":
        if d >= S301_2025:
            s301 += 25.0 * (g(ls.cn_semis) | g(ls.cn_poly)) + 25.0 * g(ls.cn_tungsten)
        if d >= S301_2026:
            s301 += 17.5 * g(ls.cn_batteries) + 25.0 * g(ls.cn_graphite_magnets)
    if m == "BRA" and d >= BRAZIL301:
        s301 += 25.0 * (~g(ls.brazil301_exempt)) * free
    out["section-301"] = s301
    tier = ctx["forced_labour"].get(m)
    if ruling and d >= FORCED_LABOUR and tier is not None:
        level, capped = tier
        scope = (~g(ls.s122_exempt)).astype(float) * free  # proxy for Annex II Part A
        if m in USMCA:
            scope = scope * (1 - q)
        rate_fl = floor(level) if (capped and deals) else np.full(n, float(level))
        out["section-301-forced-labour"] = rate_fl * scope
    if m == "CAN" and d >= S338:
        out["section-338"] = 50.0 * g(ls.ca338) * free
    return out


def evaluation_dates() -> list[dt.date]:
    names = [v for k, v in globals().items() if isinstance(v, dt.date) and k.isupper() and k != "D"]
    ds = {PERIOD[0], *names, RECIP_ANNEX1 + dt.timedelta(days=1), USMCA_EXEMPT, S122_END}
    return sorted(d for d in ds if PERIOD[0] <= d <= TIMBER_STEP)


def cell_series(ctx, *, deals=True, ruling=True) -> dict:
    """{(layer, region, sector): [(date, value_pp, coverage, rate_pp)]} at every evaluation date."""
    lines = ctx["lines"]
    w = lines["imports"].to_numpy()
    code = lines["sector"].map({s: k for k, s in enumerate(GOODS)}).to_numpy().astype(int)
    J = len(GOODS)
    out = defaultdict(list)
    regions = {r: np.concatenate([ctx["index"][m] for m in ms]) for r, ms in REGIONS.items()}
    for d in evaluation_dates():
        rates = {m: member_rates(ctx, m, d, deals=deals, ruling=ruling) for m in ctx["index"]}
        for region, members in REGIONS.items():
            idx = regions[region]
            ww, cc = w[idx], code[idx]
            tot = np.bincount(cc, weights=ww, minlength=J)
            for layer in rates[members[0]]:
                r = np.concatenate([rates[m][layer] for m in members])
                with np.errstate(invalid="ignore", divide="ignore"):
                    val = np.where(tot > 0, np.bincount(cc, weights=ww * r, minlength=J) / tot, 0.0)
                    cov = np.where(tot > 0, np.bincount(cc, weights=ww * (r > 1e-9), minlength=J) / tot, 0.0)
                for k, s in enumerate(GOODS):
                    v, c = float(val[k]), float(cov[k])
                    out[(layer, region, s)].append((d, v, c, v / c if c > 0 else 0.0))
    return out


# ------------------------------------------------------------------ events
def _r(x: float, n: int) -> float:
    return float(f"{x:.{n}f}")


def layer_sources(actions: pd.DataFrame) -> dict[str, list[tuple[str, dt.date | None, dt.date | None, str]]]:
    """Layer -> [(W id, start, end, targets)] of the applied US rows behind it."""
    basis = {
        "IEEPA fentanyl": "ieepa-fentanyl",
        "IEEPA reciprocal": "ieepa-reciprocal",
        "IEEPA Brazil": "ieepa-brazil",
        "IEEPA Russia oil": "ieepa-russia-oil",
        "Section 122": "section-122",
        "Section 338": "section-338",
        "Section 232 autos": "section-232-autos",
        "Section 232 auto parts": "section-232-autos",
        "Section 232 lumber/timber": "section-232-timber",
        "Section 232 trucks": "section-232-trucks",
    }
    out = defaultdict(list)
    for r in actions.itertuples():
        if r.actor != "USA" or not r.date_effective:
            continue
        layer = basis.get(r.legal_basis)
        if (
            r.legal_basis.startswith("Section 232 steel")
            or r.legal_basis.startswith("Section 232 alu")
            or r.legal_basis == "Section 232 copper"
        ):
            layer = "section-232-metals"
        if r.legal_basis == "Section 301":
            layer = "section-301-forced-labour" if r.id in ("W146", "W147", "W148", "W149") else "section-301"
        if layer is None:
            continue
        start = dt.date.fromisoformat(r.date_effective)
        end = dt.date.fromisoformat(r.end_date) if r.end_date else None
        out[layer].append((r.id, start, end, r.target))
    return out


def _targets(target: str) -> set[str] | None:
    if target == "all":
        return None
    if target.startswith("all-except:"):
        return {"!" + t for t in target.removeprefix("all-except:").split(";")}
    return set(target.split(";"))


def _hits(target: str, members: list[str]) -> bool:
    t = _targets(target)
    if t is None:
        return True
    if any(x.startswith("!") for x in t):
        return any("!" + m not in t for m in members)
    aliases = set(members) | ({"EUU"} if "EUU" in members else set())
    return bool(aliases & t)


def sources_for(srcs, layer: str, region: str, d: dt.date) -> str:
    members = REGIONS[region]
    rows = srcs.get(layer, [])
    changed = [i for i, s, e, t in rows if (s == d or e == d) and _hits(t, members)]
    if layer.startswith("ieepa") and d == RULING:
        changed = ["W142"] + changed
    if layer == "section-122" and d in (RULING, S122_END):
        changed = ["W143"]
    if not changed:
        changed = [i for i, s, e, t in rows if s <= d and (e is None or d < e) and _hits(t, members)]
    return "; ".join(dict.fromkeys(changed))


def us_events(series: dict, srcs) -> list[dict]:
    """Events from the cell series: one per change, regions merged where identical."""
    raw = defaultdict(list)  # (layer, sector, date, op, rate, cov, source) -> regions
    for (layer, region, s), pts in series.items():
        prev = 0.0
        for d, v, c, rate in pts:
            v = round(v, 6)
            if abs(v - prev) < 5e-6:
                continue
            src = sources_for(srcs, layer, region, d)
            if v < 5e-6:
                key = (layer, s, d, "remove", None, None, src)
            else:
                key = (layer, s, d, "set", _r(rate, 4), _r(c, 6), src)
            raw[key].append(region)
            prev = v
    events = []
    for (layer, s, d, op, rate, cov, src), regions in raw.items():
        exp = ",".join(regions)
        tag = "EU" if regions == list(EU_REGIONS) else "+".join(regions)
        ev = {"id": f"{layer}:{tag}:{s}:{d.isoformat()}", "date": d, "source": src}
        spec = {"importer": "USA", "exporter": exp, "sectors": s, "layer": layer, "op": op}
        if op == "set":
            spec.update(rate_pp=rate, coverage=cov)
        ev["tariff"] = spec
        events.append(ev)
    order = {k: i for i, k in enumerate(LAYERS)}
    events.sort(key=lambda e: (order[e["tariff"]["layer"]], e["date"], e["tariff"]["sectors"], e["id"]))
    return events


# ------------------------------------------------------------------ retaliation and copied events
CAD_USD = 0.73  # 2024 average
EUR_USD = 1.08


def proxy_sector_split(lines: pd.DataFrame, hs6_codes: list[str]) -> pd.Series:
    """Split of a list's value over sectors: each HS6 code weighs the 2024 US imports of
    that HS6 from all the partners in the table (a proxy for the size of its trade)."""
    hs6w = lines.assign(HS6=lines["HS10"].str[:6]).groupby("HS6")["imports"].sum()
    rows = [(c[:6], hs6_sector(c[:6])) for c in hs6_codes]
    frame = pd.DataFrame(rows, columns=["HS6", "sector"]).dropna().drop_duplicates("HS6")
    frame["w"] = frame["HS6"].map(hs6w).fillna(0.0) + 1.0  # +1: lines without US trade still count
    split = frame.groupby("sector")["w"].sum()
    return split / split.sum()


def list_value_events(
    world,
    lines,
    *,
    importer,
    exporter_label,
    codes,
    value_usd_m,
    layer,
    rate,
    date,
    until,
    ev_id,
    source,
    note,
    sectors=None,
) -> list[dict]:
    """Sector coverage of a retaliation list of known value: value split by
    :func:`proxy_sector_split`, over the world's baseline flow importer <- exporter."""
    flows = np.asarray(world.trade_flows)
    n, i = world.countries.index(importer), world.countries.index(exporter_label)
    split = proxy_sector_split(lines, codes)
    if sectors is not None:
        split = split[split.index.isin(sectors)]
        split = split / split.sum()
    out = []
    for s, share in split.items():
        flow = float(flows[n, i, world.sectors.index(s)])
        if flow <= 0:
            continue
        cov = min(1.0, share * value_usd_m / flow)
        if cov < 1e-4:
            continue
        ev = {
            "id": f"{ev_id}:{s}",
            "date": date,
            "source": source,
            "note": f"{note}; {share:.1%} of the list's value in {s} over the world's {importer} <- {exporter_label} {s} flow",
            "tariff": {
                "importer": importer,
                "exporter": exporter_label,
                "sectors": s,
                "layer": layer,
                "op": "add",
                "rate_pp": rate,
                "coverage": _r(cov, 4),
            },
        }
        if until:
            ev["until"] = until
        out.append(ev)
    return out


def canada_events(world, lines, L: Path) -> list[dict]:
    march = read_codes(L / "canada-march-list.csv", 0, header=False)
    steel_list = read_codes(L / "canada-steel-list.csv", 0, header=False)
    metal = [c for c in steel_list if c[:2] in ("72", "73", "76")]
    other = [c for c in steel_list if c[:2] not in ("72", "73", "76")]
    ev = []
    ev += list_value_events(
        world,
        lines,
        importer="CAN",
        exporter_label="USA",
        codes=march,
        value_usd_m=30000 * CAD_USD,
        layer="retaliation-canada",
        rate=25,
        date=D(2025, 3, 4),
        until=D(2025, 9, 1),
        ev_id="ca-surtax-30bn",
        source="W153 (lists/canada-march-list.csv)",
        note="C$30bn list at 25 pp, repealed from 2025-09-01",
    )
    ev += list_value_events(
        world,
        lines,
        importer="CAN",
        exporter_label="USA",
        codes=metal,
        value_usd_m=15600 * CAD_USD,
        layer="retaliation-canada",
        rate=25,
        date=D(2025, 3, 13),
        until=None,
        ev_id="ca-surtax-steel-alu",
        source="W154 (lists/canada-steel-list.csv, ch. 72-73, 76)",
        note="C$12.6bn steel + C$3bn aluminium at 25 pp, kept after 2025-09-01",
    )
    ev += list_value_events(
        world,
        lines,
        importer="CAN",
        exporter_label="USA",
        codes=other,
        value_usd_m=14200 * CAD_USD,
        layer="retaliation-canada",
        rate=25,
        date=D(2025, 3, 13),
        until=D(2025, 9, 1),
        ev_id="ca-surtax-other",
        source="W155 (lists/canada-steel-list.csv, other chapters)",
        note="C$14.2bn of other goods at 25 pp, repealed from 2025-09-01",
    )
    ev.append(
        {
            "id": "ca-surtax-vehicles",
            "date": D(2025, 4, 9),
            "source": "W156",
            "note": "non-CUSMA vehicles and the non-Canadian/Mexican content of CUSMA ones; after the "
            "automakers' remission ~15% of MOTOR imports from the US (L, no list)",
            "tariff": {
                "importer": "CAN",
                "exporter": "USA",
                "sectors": "MOTOR",
                "layer": "retaliation-canada-vehicles",
                "op": "set",
                "rate_pp": 25,
                "coverage": 0.15,
            },
        }
    )
    ev.append(
        {
            "id": "ca-remission",
            "date": D(2025, 4, 16),
            "until": D(2025, 10, 15),
            "source": "W157",
            "note": "remission for manufacturing/processing inputs, health and safety: half of the surtaxed "
            "trade (L; claims within two years)",
            "exemption": {
                "importer": "CAN",
                "exporter": "USA",
                "sectors": "goods",
                "layer": "retaliation-canada",
                "share": 0.5,
            },
        }
    )
    return ev


def china_canada_events(world) -> list[dict]:
    """W167-W169: China's 2025 duties on Canadian goods; 2024 values (US$ m, L) over the world flow."""
    flows = np.asarray(world.trade_flows)
    n, i = world.countries.index("CHN"), world.countries.index("CAN")
    fl = {s: float(flows[n, i, world.sectors.index(s)]) for s in ("AGR", "FOOD")}
    # 2024 Chinese imports from Canada, US$ million (estimates): canola oil 1000, canola meal 700,
    # peas 300 (AGR), pork 400, aquatic products 600 (AGR 400 live/fresh, FOOD 200 processed),
    # of which lobsters and crabs 350 (AGR).
    items = [
        (
            "cn-ca-canola-oil-meal",
            "FOOD",
            100,
            1700,
            D(2025, 3, 20),
            D(2026, 3, 1),
            "W167 canola oil + meal (meal lifted 2026-03-01, W169)",
        ),
        ("cn-ca-canola-oil-2026", "FOOD", 100, 1000, D(2026, 3, 1), None, "W167, W169 (canola oil stays)"),
        ("cn-ca-peas", "AGR", 100, 300, D(2025, 3, 20), D(2026, 3, 1), "W167 peas (lifted W169)"),
        ("cn-ca-pork-aquatic-food", "FOOD", 25, 600, D(2025, 3, 20), None, "W168 pork and processed aquatic products"),
        ("cn-ca-aquatic", "AGR", 25, 400, D(2025, 3, 20), D(2026, 3, 1), "W168 live/fresh aquatic products"),
        ("cn-ca-aquatic-2026", "AGR", 25, 50, D(2026, 3, 1), None, "W168, W169 (lobsters, crabs lifted)"),
    ]
    ev = []
    for eid, s, rate, value, start, until, src in items:
        e = {
            "id": eid,
            "date": start,
            "source": src,
            "note": f"~US${value}m of 2024 imports over the world's CHN <- CAN {s} flow (L)",
            "tariff": {
                "importer": "CHN",
                "exporter": "CAN",
                "sectors": s,
                "layer": "retaliation-china-canada",
                "op": "add",
                "rate_pp": rate,
                "coverage": _r(min(1.0, value / fl[s]), 4),
            },
        }
        if until:
            e["until"] = until
        ev.append(e)
    return ev


CHINA_COPY = {  # us-china-2025 event id prefix -> W ids
    "cn-retaliation-34": "W163",
    "cn-retaliation-84": "W164",
    "cn-retaliation-125": "W165",
    "cn-geneva": "W166",
    "cn-suspend": "W166",
    "cn-feb-coal-lng": "W159",
    "cn-feb-crude": "W160",
    "cn-feb-machinery": "W160",
    "cn-feb-cars": "W160",
    "cn-mar-farm-15": "W161",
    "cn-mar-food-15": "W161",
    "cn-mar-farm-10": "W162",
    "cn-mar-food-10": "W162",
    "us-301-2024": "E024",
}


def copied_events() -> list[dict]:
    """China's retaliation, the 2024 Section 301 tranche and the export controls of us-china-2025."""
    from detente.policy import load_scenario

    sc = load_scenario("us-china-2025")
    out = []
    for e in sc.events:
        if e.kind == "tariff" and not (e.id.startswith("cn-") or e.id.startswith("us-301-2024")):
            continue
        if e.kind in ("exemption", "notice", "iceberg"):
            continue
        d = e.model_dump(exclude_none=True, exclude_defaults=True)
        d["date"] = e.date
        if e.until:
            d["until"] = e.until
        wid = next((w for p, w in CHINA_COPY.items() if e.id.startswith(p)), None)
        d["source"] = (f"{wid}; " if wid else "") + f"us-china-2025 {e.id}: {e.source}"
        if e.kind == "tariff" and e.id.startswith("us-301-2024"):
            d["tariff"]["layer"] = "section-301-2024"
        out.append(d)
    return out


def variant_retaliation(world, lines, L: Path) -> list[dict]:
    """Events of the full-retaliation variant (assumptions in docs/world_2025.md)."""
    flows = np.asarray(world.trade_flows)
    us = world.countries.index("USA")
    goods = [world.sectors.index(s) for s in GOODS]
    eu_imp = sum(float(flows[world.countries.index(c), us, goods].sum()) for c in EU_REGIONS)
    ev = []
    for eid, date, value_eur, src in (
        ("eu-21bn", D(2025, 4, 15), 21000, "W170 (EUR 21bn at 25, applied from 2025-04-15)"),
        ("eu-93bn", D(2025, 8, 7), 72000, "W171 (the further EUR 72bn at 25 from 2025-08-07)"),
    ):
        cov = value_eur * EUR_USD / eu_imp
        ev.append(
            {
                "id": f"full-{eid}",
                "date": date,
                "source": src,
                "note": f"no product list: {cov:.1%} of EU goods imports from the US in every goods sector (L)",
                "tariff": {
                    "importer": ",".join(EU_REGIONS),
                    "exporter": "USA",
                    "sectors": "goods",
                    "layer": "retaliation-eu",
                    "op": "add",
                    "rate_pp": 25,
                    "coverage": _r(cov, 4),
                },
            }
        )
    big = read_codes(L / "canada-125b-list.csv", 0, header=False)
    ev += list_value_events(
        world,
        lines,
        importer="CAN",
        exporter_label="USA",
        codes=big,
        value_usd_m=125000 * CAD_USD,
        layer="retaliation-canada",
        rate=25,
        date=D(2025, 4, 2),
        until=None,
        ev_id="full-ca-125bn",
        source="W158 (lists/canada-125b-list.csv; never imposed)",
        note="C$125bn list at 25 pp from 2025-04-02",
    )
    ind = world.countries.index("IND")
    ind_imp = float(flows[ind, us, goods].sum())
    ev.append(
        {
            "id": "full-india",
            "date": D(2025, 6, 1),
            "source": "W172 (USD 1.91bn of duty; never applied)",
            "note": "US$1.91bn a year of duty spread over all of India's goods imports from the US (L)",
            "tariff": {
                "importer": "IND",
                "exporter": "USA",
                "sectors": "goods",
                "layer": "retaliation-india",
                "op": "add",
                "rate_pp": _r(100 * 1910 / ind_imp, 4),
                "coverage": 1.0,
            },
        }
    )
    return ev


NOTICES = {  # applied (or recorded) rows not encoded as tariff layers, with the reason
    "W006": "NOT APPLIED: Mexico 30% threatened, postponed",
    "W007": "NOT APPLIED: Canada +10% announced, not found implemented",
    "W011": "de minimis ended for China/HK: low-value parcels are not in the HS10 import data",
    "W012": "de minimis suspended for all countries: parcels not in the HS10 data",
    "W016": "Annex II revised (EO 14346): its changes are not separated from W017 in the list; the original Annex II is kept until 2025-11-12",
    "W018": "40% on transshipped goods: no data on the goods CBP reclassifies",
    "W094": "NOT APPLIED: Taiwan 15% all-in",
    "W096": "NOT APPLIED: India 18%",
    "W103": "407 more derivative codes (2025-08-18): the list is not in the data; not modelled",
    "W117": "NOT APPLIED: Taiwan auto parts cap 15%",
    "W130": "Section 232 advanced chips 25% (narrow list not in the data, wide end-use exemptions): not modelled",
    "W131": "Section 232 patented pharmaceuticals 100% from 2026-07-31 (M; no list, firm-level 0% agreements): not modelled",
    "W132": "Section 232 pharmaceuticals 15% cap for EU/JP/KR/CH/LI (as W131): not modelled",
    "W137": "Section 301 legacy chips at 0% until 2027-06-23",
    "W138": "Section 301 Nicaragua 0% (Nicaragua is not in the compact world)",
    "W139": "Section 301 Nicaragua 10% from 2027-01-01 (not in the compact world)",
    "W140": "Section 301 Nicaragua 15% from 2028-01-01 (not in the compact world)",
    "W141": "NOT APPLIED: +100 pp threat on China",
    "W142": "Supreme Court: IEEPA duties void, collection ends 2026-02-24 (every IEEPA layer is cleared on that date)",
    "W144": "NOT APPLIED: Section 122 at 15%",
    "W158": "NOT APPLIED: Canada's C$125bn list (variant full-retaliation)",
    "W170": "NOT APPLIED: EU EUR 21bn countermeasures, suspended (variant full-retaliation)",
    "W171": "NOT APPLIED: EU EUR 93bn package, suspended (variant full-retaliation)",
    "W172": "NOT APPLIED: India's WTO-notified retaliation (variant full-retaliation)",
}


def notice_events(actions: pd.DataFrame) -> list[dict]:
    out = []
    for wid, text in NOTICES.items():
        r = actions[actions.id == wid].iloc[0]
        date = r.date_effective or r.date_announced
        out.append(
            {
                "id": f"notice-{wid}",
                "date": dt.date.fromisoformat(date),
                "source": f"{wid}: {r.source.split(' ; ')[0]}",
                "notice": {"instrument": r.legal_basis, "actor": r.actor, "target": r.target[:60], "text": text},
            }
        )
    return out


# ------------------------------------------------------------------ context and variants
def build_context(data: Path) -> dict:
    lines = read_lines(data)
    lists = Lists(data, lines)
    L = data / "world_2025" / "lists"
    annex1 = pd.read_csv(L / "reciprocal-tariffs-annex-I.csv", dtype=str)
    a1 = {}
    for r in annex1.itertuples():
        iso = CENSUS.get(r.CTY_CODE.strip())
        if iso and iso not in CHINA_LIKE and iso not in RECIP_EXCLUDED:
            a1[iso] = float(r.tariff_rate)
    actions = read_actions(data)
    aug7 = {}
    for r in actions.itertuples():
        if r.legal_basis == "IEEPA reciprocal" and r.date_effective == "2025-08-07" and r.rate_pp and r.id != "W018":
            for t in r.target.split(";"):
                aug7[t] = float(r.rate_pp)
    fl = {}
    for wid, level, capped in (
        ("W146", 10.0, False),
        ("W147", 10.0, True),
        ("W148", 12.5, True),
        ("W149", 12.5, False),
    ):
        for t in actions[actions.id == wid].iloc[0].target.split(";"):
            fl[t] = (level, capped)
    members = sorted({m for ms in REGIONS.values() for m in ms})
    index = {m: np.flatnonzero((lines["member"] == m).to_numpy()) for m in members}
    return {
        "lines": lines,
        "lists": lists,
        "annex1": a1,
        "aug7": aug7,
        "forced_labour": fl,
        "index": index,
        "usmca": usmca_shares(lines).to_numpy(),
        "actions": actions,
    }


def _key(e: dict) -> str:
    return repr(sorted((k, repr(v)) for k, v in e.items()))


def diff_variant(base: list[dict], other: list[dict]) -> dict:
    b = {e["id"]: e for e in base}
    o = {e["id"]: e for e in other}
    remove = sorted(i for i in b if i not in o)
    replace = {i: o[i] for i in sorted(o) if i in b and _key(o[i]) != _key(b[i])}
    add = [o[i] for i in o if i not in b]
    out = {}
    if remove:
        out["remove_events"] = remove
    if add:
        out["add_events"] = add
    if replace:
        out["replace_events"] = replace
    return out


# ------------------------------------------------------------------ writing
def _yaml_value(v) -> str:
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {_flow(v) if isinstance(v, dict) else _yaml_value(v)}" for k, v in d.items()) + "}"


def event_yaml(e: dict, indent: str) -> str:
    keys = ["id", "date", "until", "source", "note"]
    head = {k: e[k] for k in keys if k in e}
    kind = next(k for k in ("tariff", "exemption", "export_control", "iceberg", "notice") if k in e)
    return f"{indent}- {_flow({**head, kind: e[kind]})}\n"


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance(data: Path, ctx: dict) -> list[str]:
    folder = data / "world_2025"
    hs10 = hashlib.sha256()
    for p in sorted((folder / "hs10_imports_2024").glob("*.parquet")):
        hs10.update(p.name.encode() + sha256(p).encode())
    return [
        "generated by scripts/build_world_2025.py (do not edit by hand; rerun the script)",
        f"source: ../shared/data/world_2025/actions.csv sha256 {sha256(folder / 'actions.csv')}",
        f"source: ../shared/data/world_2025/hs10_imports_2024/*.parquet (51 files) combined sha256 {hs10.hexdigest()}",
        f"source: ../shared/data/world_2025/lists/ (29 files) from tradewartracker/trade-war-redux-2025 commit {TRACKER_COMMIT}",
        *[f"  list {p.name} sha256 {sha256(p)}" for p in sorted((folder / "lists").glob("*.csv"))],
        "source: src/detente/scenarios/us-china-2025.yaml (China's retaliation, export controls, 2024 Section 301 tranche)",
        f"script: scripts/build_world_2025.py sha256 {sha256(Path(__file__))}, detente commit {git_commit()}, "
        f"built {dt.date.today().isoformat()}",
    ]


def write_tables(out: Path, ctx: dict, series: dict, srcs, prov: list[str], world) -> None:
    out.mkdir(parents=True, exist_ok=True)
    head = "".join(f"# {p}\n" for p in prov)
    rows = []
    for (layer, region, s), pts in series.items():
        for k, (d, v, c, rate) in enumerate(pts):
            if v < 5e-6 and (k == 0 or pts[k - 1][1] < 5e-6):
                continue
            if k > 0 and abs(v - pts[k - 1][1]) < 5e-6:
                continue
            nxt = next((p[0] for p in pts[k + 1 :] if abs(p[1] - v) >= 5e-6), None)
            rows.append(
                (
                    layer,
                    region,
                    s,
                    d.isoformat(),
                    nxt.isoformat() if nxt else "",
                    f"{rate:.4f}",
                    f"{c:.6f}",
                    f"{v:.6f}",
                    sources_for(srcs, layer, region, d),
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=["layer", "exporter", "sector", "date_from", "date_to", "rate_pp", "coverage", "value_pp", "sources"],
    ).sort_values(["layer", "exporter", "sector", "date_from"])
    with open(out / "coverage_by_sector.csv", "w", newline="") as fh:
        fh.write(
            "# US tariff layers by partner region and goods sector (importer USA): value_pp = coverage * rate_pp,\n"
            "# the 2024-HS10-import-weighted rate of the sector; date_to = first day of the next value (exclusive)\n"
            + head
        )
        frame.to_csv(fh, index=False, lineterminator="\n")
    lines = ctx["lines"].assign(usmca=ctx["usmca"])
    flows = np.asarray(world.trade_flows)[world.countries.index("USA")]
    eu = [world.countries.index(c) for c in EU_REGIONS]
    recs = []
    for region, members in REGIONS.items():
        for m in members:
            x = lines[lines["member"] == m]
            g = x.groupby("sector")
            for s in GOODS:
                if s not in g.groups:
                    continue
                y = g.get_group(s)
                j = world.sectors.index(s)
                split = flows[world.countries.index(region), j] / flows[eu, j].sum() if m == "EUU" else 1.0
                recs.append(
                    (
                        region,
                        m,
                        s,
                        f"{y['imports'].sum():.0f}",
                        f"{y['imports'].sum() * split:.0f}",
                        len(y),
                        f"{(y['duty'].sum() / y['imports'].sum() * 100):.4f}",
                        f"{(y['usmca'] * y['imports']).sum() / y['imports'].sum():.6f}" if m in USMCA else "",
                    )
                )
    with open(out / "weights_2024.csv", "w", newline="") as fh:
        fh.write(
            "# 2024 US imports for consumption by compact region, member and goods sector (USD), HS10 lines,\n"
            "# applied 2024 duty rate (%), and the USMCA-qualifying share (Canada, Mexico; see docs/world_2025.md);\n"
            "# weight_usd = imports_usd, except the EU aggregate split over DEU, FRA, ITA, EUR by the world's 2022 US imports\n"
            + head
        )
        pd.DataFrame(
            recs,
            columns=[
                "exporter",
                "member",
                "sector",
                "imports_usd",
                "weight_usd",
                "hs10_lines",
                "duty_2024_pct",
                "usmca_share",
            ],
        ).to_csv(fh, index=False, lineterminator="\n")


HEADER_TEXT = """\
# The US tariffs of 2025-2026 on all partners and the partners' retaliation, replayed on
# the default world. Every action of ../shared/data/world_2025/actions.csv (W001-W172) is
# cited in the `source` of the events that encode it (tariff layers, or a notice saying why
# it is not modelled). The US layers are 2024-HS10-import-weighted sector rates by partner
# region: `coverage` = the share of the sector's 2024 imports on lines with a positive rate,
# `rate_pp` = their mean rate; docs/world_2025.md gives the rules and approximations.
"""


def write_scenario(path: Path, events: list[dict], variants: dict, prov: list[str]) -> None:
    buf = [HEADER_TEXT, "#\n", *[f"# {p}\n" for p in prov], "\n"]
    buf.append("name: world-2025\n")
    buf.append(
        'title: "US tariffs 2025-2026 on all partners: IEEPA, Section 232, the deals, the ruling, Section 122, retaliation"\n'
    )
    buf.append(
        "description: >\n  The US measures of 2025-2026 on every partner region of the compact world (IEEPA fentanyl and\n"
        "  reciprocal duties with the 2025-08-07 country rates and the deals, Brazil 40%, India 25% oil duty,\n"
        "  Section 232 metals, autos, timber and trucks, Section 301, the February 2026 ruling, Section 122,\n"
        "  Section 338), the retaliation by China and Canada, China's duties on Canada, and the US-China\n"
        "  export controls of us-china-2025.\n"
    )
    buf.append(
        "world: default\n# later_events: keep: the actions dated 2027-01-01 (announced steps) stay on the timeline for the record\nperiod: {start: 2025-01-01, end: 2026-12-31, step: month, later_events: keep}\nsettings: {deficits: baseline}\n\n"
    )
    buf.append("layers:\n" + "".join(f"  {k}: {_yaml_value(v)}\n" for k, v in LAYERS.items()) + "\n")
    buf.append("events:\n")
    buf += [event_yaml(e, "  ") for e in events]
    buf.append("\nvariants:\n")
    for name, (desc, v) in variants.items():
        buf.append(f"  {name}:\n    description: {_yaml_value(desc)}\n")
        if "remove_events" in v:
            buf.append("    remove_events:\n" + "".join(f"      - {_yaml_value(i)}\n" for i in v["remove_events"]))
        if "add_events" in v:
            buf.append("    add_events:\n" + "".join(event_yaml(e, "      ") for e in v["add_events"]))
        if "replace_events" in v:
            buf.append("    replace_events:\n")
            for i, e in v["replace_events"].items():
                buf.append(f"      {_yaml_value(i)}: {_flow(_flow_event(e))}\n")
    path.write_text("".join(buf))


def _flow_event(e: dict) -> dict:
    keys = ["id", "date", "until", "source", "note"]
    head = {k: e[k] for k in keys if k in e}
    kind = next(k for k in ("tariff", "exemption", "export_control", "iceberg", "notice") if k in e)
    return {**head, kind: e[kind]}


def check_coverage(actions: pd.DataFrame, events: list[dict], variants: dict) -> list[str]:
    text = " ".join(e.get("source", "") for e in events)
    for _, v in variants.values():
        text += " ".join(e.get("source", "") for e in v.get("add_events", []))
    return [w for w in actions["id"] if w not in text]


def build(data: Path, scenario_out: Path, tables_out: Path) -> dict:
    from detente.world import load_world

    world = load_world("default")
    ctx = build_context(data)
    actions = ctx["actions"]
    srcs = layer_sources(actions)
    L = data / "world_2025" / "lists"
    series = cell_series(ctx)
    other = copied_events() + canada_events(world, ctx["lines"], L) + china_canada_events(world)
    base = us_events(series, srcs) + other
    events = base + notice_events(actions)
    no_deals = us_events(cell_series(ctx, deals=False), srcs) + other
    no_ruling = us_events(cell_series(ctx, ruling=False), srcs) + other
    full = list(variant_retaliation(world, ctx["lines"], L))
    full_v = {"add_events": full, "remove_events": [e["id"] for e in other if e.get("until") == D(2025, 9, 1)]}
    full_v["add_events"] += [
        {
            **{k: v for k, v in e.items() if k != "until"},
            "id": e["id"] + ":kept",
            "source": e["source"] + " (not repealed in this variant)",
        }
        for e in other
        if e.get("until") == D(2025, 9, 1)
    ]
    variants = {
        "no-deals": (
            "No deals: from 2025-08-07 the deal partners (UK, EU, Japan, Korea, Viet Nam, Indonesia, the Philippines, "
            "Thailand, Malaysia, Cambodia, Switzerland) pay the higher of their 2025-04-02 Annex I and 2025-08-07 "
            "rates, additional to MFN; no sectoral deal rates (autos, timber, UK metals, forced-labour caps)",
            diff_variant(base, no_deals),
        ),
        "full-retaliation": (
            "Partners retaliate in full: the EU's EUR 21bn (2025-04-15) and further EUR 72bn (2025-08-07) "
            "packages at 25%, Canada's C$125bn list (2025-04-02) and no repeal of its surtaxes on 2025-09-01, "
            "India's notified list (2025-06-01)",
            full_v,
        ),
        "no-ruling": (
            "IEEPA duties upheld: no ruling on 2026-02-24, no Section 122 surcharge and no 2026 forced-labour "
            "Section 301 duties (which replaced the surcharge); the IEEPA rates of 2026-02-23 stay",
            diff_variant(base, no_ruling),
        ),
    }
    prov = provenance(data, ctx)
    missing = check_coverage(actions, events, variants)
    known = {m for ms in REGIONS.values() for m in ms}
    for wid in list(missing):
        r = actions[actions.id == wid].iloc[0]
        if r.legal_basis == "IEEPA reciprocal" and not (set(r.target.split(";")) & known):
            events.append(
                {
                    "id": f"notice-{wid}",
                    "date": dt.date.fromisoformat(r.date_effective),
                    "source": f"{wid}: {r.source.split(' ; ')[0]}",
                    "notice": {
                        "instrument": r.legal_basis,
                        "actor": "USA",
                        "target": r.target,
                        "text": f"country rate {r.rate_pp}% from {r.date_effective}: {r.target} has no "
                        "2024 HS10 file or is not in the compact world, so it is not in the layers",
                    },
                }
            )
            missing.remove(wid)
    if missing:
        raise SystemExit(f"actions not cited by any event: {missing}")
    write_tables(tables_out, ctx, series, srcs, prov, world)
    write_scenario(scenario_out, events, variants, prov)
    kinds = defaultdict(int)
    for e in events:
        kinds[next(k for k in ("tariff", "exemption", "export_control", "notice") if k in e)] += 1
    return {
        "events": len(events),
        "kinds": dict(kinds),
        "us_layer_events": len(base) - len(other),
        "variants": {k: {kk: len(vv) for kk, vv in v[1].items()} for k, v in variants.items()},
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=DEFAULT_SCENARIO)
    p.add_argument("--tables", type=Path, default=DEFAULT_TABLES)
    args = p.parse_args(argv)
    if not (args.data / "world_2025" / "actions.csv").is_file():
        raise SystemExit(f"{args.data / 'world_2025'}: not found (pass --data)")
    info = build(args.data, args.out, args.tables)
    print(f"wrote {args.out} and {args.tables}: {info}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
