"""Worlds from users' own CSV files of bilateral flows (layout: docs/csv_worlds.md).

One sector, one file::

    exporter,importer,value[,tariff][,sector][,output][,expenditure][,theta][,year]

Several sectors, a directory (or ``io=`` / ``value_added=`` paths)::

    flows.csv        exporter,importer,sector,value[,tariff][,theta]
    io.csv           country,input_sector,sector,value    intermediate purchases
    value_added.csv  country,sector,value                  (optional, checked)
    theta.csv        sector,theta                          (optional)
    meta.json        name, units, ... (optional, written by write_csv_world)

``value`` is sales of ``exporter`` to ``importer`` at factory prices (net of tariffs),
domestic sales on the diagonal (exporter = importer); ``tariff`` is the importer's
ad-valorem tariff in percent. ``io.csv`` values are purchases of composite
``input_sector`` goods by ``sector`` of ``country`` at purchasers' prices (including
any tariffs paid). Final demand is spending less intermediate purchases. The world is
built with :meth:`World.from_flows` (``uses_at="purchaser"``), so every accounting
identity holds by construction.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import cast

import numpy as np

from detente._files import atomic_path, write_text
from detente.errors import DataError
from detente.world._world import World, WorldMeta

FLOWS_COLUMNS = ("exporter", "importer", "value")
FLOWS_OPTIONAL = ("sector", "tariff", "output", "expenditure", "theta", "year")
IO_COLUMNS = ("country", "input_sector", "sector", "value")
VA_COLUMNS = ("country", "sector", "value")
THETA_COLUMNS = ("sector", "theta")
ONE_SECTOR = "total"


class _Table:
    """A CSV file read as text, with the file name and line numbers for errors."""

    def __init__(
        self,
        path: Path,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        columns: Mapping[str, str] | None = None,
        extra: str = "error",
    ) -> None:
        import pandas as pd

        self.path = path
        if not path.is_file():
            raise DataError(f"{path}: file not found")
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except Exception as exc:  # pandas raises several parser errors
            raise DataError(f"{path}: cannot read as CSV ({exc})") from None
        df.columns = [str(c).strip() for c in df.columns]
        rename = {v: k for k, v in (columns or {}).items() if v in df.columns}
        df = df.rename(columns=rename)
        known = set(required) | set(optional)
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise DataError(
                f"{path}: missing column(s) {', '.join(map(repr, missing))}; the file has "
                f"{', '.join(map(repr, df.columns))} (map names with columns={{'value': 'trade'}})"
            )
        unknown = [c for c in df.columns if c not in known]
        if unknown and extra == "error":
            raise DataError(
                f"{path}: unknown column(s) {', '.join(map(repr, unknown))}; expected "
                f"{', '.join(required)} and optionally {', '.join(optional) or 'nothing else'} "
                "(pass extra_columns='ignore' to skip other columns)"
            )
        self.df = df[[c for c in df.columns if c in known]].copy()
        for c in self.df.columns:
            self.df[c] = self.df[c].str.strip()
        if len(self.df) == 0:
            raise DataError(f"{path}: no data rows")

    def line(self, k: int) -> int:
        return int(self.df.index[k]) + 2  # header is line 1

    def has(self, col: str) -> bool:
        return col in self.df.columns

    def labels(self, col: str) -> list[str]:
        vals = self.df[col].tolist()
        for k, v in enumerate(vals):
            if v == "":
                raise DataError(f"{self.path}, row {self.line(k)}, column {col!r}: empty label")
        return vals

    def numbers(self, col: str, *, nonnegative: bool = False) -> np.ndarray:
        raw = self.df[col].tolist()
        out = np.empty(len(raw))
        for k, v in enumerate(raw):
            try:
                x = float(v.replace("_", "")) if v != "" else np.nan
            except ValueError:
                x = np.nan
            if not np.isfinite(x):
                raise DataError(f"{self.path}, row {self.line(k)}, column {col!r}: {v!r} is not a finite number")
            if nonnegative and x < 0:
                raise DataError(f"{self.path}, row {self.line(k)}, column {col!r}: negative value {x:g}")
            out[k] = x
        return out


def _index(labels: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for x in labels:
        out.setdefault(x, len(out))
    return out


def _theta_from(
    theta, table: _Table | None, directory: Path | None, sectors: tuple[str, ...], sec_of_row: list[str] | None
) -> np.ndarray:
    J = len(sectors)
    if theta is not None and not isinstance(theta, (str, os.PathLike, Mapping)):
        arr = np.broadcast_to(np.asarray(theta, float), (J,)).copy()
    elif isinstance(theta, Mapping):
        miss = [s for s in sectors if s not in theta]
        if miss:
            raise DataError(f"theta: no elasticity for sector(s) {', '.join(miss)}")
        arr = np.array([float(theta[s]) for s in sectors])
    elif isinstance(theta, (str, os.PathLike)) or (directory is not None and (directory / "theta.csv").is_file()):
        if theta is not None:
            theta_path = Path(theta)
        else:
            assert directory is not None  # the branch condition holds through directory here
            theta_path = directory / "theta.csv"
        t = _Table(theta_path, THETA_COLUMNS)
        secs, vals = t.labels("sector"), t.numbers("theta")
        d: dict[str, float] = {}
        for k, (s, v) in enumerate(zip(secs, vals)):
            if s in d:
                raise DataError(f"{t.path}, row {t.line(k)}: sector {s!r} appears twice")
            if s not in sectors:
                raise DataError(f"{t.path}, row {t.line(k)}, column 'sector': unknown sector {s!r}")
            d[s] = v
        return _theta_from(d, None, None, sectors, None)
    elif table is not None and table.has("theta"):
        assert sec_of_row is not None  # passed together with the table
        vals = table.numbers("theta")
        d = {}
        for k, (s, v) in enumerate(zip(sec_of_row, vals)):
            if s in d and d[s] != v:
                raise DataError(
                    f"{table.path}, row {table.line(k)}, column 'theta': {v:g} differs from "
                    f"{d[s]:g} given earlier for sector {s!r} (one elasticity per sector)"
                )
            d[s] = v
        return _theta_from(d, None, None, sectors, None)
    else:
        raise DataError(
            "no trade elasticity: pass theta= (a number, a {sector: theta} mapping or a "
            "theta.csv path), or give a 'theta' column or a theta.csv file"
        )
    if not (np.isfinite(arr).all() and (arr > 0).all()):
        raise DataError(f"theta: trade elasticities must be positive numbers, got {arr.tolist()}")
    return arr


def read_csv_world(
    path: str | os.PathLike,
    *,
    theta=None,
    name: str | None = None,
    io: str | os.PathLike | bool | None = None,
    value_added: str | os.PathLike | None = None,
    columns: Mapping[str, str] | None = None,
    extra_columns: str = "error",
    missing: str = "error",
    year: str | int | None = None,
    units: str | None = None,
    tol: float = 1e-6,
) -> World:
    """Build a :class:`World` from CSV files of bilateral flows (docs/csv_worlds.md).

    Parameters
    ----------
    path : a flows CSV file, or a directory with ``flows.csv`` (and ``io.csv``,
        ``value_added.csv``, ``theta.csv``, ``meta.json``).
    theta : trade elasticity: one number, a ``{sector: theta}`` mapping or a CSV path
        (``sector,theta``); default: a ``theta`` column, else ``theta.csv``.
    name : world name (default: ``meta.json``'s, else the file or directory name).
    io : intermediate purchases CSV (``country,input_sector,sector,value``); ``False``
        for no input-output links. Required with several sectors.
    value_added : optional ``country,sector,value`` CSV, checked against output less
        input purchases (relative tolerance ``tol`` of the largest output).
    columns : map from this layout's column names to the file's, e.g.
        ``{"value": "trade"}``.
    extra_columns : ``"error"`` (default) or ``"ignore"`` unknown columns.
    missing : ``"error"`` (default) if an (exporter, importer, sector) row is absent, or
        ``"zero"``. Domestic rows may instead be built from an ``output`` column.
    year : which ``year`` to keep when the file has several.
    units : money unit of the values (default: ``meta.json``'s, else "CSV units").
    """
    p = Path(path).expanduser()
    directory = p if p.is_dir() else None
    flows_path = p / "flows.csv" if directory else p
    meta_d: dict = {}
    if directory and (directory / "meta.json").is_file():
        meta_d = json.loads((directory / "meta.json").read_text())
    t = _Table(flows_path, FLOWS_COLUMNS, FLOWS_OPTIONAL, columns, extra_columns)
    if t.has("year"):
        years = t.df["year"].unique().tolist()
        if year is not None:
            t.df = t.df[t.df["year"] == str(year)]
            if len(t.df) == 0:
                raise DataError(f"{flows_path}: no rows for year {year!r} (years: {', '.join(years)})")
        elif len(years) > 1:
            raise DataError(f"{flows_path}: rows for several years ({', '.join(years)}); pass year=")
    exp_l, imp_l = t.labels("exporter"), t.labels("importer")
    sec_l = t.labels("sector") if t.has("sector") else [ONE_SECTOR] * len(exp_l)
    order: list[str] = []
    for a, b in zip(exp_l, imp_l):
        order += [a, b]
    ci, si = _index(order), _index(sec_l)
    countries, sectors = tuple(ci), tuple(si)
    N, J = len(countries), len(sectors)
    value = t.numbers("value", nonnegative=True)
    tariff = t.numbers("tariff") / 100.0 if t.has("tariff") else np.zeros(len(value))
    bad = np.nonzero(tariff <= -1.0)[0]
    if bad.size:
        k = int(bad[0])
        raise DataError(
            f"{flows_path}, row {t.line(k)}, column 'tariff': {100 * tariff[k]:g}% (a tariff must be above -100%)"
        )
    T = np.zeros((N, N, J))  # T[n, i, j]: sales of exporter i to importer n
    tau = np.zeros((N, N, J))
    seen = np.full((N, N, J), -1, dtype=np.int64)
    for k, (e, m, s) in enumerate(zip(exp_l, imp_l, sec_l)):
        n, i, j = ci[m], ci[e], si[s]
        if seen[n, i, j] >= 0:
            raise DataError(
                f"{flows_path}, row {t.line(k)}: flow {e}->{m} in sector {s!r} appears twice "
                f"(first on row {t.line(int(seen[n, i, j]))})"
            )
        seen[n, i, j] = k
        T[n, i, j], tau[n, i, j] = value[k], tariff[k]
    if t.has("output"):  # exporter's gross output per sector
        out = t.numbers("output", nonnegative=True)
        Yin = np.full((N, J), np.nan)
        for k, (e, s) in enumerate(zip(exp_l, sec_l)):
            i, j = ci[e], si[s]
            if np.isnan(Yin[i, j]):
                Yin[i, j] = out[k]
            elif Yin[i, j] != out[k]:
                raise DataError(
                    f"{flows_path}, row {t.line(k)}, column 'output': {out[k]:g} differs from "
                    f"{Yin[i, j]:g} given earlier for exporter {e} in {s!r}"
                )
        for i in range(N):
            for j in range(J):
                if seen[i, i, j] < 0 and not np.isnan(Yin[i, j]):
                    dom = Yin[i, j] - (T[:, i, j].sum() - T[i, i, j])
                    if dom < -tol * max(Yin[i, j], 1e-300):
                        raise DataError(
                            f"{flows_path}: output of {countries[i]} in {sectors[j]!r} "
                            f"({Yin[i, j]:g}) is below its exports ({Yin[i, j] - dom:g})"
                        )
                    T[i, i, j], seen[i, i, j] = max(dom, 0.0), 0
        scale = max(float(np.nanmax(Yin)), 1e-300)
        gap = np.abs(T.sum(axis=0) - Yin) / scale
        if np.nanmax(gap) > tol:
            i, j = map(int, np.unravel_index(int(np.nanargmax(gap)), gap.shape))
            raise DataError(
                f"{flows_path}: column 'output' of {countries[i]} in {sectors[j]!r} is "
                f"{Yin[i, j]:g} but its sales add up to {T[:, i, j].sum():g}"
            )
    absent = np.argwhere(seen < 0)
    if absent.size:
        dom_absent = [(n, i, j) for n, i, j in absent if n == i]
        if missing != "zero" or dom_absent:
            n, i, j = (dom_absent or absent.tolist())[0]
            what = "domestic sales" if n == i else "flow"
            raise DataError(
                f"{flows_path}: {len(absent)} of {N * N * J} (exporter, importer, sector) rows are missing, "
                f"e.g. the {what} {countries[i]}->{countries[n]} in {sectors[j]!r}; give every pair "
                + (
                    "(domestic sales are required, or an 'output' column to build them)"
                    if n == i
                    else "or pass missing='zero' to read absent flows as zero"
                )
            )
    if t.has("expenditure"):  # importer's total absorption at factory prices: a check
        ex = t.numbers("expenditure", nonnegative=True)
        A = T.sum(axis=(1, 2))
        for k, m in enumerate(imp_l):
            if abs(A[ci[m]] - ex[k]) > tol * max(float(A.max()), 1e-300):
                raise DataError(
                    f"{flows_path}, row {t.line(k)}, column 'expenditure': {ex[k]:g} but the "
                    f"purchases of {m} add up to {A[ci[m]]:g}"
                )
    X = (T * (1.0 + tau)).sum(axis=1)  # (n, j) spending gross of tariffs
    Y = T.sum(axis=0)
    # intermediate purchases
    io_path = None
    if io is None and directory is not None and (directory / "io.csv").is_file():
        io_path = directory / "io.csv"
    elif io not in (None, False, True):
        io_path = Path(cast("str | os.PathLike[str]", io))  # None and the bools are excluded above
    elif io is True:
        raise DataError("io=True: give the path of the intermediate-purchases CSV")
    U = np.zeros((N, J, J))  # U[n, k, j]: purchases of input k by sector j
    if io_path is not None:
        u = _Table(io_path, IO_COLUMNS)
        cs, ks, js, vals = (
            u.labels("country"),
            u.labels("input_sector"),
            u.labels("sector"),
            u.numbers("value", nonnegative=True),
        )
        got = np.zeros((N, J, J), bool)
        for k, (c, a, b, v) in enumerate(zip(cs, ks, js, vals)):
            for col, lab, idx in (("country", c, ci), ("input_sector", a, si), ("sector", b, si)):
                if lab not in idx:
                    raise DataError(
                        f"{io_path}, row {u.line(k)}, column {col!r}: {lab!r} is not a "
                        f"{'country' if col == 'country' else 'sector'} of the flows file"
                    )
            if got[ci[c], si[a], si[b]]:
                raise DataError(f"{io_path}, row {u.line(k)}: ({c}, {a}, {b}) appears twice")
            got[ci[c], si[a], si[b]] = True
            U[ci[c], si[a], si[b]] = v
    elif J > 1 and io is not False:
        raise DataError(
            f"{flows_path}: {J} sectors need intermediate purchases: put io.csv next to "
            "flows.csv, pass io='path.csv', or io=False for a world without input-output links"
        )
    final = X - U.sum(axis=2)
    scale = max(float(X.max()), 1e-300)
    if (final < -tol * scale).any():
        n, k = np.argwhere(final < -tol * scale)[0]
        raise DataError(
            f"{io_path}: intermediate purchases of {sectors[k]!r} goods in {countries[n]} "
            f"({U[n, k].sum():g}) exceed its spending on them ({X[n, k]:g})"
        )
    final = np.maximum(final, 0.0)
    # the value-added file is a check of output = inputs + value added
    va_path = (
        Path(value_added)
        if value_added is not None
        else (directory / "value_added.csv" if directory and (directory / "value_added.csv").is_file() else None)
    )
    if va_path is not None:
        v = _Table(va_path, VA_COLUMNS)
        cs, js, vals = v.labels("country"), v.labels("sector"), v.numbers("value", nonnegative=True)
        implied = Y - U.sum(axis=1)
        ys = max(float(Y.max()), 1e-300)
        for k, (c, s, x) in enumerate(zip(cs, js, vals)):
            if c not in ci or s not in si:
                raise DataError(
                    f"{va_path}, row {v.line(k)}: unknown {'country' if c not in ci else 'sector'} "
                    f"{c if c not in ci else s!r}"
                )
            if abs(implied[ci[c], si[s]] - x) > tol * ys:
                raise DataError(
                    f"{va_path}, row {v.line(k)}, column 'value': value added of ({c}, {s}) is "
                    f"{x:g} but output less input purchases is {implied[ci[c], si[s]]:g}"
                )
    th = _theta_from(theta, t, directory, sectors, sec_l)
    meta_d = {k: v for k, v in meta_d.items() if k != "name"} | {
        "name": name or meta_d.get("name") or (directory.name if directory else flows_path.stem)
    }
    meta_d.setdefault("vintage", "user CSV")
    meta_d.setdefault("sources", [str(flows_path)])
    meta_d["units"] = units or meta_d.get("units") or "CSV units"
    meta_d.setdefault("elasticities", "user-supplied (CSV theta column or theta=)")
    meta = WorldMeta.from_dict(meta_d)
    return World.from_flows(
        countries,
        sectors,
        trade=T,
        tariffs=tau,
        inter_use=U,
        final_use=final,
        theta=th,
        uses_at="purchaser",
        meta=meta,
        tol=tol,
    )


def write_csv_world(world: World, directory: str | os.PathLike) -> Path:
    """Write ``world`` in the directory layout of :func:`read_csv_world`; returns the directory.

    Reading it back gives the same arrays (to rounding) for a consistent world
    (``world.check()`` passes); values are written with 17 significant digits.
    """
    d = Path(directory).expanduser()
    d.mkdir(parents=True, exist_ok=True)
    c, s = world.countries, world.sectors
    T, tau = world.trade_flows, world.tariffs
    Y = world.gross_output
    S = world.io_shares * Y[:, None, :]  # (n, k, j) input purchases, purchasers' prices
    VA = world.va_share * Y
    r = repr

    def write(name: str, header: str, rows) -> None:
        with atomic_path(d / name, suffix=".csv.part") as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(header.split(","))
            out.writerows(rows)

    write(
        "flows.csv",
        "exporter,importer,sector,value,tariff",
        (
            (c[i], c[n], s[j], r(float(T[n, i, j])), r(float(100.0 * tau[n, i, j])))
            for i in range(len(c))
            for n in range(len(c))
            for j in range(len(s))
        ),
    )
    write(
        "io.csv",
        "country,input_sector,sector,value",
        ((c[n], s[k], s[j], r(float(S[n, k, j]))) for n in range(len(c)) for k in range(len(s)) for j in range(len(s))),
    )
    write(
        "value_added.csv",
        "country,sector,value",
        ((c[n], s[j], r(float(VA[n, j]))) for n in range(len(c)) for j in range(len(s))),
    )
    write("theta.csv", "sector,theta", ((s[j], r(float(world.theta[j]))) for j in range(len(s))))
    write_text(d / "meta.json", json.dumps(world.meta.to_dict(), indent=1) + "\n")
    return d
