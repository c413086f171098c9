"""Leverage: what each side can inflict on the other, per unit of damage to itself.

An *instrument* is a move one side (the imposer) makes against the other (the
target), applied on top of a reference state (the baseline, or a truce):

- :class:`TariffThreat` — the imposer raises its tariffs on the target's goods by
  ``rate_pp`` percentage points;
- :class:`TechControl` — the imposer licenses its exports to the target in some
  sectors (chip-design software, jet engines, ethane) and refuses a share, read as the
  scenario timeline reads export licences: the covered share of each sector, the quota's
  export-tax equivalent, the rent to the imposer (docs/model.md, section 5);
- :class:`CriticalInputCutoff` — the imposer refuses exports of critical inputs
  (rare earths, magnets) to the target. Its static-model part is the same licence
  reading on the parent sector's covered share; its shortage part (stock-outs, weeks of lost output) comes from a
  *critical-input loss model*: any callable ``loss(supplier, target, severity) ->
  {country: value added lost, USD million a year}`` (:data:`CriticalInputLoss`), such
  as an adapter around :mod:`detente.shortage`.

For each (imposer, instrument) :func:`leverage_table` reports both sides' losses in
percent of income and in USD billion, and the leverage ratio

.. math::  L = \\frac{\\text{target's loss (USD)}}{\\text{imposer's loss (USD)}}

(``inf`` when the imposer gains). :func:`threat_points` gives the disagreement points
the instruments imply: both sides' objectives when both use the instrument.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from detente._defaults import DEFAULT_PAIR
from detente.errors import DetenteError

CriticalInputLoss = Callable[[str, str, float], Mapping[str, float]]
"""``loss(supplier, target, severity)``: value added lost by country (USD million a year,
the world's units) when ``supplier`` refuses the share ``severity`` in [0, 1] of its
critical-input exports to ``target``. Countries not in the mapping lose nothing."""


@dataclasses.dataclass(frozen=True)
class TariffThreat:
    """The imposer adds ``rate_pp`` percentage points to its tariffs on the target."""

    rate_pp: float = 50.0
    sectors: str | tuple[str, ...] = "goods"
    name: str = "tariff threat"

    def instruments(self, imposer: str, target: str) -> tuple:
        """The move as :mod:`detente.instruments` values."""
        from detente.instruments import Tariff

        return (Tariff(imposer, target, self.sectors, self.rate_pp, "add"),)

    def apply(self, cf, imposer: str, target: str):
        return cf.apply(*self.instruments(imposer, target))

    def describe(self) -> str:
        return f"+{self.rate_pp:g} pp tariffs on {self._sectors()}"

    def _sectors(self) -> str:
        return self.sectors if isinstance(self.sectors, str) else ",".join(self.sectors)


#: the US licences of May-July 2025 as the us-china-2025 scenario encodes them: the share
#: of each sector's US exports to China under licence (chip-design software in business
#: services, jet engines, ethane), all refused (sources in the scenario file)
US_TECH_2025 = {"BUSINESS": 0.06, "OTHER_TRANSPORT": 0.15, "MIN_ENERGY": 0.20}
#: China's rare-earth and magnet licences of April and October 2025 (us-china-2025)
CN_RARE_EARTHS_2025 = {"NONFERROUS": 0.12}


@dataclasses.dataclass(frozen=True)
class TechControl:
    """The imposer licenses its exports to the target and refuses the share ``refused``.

    ``coverage`` (sector -> share of the sector's exports under licence) and the static
    reading are the scenario timeline's: the licence's export-tax equivalent with the
    rent to the imposer (:meth:`Counterfactual.licence`), which cuts the covered flow by
    ``refused`` at given prices. Default: the US controls of May-July 2025.
    """

    coverage: Mapping[str, float] = dataclasses.field(default_factory=lambda: dict(US_TECH_2025))
    refused: float = 1.0
    name: str = "tech export controls"

    def __post_init__(self) -> None:
        object.__setattr__(self, "coverage", dict(self.coverage))
        for s, c in self.coverage.items():
            if not 0 <= c * self.refused < 1:
                raise DetenteError(
                    f"{self.name}: coverage x refused share of {s} must be in [0, 1), got {c * self.refused:g}"
                )

    def instruments(self, imposer: str, target: str) -> tuple:
        """The move as :mod:`detente.instruments` values: one licence on the covered sectors."""
        from detente.instruments import ExportLicence

        if self.refused == 0 or not self.coverage:
            return ()
        return (ExportLicence(imposer, target, self.refused, coverage=self.coverage),)

    def apply(self, cf, imposer: str, target: str):
        return cf.apply(*self.instruments(imposer, target))

    def describe(self) -> str:
        return (
            f"licences refuse {100 * self.refused:g}% of "
            + ", ".join(f"{100 * c:g}% of {s}" for s, c in self.coverage.items())
            + " exports (rent to the imposer)"
        )


#: the critical inputs under China's April 2025 licences (registry ids): NdFeB magnets,
#: the heavy rare earths Dy and Tb, and the other controlled rare earths
CN_CRITICAL_2025 = ("ndfeb-magnets", "dy-tb-oxides", "other-controlled-rees")
#: the registry products of the US controls on China (chips, chip-design software, jet engines)
US_CRITICAL_2025 = ("advanced-chips", "eda-software", "jet-engines")
#: each side's critical-input cut-off: the registry products it refuses, in the nest
#: (:class:`CriticalInputCutoff`) and in the weekly model (:func:`shortage_loss_model`) alike
CRITICAL_2025: dict[str, tuple[str, ...]] = {"CHN": CN_CRITICAL_2025, "USA": US_CRITICAL_2025}


@dataclasses.dataclass(frozen=True)
class CriticalInputCutoff:
    """The imposer refuses the share ``severity`` of its critical-input exports to the target.

    Static part: for each registry ``products`` entry the users' nested CES block
    (:meth:`Counterfactual.critical_input_cut` at ``horizon``: rationed users, scarcity
    rent to the imposer on what it still approves; docs/model.md section 5b), the same
    reading as ``detente whatif --cut`` and docs/shortage.md section 8. ``coverage``
    (parent sector -> share of its exports) adds the parent-sector licence proxy (the
    export-tax equivalent, :meth:`Counterfactual.licence`); empty by default. Shortage
    part: ``loss_model`` (a :data:`CriticalInputLoss`) adds the weekly model's output lost
    to stock-outs (then pass ``products=()`` so that the cut is not counted twice).
    """

    products: tuple[str, ...] = CN_CRITICAL_2025
    severity: float = 1.0
    loss_model: CriticalInputLoss | None = None
    name: str = "critical-input cut-off"
    coverage: Mapping[str, float] = dataclasses.field(default_factory=dict)
    horizon: str = "1y"

    def __post_init__(self) -> None:
        object.__setattr__(self, "coverage", dict(self.coverage))
        object.__setattr__(self, "products", tuple(self.products))
        if not 0 <= self.severity <= 1:
            raise DetenteError(f"{self.name}: severity must be in [0, 1], got {self.severity!r}")

    def instruments(self, imposer: str, target: str) -> tuple:
        """The move as :mod:`detente.instruments` values: a licence per critical input
        (read by the users' nested CES block), and one on the parent sectors' coverage."""
        from detente.instruments import ExportLicence

        if self.severity == 0:
            return ()
        kind = "ban" if self.severity == 1 else "general"
        out = [
            ExportLicence(imposer, target, self.severity, product=p, licence=kind, horizon=self.horizon)
            for p in self.products
        ]
        if self.coverage:
            out.append(ExportLicence(imposer, target, self.severity, coverage=self.coverage, licence=kind))
        return tuple(out)

    def apply(self, cf, imposer: str, target: str):
        return cf.apply(*self.instruments(imposer, target))

    def extra_losses(self, imposer: str, target: str) -> Mapping[str, float]:
        if self.loss_model is None:
            return {}
        return dict(self.loss_model(imposer, target, self.severity))

    def describe(self) -> str:
        parts = []
        if self.products and self.severity > 0:
            parts.append(
                f"licences refuse {100 * self.severity:g}% of {', '.join(self.products)} "
                f"(users' nested CES block at {self.horizon}; rent to the imposer)"
            )
        if self.coverage and self.severity > 0:
            parts.append(
                f"licences refuse {100 * self.severity:g}% of "
                + ", ".join(f"{100 * c:g}% of {s}" for s, c in self.coverage.items())
                + " exports (rent to the imposer)"
            )
        if self.loss_model is not None:
            parts.append(f"shortage losses with {100 * self.severity:g}% of critical-input exports refused")
        return "; ".join(parts) or "no change"


Instrument = TariffThreat | TechControl | CriticalInputCutoff


def default_instruments(imposer: str) -> tuple[Instrument, ...]:
    """The instruments of the 2025 conflict for ``imposer`` (USA or CHN; others: tariffs only).

    USA: tariffs, and export controls on chips, chip-design software (in business
    services) and jet engines. CHN: tariffs, and the rare-earth cut-off (the users'
    nested CES block for magnets and rare earths; pass a loss model to add shortages).
    """
    if imposer == "USA":
        return (TariffThreat(), TechControl())
    if imposer == "CHN":
        return (TariffThreat(), CriticalInputCutoff())
    return (TariffThreat(),)


def read_once(world, imposer: str, instruments: Sequence[Instrument]) -> tuple[Instrument, ...]:
    """``imposer``'s instruments with each critical-input cut read by one model.

    When one of them is a :class:`CriticalInputCutoff` with a loss model (the weekly
    reading of the imposer's registry products, :data:`CRITICAL_2025`), the instruments
    that read the same cuts statically are left out: nested-CES cut-offs, and a
    licence's coverage of the sectors that hold those products (their registry parents;
    the rest of its coverage stays). Without one, the instruments are returned as given.
    :func:`threat_points` uses every instrument at once through this.
    """
    xs = tuple(instruments)
    if not any(isinstance(x, CriticalInputCutoff) and x.loss_model is not None for x in xs):
        return xs
    from detente.shortage import load_registry
    from detente.shortage._registry import world_sector_of

    registry = load_registry()
    held = {
        world.sectors[j]
        for pr in CRITICAL_2025.get(imposer, ())
        if (j := world_sector_of(registry.products[pr].parent, world)) is not None
    }
    out: list[Instrument] = []
    for x in xs:
        if isinstance(x, CriticalInputCutoff) and x.loss_model is None:
            continue  # a static reading (nest or parent-sector proxy) of the same cut
        if isinstance(x, TechControl):
            rest = {s: c for s, c in x.coverage.items() if s not in held}
            if not rest:
                continue
            x = dataclasses.replace(x, coverage=rest, name=f"{x.name} (without {', '.join(sorted(held))})")
        out.append(x)
    return tuple(out)


def _losses(world, reference_eq, eq, extra: Mapping[str, float]):
    """Loss (positive = worse off) by country: percent of income and USD million."""
    rel = eq.welfare_hat / reference_eq.welfare_hat
    loss_usd = -(rel - 1.0) * world.income * reference_eq.welfare_hat
    for c, v in extra.items():
        loss_usd[world.country_index(c)] += v
    return 100 * loss_usd / world.income, loss_usd


def leverage_table(
    world,
    pairs: Sequence[tuple[str, str]] = (("USA", "CHN"), ("CHN", "USA")),
    instruments: Mapping[str, Sequence[Instrument]] | None = None,
    *,
    reference=None,
):
    """Leverage of each imposer's instruments against its target.

    Parameters
    ----------
    pairs : (imposer, target) pairs
    instruments : mapping imposer -> instruments (default :func:`default_instruments`)
    reference : Counterfactual
        The state the threats are made from (default: the baseline).

    Returns a pandas DataFrame, one row per (imposer, instrument), with the target's
    and the imposer's losses (``*_loss_pct``: percent of income; ``*_loss_usd_bn``) and
    ``leverage`` (target's USD loss per USD lost by the imposer; ``inf`` when the
    imposer gains).
    """
    import pandas as pd

    from detente.equilibrium import Counterfactual, solve

    ref = reference if reference is not None else Counterfactual.from_world(world)
    ref_eq = solve(world, ref)
    rows = []
    for imposer, target in pairs:
        for inst in (instruments or {}).get(imposer, default_instruments(imposer)):
            eq = solve(world, inst.apply(ref, imposer, target))
            extra = inst.extra_losses(imposer, target) if isinstance(inst, CriticalInputCutoff) else {}
            pct, usd = _losses(world, ref_eq, eq, extra)
            t, m = world.country_index(target), world.country_index(imposer)
            ratio = usd[t] / usd[m] if usd[m] > 0 else (np.inf if usd[t] > 0 else np.nan)
            rows.append(
                {
                    "imposer": imposer,
                    "target": target,
                    "instrument": inst.name,
                    "description": inst.describe(),
                    "target_loss_pct": pct[t],
                    "imposer_loss_pct": pct[m],
                    "target_loss_usd_bn": usd[t] / 1e3,
                    "imposer_loss_usd_bn": usd[m] / 1e3,
                    "leverage": ratio,
                }
            )
    df = pd.DataFrame(rows)
    df.attrs.update(
        world=world.meta.name,
        reference=ref.describe(),
        units="USD billion a year, equivalent variation at baseline income; percent of baseline income",
    )
    return df


def threat_points(
    world,
    players: tuple[str, str] = DEFAULT_PAIR,
    instruments: Mapping[str, Sequence[Instrument]] | None = None,
    *,
    reference=None,
    objectives=None,
):
    """Disagreement points implied by the instruments: both sides use theirs at once,
    each critical-input cut read by one model (:func:`read_once`).

    Returns a pandas DataFrame with one row per threat (``tariffs``, ``controls`` —
    each side's non-tariff instrument — and ``all``): the players' objectives ``U_A``,
    ``U_B`` (percent of baseline income, :mod:`._objective`) at that point.
    """
    import pandas as pd

    from detente.equilibrium import Counterfactual, solve
    from detente.strategy._gradient import objective_values
    from detente.strategy._objective import Objective

    a, b = players
    ref = reference if reference is not None else Counterfactual.from_world(world)
    objectives = objectives or (Objective(a), Objective(b))
    inst = {p: read_once(world, p, (instruments or {}).get(p, default_instruments(p))) for p in players}
    if not all(inst[p] for p in players):
        raise DetenteError("every player needs at least one instrument")

    def point(select):
        cf, extra = ref, {}
        for p, q in ((a, b), (b, a)):
            for x in select(inst[p]):
                cf = x.apply(cf, p, q)
                if isinstance(x, CriticalInputCutoff):
                    for c, v in x.extra_losses(p, q).items():
                        extra[c] = extra.get(c, 0.0) + v
        eq = solve(world, cf)
        u = objective_values(world, eq.solution, objectives)
        for k, o in enumerate(objectives):  # shortage losses count with weight 1 + security weight
            loss = extra.get(o.country, 0.0)
            u[k] -= 100 * (1.0 + o.security_weight) * loss / world.income[world.country_index(o.country)]
        return u

    rows = []
    for name, select in (
        ("tariffs", lambda xs: [x for x in xs if isinstance(x, TariffThreat)]),
        ("controls", lambda xs: [x for x in xs if not isinstance(x, TariffThreat)]),
        ("all", lambda xs: list(xs)),
    ):
        u = point(select)
        rows.append({"threat": name, f"U_{a}": u[0], f"U_{b}": u[1]})
    return pd.DataFrame(rows)


def shortage_loss_model(
    world,
    *,
    weeks: int = 52,
    products: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
    start=None,
    licence: str = "general",
) -> CriticalInputLoss:
    """A :data:`CriticalInputLoss` backed by the weekly shortage model (:mod:`detente.shortage`).

    ``loss(supplier, target, severity)`` runs :func:`detente.shortage.simulate` for
    ``weeks`` weeks with a licence regime on the supplier's products from ``supplier``
    to ``target`` that approves the share ``1 - severity`` from the first week
    (``licence="general"``: no review lag), and returns each country's value added lost,
    annualised (``x 52 / weeks``), in the world's units. Results are memoised per
    (supplier, target, severity).

    The supplier's products are ``products`` (registry ids, or a mapping supplier ->
    ids); by default those of its 2025 licences (:data:`CRITICAL_2025`: China's rare
    earths and magnets, the same products the nest reads for :class:`CriticalInputCutoff`),
    and every registry product for other suppliers (only those it supplies can bite).
    """
    import datetime as dt

    from detente.shortage import cut_losses, load_registry

    registry = load_registry()
    by_supplier: Mapping[str, Sequence[str]] = CRITICAL_2025 if products is None else {}
    every = registry.ids
    if isinstance(products, Mapping):
        by_supplier = products
    elif products:
        every = tuple(products)
    for pr in {*every, *(q for prods in by_supplier.values() for q in prods)}:
        registry[pr]  # an unknown id raises DataError, naming it
    first = start or dt.date(2025, 1, 6)
    memo: dict = {}

    def loss(supplier: str, target: str, severity: float) -> Mapping[str, float]:
        key = (supplier, target, round(float(severity), 12))
        if key not in memo:
            if not 0.0 <= severity <= 1.0:
                raise DetenteError(f"severity must be in [0, 1], got {severity}")
            if severity == 0.0:
                memo[key] = {}
            else:
                cut = cut_losses(
                    world,
                    severity,
                    products=by_supplier.get(supplier, every),
                    exporter=supplier,
                    importers=(target,),
                    weeks=weeks,
                    start=first,
                    registry=registry,
                    licence=licence,
                )
                lost = cut.dataset["cum_va_lost"].to_series() * 52.0 / weeks
                memo[key] = {c: float(v) for c, v in lost.items() if v > 0}
        return memo[key]

    return loss
