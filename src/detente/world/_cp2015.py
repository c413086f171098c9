"""Loader for the Caliendo & Parro (2015) NAFTA data (31 regions x 40 sectors, 1993).

Follows the authors' own preparation (their ``Equilibrium/script.m``, described in
``../shared/data/cp2015/README.md``): expenditure gross of tariffs from bilateral
imports, domestic sales = gross output - exports (gross output floored at exports),
final-demand shares from expenditure minus intermediate use over income, negative
shares set to zero and renormalised. The result is *not* internally consistent (the
1993 data do not clear markets exactly); re-solve it to a zero-deficit baseline first,
as the paper does (``solve(w, Counterfactual.from_world(w, deficits="zero")).to_world()``,
see :func:`detente.report.reproduce.cp2015_table`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from detente.errors import DataError
from detente.world._world import World, WorldMeta

N, J, JT = 31, 40, 20
REGIONS = (
    "Argentina",
    "Australia",
    "Austria",
    "Brazil",
    "Canada",
    "Chile",
    "China",
    "Denmark",
    "Finland",
    "France",
    "Germany",
    "Greece",
    "Hungary",
    "India",
    "Indonesia",
    "Ireland",
    "Italy",
    "Japan",
    "Korea",
    "Mexico",
    "Netherlands",
    "New Zealand",
    "Norway",
    "Portugal",
    "South Africa",
    "Spain",
    "Sweden",
    "Turkey",
    "UK",
    "USA",
    "RoW",
)
SECTORS = (
    "Agriculture",
    "Mining",
    "Food",
    "Textile",
    "Wood",
    "Paper",
    "Petroleum",
    "Chemicals",
    "Plastic",
    "Minerals",
    "Basic metals",
    "Metal products",
    "Machinery n.e.c.",
    "Office",
    "Electrical",
    "Communication",
    "Medical",
    "Auto",
    "Other Transport",
    "Other",
    "Electricity",
    "Construction",
    "Retail",
    "Hotels",
    "Land Transport",
    "Water Transport",
    "Air Transport",
    "Aux Transport",
    "Post",
    "Finance",
    "Real Estate",
    "Renting Machinery",
    "Computer",
    "R&D",
    "Other Business",
    "Public",
    "Education",
    "Health",
    "Other services",
    "Private",
)
SERVICE_THETA = 8.22
NAFTA = ("Canada", "Mexico", "USA")


def shared_data_path(*parts: str, env: str | None = None) -> Path:
    """``$env`` if set, else ``../shared/data/<parts>`` beside the working directory or the
    repository root (the first that exists; the working directory's if neither does).

    The project's validation data live there (never in the repository or the package).
    """
    if env and os.environ.get(env):
        return Path(os.environ[env])
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        p = base.parent.joinpath("shared", "data", *parts)
        if p.exists():
            return p
    return Path.cwd().parent.joinpath("shared", "data", *parts)


def default_cp2015_dir() -> Path:
    """``$DETENTE_CP2015_DIR``, else ``../shared/data/cp2015`` from the working directory
    or from the repository root."""
    return shared_data_path("cp2015", env="DETENTE_CP2015_DIR")


def _read(folder: Path, name: str, shape: tuple[int, ...]) -> np.ndarray:
    path = folder / name
    if not path.is_file():
        raise DataError(f"Caliendo-Parro data: {str(path)!r} not found (set DETENTE_CP2015_DIR)")
    try:
        a = np.loadtxt(path, delimiter="\t", ndmin=1)
    except ValueError as exc:
        raise DataError(f"{str(path)!r} is not a tab-separated table of numbers: {exc}") from None
    if a.shape != shape:
        raise DataError(f"{str(path)!r}: expected shape {shape}, got {a.shape}")
    return a


def _blocks(a: np.ndarray) -> np.ndarray:
    """(20*31, 31) sector blocks of (importer rows, exporter columns) -> (n, i, j)."""
    return a.reshape(JT, N, N).transpose(1, 2, 0)


def load_cp2015(folder: str | os.PathLike | None = None, *, tariffs: str = "1993") -> World:
    """The 1993 CP world as the authors prepare it (with its 1993 deficits).

    ``tariffs`` picks the tariff year ("1993" or "2005") for all pairs.
    """
    folder = Path(folder) if folder is not None else default_cp2015_dir()
    imports = _read(folder, "xbilat1993.txt", (JT * N, N)) * 1000.0  # thousands -> USD
    tau_t = _read(folder, f"tariffs{tariffs}.txt", (JT * N, N)) / 100.0
    GO = _read(folder, "GO.txt", (J, N)).T  # (n, j)
    B = _read(folder, "B.txt", (J, N)).T
    IO = _read(folder, "IO.txt", (N * J, J)).reshape(N, J, J)  # (n, k input, j user)
    T = _read(folder, "T.txt", (JT,))
    theta = np.concatenate([T, np.full(J - JT, SERVICE_THETA)])

    flows = np.zeros((N, N, J))
    flows[:, :, :JT] = _blocks(imports)
    tau = np.zeros((N, N, J))
    tau[:, :, :JT] = _blocks(tau_t)
    idx = np.arange(N)
    flows[idx, idx, :] = 0.0
    exports = flows.sum(axis=0)  # (i, j) diagonal excluded
    GO = np.maximum(GO, exports)
    flows[idx, idx, :] = GO - exports
    gross = flows * (1.0 + tau)
    X = gross.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pi = np.where(X[:, None, :] > 0, gross / X[:, None, :], 0.0)
    empty = X <= 0
    if empty.any():
        n_, j_ = np.nonzero(empty)
        pi[n_, :, j_] = 0.0
        pi[n_, n_, j_] = 1.0
    absorption = flows.sum(axis=1).sum(axis=1)
    surplus = GO.sum(axis=1) - absorption
    VA = (GO * B).sum(axis=1)
    R = (flows * tau).sum(axis=(1, 2))
    income = VA + R - surplus
    # IO columns sum to one up to the 7-digit rounding of the file (zero where B = 1);
    # renormalise so that value-added and input shares add up exactly.
    # One cell of the file is negative (-0.00085, Canada, Other -> Basic metals): set to 0.
    IO = np.maximum(IO, 0.0)
    colsum = IO.sum(axis=1, keepdims=True)
    IO = np.divide(IO, colsum, out=np.zeros_like(IO), where=colsum > 0)
    gio = IO * (1.0 - B)[:, None, :]
    inter = np.einsum("nkj,nj->nk", gio, GO)  # spending on input k
    alpha = (X - inter) / income[:, None]
    alpha = np.maximum(alpha, 0.0)
    alpha /= alpha.sum(axis=1, keepdims=True)
    gva = B
    meta = WorldMeta(
        name="cp2015",
        vintage="Caliendo & Parro (2015) replication data, 1993",
        year=1993,
        units="USD",
        sources=(
            "Caliendo, L. and Parro, F. (2015), Estimates of the Trade and Welfare Effects "
            "of NAFTA, Review of Economic Studies 82(1): 1-44; replication data",
        ),
        notes=(
            "As prepared by the authors' script: not internally consistent; re-solve "
            "to a zero-deficit baseline before counterfactuals.",
        ),
        sector_names=SECTORS,
        services=SECTORS[JT:],
    )
    return World(REGIONS, SECTORS, X, pi, tau, theta, gva, gio, alpha, VA, -surplus, meta)


def nafta_tariffs(world: World, folder: str | os.PathLike | None = None) -> np.ndarray:
    """Tariffs of ``world`` with the 2005 tariffs among Canada, Mexico and the USA."""
    folder = Path(folder) if folder is not None else default_cp2015_dir()
    t05 = np.zeros_like(world.tariffs)
    t05[:, :, :JT] = _blocks(_read(folder, "tariffs2005.txt", (JT * N, N)) / 100.0)
    new = np.array(world.tariffs)
    ix = [world.country_index(c) for c in NAFTA]
    for n in ix:
        for i in ix:
            new[n, i] = t05[n, i]
    return new
