"""The calibrated baseline world: an immutable value of labelled arrays.

Notation (Caliendo & Parro 2015, section 3; docs/model.md has the full table):

=================  ========================  ==============================================
field              symbol / axes             meaning
=================  ========================  ==============================================
``expenditure``    X_n^j        (n, j)        spending on sector-j goods, gross of tariffs
``trade_shares``   pi_ni^j      (n, i, j)     share of n's sector-j spending bought from i
``tariffs``        tau_ni^j     (n, i, j)     ad-valorem tariff of n on i, fraction (0.1 = 10%)
``theta``          theta^j      (j,)          trade elasticity
``va_share``       gamma_n^j    (n, j)        value added / gross output
``io_shares``      gamma_n^kj   (n, k, j)     spending on input k / gross output of j
``final_shares``   alpha_n^j    (n, j)        share of final demand spent on sector j
``value_added``    w_n L_n      (n,)          value added (factor income)
``deficit``        D_n          (n,)          trade deficit: imports - exports, factory prices
=================  ========================  ==============================================

Axis names: ``n`` importer / buying country, ``i`` exporter / origin, ``j`` sector,
``k`` input sector. All values are in ``meta.units`` (USD million for the OECD world).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np

from detente.errors import DataError, UnknownLabelError

SHARE_TOL = 1e-8


@dataclasses.dataclass(frozen=True)
class WorldMeta:
    """Provenance of a world: what it is, when, in which unit, from which sources."""

    name: str = "unnamed"
    vintage: str = ""  # e.g. "OECD ICIO 2025 release, reference year 2022"
    year: int | None = None
    units: str = "USD million"
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    sector_names: tuple[str, ...] = ()  # long names, aligned with World.sectors
    services: tuple[str, ...] = ()  # sectors that are services (no tariffs on "goods")
    elasticities: str = ""  # which trade elasticities theta holds (set and horizon), for reports

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WorldMeta:
        fields = {f.name for f in dataclasses.fields(cls)}
        kw: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in fields}
        return cls(**kw)


class Baseline(NamedTuple):
    """Plain arrays for the numerical kernels (axis order in the module docstring)."""

    X: np.ndarray  # (N, J)
    pi: np.ndarray  # (N, N, J)
    tau: np.ndarray  # (N, N, J)
    theta: np.ndarray  # (J,)
    gva: np.ndarray  # (N, J)
    gio: np.ndarray  # (N, K=J, J)
    alpha: np.ndarray  # (N, J)
    VA: np.ndarray  # (N,)
    D: np.ndarray  # (N,)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


def _labels(values: Iterable[str], what: str) -> tuple[str, ...]:
    out = tuple(str(v) for v in values)
    if len(out) == 0:
        raise DataError(f"{what}: at least one label is needed")
    dup = sorted({v for v in out if out.count(v) > 1})
    if dup:
        raise DataError(f"{what}: duplicate labels {dup}")
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class World:
    """A calibrated baseline economy (see the module docstring for the notation).

    Construct with :meth:`from_shares` (the model's own form) or :meth:`from_flows`
    (input-output flows in levels, which guarantees every accounting identity).
    Instances are immutable: arrays are read-only, and every transformation returns a
    new world.
    """

    countries: tuple[str, ...]
    sectors: tuple[str, ...]
    expenditure: np.ndarray
    trade_shares: np.ndarray
    tariffs: np.ndarray
    theta: np.ndarray
    va_share: np.ndarray
    io_shares: np.ndarray
    final_shares: np.ndarray
    value_added: np.ndarray
    deficit: np.ndarray
    meta: WorldMeta = WorldMeta()

    # ------------------------------------------------------------------ construction
    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "countries", _labels(self.countries, "countries"))
        set_(self, "sectors", _labels(self.sectors, "sectors"))
        for f in (
            "expenditure",
            "trade_shares",
            "tariffs",
            "theta",
            "va_share",
            "io_shares",
            "final_shares",
            "value_added",
            "deficit",
        ):
            set_(self, f, _frozen(getattr(self, f)))
        _validate_structure(self)

    @classmethod
    def from_shares(
        cls,
        countries: Sequence[str],
        sectors: Sequence[str],
        *,
        expenditure,
        trade_shares,
        tariffs,
        theta,
        va_share,
        io_shares,
        final_shares,
        value_added,
        deficit,
        meta: WorldMeta | None = None,
    ) -> World:
        """Build a world from the model's shares and levels (no accounting checks)."""
        return cls(
            tuple(countries),
            tuple(sectors),
            expenditure,
            trade_shares,
            tariffs,
            theta,
            va_share,
            io_shares,
            final_shares,
            value_added,
            deficit,
            meta or WorldMeta(),
        )

    @classmethod
    def from_flows(
        cls,
        countries: Sequence[str],
        sectors: Sequence[str],
        *,
        trade,
        tariffs,
        inter_use,
        final_use,
        theta,
        uses_at: Literal["basic", "purchaser"] = "basic",
        meta: WorldMeta | None = None,
        tol: float = 1e-6,
    ) -> World:
        """Build a consistent world from flows in levels.

        Parameters
        ----------
        trade : (N, N, J) array
            Sales of sector-j goods from exporter i to buyer n at factory (basic) prices,
            domestic sales on the diagonal, all uses together.
        tariffs : (N, N, J) array
            Ad-valorem tariffs as fractions.
        inter_use : (N, J, K) array
            Purchases of composite sector-j goods by sector k of country n.
        final_use : (N, J) array
            Final purchases of composite sector-j goods by country n.
        uses_at : "basic" or "purchaser"
            Whether the uses are valued at factory prices (they are grossed up with the
            (n, j) average tariff factor, the model's composite-good assumption) or
            already include tariffs.

        Gross output is the value of sales, value added is gross output minus input
        spending (tariffs on inputs included), and the deficit is absorption minus
        output, so all of :meth:`accounting_residuals` vanish by construction.
        """
        countries, sectors = tuple(countries), tuple(sectors)
        N, J = len(countries), len(sectors)
        T = _as_array(trade, (N, N, J), "trade")
        tau = _as_array(tariffs, (N, N, J), "tariffs")
        U = _as_array(inter_use, (N, J, J), "inter_use")
        F = _as_array(final_use, (N, J), "final_use")
        for name, a in (("trade", T), ("inter_use", U), ("final_use", F)):
            if (a < 0).any():
                idx = tuple(int(x) for x in np.argwhere(a < 0)[0])
                raise DataError(f"{name}: negative flow {a[idx]:.6g} at index {idx}")
        if (tau <= -1).any():
            idx = tuple(int(x) for x in np.argwhere(tau <= -1)[0])
            raise DataError(f"tariffs: tariff factor 1 + tau must be positive; got tau={tau[idx]} at {idx}")
        absorption = T.sum(axis=1)  # (N, J) at factory prices
        X = (T * (1.0 + tau)).sum(axis=1)  # gross of tariffs
        if uses_at == "basic":
            uses = U.sum(axis=2) + F
            scale = max(float(absorption.max()), 1e-300)
            gap = np.abs(uses - absorption) / scale
            if gap.max() > tol:
                n, j = np.unravel_index(int(gap.argmax()), gap.shape)
                raise DataError(
                    f"uses do not add up to purchases for ({countries[n]}, {sectors[j]}): "
                    f"intermediate + final = {uses[n, j]:.6g}, trade = {absorption[n, j]:.6g}"
                )
            g = np.divide(X, absorption, out=np.ones_like(X), where=absorption > 0)
            S = U * g[:, :, None]
            FD = F * g
        elif uses_at == "purchaser":
            S, FD = U, F
            scale = max(float(X.max()), 1e-300)
            gap = np.abs(U.sum(axis=2) + F - X) / scale
            if gap.max() > tol:
                n, j = np.unravel_index(int(gap.argmax()), gap.shape)
                raise DataError(
                    f"uses do not add up to purchases for ({countries[n]}, {sectors[j]}): "
                    f"intermediate + final = {(U.sum(axis=2) + F)[n, j]:.6g}, spending = {X[n, j]:.6g}"
                )
        else:
            raise DataError(f"uses_at must be 'basic' or 'purchaser', got {uses_at!r}")
        Y = T.sum(axis=0)  # (i, j) gross output = sales
        inputs = S.sum(axis=1)  # (n, k) spending on inputs by sector k
        va_level = Y - inputs
        bad = va_level < -tol * np.maximum(Y, 1e-300)
        if bad.any():
            n, k = np.argwhere(bad)[0]
            raise DataError(
                f"value added would be negative for ({countries[n]}, {sectors[k]}): output "
                f"{Y[n, k]:.6g} < input spending {inputs[n, k]:.6g}"
            )
        # rounding-level negatives: scale that sector's inputs down to its output
        tiny = va_level < 0
        if tiny.any():
            S = S * np.where(tiny, Y / np.maximum(inputs, 1e-300), 1.0)[:, None, :]
            inputs = S.sum(axis=1)
            va_level = np.maximum(Y - inputs, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            gio = np.where(Y[:, None, :] > 0, S / Y[:, None, :], 0.0)
            gva = np.where(Y > 0, va_level / Y, 1.0)
            pi = np.where(X[:, None, :] > 0, T * (1.0 + tau) / X[:, None, :], 0.0)
        # Inactive producers (no output) get the shares of a pure value-added sector;
        # buyers with no purchases get a domestic share of one (never used for spending).
        empty = X <= 0
        if empty.any():
            n_idx, j_idx = np.nonzero(empty)
            pi[n_idx, :, j_idx] = 0.0
            pi[n_idx, n_idx, j_idx] = 1.0
        income = FD.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            alpha = np.where(income[:, None] > 0, FD / income[:, None], 1.0 / J)
        VA = va_level.sum(axis=1)
        R = (T * tau).sum(axis=(1, 2))
        D = income - VA - R
        return cls(countries, sectors, X, pi, tau, theta, gva, gio, alpha, VA, D, meta or WorldMeta())

    def replace(self, **changes: Any) -> World:
        """A copy with some fields replaced (validated again)."""
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ sizes & labels
    @property
    def n_countries(self) -> int:
        return len(self.countries)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    def country_index(self, code: str) -> int:
        """Position of a country label (any case); raises :class:`UnknownLabelError` with
        suggestions."""
        return _index(self.countries, code, "country")

    def sector_index(self, code: str) -> int:
        """Position of a sector: its label or full name in any case, or on a compact world
        the ICIO code of a one-industry group (``C29`` is ``MOTOR``); raises
        :class:`UnknownLabelError` with suggestions (and the group of a multi-industry code)."""
        return _index(self.sectors, code, "sector", names=self.meta.sector_names)

    @property
    def services(self) -> tuple[str, ...]:
        """Service sectors (from ``meta.services``); tariffs on "goods" skip them."""
        return tuple(s for s in self.sectors if s in set(self.meta.services))

    @property
    def goods(self) -> tuple[str, ...]:
        """Goods sectors: every sector not listed as a service."""
        sv = set(self.meta.services)
        return tuple(s for s in self.sectors if s not in sv)

    def arrays(self) -> Baseline:
        """The plain arrays the kernels take."""
        return Baseline(
            self.expenditure,
            self.trade_shares,
            self.tariffs,
            self.theta,
            self.va_share,
            self.io_shares,
            self.final_shares,
            self.value_added,
            self.deficit,
        )

    # ------------------------------------------------------------------ derived levels
    @cached_property
    def trade_flows(self) -> np.ndarray:
        """(n, i, j) sales from i to n at factory prices (net of tariffs)."""
        return _frozen(self.trade_shares * self.expenditure[:, None, :] / (1.0 + self.tariffs))

    @cached_property
    def gross_output(self) -> np.ndarray:
        """(i, j) gross output = sales to all buyers at factory prices."""
        return _frozen(self.trade_flows.sum(axis=0))

    @cached_property
    def tariff_revenue(self) -> np.ndarray:
        """(n,) tariff revenue collected by each importer."""
        return _frozen((self.trade_flows * self.tariffs).sum(axis=(1, 2)))

    @cached_property
    def income(self) -> np.ndarray:
        """(n,) final spending I_n = value added + tariff revenue + deficit."""
        return _frozen(self.value_added + self.tariff_revenue + self.deficit)

    @cached_property
    def imports(self) -> np.ndarray:
        """(n, j) imports at factory prices (domestic sales excluded)."""
        T = self.trade_flows
        return _frozen(T.sum(axis=1) - np.einsum("nnj->nj", T))

    @cached_property
    def exports(self) -> np.ndarray:
        """(i, j) exports at factory prices (domestic sales excluded)."""
        T = self.trade_flows
        return _frozen(T.sum(axis=0) - np.einsum("nnj->nj", T))

    @property
    def gdp(self) -> np.ndarray:
        """(n,) value added, the model's GDP at factor cost."""
        return self.value_added

    # ------------------------------------------------------------------ accounting
    def accounting_residuals(self) -> dict[str, float]:
        """Largest violation of each accounting identity, relative to world output.

        - ``goods_market``: X_n^j = sum_k gamma_n^{jk} Y_n^k + alpha_n^j I_n
        - ``trade_balance``: imports - exports = D_n
        - ``world_deficit``: sum_n D_n = 0 (world exports = world imports)
        - ``value_added``: w_n L_n = sum_j gamma_n^j Y_n^j
        """
        Y = self.gross_output
        scale = max(float(Y.sum()), 1e-300)
        X_implied = np.einsum("nkj,nj->nk", self.io_shares, Y) + self.final_shares * self.income[:, None]
        tb = self.imports.sum(axis=1) - self.exports.sum(axis=1) - self.deficit
        va = self.value_added - (self.va_share * Y).sum(axis=1)
        return {
            "goods_market": float(np.abs(X_implied - self.expenditure).max() / scale),
            "trade_balance": float(np.abs(tb).max() / scale),
            "world_deficit": float(abs(self.deficit.sum()) / scale),
            "value_added": float(np.abs(va).max() / scale),
        }

    def check(self, tol: float = 1e-9) -> World:
        """Raise :class:`DataError` naming every accounting identity violated beyond ``tol``."""
        res = self.accounting_residuals()
        bad = {k: v for k, v in res.items() if not v <= tol}
        if bad:
            txt = ", ".join(f"{k} off by {v:.2e} of world output" for k, v in bad.items())
            raise DataError(f"world {self.meta.name!r} fails its accounting checks: {txt} (tolerance {tol:g})")
        return self

    # ------------------------------------------------------------------ labelled views
    def to_dataset(self):
        """The world as an :class:`xarray.Dataset` with named dimensions and units.

        One name per axis: a variable of one country (spending, value added, shares) is on
        ``country``; a bilateral one (trade shares, tariffs, flows) on ``importer`` and
        ``exporter``. So ``expenditure * va_share`` aligns country by country, and a
        bilateral variable meets a country one after ``.rename(country="importer")``.
        """
        import xarray as xr

        c, s = list(self.countries), list(self.sectors)
        units = self.meta.units
        ds = xr.Dataset(
            {
                "expenditure": (
                    ("country", "sector"),
                    self.expenditure,
                    {"units": units, "long_name": "spending gross of tariffs"},
                ),
                "trade_shares": (("importer", "exporter", "sector"), self.trade_shares, {"units": "1"}),
                "tariffs": (("importer", "exporter", "sector"), self.tariffs, {"units": "1 (fraction)"}),
                "theta": (("sector",), self.theta, {"units": "1", "long_name": "trade elasticity"}),
                "va_share": (("country", "sector"), self.va_share, {"units": "1"}),
                "io_shares": (("country", "input_sector", "sector"), self.io_shares, {"units": "1"}),
                "final_shares": (("country", "sector"), self.final_shares, {"units": "1"}),
                "value_added": (("country",), self.value_added, {"units": units}),
                "deficit": (("country",), self.deficit, {"units": units}),
                "trade_flows": (
                    ("importer", "exporter", "sector"),
                    self.trade_flows,
                    {"units": units, "long_name": "sales at factory prices"},
                ),
            },
            coords={"importer": c, "exporter": c, "country": c, "sector": s, "input_sector": s},
            attrs={"name": self.meta.name, "vintage": self.meta.vintage, "units": units},
        )
        return ds

    def bilateral_trade(self, importer: str, exporter: str):
        """pandas Series of sales from ``exporter`` to ``importer`` by sector (factory prices)."""
        import pandas as pd

        n, i = self.country_index(importer), self.country_index(exporter)
        return pd.Series(
            self.trade_flows[n, i],
            index=pd.Index(self.sectors, name="sector"),
            name=f"{exporter}->{importer} ({self.meta.units})",
        )

    def __repr__(self) -> str:
        return (
            f"World({self.meta.name!r}: {self.n_countries} countries x {self.n_sectors} sectors, "
            f"{self.meta.vintage or 'no vintage'}, {self.meta.units})"
        )


# ---------------------------------------------------------------------- helpers
def _index(labels: tuple[str, ...], code: str, what: str, names: tuple[str, ...] = ()) -> int:
    """A label's position: exact, then case-insensitive, then (sectors) a full name or the
    ICIO code of a compact group with that one industry."""
    if code in labels:
        return labels.index(code)
    text = str(code).strip()
    low = text.lower()
    folded = [i for i, lab in enumerate(labels) if lab.lower() == low]
    if len(folded) == 1:
        return folded[0]
    group_hint = ""
    if what == "sector":
        named = [i for i, n in enumerate(names) if n and n.lower() == low]
        if len(named) == 1:
            return named[0]
        from detente.world._build import COMPACT_SECTORS

        for group, members in COMPACT_SECTORS.items():
            if group in labels and low in {m.lower() for m in members}:
                if len(members) == 1:
                    return labels.index(group)
                group_hint = (
                    f"; on this world {text.upper()} is part of {group} (with "
                    f"{', '.join(m for m in members if m.lower() != low)}): use {group}"
                )
    pool = list(labels) + (["goods", "services", "all"] if what == "sector" else ["all"])
    lower = {p.lower(): p for p in pool}
    close = [lower[c] for c in difflib.get_close_matches(low, list(lower), n=3)]
    hint = group_hint or (f"; did you mean {', '.join(close)}?" if close else "")
    shown = ", ".join(labels[:12]) + (" ..." if len(labels) > 12 else "")
    raise UnknownLabelError(f"unknown {what} {code!r}{hint} (known: {shown})") from None


def _as_array(a, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.shape != shape:
        raise DataError(f"{name}: expected shape {shape}, got {arr.shape}")
    if not np.isfinite(arr).all():
        idx = tuple(int(x) for x in np.argwhere(~np.isfinite(arr))[0])
        raise DataError(f"{name}: non-finite value {arr[idx]} at index {idx}")
    return arr


def _validate_structure(w: World) -> None:
    """Shapes, finiteness, signs and share sums: fails loudly with the field and value."""
    N, J = len(w.countries), len(w.sectors)
    shapes = {
        "expenditure": (N, J),
        "trade_shares": (N, N, J),
        "tariffs": (N, N, J),
        "theta": (J,),
        "va_share": (N, J),
        "io_shares": (N, J, J),
        "final_shares": (N, J),
        "value_added": (N,),
        "deficit": (N,),
    }
    for name, shape in shapes.items():
        _as_array(getattr(w, name), shape, name)

    def first(mask: np.ndarray) -> tuple[int, ...]:
        return tuple(int(x) for x in np.argwhere(mask)[0])

    for name in ("expenditure", "trade_shares", "va_share", "io_shares", "final_shares", "value_added"):
        a = getattr(w, name)
        if (a < 0).any():
            idx = first(a < 0)
            raise DataError(f"{name}: negative value {a[idx]:.6g} at index {idx}")
    if (w.tariffs <= -1).any():
        idx = first(w.tariffs <= -1)
        raise DataError(f"tariffs: tariff factor 1 + tau must be positive; got tau={w.tariffs[idx]} at {idx}")
    if (w.theta <= 0).any():
        j = int(np.argmax(w.theta <= 0))
        raise DataError(f"theta: trade elasticity must be positive; got {w.theta[j]} for sector {w.sectors[j]!r}")
    s = w.trade_shares.sum(axis=1)
    if np.abs(s - 1).max() > SHARE_TOL:
        n, j = map(int, np.unravel_index(int(np.abs(s - 1).argmax()), s.shape))
        raise DataError(f"trade_shares: shares of ({w.countries[n]}, {w.sectors[j]}) sum to {s[n, j]:.10f}, not 1")
    s = w.va_share + w.io_shares.sum(axis=1)
    if np.abs(s - 1).max() > SHARE_TOL:
        n, j = map(int, np.unravel_index(int(np.abs(s - 1).argmax()), s.shape))
        raise DataError(f"va_share + io_shares of ({w.countries[n]}, {w.sectors[j]}) sum to {s[n, j]:.10f}, not 1")
    s = w.final_shares.sum(axis=1)
    if np.abs(s - 1).max() > SHARE_TOL:
        n = int(np.abs(s - 1).argmax())
        raise DataError(f"final_shares of {w.countries[n]} sum to {s[n]:.10f}, not 1")
