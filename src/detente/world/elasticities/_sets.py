"""The published elasticity sets, each mapped to the 50 OECD ICIO 2025 industries.

Sources: ``detente/data/elasticities/sets.yaml`` (metadata), ``cp2015_sectors.csv`` (CP's
20 sectors with s.e.), the CP -> ICIO mapping in ``detente/data/elasticities_icio.csv``
and the 2022 world-import weights ``world_import_weights_2022.csv`` (built by
``scripts/build_elasticity_weights.py``). See docs/elasticities.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from detente.errors import DataError
from detente.world.elasticities._horizon import g
from detente.world.elasticities._shrink import Shrinkage, shrink

# CP's Office, Communication, Medical weighted by their 1993 world trade in CP's data
# (see detente/data/elasticities_icio.csv, row C26).
C26_WEIGHTS = {"Office": 0.328, "Communication": 0.458, "Medical": 0.214}


def _data(name: str):
    return resources.files("detente") / "data" / "elasticities" / name


@functools.cache
def metadata() -> dict:
    with _data("sets.yaml").open("r", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@functools.cache
def cp_sectors() -> pd.DataFrame:
    with _data("cp2015_sectors.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, comment="#").set_index("sector")


@functools.cache
def icio_map() -> pd.DataFrame:
    path = resources.files("detente") / "data" / "elasticities_icio.csv"
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, keep_default_na=False)


@functools.cache
def import_weights() -> pd.Series:
    """World imports 2022 (USD million) by ICIO industry, the aggregation weights."""
    with _data("world_import_weights_2022.csv").open("r", encoding="utf-8") as handle:
        frame = pd.read_csv(handle, comment="#")
    return frame.set_index("industry")["world_imports_musd"].astype(float)


@dataclass(frozen=True)
class ElasticitySet:
    """One elasticity set: ``table`` has columns industry, theta, se, note (50 rows)."""

    name: str
    citation: str
    horizon: str
    description: str
    table: pd.DataFrame
    label: str = ""

    def theta(self, industries=None) -> np.ndarray:
        t = self.table.set_index("industry")["theta"]
        return t.to_numpy(dtype=float) if industries is None else t.loc[list(industries)].to_numpy(dtype=float)


def _map_sectors(values: pd.Series, services: float, se: pd.Series | None = None) -> pd.DataFrame:
    """Map CP-sector values to the 50 ICIO industries (C26 = trade-weighted mean)."""
    rows = []
    for _, row in icio_map().iterrows():
        sectors = row["cp2015_sectors"]
        if sectors == "services":
            rows.append((row["industry"], float(services), np.nan, "service: set's aggregate"))
        elif "|" in sectors:
            parts = sectors.split("|")
            w = np.array([C26_WEIGHTS[p] for p in parts])
            v = np.array([values[p] for p in parts])
            rows.append(
                (row["industry"], float(w @ v / w.sum()), np.nan, "trade-weighted mean of CP " + ", ".join(parts))
            )
        else:
            s = float(se[sectors]) if se is not None else np.nan
            rows.append((row["industry"], float(values[sectors]), s, f"CP {sectors}"))
    return pd.DataFrame(rows, columns=["industry", "theta", "se", "note"])


def default_shrinkage() -> Shrinkage:
    cp = cp_sectors()
    # The code's Auto/Other Transport value 8.22 is not an estimate: no s.e. (imputed median).
    se = cp["se_full"].where(cp["theta_code"] == cp["theta_table1"])
    return shrink(cp["theta_code"].to_numpy(float), se.to_numpy(float))


@functools.cache
def _build(name: str) -> ElasticitySet:
    meta = metadata()[name]
    cp = cp_sectors()
    if name == "cp2015":
        se = cp["se_full"].where(cp["theta_code"] == cp["theta_table1"])
        table = _map_sectors(cp["theta_code"], meta["aggregate"], se)
        table["theta"] = icio_map()["theta_cp2015_code"].astype(float).to_numpy()  # as shipped (C26 7.92)
    elif name == "cp2015-paper":
        table = _map_sectors(cp["theta_table1"], meta["aggregate"], cp["se_full"])
        table["theta"] = icio_map()["theta_paper_table1"].astype(float).to_numpy()
    elif name == "default":
        sh = default_shrinkage()
        shrunk = pd.Series(sh.shrunk, index=cp.index)
        post_sd = pd.Series(
            np.sqrt(1.0 / (1.0 / sh.se**2 + (1.0 / sh.tau2 if sh.tau2 > 0 else np.inf))), index=cp.index
        )
        raw = _map_sectors(shrunk, sh.mu, post_sd)
        w = import_weights().reindex(raw["industry"]).to_numpy(float)
        level = float(metadata()["blp2023"]["aggregate"])
        scale = level / float(w @ raw["theta"].to_numpy(float) / w.sum())
        table = raw.assign(theta=raw["theta"] * scale, se=raw["se"] * scale)
        table["note"] = table["note"].str.replace(
            "service: set's aggregate", "service: random-effects mean", regex=False
        )
        table["note"] = table["note"] + f"; shrunk (DerSimonian-Laird), x{scale:.4f} to BLP level"
    else:
        agg = float(meta["aggregate"])
        table = pd.DataFrame(
            {
                "industry": icio_map()["industry"],
                "theta": agg,
                "se": np.nan,
                "note": "aggregate estimate applied to every industry",
            }
        )
    table = table.reset_index(drop=True)
    bad = table[~np.isfinite(table["theta"]) | (table["theta"] <= 0)]
    if len(bad):
        raise DataError(f"elasticity set {name!r}: non-positive theta for {list(bad['industry'])}")
    return ElasticitySet(
        name=name,
        citation=" ".join(str(meta["citation"]).split()),
        horizon=str(meta["horizon"]),
        description=" ".join(str(meta["description"]).split()),
        table=table,
        label=str(meta.get("label", name)),
    )


def list_sets() -> list[str]:
    names = list(metadata())
    return ["default"] + [n for n in names if n != "default"]


def elasticity_set(name: str) -> ElasticitySet:
    if not isinstance(name, str) or name not in metadata():
        raise DataError(f"unknown elasticity set {name!r}; choose one of {', '.join(list_sets())}")
    es = _build(name)
    return ElasticitySet(
        name=es.name,
        citation=es.citation,
        horizon=es.horizon,
        description=es.description,
        table=es.table.copy(),
        label=es.label,
    )


def set_factor(name: str, horizon: object) -> float:
    return g(horizon) / g(elasticity_set(name).horizon)
