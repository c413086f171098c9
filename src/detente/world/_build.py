"""Build the default worlds from the OECD ICIO 2022 benchmark (2025 release).

The benchmark is the 80 economies x 50 industries network that the MIT-licensed PyPI
package ``sanction-simulator==0.1.4`` redistributes as
``sanction_simulator/data/bench_cache.npz`` (OECD data, CC BY 4.0). Its arrays, in
industry-major node order (``node = j * 80 + i``), USD million:

- ``A`` (4000, 4000): column shares of intermediate inputs from the 80 economies,
- ``omb``: intermediate cost share of gross output (capped at 0.98), ``go``: gross output,
- ``z``: sales of each node outside the 80 x 50 intermediate block (final demand of all
  destinations, plus sales to the dropped rest-of-world region), no destination split.

Intermediate flows are ``Z = A * (omb * go)``. The destination split of final demand is
rebuilt by :func:`reconstruct_final_demand` under the model's own assumption (a country
sources a sector's goods in the same proportions for final and intermediate use), then
adjusted by :func:`detente.world._balances.fit_balances` (minimum cross-entropy) so that
the trade balances of economies with published 2022 figures
(``data/trade_balances_2022.csv``) match them. The steps, the fit and the limits are in
docs/data_world.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from detente.errors import DataError
from detente.world._icio import (
    ICIO_INDUSTRY_NAMES,
    ICIO_SERVICES,
    TariffsArg,
    ThetaArg,
    resolve_policy,
    world_from_node_flows,
)
from detente.world._world import World, WorldMeta

if TYPE_CHECKING:
    from detente.world._balances import BalanceTarget

BENCH_PACKAGE = "sanction-simulator==0.1.4"
BENCH_WHEEL = "sanction_simulator-0.1.4-py3-none-any.whl"
BENCH_MEMBER = "sanction_simulator/data/bench_cache.npz"
BENCH_SHA256 = "572753a929a2916dde290c8a3925599ac7f0f2e398b499a550e9cd5dc92f61c7"
FULL_NAME = "oecd-icio-2022"
COMPACT_NAME = "oecd-icio-2022-compact"
VINTAGE = "OECD ICIO 2025 release, reference year 2022 (via sanction-simulator 0.1.4 bench_cache.npz)"
_KEYS = ("A", "omb", "go", "z", "countries", "sectors")

ICIO_COUNTRIES = tuple(
    """AGO ARE ARG AUS AUT BEL BGD BGR BLR BRA BRN CAN CHE CHL CHN CIV
CMR COD COL CRI CYP CZE DEU DNK EGY ESP EST FIN FRA GBR GRC HKG HRV HUN IDN IND IRL ISL
ISR ITA JOR JPN KAZ KHM KOR LAO LTU LUX LVA MAR MEX MLT MMR MYS NGA NLD NOR NZL PAK PER
PHL POL PRT ROU RUS SAU SEN SGP STP SVK SVN SWE THA TUN TUR TWN UKR USA VNM ZAF""".split()
)
ICIO_INDUSTRIES = tuple(ICIO_INDUSTRY_NAMES)

COMPACT_REGIONS: dict[str, list[str]] = {
    **{
        c: [c]
        for c in (
            "USA",
            "CHN",
            "MEX",
            "CAN",
            "JPN",
            "KOR",
            "TWN",
            "VNM",
            "DEU",
            "IND",
            "GBR",
            "FRA",
            "ITA",
            "BRA",
            "AUS",
            "RUS",
        )
    },
    "EUR": "AUT BEL BGR CYP CZE DNK ESP EST FIN GRC HRV HUN IRL LTU LUX LVA MLT NLD POL PRT "
    "ROU SVK SVN SWE".split(),  # rest of the EU-27
    "ASE": "BRN IDN KHM LAO MMR MYS PHL SGP THA".split(),  # rest of ASEAN
    "LAM": "ARG CHL COL CRI PER".split(),  # rest of Latin America
    "ROW": "AGO ARE BGD BLR CHE CIV CMR COD EGY HKG ISL ISR JOR KAZ MAR NGA NOR NZL PAK SAU "
    "SEN STP TUN TUR UKR ZAF".split(),
}
_COMPACT = (  # code, ICIO industries, long name
    ("AGR", "A01 A02 A03", "Agriculture, forestry and fishing"),
    ("MIN_ENERGY", "B05 B06 B09", "Coal, oil and gas extraction and mining support"),
    ("MIN_ORES", "B07 B08", "Metal ores (incl. rare-earth ores) and other mining"),
    ("FOOD", "C10T12", "Food, beverages and tobacco"),
    ("TEXTILES", "C13T15", "Textiles, apparel and leather"),
    ("PETROLEUM", "C19", "Coke and refined petroleum"),
    ("CHEMICALS", "C20", "Chemicals"),
    ("PHARMA", "C21", "Pharmaceuticals"),
    ("PLASTICS_MINERALS", "C22 C23", "Rubber, plastics and non-metallic minerals"),
    ("STEEL", "C24A", "Basic iron and steel"),
    ("NONFERROUS", "C24B", "Non-ferrous metals (incl. rare-earth metals and magnets' inputs)"),
    ("METAL_PRODUCTS", "C25", "Fabricated metal products"),
    ("ELECTRONICS", "C26", "Computers, electronics and optical products (incl. chips)"),
    ("ELECTRICAL", "C27", "Electrical equipment"),
    ("MACHINERY", "C28", "Machinery and equipment n.e.c."),
    ("MOTOR", "C29", "Motor vehicles, trailers and parts"),
    ("OTHER_TRANSPORT", "C301 C302T309", "Ships, aircraft, rail and other transport equipment"),
    ("OTHER_MANUF", "C16 C17_18 C31T33", "Wood, paper, printing, furniture and other manufacturing"),
    ("UTIL_CONSTR", "D E F", "Utilities and construction"),
    ("TRADE_TRANSPORT", "G H49 H50 H51 H52 H53 I", "Trade, transport, accommodation and food services"),
    ("BUSINESS", "J58T60 J61 J62_63 K L M N", "Information, finance, real estate and business services"),
    ("PUBLIC_OTHER", "O P Q R S T", "Public administration, education, health and other services"),
)
COMPACT_SECTORS: dict[str, list[str]] = {code: members.split() for code, members, _ in _COMPACT}
COMPACT_SECTOR_NAMES: dict[str, str] = {code: name for code, _, name in _COMPACT}


# ---------------------------------------------------------------------- fetching and reading
def fetch_benchmark(cache_dir: Path) -> Path:
    """Path of the ``sanction-simulator`` 0.1.4 wheel, downloaded into ``cache_dir`` if absent.

    Uses ``python -m pip download --no-deps`` (the wheel is not installed). Raises
    :class:`DataError` with pip's message when offline or when no wheel arrives.
    """
    cache_dir = Path(cache_dir)
    wheel = cache_dir / BENCH_WHEEL
    if wheel.is_file():
        return wheel
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-d",
        str(cache_dir),
        BENCH_PACKAGE,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DataError(f"could not run pip to download {BENCH_PACKAGE}: {exc}") from None
    if done.returncode != 0 or not wheel.is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise DataError(
            f"could not download {BENCH_PACKAGE} into {str(cache_dir)!r} (offline?): "
            f"{' | '.join(tail) or 'no wheel'}. Put {BENCH_WHEEL} there by hand, or pass "
            "the wheel or its bench_cache.npz as the source"
        )
    return wheel


def read_benchmark(wheel_or_npz: Path, *, expected_sha256: str | None = BENCH_SHA256) -> dict:
    """The benchmark arrays from the wheel (read as a zip, not installed) or a bare npz.

    Returns a dict with ``A``, ``omb``, ``go``, ``z`` (and ``s``, ``dbar`` when present),
    ``countries``, ``sectors`` (lists of str), ``audit`` (dict), ``sha256`` of the npz and
    ``sector_names`` (``{code: name}`` from the wheel's mapping file, else the ICIO names).
    ``expected_sha256=None`` skips the integrity check (for home-made files).
    """
    path = Path(wheel_or_npz)
    if not path.is_file():
        raise DataError(f"benchmark file {str(path)!r} does not exist")
    names = dict(ICIO_INDUSTRY_NAMES)
    try:
        if zipfile.is_zipfile(path) and path.suffix == ".whl":
            with zipfile.ZipFile(path) as zf:
                raw = zf.read(BENCH_MEMBER)
                mapping = "sanction_simulator/data/OECD_ICIO_2025_sector_code_mapping.csv"
                if mapping in zf.namelist():
                    import csv

                    rows = csv.reader(io.StringIO(zf.read(mapping).decode("utf-8-sig")))
                    names.update({r[0].strip(): r[1].strip() for r in list(rows)[1:] if len(r) > 1})
        else:
            raw = path.read_bytes()
    except (KeyError, zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{str(path)!r} holds no readable {BENCH_MEMBER}: {exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    if expected_sha256 is not None and digest != expected_sha256:
        raise DataError(
            f"{str(path)!r}: bench_cache.npz has sha256 {digest}, expected "
            f"{expected_sha256}: the file is corrupt or another version"
        )
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as d:
            del raw
            missing = [k for k in _KEYS if k not in d.files]
            if missing:
                raise DataError(f"{str(path)!r}: benchmark arrays {missing} are missing")
            out = {k: d[k] for k in d.files if k != "audit"}
            audit = json.loads(str(d["audit"])) if "audit" in d.files else {}
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"{str(path)!r} is not a readable benchmark npz: {exc}") from None
    out["countries"] = [str(c) for c in out["countries"]]
    out["sectors"] = [str(s) for s in out["sectors"]]
    for k in ("A", "omb", "go", "z"):
        out[k] = np.asarray(out[k], dtype=np.float64)
    R = len(out["countries"]) * len(out["sectors"])
    if out["A"].shape != (R, R) or any(out[k].shape != (R,) for k in ("omb", "go", "z")):
        raise DataError(
            f"{str(path)!r}: array shapes do not match {len(out['countries'])} "
            f"countries x {len(out['sectors'])} sectors"
        )
    out.update(audit=audit, sha256=digest, sector_names=names)
    return out


# ---------------------------------------------------------------------- final demand
@dataclasses.dataclass(frozen=True)
class FinalDemandFit:
    """Result of :func:`reconstruct_final_demand` (axes: n buyer, i origin, j sector).

    ``expenditure`` (N, J) final spending F_n^j; ``sourcing`` (J, N, N) pi_ni^j as
    ``[j, n, i]``; ``by_origin`` (J*N, N) final sales of node (j, i) to n;
    ``residual_by_sector`` (J,) sum |z - fitted| / sum z of the proportional fit;
    ``residual`` the same over all sectors; ``rescaled`` the share of final sales moved
    when ``by_origin`` is rescaled to the origin totals ``z`` (0 when not rescaled);
    ``domestic_fallback`` (n, j) pairs without intermediate purchases.
    """

    expenditure: np.ndarray
    sourcing: np.ndarray
    by_origin: np.ndarray
    residual_by_sector: np.ndarray
    residual: float
    rescaled: float
    domestic_fallback: tuple[tuple[int, int], ...]


def reconstruct_final_demand(
    Z: np.ndarray, z: np.ndarray, n_countries: int, *, match_totals: bool = True
) -> FinalDemandFit:
    """Destination split of final demand, assuming final sourcing = intermediate sourcing.

    Per sector j, ``pi_ni^j = M_ni^j / sum_i M_ni^j`` with ``M_ni^j = sum_k Z[(j,i),(k,n)]``
    (n's intermediate purchases of j from i), and ``z_(j,i) = sum_n pi_ni^j F_n^j`` is
    solved for ``F^j >= 0`` (an exact solve when it is non-negative, else
    :func:`scipy.optimize.nnls`). A buyer with no intermediate purchases of j sources
    it at home (``pi_nn^j = 1``). With ``match_totals`` the final sales of each origin
    node are then rescaled to ``z`` exactly (a node the fit leaves without buyers sells
    to its home country), so gross output keeps the benchmark's value; ``expenditure``
    is recomputed from the rescaled sales. Pure numpy/scipy; deterministic.

    Parameters
    ----------
    Z : (J*N, J*N) array
        Intermediate flows, industry-major nodes ``j * N + i``.
    z : (J*N,) array
        Final sales of each node, summed over destinations.
    n_countries : int
        N.
    """
    from scipy.optimize import nnls

    N = int(n_countries)
    R = Z.shape[0]
    if R % N or Z.shape != (R, R) or np.shape(z) != (R,):
        raise DataError(f"reconstruct_final_demand: shapes {Z.shape}, {np.shape(z)} do not fit N={N}")
    J = R // N
    z = np.asarray(z, dtype=float)
    if (z < 0).any() or not np.isfinite(z).all():
        raise DataError("reconstruct_final_demand: final sales must be finite and non-negative")
    M = Z.reshape(J, N, J, N).sum(axis=2).transpose(0, 2, 1)  # [j, n, i]
    tot = M.sum(axis=2)
    empty = tot <= 0
    pi = np.divide(M, tot[:, :, None], out=np.zeros_like(M), where=~empty[:, :, None])
    jj, nn = np.nonzero(empty)
    pi[jj, nn, nn] = 1.0
    F = np.zeros((N, J))
    resid = np.zeros(J)
    for j in range(J):
        b = z[j * N : (j + 1) * N]
        scale = b.max()
        if scale <= 0:
            continue
        A = pi[j].T  # A[i, n] = pi_ni
        try:
            f = np.linalg.solve(A, b / scale)
        except np.linalg.LinAlgError:
            f = -np.ones(N)
        if not (np.isfinite(f).all() and f.min() >= -1e-12 and np.abs(A @ f - b / scale).max() <= 1e-10):
            f, _ = nnls(A, b / scale, maxiter=50 * N)
        F[:, j] = np.maximum(f, 0.0) * scale
        resid[j] = np.abs(A @ F[:, j] - b).sum() / b.sum()
    by_origin = (pi * F.T[:, :, None]).transpose(0, 2, 1).reshape(R, N)  # [(j, i), n]
    fitted = by_origin.sum(axis=1)
    total = max(float(z.sum()), 1e-300)
    overall = float(np.abs(fitted - z).sum() / total)
    moved = 0.0
    if match_totals:
        orphan = (fitted <= 0) & (z > 0)
        by_origin *= np.divide(z, fitted, out=np.zeros_like(z), where=fitted > 0)[:, None]
        rows = np.nonzero(orphan)[0]
        by_origin[rows, rows % N] = z[rows]
        moved = float(np.abs(fitted - z).sum() / total)
        F = by_origin.reshape(J, N, N).sum(axis=1).T  # [n, j]
    fallback = tuple(sorted((int(n), int(j)) for j, n in zip(jj, nn)))
    return FinalDemandFit(F, pi, by_origin, resid, overall, moved, fallback)


# ---------------------------------------------------------------------- worlds
BalanceTargetsArg = Union[str, Path, Sequence["BalanceTarget"], None]


def _resolve_targets(balance_targets: BalanceTargetsArg, sha256: str) -> list:
    """``"auto"``: the shipped targets for the official benchmark, none for other files;
    ``None``: none; a path: that CSV; a sequence: those targets."""
    from detente.world._balances import read_balance_targets

    if balance_targets is None:
        return []
    if isinstance(balance_targets, str) and balance_targets == "auto":
        return read_balance_targets()[0] if sha256 == BENCH_SHA256 else []
    if isinstance(balance_targets, (str, Path)):
        return read_balance_targets(balance_targets)[0]
    return list(balance_targets)


def build_icio_world(
    source: Path | None = None,
    *,
    tariffs: TariffsArg = None,
    theta: ThetaArg = None,
    expected_sha256: str | None = BENCH_SHA256,
    cache_dir: Path | None = None,
    balance_targets: BalanceTargetsArg = "auto",
) -> World:
    """The full OECD ICIO 2022 world (80 economies x 50 industries, USD million).

    Parameters
    ----------
    source : path, optional
        The ``sanction-simulator`` wheel or its ``bench_cache.npz``; by default the wheel
        is fetched into ``cache_dir`` (default ``<data dir>/cache``).
    tariffs, theta : arrays, callables or None
        As in :func:`detente.world._icio.resolve_policy`; ``None`` uses the package's
        baseline tariffs and CP2015 elasticities.
    expected_sha256 : str or None
        Integrity check of the npz (``None`` for home-made files).
    balance_targets : "auto", None, a CSV path or a sequence of ``BalanceTarget``
        Observed trade balances the final-demand split must meet
        (:func:`detente.world._balances.fit_balances`). ``"auto"`` uses the shipped
        ``data/trade_balances_2022.csv`` when the npz is the official benchmark (sha256
        match) and none otherwise; ``None`` keeps the pure sourcing-assumption split.
    """
    if source is None:
        from detente.world._registry import data_dir

        source = fetch_benchmark(Path(cache_dir) if cache_dir else data_dir() / "cache")
    bench = read_benchmark(Path(source), expected_sha256=expected_sha256)
    countries, industries = bench["countries"], bench["sectors"]
    N = len(countries)
    go = bench["go"]
    Z = bench.pop("A")
    Z *= (bench["omb"] * go)[None, :]  # in place: Z[origin, user] = A * intermediate spend
    fit = reconstruct_final_demand(Z, bench["z"], N)
    final = fit.by_origin
    balance_notes: tuple[str, ...] = ()
    targets = _resolve_targets(balance_targets, bench["sha256"])
    if targets:
        from detente.world._balances import fit_balances

        bfit = fit_balances(Z, final, countries, targets)
        final = bfit.by_origin
        worst = max((abs(r["achieved"] - r["target"]) for r in bfit.table if r["kind"] == "level"), default=0.0)
        balance_notes = (
            f"trade balances fitted to {len(bfit.table)} observed 2022 targets "
            "(data/trade_balances_2022.csv; minimum cross-entropy change of final sales, "
            f"{bfit.moved:.3%} of final sales moved, converged={bfit.converged}): "
            + "; ".join(
                f"{r['economy']} {r['kind']} deficit target {r['target'] / 1e3:+.1f} "
                f"achieved {r['achieved'] / 1e3:+.1f} (prior {r['prior'] / 1e3:+.1f}) USD bn"
                for r in bfit.table
            )
            + f"; largest level-target miss {worst:.3g} USD million",
        )
    sales = Z.sum(axis=1) + final.sum(axis=1)
    gap = float(np.abs(sales - go).max() / max(float(go.max()), 1.0))
    tau, th, policy_notes = resolve_policy(countries, industries, tariffs, theta)
    worst = np.argsort(fit.residual_by_sector)[::-1][:3]
    audit = bench["audit"]
    notes = (
        (
            "world = the 80 economies of the benchmark; the OECD rest-of-world region (ROW) is "
            "left out: purchases from ROW are missing, sales to ROW count as final demand of the 80",
            "intermediate flows Z = A * (omb * go) at basic prices; final demand split by "
            "destination assuming final sourcing shares = intermediate sourcing shares (NNLS)",
            f"final-demand fit: overall residual {fit.residual:.3%} of final sales; worst sectors "
            + ", ".join(f"{industries[j]} {fit.residual_by_sector[j]:.2%}" for j in worst)
            + f"; final sales then rescaled to each node's benchmark total ({fit.rescaled:.3%} moved)",
            f"{len(fit.domestic_fallback)} (country, industry) buyers without intermediate "
            "purchases: final demand sourced at home",
            f"gross output = sales (intermediate + fitted final); max gap to ICIO output "
            f"{gap:.3%} of the largest output",
            f"benchmark audit: {json.dumps(audit, sort_keys=True)}",
        )
        + balance_notes
        + policy_notes
    )
    names = bench["sector_names"]
    meta = WorldMeta(
        name=FULL_NAME,
        vintage=VINTAGE,
        year=2022,
        units="USD million",
        sources=(
            "OECD Inter-Country Input-Output tables, 2025 release, reference year 2022, "
            "https://www.oecd.org/en/data/datasets/inter-country-input-output-tables.html "
            "(CC BY 4.0)",
            f"{BENCH_PACKAGE} (MIT), {BENCH_MEMBER}, sha256 {bench['sha256']}",
        ),
        notes=notes,
        sector_names=tuple(names.get(j, j) for j in industries),
        services=tuple(j for j in industries if j in ICIO_SERVICES),
    )
    return world_from_node_flows(Z, final, countries, industries, tariffs=tau, theta=th, meta=meta)


def build_compact_world(full: World) -> World:
    """Aggregate the full world to :data:`COMPACT_REGIONS` x :data:`COMPACT_SECTORS`."""
    from detente.world._aggregate import aggregate

    return aggregate(
        full,
        countries=COMPACT_REGIONS,
        sectors=COMPACT_SECTORS,
        name=COMPACT_NAME,
        sector_names=[COMPACT_SECTOR_NAMES[s] for s in COMPACT_SECTORS],
    )


def build_default_worlds(
    out_dir: Path,
    *,
    compact_path: Path | None = None,
    source: Path | None = None,
    tariffs: TariffsArg = None,
    theta: ThetaArg = None,
    expected_sha256: str | None = BENCH_SHA256,
    balance_targets: BalanceTargetsArg = "auto",
) -> dict[str, Path]:
    """Build and save the full world (``out_dir/worlds/oecd-icio-2022.nc``) and, when
    ``compact_path`` is given, the compact one there (e.g.
    ``src/detente/data/world_oecd_icio_2022_compact.nc``). Files are written atomically.
    The wheel is cached in ``out_dir/cache``. Returns ``{world name: path}``.
    """
    from detente.world._io import save_world

    out_dir = Path(out_dir)
    full = build_icio_world(
        source,
        tariffs=tariffs,
        theta=theta,
        expected_sha256=expected_sha256,
        cache_dir=out_dir / "cache",
        balance_targets=balance_targets,
    ).check()
    written = {FULL_NAME: save_world(full, out_dir / "worlds" / f"{FULL_NAME}.nc")}
    if compact_path is not None:
        written[COMPACT_NAME] = save_world(build_compact_world(full).check(), Path(compact_path))
    return written
