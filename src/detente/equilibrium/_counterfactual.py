"""Counterfactual trade costs: new tariffs, iceberg factors and deficits for a world.

A :class:`Counterfactual` is an immutable value holding the *new levels* of tariffs
(fractions), iceberg trade-cost factors relative to the baseline (1 = unchanged) and
the deficit closure. Changes are made with explicit semantics::

    cf = Counterfactual.from_world(world)
    cf = cf.tariff("USA", "CHN", "all", 145, op="add")   # +145 percentage points
    cf = cf.tariff("CHN", "USA", ["C29"], 25, op="set")  # set to 25 percent
    cf = cf.iceberg_cost("USA", "CHN", "C26", 1.2)       # trade cost x 1.2

The deficit closure (``closure=``, :mod:`._closure`) is one of ``"fixed-deficits"``
(the default: deficits fixed in numeraire units), ``"fixed-ratios"`` (deficit /
value-added ratios fixed, so deficits move with each country's nominal value added)
and ``"balanced"`` (Dekle-Eaton-Kortum: purge deficits first, report changes relative
to the purged world)::

    cf = Counterfactual.from_world(world, closure="fixed-ratios")

Rates are always in percentage points; ``op`` says whether they add to the tariff in
force (``"add"``) or set it (``"set"``). The textual form
``USA<-CHN:all:+145`` / ``CHN<-USA:C29,C26:=25`` (see :func:`parse_tariff`) maps onto
the same calls.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from detente._lists import selector_text as _text
from detente.equilibrium._closure import CLOSURES, Closure, check_closure
from detente.errors import ShockError
from detente.world import World

Op = Literal["add", "set"]
Selector = str | Sequence[str]


def _select(
    labels: tuple[str, ...], sel: Selector, world: World, what: str, groups: dict[str, tuple[str, ...]] | None = None
) -> list[int]:
    if isinstance(sel, str):
        if sel.lower() in {"all", "*"}:
            return list(range(len(labels)))
        sel = [s for s in sel.split(",") if s]
    if what == "sector":
        groups = {"goods": world.goods, "services": world.services, **(groups or {})}
    idx: list[int] = []
    for s in sel:
        s = s.strip()
        if groups and s in groups:
            idx.extend(labels.index(x) for x in groups[s])
            continue
        from detente.world._aliases import label_members

        members = label_members(world, s, what)  # a compact world's region or sector group
        if members is not None:
            idx.extend(members)
        elif what == "country":
            idx.append(world.country_index(s))
        else:
            idx.append(world.sector_index(s))
    if not idx:
        raise ShockError(f"empty {what} selection {sel!r}")
    return sorted(set(idx))


@dataclasses.dataclass(frozen=True, eq=False)
class Counterfactual:
    """New trade costs for ``world``: tariffs (N, N, J) fractions, iceberg factors, deficits.

    ``deficits`` are the closure's reference deficits: the new deficits under
    ``closure="fixed-deficits"``, the deficits at baseline wages (whose ratios to value
    added are held) under ``"fixed-ratios"``, and zeros under ``"balanced"``.
    """

    world: World
    tariffs: np.ndarray
    iceberg: np.ndarray
    deficits: np.ndarray
    label: str = "counterfactual"
    changes: tuple[str, ...] = ()
    closure: Closure = "fixed-deficits"
    #: (N, N, J) export taxes of exporter i on its sales to importer n, fractions; their
    #: revenue accrues to the exporter (the static equivalent of a licence's or quota's
    #: scarcity rent). None = no export taxes (the baseline has none).
    export_taxes: np.ndarray | None = None
    #: licences on critical inputs (:class:`detente.instruments.CriticalCut`), read by the
    #: nested CES block of the users (docs/model.md, section 5b), at ``critical_horizon``
    #: (the nest's elasticity, :func:`detente.instruments.nest_sigma`, unless
    #: ``critical_sigma`` is given)
    critical_cuts: tuple = ()
    critical_horizon: str = "1y"
    critical_sigma: float | None = None

    def __post_init__(self) -> None:
        check_closure(self.closure)
        N, J = self.world.n_countries, self.world.n_sectors
        x = np.zeros((N, N, J)) if self.export_taxes is None else np.array(self.export_taxes, dtype=float)
        if x.shape != (N, N, J):
            raise ShockError(f"export_taxes: expected shape {(N, N, J)}, got {x.shape}")
        if not np.isfinite(x).all() or (x < 0).any():
            raise ShockError("export_taxes: rates must be finite and >= 0 (fractions)")
        x.setflags(write=False)
        object.__setattr__(self, "export_taxes", x)
        for name, shape in (("tariffs", (N, N, J)), ("iceberg", (N, N, J)), ("deficits", (N,))):
            a = np.array(getattr(self, name), dtype=float, copy=True)
            if a.shape != shape:
                raise ShockError(f"{name}: expected shape {shape}, got {a.shape}")
            if not np.isfinite(a).all():
                raise ShockError(f"{name}: contains NaN or infinite values")
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        if (self.tariffs <= -1).any():
            n, i, j = (int(x) for x in np.argwhere(self.tariffs <= -1)[0])
            raise ShockError(
                f"tariff of {self.world.countries[n]} on {self.world.countries[i]} in "
                f"{self.world.sectors[j]} is {100 * self.tariffs[n, i, j]:.6g}%: the tariff "
                "factor 1 + tariff must be positive (tariffs above -100%)"
            )
        if (self.iceberg <= 0).any():
            n, i, j = (int(x) for x in np.argwhere(self.iceberg <= 0)[0])
            raise ShockError(
                f"iceberg factor of {self.world.countries[n]} on {self.world.countries[i]} in "
                f"{self.world.sectors[j]} is {self.iceberg[n, i, j]:.6g}: must be positive"
            )
        if abs(self.deficits.sum()) > 1e-9 * max(float(self.world.value_added.sum()), 1.0):
            raise ShockError(f"deficits must sum to zero across countries; they sum to {self.deficits.sum():.6g}")
        if self.closure == "balanced" and np.any(self.deficits != 0):
            raise ShockError("the balanced closure has zero deficits; got non-zero deficits")

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_world(
        cls,
        world: World,
        *,
        deficits: Literal["baseline", "zero"] | None = None,
        closure: Closure | None = None,
        label: str = "counterfactual",
    ) -> Counterfactual:
        """No change in trade costs, with a deficit closure.

        ``closure`` is ``"fixed-deficits"`` (default), ``"fixed-ratios"`` or
        ``"balanced"`` (docs/model.md, section 4). ``deficits`` is kept for backward
        compatibility: ``"baseline"`` (default) keeps the baseline deficits, ``"zero"``
        fixes them at zero (``closure="fixed-deficits"`` with D' = 0, changes relative
        to the unpurged baseline). ``closure="balanced"`` cannot be combined with
        ``deficits="baseline"``.
        """
        if closure is None:
            closure = "fixed-deficits"
        if closure not in CLOSURES:
            raise ShockError(f"unknown closure {closure!r}: expected one of {', '.join(CLOSURES)}")
        if deficits is None:
            deficits = "zero" if closure == "balanced" else "baseline"
        if deficits == "baseline":
            if closure == "balanced":
                raise ShockError("closure='balanced' purges deficits; it cannot keep deficits='baseline'")
            D = np.array(world.deficit)
        elif deficits == "zero":
            D = np.zeros(world.n_countries)
        else:
            raise ShockError(f"deficits must be 'baseline' or 'zero', got {deficits!r}")
        changes = () if deficits == "baseline" or closure == "balanced" else ("deficits set to zero",)
        return cls(world, np.array(world.tariffs), np.ones_like(world.tariffs), D, label, changes, closure)

    def with_closure(self, closure: Closure) -> Counterfactual:
        """The same trade-cost changes under another deficit closure (baseline deficits,
        or zeros for ``"balanced"``)."""
        check_closure(closure)
        D = np.zeros(self.world.n_countries) if closure == "balanced" else np.array(self.world.deficit)
        changes = tuple(c for c in self.changes if c != "deficits set to zero")
        return dataclasses.replace(self, deficits=D, closure=closure, changes=changes)

    # ---------------------------------------------------------------- changes
    def _cells(self, importer: Selector, exporter: Selector, sectors: Selector):
        """(importer, exporter, sector) indices of a selection and its ``np.ix_`` block."""
        w = self.world
        n_idx = _select(w.countries, importer, w, "country")
        i_idx = _select(w.countries, exporter, w, "country")
        j_idx = _select(w.sectors, sectors, w, "sector")
        if len(n_idx) == 1 and n_idx == i_idx:
            raise ShockError(
                f"{w.countries[n_idx[0]]} <- {w.countries[i_idx[0]]}: a measure on a country's own "
                "goods does nothing (domestic sales are never taxed or licensed); name two countries"
            )
        return n_idx, i_idx, j_idx, np.ix_(n_idx, i_idx, j_idx)

    def tariff(
        self, importer: Selector, exporter: Selector, sectors: Selector, rate_pp: float, op: Op = "add"
    ) -> Counterfactual:
        """Change tariffs of ``importer`` on ``exporter`` goods in ``sectors``.

        ``rate_pp`` is in percentage points; ``op="add"`` adds it to the tariff in force,
        ``op="set"`` sets the tariff to it. Domestic pairs (importer = exporter) are
        never taxed. Selectors: a label, a list or comma-separated labels, ``"all"``,
        and for sectors also ``"goods"`` / ``"services"`` (from ``world.meta.services``).
        """
        w = self.world
        if not np.isfinite(rate_pp):
            raise ShockError(f"tariff rate must be a finite number of percentage points, got {rate_pp!r}")
        n_idx, i_idx, j_idx, block = self._cells(importer, exporter, sectors)
        t = np.array(self.tariffs)
        if op == "add":
            t[block] = t[block] + rate_pp / 100.0
        elif op == "set":
            if rate_pp < 0:
                raise ShockError(f"a tariff cannot be set to a negative rate ({rate_pp} pp)")
            t[block] = rate_pp / 100.0
        else:
            raise ShockError(f"op must be 'add' or 'set', got {op!r}")
        base = np.array(w.tariffs)
        idx = np.arange(w.n_countries)
        t[idx, idx, :] = base[idx, idx, :]
        if (t[block] < 0).any():
            a, b, c = (int(x) for x in np.argwhere(t[block] < 0)[0])
            n, i, j = n_idx[a], i_idx[b], j_idx[c]
            raise ShockError(
                f"tariff change {rate_pp:+g} pp would make the tariff of {w.countries[n]} on "
                f"{w.countries[i]} in {w.sectors[j]} negative ({100 * t[n, i, j]:.4g}%); "
                "use op='set' with 0 to remove a tariff"
            )
        desc = f"tariff {importer}<-{exporter} [{_text(sectors)}] {'+' if op == 'add' and rate_pp >= 0 else ('=' if op == 'set' else '')}{rate_pp:g} pp"
        return dataclasses.replace(self, tariffs=t, changes=self.changes + (desc,))

    def export_tax(
        self, exporter: Selector, importer: Selector, sectors: Selector, rate_pp: float, op: Op = "add"
    ) -> Counterfactual:
        """Export taxes of ``exporter`` on its sales to ``importer`` in ``sectors`` (pp).

        The revenue accrues to the exporter: the wedge of an export licence or quota that
        lets only part of the demand through, with the scarcity rent kept by the
        exporting country (docs/model.md, "export taxes and rents"). ``op`` as in
        :meth:`tariff`; domestic sales are never taxed.
        """
        w = self.world
        if not np.isfinite(rate_pp):
            raise ShockError(f"export tax must be a finite number of percentage points, got {rate_pp!r}")
        *_, block = self._cells(importer, exporter, sectors)
        x = np.array(self.export_taxes)
        if op == "add":
            x[block] = x[block] + rate_pp / 100.0
        elif op == "set":
            x[block] = rate_pp / 100.0
        else:
            raise ShockError(f"op must be 'add' or 'set', got {op!r}")
        if (x[block] < 0).any():
            raise ShockError(
                f"export tax change {rate_pp:+g} pp would make an export tax of "
                f"{exporter} on sales to {importer} negative"
            )
        idx = np.arange(w.n_countries)
        x[idx, idx, :] = 0.0
        desc = f"export tax {exporter}->{importer} [{_text(sectors)}] {'=' if op == 'set' else '+'}{rate_pp:g} pp"
        return dataclasses.replace(self, export_taxes=x, changes=self.changes + (desc,))

    def licence(
        self, exporter: Selector, importer: Selector, sectors: Selector, refused_share: float
    ) -> Counterfactual:
        """Export licences of ``exporter`` that refuse the share ``refused_share`` of its sales
        to ``importer`` in ``sectors``: the quota's export-tax equivalent with the rent to the
        exporter (:func:`detente.instruments.licence_equivalent`), the scenario timeline's rule.
        """
        from detente.instruments import licence_equivalent

        w = self.world
        if not (np.isfinite(refused_share) and 0 <= refused_share < 1):
            raise ShockError(f"refused share must be in [0, 1) (1 would be an infinite wedge), got {refused_share!r}")
        _, _, j_idx, block = self._cells(importer, exporter, sectors)
        x = np.array(self.export_taxes)
        eq = licence_equivalent(refused_share, np.asarray(w.theta)[j_idx])[None, None, :]
        x[block] = (1.0 + x[block]) * (1.0 + eq) - 1.0
        idx = np.arange(w.n_countries)
        x[idx, idx, :] = 0.0
        return dataclasses.replace(
            self,
            export_taxes=x,
            changes=self.changes
            + (f"export licences {exporter}->{importer} [{_text(sectors)}] refuse {100 * refused_share:g}%",),
        )

    def critical_input_cut(
        self,
        product: str,
        exporter: Selector,
        importer: Selector,
        refused_share: float,
        *,
        horizon: str | float | None = None,
        sigma: float | None = None,
        users: Selector = "all",
        user_share: float = 1.0,
    ) -> Counterfactual:
        """Licences of ``exporter`` that refuse ``refused_share`` of its sales of the critical
        input ``product`` (a registry id, e.g. ``"ndfeb-magnets"``) to ``importer``.

        The users of the input (the registry) can then buy only part of it: their nested
        CES block raises their costs and cuts their output, and the scarcity rent goes to
        the suppliers that still deliver (:func:`detente.instruments.critical_block`).
        ``horizon`` sets the nest's elasticity (default: the counterfactual's, "1y");
        ``sigma`` overrides it. ``users`` (sectors) makes it a licence for those users'
        supply chains only, on the share ``user_share`` of their purchases, in place of
        the other cuts there.
        """
        from detente.instruments import CriticalCut
        from detente.world._theta import normalise_horizon

        cut = CriticalCut(product, exporter, importer, float(refused_share), users, float(user_share))
        # labels are checked now, not at solve time
        _select(self.world.countries, exporter, self.world, "country")
        _select(self.world.countries, importer, self.world, "country")
        if cut.scoped:
            _select(self.world.sectors, users, self.world, "sector")
        kw: dict[str, Any] = {}
        if horizon is not None:
            kw["critical_horizon"] = normalise_horizon(horizon)
        if sigma is not None:
            if not (np.isfinite(sigma) and 1e-3 <= sigma <= 20):
                raise ShockError(f"nest elasticity sigma must be in [0.001, 20], got {sigma!r}")
            kw["critical_sigma"] = float(sigma)
        return dataclasses.replace(
            self,
            critical_cuts=self.critical_cuts + (cut,),
            changes=self.changes
            + (
                f"critical input {product} {exporter}->{importer}"
                + (f" for {users} users ({100 * user_share:g}%)" if cut.scoped else "")
                + f" refused {100 * refused_share:g}%",
            ),
            **kw,
        )

    def critical_block(self):
        """The kernel block of :attr:`critical_cuts` (None without cuts)."""
        if not self.critical_cuts:
            return None
        from detente.instruments import critical_block

        return critical_block(self.world, self.critical_cuts, horizon=self.critical_horizon, sigma=self.critical_sigma)

    def iceberg_cost(self, importer: Selector, exporter: Selector, sectors: Selector, factor: float) -> Counterfactual:
        """Multiply the iceberg trade cost of the selected flows by ``factor`` (> 0)."""
        w = self.world
        if not (np.isfinite(factor) and factor > 0):
            raise ShockError(f"iceberg factor must be a positive number, got {factor!r}")
        d = np.array(self.iceberg)
        d[self._cells(importer, exporter, sectors)[3]] *= factor
        idx = np.arange(w.n_countries)
        d[idx, idx, :] = 1.0
        return dataclasses.replace(
            self, iceberg=d, changes=self.changes + (f"iceberg {importer}<-{exporter} [{sectors}] x{factor:g}",)
        )

    def apply(self, *instruments) -> Counterfactual:
        """This counterfactual with each instrument of :mod:`detente.instruments` applied in turn
        (``Tariff``, ``TradeCost``, ``ExportTax``, ``ExportLicence``, ``Quota``)."""
        from detente.instruments import apply

        return apply(self, instruments)

    def with_label(self, label: str) -> Counterfactual:
        return dataclasses.replace(self, label=label)

    @property
    def is_identity(self) -> bool:
        """No change in trade costs and deficits (under ``"balanced"`` the purge itself is a
        change unless the world is already balanced)."""
        return (
            np.array_equal(self.tariffs, self.world.tariffs)
            and bool(np.all(self.iceberg == 1.0))
            and not np.any(self.export_taxes)
            and not self.critical_cuts
            and np.array_equal(self.deficits, self.world.deficit)
        )

    def describe(self) -> str:
        """The changes, then the closure, e.g. ``"tariff USA<-CHN [all] +10 pp; closure: fixed-ratios"``."""
        return "; ".join((*(self.changes or ("no change",)), f"closure: {self.closure}"))


_TARIFF_RE = re.compile(
    r"^\s*(?P<imp>[^<:]+)<-(?P<exp>[^:]+):(?P<sec>[^:]+):(?P<op>[+=-])(?P<rate>[0-9]*\.?[0-9]+)\s*$"
)


def parse_tariff(text: str) -> tuple[str, str, str, float, Op]:
    """Parse ``IMPORTER<-EXPORTER:SECTORS:±RATE`` or ``...:=RATE`` (percentage points).

    ``+125`` adds 125 pp to the tariff in force, ``-10`` removes 10 pp, ``=25`` sets the
    tariff to 25%. Countries and sectors may be ``all`` or comma-separated lists.
    """
    m = _TARIFF_RE.match(text)
    if not m:
        raise ShockError(
            f"cannot read tariff change {text!r}: expected IMPORTER<-EXPORTER:SECTORS:+PP, "
            "-PP or =PP, e.g. 'USA<-CHN:all:+125' (add 125 percentage points) or "
            "'CHN<-USA:C29:=25' (set to 25%)"
        )
    rate = float(m["rate"])
    op: Op = "set" if m["op"] == "=" else "add"
    if m["op"] == "-":
        rate = -rate
    return m["imp"].strip(), m["exp"].strip(), m["sec"].strip(), rate, op


def parse_iceberg(text: str) -> tuple[str, str, str, float]:
    """Parse ``IMPORTER<-EXPORTER:SECTORS:xFACTOR`` (multiplies the trade cost)."""
    m = re.match(r"^\s*([^<:]+)<-([^:]+):([^:]+):x([0-9]*\.?[0-9]+)\s*$", text)
    if not m:
        raise ShockError(
            f"cannot read iceberg change {text!r}: expected IMPORTER<-EXPORTER:SECTORS:xFACTOR, e.g. 'USA<-CHN:C26:x1.25'"
        )
    return m[1].strip(), m[2].strip(), m[3].strip(), float(m[4])


def parse_cut(text: str) -> tuple[str, str, str, float]:
    """Parse ``PRODUCT:EXPORTER->IMPORTER:REFUSED`` (refused share in percent), e.g.
    ``ndfeb-magnets:CHN->all:100`` (a ban) or ``ndfeb-magnets:CHN->USA,JPN:75``."""
    m = re.match(r"^\s*([A-Za-z0-9_.-]+):([^:>-]+)->([^:]+):([0-9]*\.?[0-9]+)%?\s*$", text)
    if not m:
        raise ShockError(
            f"cannot read critical-input cut {text!r}: expected PRODUCT:EXPORTER->IMPORTER:REFUSED_PCT, "
            "e.g. 'ndfeb-magnets:CHN->all:100' (a ban) or 'ndfeb-magnets:CHN->USA:75'"
        )
    pct = float(m[4])
    if pct > 100:
        raise ShockError(f"critical-input cut {text!r}: the refused share is a percentage in [0, 100], got {pct:g}")
    return m[1], m[2].strip(), m[3].strip(), pct / 100.0
