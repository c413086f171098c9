"""The instruments of trade policy as values, each with one translation per model.

Every instrument names its parties and its reach, and translates itself:

- ``to_static(cf)``: onto a :class:`~detente.equilibrium.Counterfactual` (the static
  general equilibrium): a tariff changes the importer's tariffs; a trade cost (a
  non-tariff measure) the iceberg factors; an export tax the exporter's wedge with the
  revenue to the exporter; an export licence either the licence's export-tax equivalent
  on the covered share of whole sectors (rent to the exporter) or, on a registry
  critical input, the users' nested CES block (docs/model.md, sections 5 and 5b);
- ``to_shortage(start, end)`` (export licences and quotas on a critical input): the
  weekly shortage model's licence regime (:class:`detente.shortage.Restriction`), read
  with the same approval path (:func:`detente.instruments.approval_on`).

The strategy tools make instruments too: a leverage move or a rung of the truce ladder
is a list of these values applied to a reference state (:func:`apply`), so "what a
licence does" has one definition whichever module asks. :func:`parse` reads the
command line's spellings (``USA<-CHN:goods:+25``, ``USA<-CHN:C26:x1.2``,
``ndfeb-magnets:CHN->all:100``) into the same values.

Adding an instrument: a frozen dataclass here with ``to_static`` (and ``to_shortage``
where the weekly model reads it) and ``describe``, exported from the package; then the
scenario event kind that builds it (CONTRIBUTING.md, "Adding an instrument").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol

from detente._lists import selector_text as _text
from detente._lists import selects_all
from detente.errors import ShockError

Selector = str | Sequence[str]
Op = Literal["add", "set"]


class Instrument(Protocol):
    """What every instrument offers: its static translation and a description."""

    def to_static(self, cf: Any) -> Any: ...

    def describe(self) -> str: ...


@dataclasses.dataclass(frozen=True)
class Tariff:
    """``importer``'s tariffs on ``exporter``'s goods in ``sectors``: ``rate_pp`` percentage
    points added (``op="add"``) or the tariff set to ``rate_pp`` percent (``op="set"``)."""

    importer: Selector
    exporter: Selector
    sectors: Selector
    rate_pp: float
    op: Op = "add"

    def to_static(self, cf):
        return cf.tariff(self.importer, self.exporter, self.sectors, self.rate_pp, op=self.op)

    def describe(self) -> str:
        sign = "=" if self.op == "set" else ("+" if self.rate_pp >= 0 else "")
        return (
            f"tariff {_text(self.importer)}<-{_text(self.exporter)} [{_text(self.sectors)}] {sign}{self.rate_pp:g} pp"
        )


@dataclasses.dataclass(frozen=True)
class TradeCost:
    """A non-tariff measure as a trade-cost (iceberg) factor on ``exporter``'s sales to
    ``importer`` in ``sectors`` (1.2 = 20% dearer to deliver; no revenue to anyone)."""

    importer: Selector
    exporter: Selector
    sectors: Selector
    factor: float

    def to_static(self, cf):
        return cf.iceberg_cost(self.importer, self.exporter, self.sectors, self.factor)

    def describe(self) -> str:
        return f"trade cost {_text(self.importer)}<-{_text(self.exporter)} [{_text(self.sectors)}] x{self.factor:g}"


@dataclasses.dataclass(frozen=True)
class ExportTax:
    """``exporter``'s export tax on its sales to ``importer`` in ``sectors`` (pp; revenue to the exporter)."""

    exporter: Selector
    importer: Selector
    sectors: Selector
    rate_pp: float
    op: Op = "add"

    def to_static(self, cf):
        return cf.export_tax(self.exporter, self.importer, self.sectors, self.rate_pp, op=self.op)

    def describe(self) -> str:
        return f"export tax {_text(self.exporter)}->{_text(self.importer)} [{_text(self.sectors)}] +{self.rate_pp:g} pp"


@dataclasses.dataclass(frozen=True)
class ExportLicence:
    """``exporter`` licenses its sales to ``importers`` and refuses the share ``refused``.

    Reach: a registry critical input (``product``, e.g. ``"ndfeb-magnets"``), or the
    covered share of whole sectors (``coverage``: sector -> share of the sector's exports
    under licence). Regime (the weekly model's reading; the static model reads the
    sustained outcome): ``licence`` is ``per_shipment`` (nothing passes during
    ``review_days``, then ``1 - refused``), ``general`` (``1 - refused`` from the first
    day) or ``ban`` (nothing passes: ``refused`` must then be 1). ``horizon`` sets the
    users' nested CES elasticity in the static model (default: the counterfactual's).
    ``users`` (with a product only) scopes the licence to the supply chains of those user
    sectors, on the share ``user_share`` of their purchases, which it refuses at most
    ``refused`` whatever the other licences refuse (a grant; docs/shortage.md, section 2,
    'Licences of the users' own'); both models read it so.
    """

    exporter: Selector
    importers: Selector
    refused: float = 1.0
    product: str | None = None
    coverage: Mapping[str, float] = dataclasses.field(default_factory=dict)
    licence: str = "per_shipment"
    review_days: int = 0
    horizon: str | float | None = None
    users: Selector = "all"
    user_share: float = 1.0

    @property
    def scoped(self) -> bool:
        """Whether the licence serves only some users' supply chains."""
        return not selects_all(self.users)

    def __post_init__(self) -> None:
        from detente.instruments._licence import LICENCES

        object.__setattr__(self, "coverage", dict(self.coverage))
        if not 0 < self.user_share <= 1:
            raise ShockError(f"export licence: user_share must be in (0, 1], got {self.user_share!r}")
        if self.scoped and self.licence == "ban":
            raise ShockError(
                f"export licence: a licence for named users (users = {_text(self.users)!r}) cannot be a ban"
            )
        if self.scoped and self.product is None:
            raise ShockError(
                f"export licence: users = {_text(self.users)!r} needs a registry product (a licence on "
                "sector coverage serves every buyer)"
            )
        if not 0 <= self.refused <= 1:
            raise ShockError(f"export licence: refused share must be in [0, 1], got {self.refused!r}")
        if self.licence not in LICENCES:
            raise ShockError(f"export licence: licence must be one of {LICENCES}, got {self.licence!r}")
        if self.licence == "ban" and self.refused != 1:
            raise ShockError(f"export licence: a ban refuses everything (refused=1), got refused={self.refused!r}")
        if (self.product is None) == (not self.coverage):
            raise ShockError("export licence: give either a registry product or a sector coverage, not both or neither")
        for sector, share in self.coverage.items():
            if not 0 <= share <= 1:
                raise ShockError(f"export licence: coverage of {sector} must be in [0, 1], got {share!r}")

    def to_static(self, cf):
        if self.refused == 0 and not self.scoped:  # a licence of the users' own can lift others' refusals
            return cf
        if self.product is not None:
            return cf.critical_input_cut(
                self.product,
                self.exporter,
                self.importers,
                self.refused,
                horizon=self.horizon,
                users=self.users,
                user_share=self.user_share,
            )
        for sector, share in self.coverage.items():
            if share > 0:  # a sector fully covered and fully refused: an infinite wedge, capped below 1
                cf = cf.licence(self.exporter, self.importers, sector, min(share * self.refused, 1 - 1e-9))
        return cf

    def to_shortage(self, start: dt.date, end: dt.date | None = None, *, label: str = ""):
        """The weekly shortage model's licence step (a critical input only)."""
        if self.product is None:
            raise ShockError(
                "export licence on sectors: the weekly shortage model reads licences on a registry product"
            )
        from detente.shortage._licensing import Restriction

        importers = self.importers if isinstance(self.importers, str) else tuple(self.importers)
        return Restriction(
            product=self.product,
            exporter=_text(self.exporter),
            importers=importers,
            start=start,
            end=end,
            approval=1.0 - self.refused,
            review_days=self.review_days,
            licence=self.licence,
            regime=label or self.describe(),
            label=label or self.describe(),
            users=self.users if isinstance(self.users, str) else tuple(self.users),
            user_share=self.user_share,
        )

    def describe(self) -> str:
        reach = self.product or ", ".join(f"{100 * c:g}% of {s}" for s, c in self.coverage.items())
        scope = f" for {_text(self.users)} users ({100 * self.user_share:g}% of their purchases)" if self.scoped else ""
        return (
            f"export licences ({self.licence}) {_text(self.exporter)}->{_text(self.importers)} on {reach}{scope}: "
            f"{100 * self.refused:g}% refused"
        )


def Quota(
    exporter: Selector,
    importers: Selector,
    allowed: float,
    *,
    product: str | None = None,
    coverage: Mapping[str, float] | None = None,
) -> ExportLicence:
    """An export quota letting the share ``allowed`` through: the general licence that
    refuses ``1 - allowed`` (the same wedge and rent as a licence; docs/model.md)."""
    if not 0 <= allowed <= 1:
        raise ShockError(f"quota: the allowed share must be in [0, 1], got {allowed!r}")
    return ExportLicence(
        exporter, importers, 1.0 - allowed, product=product, coverage=coverage or {}, licence="general"
    )


def apply(cf, instruments: Iterable[Instrument]):
    """``cf`` with each instrument's static translation applied in turn."""
    for instrument in instruments:
        cf = instrument.to_static(cf)
    return cf


def parse(text: str, kind: str = "tariff", *, horizon: str | float | None = None) -> Instrument:
    """An instrument from its command-line spelling.

    ``kind``: ``tariff`` (``IMPORTER<-EXPORTER:SECTORS:+PP`` / ``-PP`` / ``=PP``),
    ``iceberg`` (``IMPORTER<-EXPORTER:SECTORS:xFACTOR``) or ``cut``
    (``PRODUCT:EXPORTER->IMPORTER:REFUSED_PCT``, a licence on a registry critical input:
    a ban at 100).
    """
    from detente.equilibrium._counterfactual import parse_cut, parse_iceberg, parse_tariff

    if kind == "tariff":
        imp, exp, sec, rate, op = parse_tariff(text)
        return Tariff(imp, exp, sec, rate, op)
    if kind == "iceberg":
        imp, exp, sec, factor = parse_iceberg(text)
        return TradeCost(imp, exp, sec, factor)
    if kind == "cut":
        product, exp, imp, refused = parse_cut(text)
        return ExportLicence(
            exp, imp, refused, product=product, licence="ban" if refused == 1 else "general", horizon=horizon
        )
    raise ShockError(f"unknown instrument spelling kind {kind!r}: tariff, iceberg or cut")


def parse_all(texts: Sequence[str], kind: str = "tariff", **kw) -> list[Instrument]:
    """:func:`parse` of each text."""
    return [parse(t, kind, **kw) for t in texts]
