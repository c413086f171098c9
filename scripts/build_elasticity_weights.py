"""Build ``src/detente/data/elasticities/world_import_weights_2022.csv``.

The weights are world imports by ICIO industry in 2022: for each of the 50 OECD ICIO
2025 industries, the sum over the 80 economies of the industry's purchases from
*other* economies (intermediate and final use, USD million, net of tariffs), i.e.
``sum_{n != i} X[n, i, j]`` of the full world's trade flows. This is the same quantity
that :func:`detente.world._aggregate.aggregate` uses ("foreign") to average trade
elasticities when it merges industries into the compact sectors, so registry means
over compact groups equal the compact build's rule.

Usage::

    .venv/bin/python scripts/build_elasticity_weights.py [--source WHEEL_OR_NPZ] [--out CSV]

Without ``--source`` the full world is built from the PyPI package
``sanction-simulator==0.1.4`` (downloaded by pip into the data cache; see
docs/data_world.md). The output records its provenance in ``#`` comment lines.
"""

from __future__ import annotations

import argparse
import datetime as _dt
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "detente" / "data" / "elasticities" / "world_import_weights_2022.csv"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=None, help="sanction-simulator 0.1.4 wheel or its bench_cache.npz"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--cp-regression",
        type=Path,
        default=None,
        help="CP (2015) replication regression file DATA_OUT_100.csv: print the "
        "full-sample sector estimates and robust s.e. instead",
    )
    args = parser.parse_args(argv)
    if args.cp_regression is not None:
        return cp_full_sample(args.cp_regression)

    from detente.world._build import BENCH_PACKAGE, VINTAGE, build_icio_world
    from detente.world._icio import ICIO_INDUSTRY_NAMES

    world = build_icio_world(args.source)
    T = np.asarray(world.trade_flows, dtype=float)  # (importer n, exporter i, sector j)
    total = T.sum(axis=(0, 1))
    domestic = np.einsum("nnj->j", T)
    foreign = total - domestic
    share = foreign / foreign.sum()
    lines = [
        "# World imports by OECD ICIO 2025 industry, 2022 (USD million, net of tariffs):",
        "# sum over importers n and exporters i != n of the full world's trade flows X[n,i,j].",
        f"# Source: {VINTAGE}; built from PyPI {BENCH_PACKAGE} by detente.world._build.build_icio_world().",
        "# Same weights as detente.world._aggregate.aggregate ('foreign') uses for theta.",
        f"# Built by scripts/build_elasticity_weights.py on {_dt.date.today().isoformat()}.",
        "industry,name,world_imports_musd,share",
    ]
    for k, code in enumerate(world.sectors):
        name = ICIO_INDUSTRY_NAMES.get(code, code).replace('"', "'")
        lines.append(f'{code},"{name}",{foreign[k]:.3f},{share[k]:.8f}')
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(world.sectors)} industries, world imports {foreign.sum() / 1e6:.2f} USD trillion)")
    return 0


def cp_full_sample(path: Path) -> int:
    """Sector estimates and robust (HC1) s.e. of CP's triple-difference regression.

    Reproduces CP's Stata step ``regress y x, nocons robust`` by sector on the full
    sample (their ``DATA_OUT_100.csv``: sector, y = log trade ratio, x = log tariff
    ratio, 16 country dummies); theta = -coefficient. Prints CSV to stdout; the values
    are copied, with this provenance, into src/detente/data/elasticities/cp2015_sectors.csv.
    """
    import pandas as pd

    data = (
        pd.read_csv(path, header=None, na_values=["NaN"])
        .rename(columns={0: "sector", 1: "y", 2: "x"})
        .dropna(subset=["y", "x"])
    )
    print("file_sector,theta_full,se_full_hc1,n")
    for sector, g in data.groupby("sector"):
        x, y = g["x"].to_numpy(), g["y"].to_numpy()
        n = len(x)
        b = (x @ y) / (x @ x)
        e = y - b * x
        var = (x**2 * e**2).sum() / (x @ x) ** 2 * n / (n - 1)
        print(f"{int(sector)},{-b:.2f},{np.sqrt(var):.2f},{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
