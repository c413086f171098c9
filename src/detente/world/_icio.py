"""The OECD Inter-Country Input-Output (ICIO) layout, and a reader for its official CSV files.

An ICIO "SML" file (``{year}_SML.csv``, 2025 release: 81 economies incl. ``ROW`` x 50
industries) is one square table in USD million at basic prices:

- rows ``CCC_IND`` (country ``CCC``, industry ``IND``) followed by ``TLS`` (taxes less
  subsidies on products), ``VA`` (value added) and ``OUT`` (output); a ``TOTAL`` row is
  tolerated and ignored;
- columns ``CCC_IND`` (intermediate use by that industry), then final demand by
  destination ``CCC_HFCE`` (households), ``CCC_NPISH``, ``CCC_GGFC`` (government),
  ``CCC_GFCF`` (investment), ``CCC_INVNT`` (inventory changes), ``CCC_DPABR`` (direct
  purchases abroad by residents), then ``OUT``; a ``TOTAL`` column is tolerated.

:func:`read_icio_csv` turns it into a :class:`~detente.world.World` with the *true*
destination split of final demand: the final use of node (i, j) by country n is the sum
of n's six final-demand columns. ``INVNT`` and ``DPABR`` cells may be negative (inventory
run-downs; resident purchases abroad netted against domestic rows); they are netted into
the other final demand of the same (origin, destination) pair, and a net that is still
negative is set to zero -- the clipped mass is reported in the world's notes. Negative
cells anywhere else are a :class:`~detente.errors.DataError`. The ``ROW`` region is kept
as an economy, so the file's world is closed. See docs/data_world.md.

Node order inside the kernels is industry-major (``node = j * N + i``), as in
:mod:`detente.world._build`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Union

import numpy as np

from detente.errors import DataError
from detente.world._world import World, WorldMeta

FINAL_DEMAND = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
NEGATIVE_OK = ("INVNT", "DPABR")
AUX_ROWS = ("TLS", "VA", "OUT", "TOTAL")
AUX_COLS = ("OUT", "TOTAL")
INPUT_CAP = 0.98  # largest input spending / output, as the benchmark's own audit rule

TariffsArg = Union[np.ndarray, Callable[[Sequence[str], Sequence[str]], np.ndarray], None]
ThetaArg = Union[np.ndarray, float, Callable[[Sequence[str]], np.ndarray], None]


# ---------------------------------------------------------------------- shared with _build
def resolve_policy(
    countries: Sequence[str], industries: Sequence[str], tariffs: TariffsArg, theta: ThetaArg
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Tariffs (n, i, j) and elasticities (j,) from arrays, callables or the defaults.

    ``None`` calls :func:`detente.world._tariffs.baseline_tariffs` and
    :func:`detente.world._elasticities.trade_elasticities`; a callable is called with
    the labels; an array is used as given. Returns the arrays and provenance notes.
    """
    notes: list[str] = []
    if tariffs is None:
        from detente.world._tariffs import baseline_tariffs

        tariffs = baseline_tariffs
        notes.append("tariffs: detente.world._tariffs.baseline_tariffs")
    if callable(tariffs):
        tariffs = tariffs(list(countries), list(industries))
    else:
        notes.append("tariffs: given by the caller")
    if theta is None:
        from detente.world._elasticities import trade_elasticities

        theta = trade_elasticities
        notes.append("trade elasticities: detente.world._elasticities.trade_elasticities (source cp2015_code)")
    if callable(theta):
        theta = theta(list(industries))
    else:
        notes.append("trade elasticities: given by the caller")
    N, J = len(countries), len(industries)
    tau = np.asarray(tariffs, dtype=float)
    th = np.broadcast_to(np.asarray(theta, dtype=float), (J,)).copy()
    if tau.shape != (N, N, J):
        raise DataError(f"tariffs: expected shape {(N, N, J)} (importer, exporter, industry), got {tau.shape}")
    return tau, th, tuple(notes)


def world_from_node_flows(
    Z: np.ndarray,
    final: np.ndarray,
    countries: Sequence[str],
    industries: Sequence[str],
    *,
    tariffs: np.ndarray,
    theta: np.ndarray,
    meta: WorldMeta,
) -> World:
    """A :class:`World` from node-level flows in industry-major order.

    Parameters
    ----------
    Z : (J*N, J*N) array
        Intermediate flows ``Z[origin node, user node]``, ``node = j * N + i``.
    final : (J*N, N) array
        Final use of each origin node's output by destination country.
    tariffs, theta : arrays
        (N, N, J) importer x exporter x industry fractions; (J,) elasticities.

    ``trade[n, i, j]`` is intermediate plus final sales of industry j from i to n;
    ``inter_use[n, j, k] = sum_i Z[(j, i), (k, n)]``; uses are at basic prices.
    Users whose input spending (tariffs included) would exceed :data:`INPUT_CAP` of
    their output are capped by :func:`cap_input_spending` (reported in the notes).
    """
    N, J = len(countries), len(industries)
    Z4 = Z.reshape(J, N, J, N)  # [j, i, k, n]
    inter_trade = Z4.sum(axis=2).transpose(2, 1, 0)  # [n, i, j]
    inter_use = Z4.sum(axis=1).transpose(2, 0, 1)  # [n, j, k]
    fin = final.reshape(J, N, N).transpose(2, 1, 0)  # [n, i, j]
    trade = inter_trade + fin
    final_use = fin.sum(axis=1)  # [n, j]
    inter_use, final_use, moved = cap_input_spending(trade, tariffs, inter_use, final_use)
    if moved[0]:
        meta = dataclasses.replace(
            meta,
            notes=meta.notes
            + (
                f"input spending (tariffs included) capped at {INPUT_CAP:.0%} of output in "
                f"{moved[0]} (country, industry) users: {moved[1]:.6g} of intermediate use "
                "reclassified as final use of the same country (trade flows unchanged)",
            ),
        )
    return World.from_flows(
        tuple(countries),
        tuple(industries),
        trade=trade,
        tariffs=tariffs,
        inter_use=inter_use,
        final_use=final_use,
        theta=theta,
        uses_at="basic",
        meta=meta,
    )


def cap_input_spending(
    trade: np.ndarray, tariffs: np.ndarray, inter_use: np.ndarray, final_use: np.ndarray, cap: float = INPUT_CAP
) -> tuple[np.ndarray, np.ndarray, tuple[int, float]]:
    """Keep value added positive: input spending gross of tariffs <= ``cap`` x output.

    The model values inputs at the buyer's average tariff factor ``g_n^j`` (see
    :meth:`World.from_flows`), so a user k of country n whose inputs are close to its
    output can end up with negative value added. For such users every input is scaled
    down to meet the cap and the removed amount becomes final use of the same goods by
    the same country: trade, sales and output are unchanged. Returns the new
    ``inter_use`` (n, j, k), ``final_use`` (n, j) and (users capped, mass moved).
    """
    absorption = trade.sum(axis=1)  # [n, j]
    g = np.divide((trade * (1.0 + tariffs)).sum(axis=1), absorption, out=np.ones_like(absorption), where=absorption > 0)
    spend = np.einsum("njk,nj->nk", inter_use, g)
    output = trade.sum(axis=0)  # [i, k]
    over = spend > cap * output * (1.0 + 1e-12)
    if not over.any():
        return inter_use, final_use, (0, 0.0)
    factor = np.where(over, np.divide(cap * output, spend, out=np.zeros_like(spend), where=spend > 0), 1.0)
    new_use = inter_use * factor[:, None, :]
    removed = inter_use - new_use
    return new_use, final_use + removed.sum(axis=2), (int(over.sum()), float(removed.sum()))


# ---------------------------------------------------------------------- CSV reader
def _split(label: str) -> tuple[str, str] | None:
    head, sep, tail = label.partition("_")
    return (head, tail) if sep and head and tail else None


def _read_frame(path: Path):
    """The CSV as a float DataFrame indexed by row label; DataError for unreadable files."""
    import pandas as pd

    where = str(path)
    try:
        header = pd.read_csv(path, nrows=0, index_col=0)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise DataError(f"{where!r} is not a readable CSV file: {exc}") from None
    cols = [str(c).strip() for c in header.columns]
    if len(cols) < 2:
        raise DataError(f"{where!r} is not an ICIO CSV file: it has {len(cols)} value column(s)")
    try:
        df = pd.read_csv(path, index_col=0, dtype={c: np.float64 for c in header.columns}, engine="c")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        df = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False)
        for c in df.columns:
            num = pd.to_numeric(df[c].str.strip(), errors="coerce")
            bad = num.isna() & (df[c].str.strip() != "")
            if bad.any():
                row = df.index[int(np.argmax(bad.to_numpy()))]
                raise DataError(
                    f"{where!r}: non-numeric value {df.loc[row, c]!r} at row "
                    f"{str(row).strip()!r}, column {str(c).strip()!r}"
                ) from None
        raise DataError(f"{where!r} is not a readable ICIO CSV file (ragged rows?)") from None
    df.columns = cols
    df.index = [str(r).strip() for r in df.index]
    return df


def _layout(df, where: str) -> tuple[list[str], list[str], list[str], list[str]]:
    """Countries, industries, intermediate column labels and final-demand column labels."""
    countries: list[str] = []
    industries: list[str] = []
    node_rows = []
    for r in df.index:
        if r in AUX_ROWS:
            continue
        parts = _split(r)
        if parts is None:
            raise DataError(
                f"{where!r}: unknown row label {r!r}: expected COUNTRY_INDUSTRY "
                f"(e.g. USA_C29) or one of {', '.join(AUX_ROWS)}"
            )
        if parts[0] not in countries:
            countries.append(parts[0])
        if parts[1] not in industries:
            industries.append(parts[1])
        node_rows.append(r)
    if not node_rows:
        raise DataError(f"{where!r}: no COUNTRY_INDUSTRY rows: not an ICIO table")
    inter_cols, fd_cols = [], []
    for c in df.columns:
        if c in AUX_COLS:
            continue
        parts = _split(c)
        if parts is not None and parts[1] in FINAL_DEMAND:
            fd_cols.append(c)
        elif parts is not None and parts[1] in industries:
            inter_cols.append(c)
        else:
            raise DataError(
                f"{where!r}: unknown column label {c!r}: expected COUNTRY_INDUSTRY, "
                f"COUNTRY_{{{','.join(FINAL_DEMAND)}}} or OUT/TOTAL"
            )
    expected = {f"{c}_{j}" for c in countries for j in industries}
    rows, cols = set(node_rows), set(inter_cols)
    if len(node_rows) != len(rows) or len(inter_cols) != len(cols):
        raise DataError(f"{where!r}: duplicate row or column labels")
    for what, got in (("rows", rows), ("intermediate-use columns", cols)):
        missing, extra = sorted(expected - got), sorted(got - expected)
        if missing or extra:
            raise DataError(
                f"{where!r}: the intermediate block is not square: {what} are "
                f"{len(got)}, expected {len(expected)} ({len(countries)} countries x "
                f"{len(industries)} industries); missing {missing[:5]}, unexpected {extra[:5]}"
            )
    fd_countries = {_split(c)[0] for c in fd_cols}  # type: ignore[index]
    unknown = sorted(fd_countries - set(countries))
    if unknown:
        raise DataError(f"{where!r}: final-demand columns for unknown countries {unknown[:5]}")
    lacking = [c for c in countries if c not in fd_countries]
    if lacking:
        raise DataError(f"{where!r}: no final-demand columns for {lacking[:5]}")
    return countries, industries, inter_cols, fd_cols


def read_icio_csv(
    path: str | os.PathLike, *, tariffs: TariffsArg = None, theta: ThetaArg = None, year: int | None = None
) -> World:
    """Read an official OECD ICIO CSV file (``{year}_SML.csv`` layout) into a :class:`World`.

    Parameters
    ----------
    path : path-like
        The CSV file (USD million, basic prices).
    tariffs : array (N, N, J), callable or None
        Importer x exporter x industry tariffs as fractions, or a function of
        ``(countries, industries)``; ``None`` uses
        :func:`detente.world._tariffs.baseline_tariffs`.
    theta : array (J,), float, callable or None
        Trade elasticities, or a function of ``industries``; ``None`` uses
        :func:`detente.world._elasticities.trade_elasticities`.
    year : int, optional
        Reference year; guessed from a file name that starts with four digits.

    Raises
    ------
    DataError
        The file is missing, not CSV, not the ICIO layout, or holds NaN, non-numeric or
        negative flows (only ``INVNT`` and ``DPABR`` may be negative); the message names
        the file, the row and column labels and the value.
    """
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise DataError(f"ICIO file {where!r} does not exist")
    df = _read_frame(path)
    countries, industries, inter_cols, fd_cols = _layout(df, where)
    N, J = len(countries), len(industries)
    nodes = [f"{countries[i]}_{industries[j]}" for j in range(J) for i in range(N)]
    row_pos = {r: p for p, r in enumerate(df.index)}
    col_pos = {c: p for p, c in enumerate(df.columns)}
    r_idx = np.array([row_pos[r] for r in nodes])
    values = df.to_numpy(dtype=np.float64, copy=False)
    del df
    Z = values[np.ix_(r_idx, np.asarray([col_pos[c] for c in nodes], dtype=np.intp))]
    fd = values[np.ix_(r_idx, np.asarray([col_pos[c] for c in fd_cols], dtype=np.intp))]
    for name, block, cols in (("intermediate", Z, nodes), ("final-demand", fd, fd_cols)):
        bad = ~np.isfinite(block)
        if bad.any():
            r, c = np.argwhere(bad)[0]
            raise DataError(
                f"{where!r}: missing or non-finite {name} value {block[r, c]} at row {nodes[r]!r}, column {cols[c]!r}"
            )
    neg = Z < 0
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise DataError(f"{where!r}: negative intermediate flow {Z[r, c]:.6g} at row {nodes[r]!r}, column {nodes[c]!r}")
    cat = [_split(c)[1] for c in fd_cols]  # type: ignore[index]
    strict = np.array([k not in NEGATIVE_OK for k in cat])
    neg = (fd < 0) & strict[None, :]
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise DataError(
            f"{where!r}: negative final demand {fd[r, c]:.6g} at row {nodes[r]!r}, "
            f"column {fd_cols[c]!r} (only {' and '.join(NEGATIVE_OK)} may be negative)"
        )
    dest = np.array([countries.index(_split(c)[0]) for c in fd_cols])  # type: ignore[index]
    final = np.zeros((len(nodes), N))
    for n in range(N):
        final[:, n] = fd[:, dest == n].sum(axis=1)
    clipped = final < 0
    clipped_mass = float(-final[clipped].sum())
    final[clipped] = 0.0
    total_fd = float(final.sum())
    tau, th, policy_notes = resolve_policy(countries, industries, tariffs, theta)
    if year is None and path.name[:4].isdigit():
        year = int(path.name[:4])
    row = "rest of world kept as economy ROW" if "ROW" in countries else "no ROW region"
    notes = (
        f"read from {path.name}: {N} economies ({row}) x {J} industries, USD million at basic prices",
        "final demand by destination: sum of " + ", ".join(sorted(set(cat))) + " columns",
        f"net final demand negative in {int(clipped.sum())} (origin, destination) cells "
        f"(inventory run-downs / purchases abroad); set to zero, mass {clipped_mass:.6g} "
        f"= {clipped_mass / max(total_fd, 1e-300):.3%} of final demand",
        "gross output = sales (intermediate + final) by row; TLS and VA rows are not used",
    ) + policy_notes
    names = tuple(ICIO_INDUSTRY_NAMES.get(j, j) for j in industries)
    meta = WorldMeta(
        name=f"oecd-icio-{year}" if year else "oecd-icio",
        vintage=f"OECD ICIO ({path.name})",
        year=year,
        units="USD million",
        sources=(f"OECD ICIO CSV file {path.name}", "OECD Inter-Country Input-Output tables (CC BY 4.0)"),
        notes=notes,
        sector_names=names,
        services=tuple(j for j in industries if j in ICIO_SERVICES),
    )
    del values
    return world_from_node_flows(Z, final, countries, industries, tariffs=tau, theta=th, meta=meta)


ICIO_INDUSTRY_NAMES: dict[str, str] = {
    "A01": "Agriculture and hunting",
    "A02": "Forestry and logging",
    "A03": "Fishing and aquaculture",
    "B05": "Mining of coal and lignite",
    "B06": "Extraction of crude petroleum and natural gas",
    "B07": "Mining of metal ores",
    "B08": "Other mining and quarrying",
    "B09": "Mining support service activities",
    "C10T12": "Food products, beverages and tobacco",
    "C13T15": "Textiles, wearing apparel, leather and related products",
    "C16": "Wood and products of wood and cork",
    "C17_18": "Paper products and printing",
    "C19": "Coke and refined petroleum products",
    "C20": "Chemicals and chemical products",
    "C21": "Pharmaceuticals",
    "C22": "Rubber and plastics products",
    "C23": "Other non-metallic mineral products",
    "C24A": "Basic iron and steel",
    "C24B": "Basic precious and other non-ferrous metals",
    "C25": "Fabricated metal products",
    "C26": "Computer, electronic and optical products",
    "C27": "Electrical equipment",
    "C28": "Machinery and equipment n.e.c.",
    "C29": "Motor vehicles, trailers and semi-trailers",
    "C301": "Ships and boats",
    "C302T309": "Other transport equipment",
    "C31T33": "Furniture and other manufacturing",
    "D": "Electricity, gas, steam and air conditioning supply",
    "E": "Water supply, sewerage and waste management",
    "F": "Construction",
    "G": "Wholesale and retail trade; repair of motor vehicles",
    "H49": "Land transport and pipelines",
    "H50": "Water transport",
    "H51": "Air transport",
    "H52": "Warehousing and support activities for transportation",
    "H53": "Postal and courier activities",
    "I": "Accommodation and food services",
    "J58T60": "Publishing, audiovisual and broadcasting",
    "J61": "Telecommunications",
    "J62_63": "IT and other information services",
    "K": "Financial and insurance activities",
    "L": "Real estate activities",
    "M": "Professional, scientific and technical activities",
    "N": "Administrative and support services",
    "O": "Public administration and defence; compulsory social security",
    "P": "Education",
    "Q": "Human health and social work",
    "R": "Arts, entertainment and recreation",
    "S": "Other service activities",
    "T": "Households as employers and own-use production",
}


#: ICIO industries that are utilities, construction and services (D to T): tariffs on
#: "goods" skip them.
ICIO_SERVICES: frozenset[str] = frozenset("D E F G H49 H50 H51 H52 H53 I J58T60 J61 J62_63 K L M N O P Q R S T".split())
