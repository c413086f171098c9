#!/usr/bin/env python
"""Build detente's baseline tariff and trade-elasticity tables for the OECD ICIO world.

A development-time script: it reads the shared source data (never shipped) and writes the
small derived CSV files that the package ships in ``src/detente/data``:

``hs2_to_icio.csv``
    HS 2017 chapter -> ICIO 2025 industry concordance with shares.
``mfn_averages.csv``
    Published MFN applied averages (all products, agricultural, non-agricultural) by
    importer, with their source.
``baseline_tariffs_icio.csv``
    Applied tariffs by (importer, exporter, industry) with wildcard rows; resolved by
    :func:`detente.world._tariffs.baseline_tariffs`.
``elasticities_icio.csv``
    Trade elasticities theta^j by ICIO industry (Caliendo & Parro 2015).

Usage::

    python scripts/build_tariff_tables.py [--data ../shared/data] [--out src/detente/data]

The output is deterministic: the same input gives byte-identical files (sorted rows,
fixed float formatting, ``\\n`` line ends). Method and sources: ``docs/data_tariffs.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "src" / "detente" / "data"

# --------------------------------------------------------------------------- labels

# ICIO labels come from the package (one list for the builder, the reader and this script)
from detente.world._build import ICIO_COUNTRIES as COUNTRIES  # noqa: E402
from detente.world._icio import ICIO_INDUSTRY_NAMES as INDUSTRY_NAMES  # noqa: E402

INDUSTRIES = list(INDUSTRY_NAMES)
GOODS = INDUSTRIES[: INDUSTRIES.index("C31T33") + 1]
# Agricultural products in the WTO sense (Agreement on Agriculture, Annex 1: HS 01-24
# less fish, plus a few raw materials). Fishing (A03) and forestry (A02) are
# non-agricultural in the WTO definition, so they take the non-agricultural average.
AG = ["A01", "C10T12"]
# B09 (mining support services) has no HS products: no customs tariff.
NO_HS = ["B09"]
NONAG = [j for j in GOODS if j not in AG and j not in NO_HS]

EU27 = (
    "AUT BEL BGR CYP CZE DEU DNK ESP EST FIN FRA GRC HRV HUN IRL ITA LTU LUX LVA MLT NLD POL PRT ROU SVK SVN SWE"
).split()
EFTA3 = ["CHE", "ISL", "NOR"]  # Liechtenstein is not an ICIO economy
ASEAN = ["BRN", "IDN", "KHM", "LAO", "MMR", "MYS", "PHL", "SGP", "THA", "VNM"]
LDC_EBA = ["AGO", "BGD", "COD", "KHM", "LAO", "MMR", "SEN", "STP"]

# Census CTY_NAME -> ISO3, for the ICIO economies (other Census partners are used only in
# the US MFN-type average when they are not preferential partners; see below).
CENSUS_NAMES = {
    "ANGOLA": "AGO",
    "UNITED ARAB EMIRATES": "ARE",
    "ARGENTINA": "ARG",
    "AUSTRALIA": "AUS",
    "AUSTRIA": "AUT",
    "BELGIUM": "BEL",
    "BANGLADESH": "BGD",
    "BULGARIA": "BGR",
    "BELARUS": "BLR",
    "BRAZIL": "BRA",
    "BRUNEI": "BRN",
    "CANADA": "CAN",
    "SWITZERLAND": "CHE",
    "CHILE": "CHL",
    "CHINA": "CHN",
    "COTE D'IVOIRE": "CIV",
    "CAMEROON": "CMR",
    "DEMOCRATIC REPUBLIC OF THE CONGO": "COD",
    "COLOMBIA": "COL",
    "COSTA RICA": "CRI",
    "CYPRUS": "CYP",
    "CZECH REPUBLIC": "CZE",
    "GERMANY": "DEU",
    "DENMARK": "DNK",
    "EGYPT": "EGY",
    "SPAIN": "ESP",
    "ESTONIA": "EST",
    "FINLAND": "FIN",
    "FRANCE": "FRA",
    "UNITED KINGDOM": "GBR",
    "GREECE": "GRC",
    "HONG KONG": "HKG",
    "CROATIA": "HRV",
    "HUNGARY": "HUN",
    "INDONESIA": "IDN",
    "INDIA": "IND",
    "IRELAND": "IRL",
    "ICELAND": "ISL",
    "ISRAEL": "ISR",
    "ITALY": "ITA",
    "JORDAN": "JOR",
    "JAPAN": "JPN",
    "KAZAKHSTAN": "KAZ",
    "CAMBODIA": "KHM",
    "KOREA, SOUTH": "KOR",
    "LAOS": "LAO",
    "LITHUANIA": "LTU",
    "LUXEMBOURG": "LUX",
    "LATVIA": "LVA",
    "MOROCCO": "MAR",
    "MEXICO": "MEX",
    "MALTA": "MLT",
    "BURMA": "MMR",
    "MALAYSIA": "MYS",
    "NIGERIA": "NGA",
    "NETHERLANDS": "NLD",
    "NORWAY": "NOR",
    "NEW ZEALAND": "NZL",
    "PAKISTAN": "PAK",
    "PERU": "PER",
    "PHILIPPINES": "PHL",
    "POLAND": "POL",
    "PORTUGAL": "PRT",
    "ROMANIA": "ROU",
    "RUSSIA": "RUS",
    "SAUDI ARABIA": "SAU",
    "SENEGAL": "SEN",
    "SINGAPORE": "SGP",
    "SAO TOME AND PRINCIPE": "STP",
    "SLOVAKIA": "SVK",
    "SLOVENIA": "SVN",
    "SWEDEN": "SWE",
    "THAILAND": "THA",
    "TUNISIA": "TUN",
    "TURKEY": "TUR",
    "TAIWAN": "TWN",
    "UKRAINE": "UKR",
    "VIETNAM": "VNM",
    "SOUTH AFRICA": "ZAF",
}
EU_AGGREGATE_CODE = "0003"

# ICIO economies excluded from the US "MFN-type" average: US FTA partners, AGOA
# beneficiaries in 2024, China (Section 301), Russia and Belarus (column 2 rates since 2022).
US_PREFERENTIAL = [
    "AUS",
    "CAN",
    "CHL",
    "COL",
    "CRI",
    "ISR",
    "JOR",
    "KOR",
    "MAR",
    "MEX",
    "PER",
    "SGP",
    "AGO",
    "CIV",
    "COD",
    "NGA",
    "SEN",
    "STP",
    "ZAF",
    "CHN",
    "RUS",
    "BLR",
]

# ------------------------------------------------------------- HS2 -> ICIO concordance

# (hs2, industry, share, note). Shares within a chapter sum to 1. Split chapters also
# have HS4 rules (HS4_RULES) used for HS6 data; the HS2 shares approximate those splits.
_C = "C10T12"
CONCORDANCE: list[tuple[str, str, float, str]] = (
    [
        ("01", "A01", 1, "live animals"),
        ("02", _C, 1, "meat"),
        ("03", "A03", 0.5, "fish: HS6 rule 0301-0303,0306-0308 -> A03"),
        ("03", _C, 0.5, "fish: HS6 rule 0304,0305,0309 (fillets, dried, smoked) -> C10T12"),
        ("04", _C, 0.85, "dairy: HS6 rule 0401-0406 -> C10T12"),
        ("04", "A01", 0.15, "eggs, honey, insects: HS6 rule 0407-0410 -> A01"),
        ("05", "A01", 1, "animal products n.e.s. (approximation)"),
        ("06", "A01", 1, "live plants, flowers"),
        ("07", "A01", 1, "vegetables"),
        ("08", "A01", 1, "fruit and nuts"),
        ("09", "A01", 1, "coffee, tea, spices (processed coffee/tea not separated)"),
        ("10", "A01", 1, "cereals"),
        ("11", _C, 1, "milling products"),
        ("12", "A01", 1, "oil seeds"),
        ("13", "A02", 0.4, "lac, natural gums: HS6 rule 1301 -> A02"),
        ("13", "C20", 0.6, "vegetable extracts, pectins: HS6 rule 1302 -> C20"),
        ("14", "A01", 1, "vegetable plaiting materials"),
        ("15", _C, 1, "fats and oils"),
        ("16", _C, 1, "meat and fish preparations"),
        ("17", _C, 1, "sugar"),
        ("18", _C, 1, "cocoa"),
        ("19", _C, 1, "cereal preparations"),
        ("20", _C, 1, "vegetable and fruit preparations"),
        ("21", _C, 1, "miscellaneous edible preparations"),
        ("22", _C, 1, "beverages"),
        ("23", _C, 1, "residues, animal feed"),
        ("24", _C, 0.85, "tobacco products: HS6 rule 2402-2404 -> C10T12"),
        ("24", "A01", 0.15, "unmanufactured tobacco: HS6 rule 2401 -> A01"),
        ("25", "B08", 0.6, "salt, stone, earths: HS6 rule 2501-2519,2521,2524-2530 -> B08"),
        ("25", "C23", 0.4, "cement, lime, plaster: HS6 rule 2520,2522,2523 -> C23"),
        ("26", "B07", 1, "ores, slag, ash"),
        ("27", "B05", 0.03, "coal, lignite, peat: HS6 rule 2701-2703 -> B05"),
        ("27", "B06", 0.57, "crude oil, natural gas: HS6 rule 2709,2711 -> B06"),
        (
            "27",
            "C19",
            0.40,
            "coke, refined products: HS6 rule 2704-2708,2710,2712-2715 -> C19; 2716 electricity -> D (no tariff)",
        ),
        ("28", "C20", 1, "inorganic chemicals"),
        ("29", "C20", 1, "organic chemicals"),
        ("30", "C21", 1, "pharmaceutical products"),
        ("31", "C20", 1, "fertilisers"),
        ("32", "C20", 1, "tanning, dyeing, paints"),
        ("33", "C20", 1, "essential oils, cosmetics"),
        ("34", "C20", 1, "soap, waxes"),
        ("35", "C20", 1, "albuminoids, glues, enzymes"),
        ("36", "C20", 1, "explosives, matches"),
        ("37", "C20", 1, "photographic goods"),
        ("38", "C20", 1, "miscellaneous chemical products"),
        ("39", "C20", 0.5, "plastics in primary forms: HS6 rule 3901-3914 -> C20"),
        ("39", "C22", 0.5, "plastic products: HS6 rule 3915-3926 -> C22"),
        ("40", "A01", 0.1, "natural rubber: HS6 rule 4001 -> A01"),
        ("40", "C20", 0.1, "synthetic rubber: HS6 rule 4002 -> C20"),
        ("40", "C22", 0.8, "rubber products: HS6 rule 4003-4017 -> C22"),
        ("41", "C13T15", 1, "hides, leather"),
        ("42", "C13T15", 1, "leather articles, handbags"),
        ("43", "C13T15", 1, "furskins"),
        ("44", "A02", 0.15, "fuel wood, logs: HS6 rule 4401,4403 -> A02"),
        ("44", "C16", 0.85, "wood products: HS6 rule 4402,4404-4421 -> C16"),
        ("45", "C16", 1, "cork"),
        ("46", "C16", 1, "plaiting manufactures"),
        ("47", "C17_18", 1, "pulp"),
        ("48", "C17_18", 1, "paper"),
        ("49", "C17_18", 1, "printed matter"),
        ("50", "C13T15", 1, "silk"),
        ("51", "A01", 0.3, "raw wool and hair: HS6 rule 5101-5102 -> A01"),
        ("51", "C13T15", 0.7, "wool yarn and fabric: HS6 rule 5103-5113 -> C13T15"),
        ("52", "A01", 0.15, "raw cotton: HS6 rule 5201 -> A01"),
        ("52", "C13T15", 0.85, "cotton yarn and fabric: HS6 rule 5202-5212 -> C13T15"),
        ("53", "A01", 0.1, "raw vegetable fibres: HS6 rule 5301-5305 -> A01"),
        ("53", "C13T15", 0.9, "vegetable-fibre yarn and fabric: HS6 rule 5306-5311 -> C13T15"),
    ]
    + [(f"{h:02d}", "C13T15", 1, "textiles, apparel, footwear, headgear") for h in range(54, 66)]
    + [
        ("66", "C31T33", 1, "umbrellas, walking sticks (ISIC 3290)"),
        ("67", "C31T33", 1, "prepared feathers, artificial flowers, wigs (ISIC 3290)"),
        ("68", "C23", 1, "stone articles"),
        ("69", "C23", 1, "ceramics"),
        ("70", "C23", 1, "glass"),
        ("71", "C24B", 0.5, "precious metals: HS6 rule 7106-7112 -> C24B"),
        ("71", "C31T33", 0.5, "pearls, stones, jewellery, coin: HS6 rule 7101-7105,7113-7118 -> C31T33"),
        ("72", "C24A", 1, "iron and steel"),
        ("73", "C24A", 0.2, "tubes and pipes: HS6 rule 7301-7306 -> C24A"),
        ("73", "C25", 0.8, "articles of iron or steel: HS6 rule 7307-7326 -> C25"),
        ("74", "C24B", 1, "copper"),
        ("75", "C24B", 1, "nickel"),
        ("76", "C24B", 1, "aluminium"),
        ("77", "EXCLUDED", 1, "reserved chapter (no products)"),
        ("78", "C24B", 1, "lead"),
        ("79", "C24B", 1, "zinc"),
        ("80", "C24B", 1, "tin"),
        ("81", "C24B", 1, "other base metals"),
        ("82", "C25", 1, "tools, cutlery"),
        ("83", "C25", 1, "miscellaneous base-metal articles"),
        ("84", "C26", 0.28, "computers, printers: HS6 rule 8443,8470-8473 -> C26"),
        ("84", "C27", 0.07, "domestic appliances: HS6 rule 8418,8450,8451 -> C27"),
        ("84", "C28", 0.65, "machinery: all other HS4 in 84 -> C28"),
        ("85", "C26", 0.6, "electronics: HS6 rule 8517-8529,8532-8534,8540-8542 -> C26"),
        ("85", "C27", 0.4, "electrical equipment: all other HS4 in 85 -> C27"),
        ("86", "C302T309", 1, "railway equipment"),
        ("87", "C29", 0.95, "motor vehicles, parts, trailers: HS6 rule 8701-8709,8716 -> C29"),
        ("87", "C302T309", 0.05, "motorcycles, bicycles, tanks: HS6 rule 8710-8715 -> C302T309"),
        ("88", "C302T309", 1, "aircraft, spacecraft"),
        ("89", "C301", 1, "ships and boats"),
        ("90", "C26", 0.7, "optical, measuring instruments: all HS4 in 90 except 9018-9021 -> C26"),
        ("90", "C31T33", 0.3, "medical and dental instruments: HS6 rule 9018-9021 -> C31T33"),
        ("91", "C26", 1, "clocks and watches (ISIC 2652)"),
        ("92", "C31T33", 1, "musical instruments"),
        ("93", "C25", 1, "arms and ammunition (ISIC 2520)"),
        ("94", "C27", 0.15, "lamps and lighting: HS6 rule 9405 -> C27"),
        ("94", "C31T33", 0.85, "furniture, bedding, prefabricated buildings -> C31T33"),
        ("95", "C31T33", 1, "toys, games, sports goods"),
        ("96", "C31T33", 1, "miscellaneous manufactured articles"),
        ("97", "C31T33", 1, "works of art, antiques (no producing industry; duty-free almost everywhere)"),
        (
            "98",
            "EXCLUDED",
            1,
            "US special classification provisions (9801 US goods returned, 9802 "
            "repairs/assembly abroad): not a product; left out of weights",
        ),
        (
            "99",
            "EXCLUDED",
            1,
            "US temporary legislation and special provisions: not a product; left out of weights (2024 duties 0)",
        ),
    ]
)

# HS4 ranges -> industry, for split chapters, applied to HS6 data (first match wins;
# chapters not listed use their single HS2 industry).
HS4_RULES: dict[str, list[tuple[int, int, str]]] = {
    "03": [(301, 303, "A03"), (304, 305, _C), (306, 308, "A03"), (309, 309, _C)],
    "04": [(401, 406, _C), (407, 410, "A01")],
    "13": [(1301, 1301, "A02"), (1302, 1302, "C20")],
    "24": [(2401, 2401, "A01"), (2402, 2404, _C)],
    "25": [(2520, 2520, "C23"), (2522, 2523, "C23"), (2501, 2530, "B08")],
    "27": [
        (2701, 2703, "B05"),
        (2704, 2708, "C19"),
        (2709, 2709, "B06"),
        (2710, 2710, "C19"),
        (2711, 2711, "B06"),
        (2712, 2715, "C19"),
        (2716, 2716, "D"),
    ],
    "39": [(3901, 3914, "C20"), (3915, 3926, "C22")],
    "40": [(4001, 4001, "A01"), (4002, 4002, "C20"), (4003, 4017, "C22")],
    "44": [(4401, 4401, "A02"), (4403, 4403, "A02"), (4402, 4421, "C16")],
    "51": [(5101, 5102, "A01"), (5103, 5113, "C13T15")],
    "52": [(5201, 5201, "A01"), (5202, 5212, "C13T15")],
    "53": [(5301, 5305, "A01"), (5306, 5311, "C13T15")],
    "71": [(7106, 7112, "C24B"), (7101, 7118, "C31T33")],
    "73": [(7301, 7306, "C24A"), (7307, 7326, "C25")],
    "84": [(8443, 8443, "C26"), (8470, 8473, "C26"), (8418, 8418, "C27"), (8450, 8451, "C27"), (8401, 8487, "C28")],
    "85": [(8517, 8529, "C26"), (8532, 8534, "C26"), (8540, 8542, "C26"), (8501, 8548, "C27")],
    "87": [(8710, 8715, "C302T309"), (8701, 8716, "C29")],
    "90": [(9018, 9021, "C31T33"), (9001, 9033, "C26")],
    "94": [(9405, 9405, "C27"), (9401, 9406, "C31T33")],
}

# ------------------------------------------------------------------- MFN averages

WTP = (
    "WTO-ITC-UNCTAD World Tariff Profiles 2023, summary tables (MFN applied, simple "
    "average of HS6 duties incl. AVEs, 2022 data)"
)
# (territory, members, all products %, agricultural %, non-agricultural %, confidence, note)
# confidence: "total_checked" = the all-products figure was checked against the WTP 2023
# summary table; the agricultural / non-agricultural split is transcribed from the same
# edition's profiles without a second check. "unchecked" = all three figures transcribed
# without a second check; verify against https://ttd.wto.org before relying on them.
MFN: list[tuple[str, list[str], float, float, float, str, str]] = [
    ("AGO", ["AGO"], 11.0, 21.0, 9.4, "total_checked", "SADC member; national tariff"),
    ("ARE", ["ARE"], 4.6, 5.4, 4.5, "unchecked", "GCC common external tariff"),
    ("ARG", ["ARG"], 13.3, 10.2, 13.8, "total_checked", "Mercosur CET with national exceptions"),
    ("AUS", ["AUS"], 2.4, 1.2, 2.6, "total_checked", ""),
    ("BGD", ["BGD"], 14.1, 17.6, 13.5, "total_checked", "customs duties only (excl. supplementary duties)"),
    ("BLR", ["BLR"], 6.6, 9.9, 6.1, "total_checked", "EAEU common external tariff"),
    ("BRA", ["BRA"], 11.1, 8.1, 11.6, "total_checked", "Mercosur CET with national exceptions"),
    ("BRN", ["BRN"], 0.2, 0.1, 0.2, "total_checked", ""),
    ("CAN", ["CAN"], 3.8, 14.9, 2.0, "total_checked", "supply-managed dairy/poultry drive the ag average"),
    ("CHE", ["CHE"], 6.2, 29.7, 2.3, "unchecked", "2022 schedule; industrial tariffs abolished 1 Jan 2024"),
    ("CHL", ["CHL"], 6.0, 6.0, 6.0, "total_checked", "flat 6% tariff"),
    ("CHN", ["CHN"], 7.5, 13.8, 6.5, "total_checked", ""),
    ("CIV", ["CIV"], 12.0, 15.5, 11.4, "unchecked", "ECOWAS CET (Benin, Burkina Faso: 12.0 checked)"),
    ("CMR", ["CMR"], 18.1, 22.8, 17.3, "total_checked", "CEMAC CET"),
    ("COD", ["COD"], 10.9, 12.3, 10.7, "unchecked", ""),
    ("COL", ["COL"], 5.8, 9.6, 5.2, "total_checked", ""),
    ("CRI", ["CRI"], 5.6, 11.9, 4.6, "unchecked", ""),
    ("EGY", ["EGY"], 19.0, 61.0, 12.1, "unchecked", "ag average driven by alcohol AVEs"),
    ("EU27", EU27, 5.0, 10.9, 4.1, "unchecked", "EU common external tariff, all 27 members"),
    ("GBR", ["GBR"], 3.8, 8.4, 3.1, "unchecked", "UK Global Tariff"),
    ("HKG", ["HKG"], 0.0, 0.0, 0.0, "unchecked", "free port: no customs duties"),
    ("IDN", ["IDN"], 8.1, 8.7, 8.0, "unchecked", ""),
    ("IND", ["IND"], 18.1, 39.0, 14.9, "unchecked", ""),
    ("ISL", ["ISL"], 3.9, 28.0, 0.0, "unchecked", "industrial tariffs abolished 2015-2017"),
    ("ISR", ["ISR"], 4.3, 15.3, 2.5, "unchecked", ""),
    ("JOR", ["JOR"], 10.4, 16.6, 9.4, "unchecked", ""),
    ("JPN", ["JPN"], 4.0, 13.7, 2.4, "unchecked", ""),
    ("KAZ", ["KAZ"], 6.4, 9.4, 6.0, "unchecked", "EAEU CET with Kazakhstan's WTO exceptions"),
    ("KHM", ["KHM"], 10.2, 13.3, 9.7, "total_checked", ""),
    ("KOR", ["KOR"], 13.4, 56.8, 6.6, "unchecked", "rice and other ag AVEs drive the ag average"),
    ("LAO", ["LAO"], 8.4, 10.3, 8.1, "unchecked", ""),
    ("MAR", ["MAR"], 11.9, 29.0, 9.1, "unchecked", ""),
    ("MEX", ["MEX"], 6.8, 13.6, 5.7, "unchecked", ""),
    ("MMR", ["MMR"], 5.6, 8.6, 5.1, "unchecked", ""),
    ("MYS", ["MYS"], 5.6, 8.0, 5.2, "unchecked", ""),
    ("NGA", ["NGA"], 12.0, 15.5, 11.4, "unchecked", "ECOWAS CET (national levies not included)"),
    ("NOR", ["NOR"], 5.7, 37.6, 0.5, "unchecked", ""),
    ("NZL", ["NZL"], 2.0, 1.4, 2.1, "unchecked", ""),
    ("PAK", ["PAK"], 10.3, 12.9, 9.9, "unchecked", "customs duties only (excl. regulatory duties)"),
    ("PER", ["PER"], 2.2, 3.7, 2.0, "unchecked", ""),
    ("PHL", ["PHL"], 6.1, 9.8, 5.5, "unchecked", ""),
    ("RUS", ["RUS"], 6.6, 9.9, 6.1, "unchecked", "EAEU CET (Belarus 6.6 checked)"),
    ("SAU", ["SAU"], 5.7, 6.6, 5.6, "unchecked", "GCC CET with Saudi 2020 increases"),
    ("SEN", ["SEN"], 12.0, 15.5, 11.4, "unchecked", "ECOWAS CET"),
    ("SGP", ["SGP"], 0.0, 0.1, 0.0, "unchecked", "duties only on a few alcoholic beverages"),
    ("STP", ["STP"], 10.4, 12.3, 10.1, "unchecked", ""),
    ("THA", ["THA"], 9.2, 27.9, 6.2, "unchecked", ""),
    ("TUN", ["TUN"], 12.0, 27.0, 9.6, "unchecked", ""),
    ("TUR", ["TUR"], 10.9, 41.6, 5.9, "unchecked", "EU CET on industrial goods plus additional duties"),
    ("TWN", ["TWN"], 6.4, 15.3, 4.9, "unchecked", "Chinese Taipei"),
    ("UKR", ["UKR"], 4.4, 8.6, 3.7, "unchecked", ""),
    ("USA", ["USA"], 3.3, 5.0, 3.1, "unchecked", "for reference only: US rows come from Census 2024 duties"),
    ("VNM", ["VNM"], 9.5, 17.1, 8.3, "unchecked", ""),
    ("ZAF", ["ZAF"], 7.6, 8.6, 7.5, "unchecked", "SACU CET (Botswana 7.6 checked)"),
]

# ----------------------------------------------------------- preferential agreements

# (id, side A, side B or None for plurilateral, scope "GOODS"|"NONAG", one_way, note)
# A pair covered by an agreement gets tariff 0 on the scope's goods, both directions
# unless one_way (then only importers in A from exporters in B).
AGREEMENTS: list[tuple[str, list[str], list[str] | None, str, bool, str]] = [
    ("EU-single-market", EU27, None, "GOODS", False, "customs union, intra-EU"),
    ("EU-UK-TCA", EU27, ["GBR"], "GOODS", False, "TCA 2021: zero tariffs on all originating goods"),
    ("EFTA-convention", EFTA3, None, "NONAG", False, "industrial goods"),
    ("EU-EFTA", EU27, EFTA3, "NONAG", False, "EEA (NOR, ISL) and EU-CH FTA 1972: industrial goods"),
    ("EU-TUR-CU", EU27, ["TUR"], "NONAG", False, "customs union for industrial goods (1995)"),
    (
        "EU-FTAs",
        EU27,
        [
            "KOR",
            "JPN",
            "CAN",
            "MEX",
            "CHL",
            "COL",
            "PER",
            "CRI",
            "SGP",
            "ISR",
            "MAR",
            "TUN",
            "EGY",
            "JOR",
            "UKR",
            "ZAF",
        ],
        "NONAG",
        False,
        "EU FTAs in force by 2022 (KOR 2011, JPN 2019, CETA 2017, MEX 2000, CHL 2003, COL/PER "
        "2013, CRI 2013, SGP 2019, Euro-Med, UKR DCFTA 2016, SADC EPA 2016); ag lines not zeroed",
    ),
    (
        "EU-EBA",
        EU27,
        LDC_EBA,
        "GOODS",
        True,
        "EU Everything-But-Arms for LDCs (AGO in post-graduation transition; KHM partly withdrawn 2020)",
    ),
    (
        "UK-FTAs",
        ["GBR"],
        EFTA3
        + [
            "TUR",
            "KOR",
            "JPN",
            "CAN",
            "MEX",
            "CHL",
            "COL",
            "PER",
            "CRI",
            "SGP",
            "ISR",
            "MAR",
            "TUN",
            "EGY",
            "JOR",
            "UKR",
            "ZAF",
        ],
        "NONAG",
        False,
        "UK continuity agreements (2021) mirroring the EU's; ag lines not zeroed",
    ),
    ("UK-DCTS-LDC", ["GBR"], LDC_EBA, "GOODS", True, "UK preferences for LDCs (GSP/DCTS)"),
    (
        "USMCA",
        ["USA", "CAN", "MEX"],
        None,
        "GOODS",
        False,
        "USMCA; the US side is superseded by Census rows where US imports exist",
    ),
    ("ATIGA", ASEAN, None, "GOODS", False, "ASEAN Trade in Goods Agreement"),
    ("ACFTA", ["CHN"], ASEAN, "GOODS", False, "ASEAN-China FTA (sensitive lists ignored)"),
    ("CEPA-HK", ["CHN"], ["HKG"], "GOODS", False, "Mainland-Hong Kong CEPA"),
    ("CHN-FTAs-all", ["CHN"], ["NZL", "CHL"], "GOODS", False, "China-NZ 2008, China-Chile 2006: fully phased in"),
    (
        "CHN-FTAs-nonag",
        ["CHN"],
        ["AUS", "PER", "CRI", "ISL"],
        "NONAG",
        False,
        "ChAFTA 2015, China-Peru 2010, China-Costa Rica 2011, China-Iceland 2014",
    ),
    ("ANZCERTA", ["AUS", "NZL"], None, "GOODS", False, "Australia-NZ Closer Economic Relations"),
    (
        "CPTPP",
        ["AUS", "CAN", "JPN", "MEX", "NZL", "SGP", "VNM", "PER"],
        None,
        "NONAG",
        False,
        "CPTPP members in force by 2022 (MYS from 29 Nov 2022, CHL/BRN 2023 not included)",
    ),
    ("Pacific-Alliance", ["CHL", "COL", "MEX", "PER"], None, "GOODS", False, "Additional Protocol 2016"),
    ("Mercosur", ["ARG", "BRA"], None, "GOODS", False, "intra-Mercosur (sugar, autos excepted: ignored)"),
    ("EAEU", ["RUS", "BLR", "KAZ"], None, "GOODS", False, "Eurasian Economic Union customs union"),
    ("GCC", ["ARE", "SAU"], None, "GOODS", False, "GCC customs union"),
    ("ECOWAS", ["CIV", "NGA", "SEN"], None, "GOODS", False, "ECOWAS Trade Liberalisation Scheme"),
    ("AANZFTA", ASEAN, ["AUS", "NZL"], "NONAG", False, "ASEAN-Australia-NZ FTA"),
    ("AKFTA", ASEAN, ["KOR"], "NONAG", False, "ASEAN-Korea FTA"),
    ("AJCEP", ASEAN, ["JPN"], "NONAG", False, "ASEAN-Japan CEP and bilateral EPAs"),
    (
        "KOR-FTAs",
        ["KOR"],
        ["AUS", "CAN", "CHL", "PER", "COL", "TUR"],
        "NONAG",
        False,
        "Korea's FTAs with AUS 2014, CAN 2015, CHL 2004, PER 2011, COL 2016, TUR 2013",
    ),
    ("JPN-EPAs", ["JPN"], ["AUS", "CHL", "PER", "CHE"], "NONAG", False, "Japan's EPAs"),
    ("CAN-FTAs", ["CAN"], ["CHL", "PER", "COL", "CRI", "ISR", "JOR", "UKR"], "NONAG", False, "Canada's FTAs"),
    (
        "EFTA-FTAs",
        EFTA3,
        ["CAN", "MEX", "CHL", "COL", "PER", "KOR", "SGP", "TUR", "ISR", "MAR", "TUN", "EGY", "JOR", "UKR", "HKG"],
        "NONAG",
        False,
        "EFTA's FTAs",
    ),
    ("MEX-FTAs", ["MEX"], ["ISR", "CRI"], "NONAG", False, "Mexico-Israel 2000, Mexico-Central America 2013"),
]

# ------------------------------------------------------------------------ helpers


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _fmt(x: float, digits: int = 4) -> str:
    value = round(float(x), digits)
    if value == 0:
        value = 0.0  # no "-0.0000"
    return f"{value:.{digits}f}"


def concordance_frame() -> pd.DataFrame:
    """The HS2 -> ICIO concordance as a DataFrame (checked: shares sum to 1)."""
    frame = pd.DataFrame(CONCORDANCE, columns=["hs2", "industry", "share", "note"])
    sums = frame.groupby("hs2")["share"].sum()
    bad = sums[(sums - 1).abs() > 1e-9]
    if len(bad):
        raise SystemExit(f"concordance shares do not sum to 1: {bad.to_dict()}")
    expected = {f"{h:02d}" for h in range(1, 100)}
    if set(frame["hs2"]) != expected:
        raise SystemExit(f"concordance misses chapters {sorted(expected - set(frame['hs2']))}")
    unknown = set(frame["industry"]) - set(GOODS) - {"EXCLUDED"}
    if unknown:
        raise SystemExit(f"concordance names unknown industries {sorted(unknown)}")
    return frame


def hs6_industry(hs6: str) -> str:
    """ICIO industry of an HS6 code (HS4 rules for split chapters, else the HS2 industry)."""
    chapter, hs4 = hs6[:2], int(hs6[:4])
    for lo, hi, industry in HS4_RULES.get(chapter, []):
        if lo <= hs4 <= hi:
            return industry
    single = [ind for h, ind, _, _ in CONCORDANCE if h == chapter]
    if len(single) != 1:
        raise SystemExit(f"HS6 {hs6}: chapter {chapter} is split but no HS4 rule matches")
    return single[0]


# ---------------------------------------------------------------- US (Census 2024)


def read_census(data: Path) -> pd.DataFrame:
    """All Census partner files as one long frame (partner code, name, hs2, imports, duty)."""
    folder = data / "us_tariffs_hs2"
    files = sorted(folder.glob("hs2-tariff-*.csv"))
    if not files:
        raise SystemExit(f"no hs2-tariff-*.csv files under {folder}")
    frames = [pd.read_csv(f, dtype={"HS2": str, "CTY_CODE": str}) for f in files]
    out = pd.concat(frames, ignore_index=True)
    out = out.rename(
        columns={"HS2": "hs2", "CTY_CODE": "code", "CTY_NAME": "name", "2024_imports": "imports", "2024_duty": "duty"}
    )
    out["hs2"] = out["hs2"].str.zfill(2)
    return out[["code", "name", "hs2", "imports", "duty"]]


def _to_industries(census: pd.DataFrame, conc: pd.DataFrame) -> pd.DataFrame:
    merged = census.merge(conc[["hs2", "industry", "share"]], on="hs2", how="inner")
    merged = merged[merged["industry"] != "EXCLUDED"]
    merged = merged.assign(imports=merged["imports"] * merged["share"], duty=merged["duty"] * merged["share"])
    return merged


def us_rows(census: pd.DataFrame, conc: pd.DataFrame) -> list[tuple[str, str, str, float, str]]:
    """US applied tariffs 2024 by ICIO exporter and industry, plus the MFN-type defaults."""
    ind = _to_industries(census, conc)
    ind = ind[ind["code"] != EU_AGGREGATE_CODE]  # members have their own files
    ind = ind.assign(iso3=ind["name"].map(CENSUS_NAMES))
    rows: list[tuple[str, str, str, float, str]] = []
    icio = ind[ind["iso3"].notna()].groupby(["iso3", "industry"])[["imports", "duty"]].sum()
    for (iso3, industry), r in icio.iterrows():
        if r["imports"] > 0 and iso3 != "USA":
            rows.append(("USA", iso3, industry, 100 * r["duty"] / r["imports"], "census2024"))
    # MFN-type average: ICIO economies that are not US preferential partners.
    mfn_set = [c for c in COUNTRIES if c not in US_PREFERENTIAL and c != "USA"]
    mfn = ind[ind["iso3"].isin(mfn_set)].groupby("industry")[["imports", "duty"]].sum()
    for industry, r in mfn.iterrows():
        if r["imports"] > 0:
            rows.append(("USA", "*", industry, 100 * r["duty"] / r["imports"], "census2024_mfn_type_average"))
    return rows


def us_eu_check(census: pd.DataFrame) -> float:
    """Relative gap between the EU aggregate file and the sum of the members' files."""
    eu = census.loc[census["code"] == EU_AGGREGATE_CODE, "imports"].sum()
    members = census.loc[census["name"].map(CENSUS_NAMES).isin(EU27), "imports"].sum()
    return abs(eu - members) / eu


# ------------------------------------------------------- China on the US (HS6)


def china_on_us_hs6(data: Path) -> pd.DataFrame:
    """China's tariff on US goods by HS6 after the February 2020 Phase One halving.

    Latest date in the file (2019-12-26), minus half of each line's 1 September 2019
    increase where that increase is the 5- or 10-point tranche (10 -> 5, 5 -> 2.5).
    """
    path = data / "us_china" / "hs6_2018_2020" / "china_tariffs_on_us_hs6.csv"
    raw = pd.read_csv(path, dtype={"hs6": str})
    wide = raw.pivot_table(index="hs6", columns="time_of_tariff", values="tariff", aggfunc="first")
    latest = max(wide.columns)
    rise = (wide["2019-09-01"] - wide["2019-06-01"]).fillna(0.0)
    tranche = rise.where(((rise - 5).abs() < 1e-9) | ((rise - 10).abs() < 1e-9), 0.0)
    out = pd.DataFrame({"hs6": wide.index, "tariff": wide[latest] - 0.5 * tranche, "tranche": tranche}).dropna(
        subset=["tariff"]
    )
    out["industry"] = [hs6_industry(h) for h in out["hs6"]]
    return out.reset_index(drop=True)


def china_rows(data: Path) -> list[tuple[str, str, str, float, str]]:
    hs6 = china_on_us_hs6(data)
    hs6 = hs6[hs6["industry"].isin(GOODS)]
    means = hs6.groupby("industry")["tariff"].mean()
    return [("CHN", "USA", j, float(v), "tradewar_tracker_2019_12_26_phase_one_simple_avg") for j, v in means.items()]


def us_on_china_statutory(data: Path) -> float:
    """Simple mean of the US HS6 tariffs on China at the latest date (2020-02-14), for checks."""
    path = data / "us_china" / "hs6_2018_2020" / "us_tariffs_on_china_hs6.csv"
    raw = pd.read_csv(path, dtype={"hs6": str})
    latest = raw["time_of_tariff"].max()
    return float(raw.loc[raw["time_of_tariff"] == latest, "tariff"].mean())


# ----------------------------------------------------- other importers (WTO MFN)


def mfn_rows() -> list[tuple[str, str, str, float, str]]:
    rows: list[tuple[str, str, str, float, str]] = []
    covered: set[str] = set()
    for territory, members, _total, ag, nonag, _conf, _note in MFN:
        for country in members:
            covered.add(country)
            if country == "USA":
                continue
            rows.append((country, "*", "AG", ag, f"wto_wtp2023_mfn_ag:{territory}"))
            rows.append((country, "*", "NONAG", nonag, f"wto_wtp2023_mfn_nonag:{territory}"))
    missing = set(COUNTRIES) - covered
    if missing:
        raise SystemExit(f"no MFN averages for {sorted(missing)}")
    ag_mean = sum(m[3] for m in MFN) / len(MFN)
    nonag_mean = sum(m[4] for m in MFN) / len(MFN)
    rows.append(("*", "*", "AG", ag_mean, "mean_of_mfn_averages"))
    rows.append(("*", "*", "NONAG", nonag_mean, "mean_of_mfn_averages"))
    return rows


def agreement_rows() -> list[tuple[str, str, str, float, str]]:
    seen: dict[tuple[str, str, str], str] = {}
    for name, side_a, side_b, scope, one_way, _note in AGREEMENTS:
        if side_b is None:
            pairs = [(a, b) for a in side_a for b in side_a if a != b]
        else:
            pairs = [(a, b) for a in side_a for b in side_b if a != b]
            if not one_way:
                pairs += [(b, a) for a, b in pairs]
        for imp, exp in pairs:
            seen.setdefault((imp, exp, scope), name)
    rows = []
    for (imp, exp, scope), name in seen.items():
        if scope == "NONAG" and (imp, exp, "GOODS") in seen:
            continue  # covered by a broader agreement
        rows.append((imp, exp, scope, 0.0, f"pref:{name}"))
    return rows


# ------------------------------------------------------------------ elasticities


def elasticity_rows(data: Path) -> list[list[str]]:
    """Elasticities for all 50 industries; C26 by a trade-weighted mean (see docs)."""
    src = pd.read_csv(data / "elasticities" / "icio_industry_elasticities.csv")
    theta_t = [float(x) for x in (data / "cp2015" / "T.txt").read_text().split()]
    x = pd.read_csv(data / "cp2015" / "xbilat1993.txt", sep=r"\s+", header=None).to_numpy()
    n = x.shape[1]
    flows = []
    for s in (13, 15, 16):  # Office, Communication, Medical in CP's sector order
        block = x[s * n : (s + 1) * n].copy()
        block[range(n), range(n)] = 0.0
        flows.append(block.sum())
    weights = [f / sum(flows) for f in flows]
    c26 = sum(w * theta_t[s] for w, s in zip(weights, (13, 15, 16), strict=True))
    c26_note = (
        "CP Office 12.95, Communication 3.95, Medical 8.71 weighted by their 1993 world "
        f"trade in CP's data (weights {weights[0]:.3f}/{weights[1]:.3f}/{weights[2]:.3f}); "
        "the simple mean is 8.54"
    )
    notes = {
        "C19": "CP estimate 64.85 is large and imprecise (near-perfect substitutes); kept as CP "
        "use it. Override (e.g. 8.22) if the solver is stiff",
        "C22": "CP estimate 1.67 is low and imprecise; kept",
        "C28": "CP estimate 1.45 is low and imprecise; kept",
        "C29": "paper's Auto estimate 1.84 is replaced by 8.22 in CP's code",
        "C301": "paper's Other Transport estimate 0.39 is replaced by 8.22 in CP's code",
        "C302T309": "paper's Other Transport estimate 0.39 is replaced by 8.22 in CP's code",
        "B09": "mining support services sit in ISIC Rev.3 Mining (CP's Mining sector)",
    }
    rows: list[list[str]] = []
    by_ind = src.set_index("industry")
    for j in INDUSTRIES:
        if j in by_ind.index:
            r = by_ind.loc[j]
            code, paper, cp = float(r["theta_cp2015_code"]), float(r["theta_paper_table1"]), str(r["cp2015_sectors"])
            source = "Caliendo and Parro (2015) Table 1 / replication T.txt"
            if j == "C26":
                code = paper = c26
                source = "Caliendo and Parro (2015), trade-weighted mean of 3 sectors"
            note = c26_note if j == "C26" else notes.get(j, "")
        else:
            code = paper = 8.22
            cp = "services"
            source = "Caliendo and Parro (2015): services use the aggregate 8.22"
            note = "non-tradable in CP; value used where needed"
        rows.append([j, INDUSTRY_NAMES[j], _fmt(code, 2), _fmt(code, 2), _fmt(paper, 2), cp, source, note])
    return rows


# -------------------------------------------------------------------------- main


def build(data: Path, out: Path, verbose: bool = False) -> dict[str, float]:
    """Write the four tables into ``out``; return headline numbers for logging and tests."""
    out.mkdir(parents=True, exist_ok=True)
    conc = concordance_frame()
    _write_csv(
        out / "hs2_to_icio.csv",
        ["hs2", "industry", "share", "note"],
        [(h, j, _fmt(s, 2), n) for h, j, s, n in sorted(CONCORDANCE, key=lambda r: (r[0], r[1]))],
    )

    _write_csv(
        out / "mfn_averages.csv",
        [
            "territory",
            "members",
            "year",
            "all_products_pct",
            "ag_pct",
            "nonag_pct",
            "measure",
            "source",
            "confidence",
            "note",
        ],
        [
            (
                t,
                " ".join(m),
                2022,
                _fmt(a, 1),
                _fmt(g, 1),
                _fmt(na, 1),
                "simple average MFN applied (HS6, incl. AVEs where reported)",
                WTP,
                c,
                note,
            )
            for t, m, a, g, na, c, note in sorted(MFN)
        ],
    )

    census = read_census(data)
    rows = us_rows(census, conc) + china_rows(data) + mfn_rows() + agreement_rows()
    order = {"*": 1}
    rows.sort(key=lambda r: (order.get(r[0], 0), r[0], order.get(r[1], 0), r[1], r[2]))
    keys = [(r[0], r[1], r[2]) for r in rows]
    if len(set(keys)) != len(keys):
        raise SystemExit("duplicate (importer, exporter, industry) rows")
    _write_csv(
        out / "baseline_tariffs_icio.csv",
        ["importer", "exporter", "industry", "tariff_pct", "source"],
        [(i, e, j, _fmt(t), s) for i, e, j, t, s in rows],
    )

    _write_csv(
        out / "elasticities_icio.csv",
        ["industry", "name", "theta", "theta_cp2015_code", "theta_paper_table1", "cp2015_sectors", "source", "note"],
        elasticity_rows(data),
    )

    # Headline numbers (trade-weighted with Census 2024 imports, 01-97).
    cn = census[(census["code"] == "5700") & (census["hs2"].astype(int) <= 97)]
    hs6 = china_on_us_hs6(data)
    heads = {
        "us_on_china_census2024_pct": 100 * cn["duty"].sum() / cn["imports"].sum(),
        "us_on_china_statutory_hs6_2020_pct": us_on_china_statutory(data),
        "china_on_us_hs6_simple_pct": float(hs6["tariff"].mean()),
        "china_on_us_lines_halved": float((hs6["tranche"] > 0).sum()),
        "eu_aggregate_vs_members_gap": us_eu_check(census),
    }
    if verbose:
        for k, v in heads.items():
            print(f"{k}: {v:.4f}")
    return heads


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="shared data folder (default: ../shared/data from the repo root)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: src/detente/data)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"data folder {args.data} not found", file=sys.stderr)
        return 2
    build(args.data, args.out, verbose=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
