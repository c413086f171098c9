"""The policy in force on any date: tariff layers, exemptions, export controls, icebergs.

Semantics (docs/scenarios.md has the full account):

- An event is in force on dates ``d`` with ``event.date <= d < event.until``.
- A tariff layer entry (importer n, exporter i, sector j) is the fold, in date order
  (file order on ties), of the layer's tariff events in force on ``d``: ``set`` ->
  ``coverage * rate_pp``; ``add`` -> ``+ coverage * rate_pp``; ``remove`` ->
  ``- coverage * rate_pp`` or, without a rate, 0. An expired event is skipped entirely,
  so its effect reverts (a suspension that lapses brings back the suspended rate, while
  later ``set`` events still win).
- Exemptions scale a layer's entry by ``1 - share`` (shares of one cell add up, capped
  at 1), whatever rate the layer has.
- Layers stack additively on the world's baseline tariffs: tau = tau0 + sum(layers)/100.
  Domestic cells are never taxed.
- Export controls: the latest event in force of each regime defines that regime. For
  each cell the refused share is ``r = sum_regimes coverage * (1 - a)``, with the approval
  ``a`` read as in the weekly model (:func:`detente.instruments.approval_on`): 0 under a
  ban; under per-shipment licences 0 in the first ``review_days`` days and
  ``approval_share`` after; under general licences ``approval_share`` from the first
  day. The static equivalent is the export tax ``x = (1 - r)^(-1/theta_j) - 1``, which
  at given prices cuts the flow by the share r and leaves the rent with the exporter
  (:func:`licence_wedge`).
- Iceberg events multiply the trade cost by their factor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterable

import numpy as np

from detente._lists import selector_text, selects_all
from detente.errors import UnknownLabelError
from detente.instruments import approval_on, licence_equivalent, review_end
from detente.policy._schema import (
    MAX_APPLICATIONS,
    MAX_COMPOSE_DEPTH,
    MAX_VARIANTS_JOINED,
    Event,
    Override,
    Scenario,
    ScenarioError,
    _labels_of,
    count_steps,
)
from detente.world import World
from detente.world._aliases import label_members

_ROUND = 12  # decimals kept in the state key


# ------------------------------------------------------------------------- variants
def apply_variant(scenario: Scenario, variant: str | Iterable[str] | None) -> Scenario:
    """The scenario with variant(s) applied, composed left to right.

    ``variant`` names a variant or override, or several joined by ``+`` or ``,``
    (``"no-geneva+rare-earth-ban"``). Each one first applies the overrides it
    ``compose``-s, then removes, adds and replaces events. Returns a new scenario.
    """
    if variant is None or variant == "":
        return scenario
    if isinstance(variant, str) and len(variant) > 64 * MAX_VARIANTS_JOINED:
        raise ScenarioError(
            f"the variant choice has {len(variant):,} characters; give at most "
            f"{MAX_VARIANTS_JOINED} names joined by '+'"
        )
    names = [v.strip() for v in (variant.replace("+", ",").split(",") if isinstance(variant, str) else variant)]
    if len(names) > MAX_VARIANTS_JOINED:
        raise ScenarioError(f"{len(names)} variants joined; the limit is {MAX_VARIANTS_JOINED}")
    if not all(names):
        raise ScenarioError(f"variant {variant!r} has an empty name (a stray '+' or ','); give names joined by '+'")
    table: dict[str, Override] = {**scenario.overrides, **scenario.variants}
    events = list(scenario.events)
    applied = 0

    def apply(name: str, stack: tuple[str, ...]) -> None:
        nonlocal events, applied
        if name not in table:
            raise ScenarioError(
                f"scenario {scenario.name!r} ({scenario.path}) has no variant {name!r}; "
                f"variants: {', '.join(list(scenario.variants)[:20]) or 'none'}"
            )
        if name in stack:
            raise ScenarioError(f"variant {name!r} composes itself ({' -> '.join(stack + (name,))})")
        if len(stack) >= MAX_COMPOSE_DEPTH:
            raise ScenarioError(f"variant {stack[0]!r} composes overrides more than {MAX_COMPOSE_DEPTH} levels deep")
        applied += 1
        if applied > MAX_APPLICATIONS:
            raise ScenarioError(
                f"variant {variant!r} applies more than {MAX_APPLICATIONS:,} overrides once its "
                "compose lists are expanded"
            )
        ov = table[name]
        for sub in ov.compose:
            apply(sub, stack + (name,))
        ids = {e.id for e in events}
        gone = [i for i in ov.remove_events if i not in ids]
        if gone:
            raise ScenarioError(
                f"variant {name!r} removes events {gone} that are not in the scenario "
                "(removed already by an earlier override?)"
            )
        removed = set(ov.remove_events)
        events = [e for e in events if e.id not in removed]
        events = [_replaced(e, ov) for e in events] + list(ov.add_events)

    for n in names:
        apply(n, ())
    label = "+".join(names) if scenario.variant is None else f"{scenario.variant}+{'+'.join(names)}"
    out = scenario.model_copy(update={"events": events, "variant": label})
    out._path, out._lines = scenario._path, scenario._lines
    return out


def _replaced(e: Event, ov: Override) -> Event:
    new = ov.replace_events.get(e.id) if e.id else None
    if new is None:
        return e
    return new if new.id else new.model_copy(update={"id": e.id})


def world_for(
    scenario: Scenario, world: World, *, elasticities: str | None = None, horizon: str | None = None
) -> World:
    """``world`` with the scenario's trade elasticities: its set at its horizon, then overrides.

    ``elasticities`` / ``horizon`` replace the scenario's ``settings`` (a command-line
    choice wins over the file). ``world.meta.elasticities`` records the choice.
    """
    from detente.world._theta import ElasticityChoice, with_elasticities

    st = scenario.settings
    choice = ElasticityChoice(elasticities or st.elasticities, horizon or st.horizon)
    return with_elasticities(world, choice, overrides=dict(st.elasticity_overrides) or None)


# ------------------------------------------------------------------------- dates
def _step_dates(start: dt.date, end: dt.date, step: str) -> list[dt.date]:
    out, d = [], start
    while d <= end:
        out.append(d)
        if step == "day":
            d += dt.timedelta(days=1)
        elif step == "week":
            d += dt.timedelta(days=7)
        else:
            y, m = divmod(d.month, 12)
            d = dt.date(d.year + y, m + 1, min(start.day, 28))
    return out


def change_dates(scenario: Scenario) -> list[dt.date]:
    """Dates on which the policy may change: event dates, expiries, ends of review periods."""
    out = set()
    for e in scenario.events:
        if e.kind == "notice":
            continue
        out.add(e.date)
        if e.until:
            out.add(e.until)
        if e.kind == "export_control":
            assert e.export_control is not None  # kind is the key that is set
            end = review_end(e.export_control.licence, e.date, e.export_control.review_days)
            if end is not None:
                out.add(end)
    return sorted(out)


def count_dates(scenario: Scenario) -> int:
    """``len(dates(scenario))`` without building the period's steps: the steps are counted
    (:func:`~detente.policy._schema.count_steps`), and the change dates (at most three
    per event) that fall between two steps are added. For limits checked before work starts."""
    p = scenario.period

    def on_step(d: dt.date) -> bool:
        if d == p.start or p.step == "day":
            return True
        if p.step == "week":
            return (d - p.start).days % 7 == 0
        return d.day == min(p.start.day, 28)

    between = {d for d in change_dates(scenario) if p.start <= d <= p.end and not on_step(d)}
    return count_steps(p.start, p.end, p.step) + len(between)


def dates(scenario: Scenario) -> list[dt.date]:
    """The period's steps plus every change date inside the period, sorted."""
    p = scenario.period
    steps = set(_step_dates(p.start, p.end, p.step))
    steps.update(d for d in change_dates(scenario) if p.start <= d <= p.end)
    return sorted(steps)


# ------------------------------------------------------------------------- cell selection
def _sel(world: World, sel, what: str, loc: str) -> np.ndarray:
    labels = world.countries if what == "country" else world.sectors
    idx: list[int] = []
    try:
        for s in _labels_of(sel):
            if s.lower() in {"all", "*"}:
                idx.extend(range(len(labels)))
            elif what == "sector" and s in ("goods", "services"):
                idx.extend(world.sectors.index(x) for x in getattr(world, s))
            else:
                members = label_members(world, s, what)
                if members is None:  # raises with suggestions
                    members = [world.country_index(s) if what == "country" else world.sector_index(s)]
                idx.extend(members)
    except UnknownLabelError as exc:
        raise ScenarioError(f"{loc}: {exc}") from None
    return np.array(sorted(set(idx)), dtype=int)


def _mask(world: World, ev: Event, loc: str) -> np.ndarray:
    """(N, N, J) boolean mask of the cells an event touches (domestic cells excluded)."""
    s = ev.spec
    imp = s.importers if hasattr(s, "importers") else s.importer
    m = np.zeros((world.n_countries, world.n_countries, world.n_sectors), dtype=bool)
    m[
        np.ix_(
            _sel(world, imp, "country", loc),
            _sel(world, s.exporter, "country", loc),
            _sel(world, s.sectors, "sector", loc),
        )
    ] = True
    d = np.arange(world.n_countries)
    m[d, d, :] = False
    return m


def _active(scenario: Scenario, date: dt.date, kind: str) -> list[tuple[int, Event]]:
    out = [
        (k, e)
        for k, e in enumerate(scenario.events)
        if e.kind == kind and e.date <= date and (e.until is None or date < e.until)
    ]
    return sorted(out, key=lambda ke: (ke[1].date, ke[0]))


# ------------------------------------------------------------------------- state
def layer_rates(world: World, scenario: Scenario, date: dt.date) -> dict[str, np.ndarray]:
    """Effective rate of each tariff layer on ``date``: (N, N, J) percentage points.

    Coverage and exemptions are applied (the trade-weighted sector rate). Layers are in
    the order declared, then the order first used.
    """
    shape = (world.n_countries, world.n_countries, world.n_sectors)
    names = list(scenario.layers) + [
        e.tariff.layer for e in scenario.events if e.kind == "tariff" and e.tariff is not None
    ]
    rates = {n: np.zeros(shape) for n in dict.fromkeys(names)}
    for k, e in _active(scenario, date, "tariff"):
        t, m = e.tariff, _mask(world, e, e.label(k))
        assert t is not None  # _active picked tariff events
        r = rates[t.layer]
        amount = t.coverage * (t.rate_pp or 0.0)
        if t.op == "set":
            r[m] = amount
        elif t.op == "add":
            r[m] += amount
        elif t.rate_pp is None:
            r[m] = 0.0
        else:
            r[m] -= amount
        if (r[m] < -1e-9).any():
            n, i, j = (int(x) for x in np.argwhere(m & (r < -1e-9))[0])
            raise ScenarioError(
                f"{scenario.path}: event {e.label(k)} ({e.date}) takes layer {t.layer!r} of "
                f"{world.countries[n]} on {world.countries[i]} in {world.sectors[j]} to "
                f"{r[n, i, j]:.4g} pp on {date}; a layer cannot be negative"
            )
    exempt = {n: np.zeros(shape) for n in rates}
    for k, e in _active(scenario, date, "exemption"):
        ex = e.exemption
        assert ex is not None  # _active picked exemption events
        if ex.layer not in exempt:
            continue  # an exemption from a layer that has no rate anywhere
        exempt[ex.layer][_mask(world, e, e.label(k))] += ex.share
    return {n: np.maximum(r, 0.0) * (1.0 - np.minimum(exempt[n], 1.0)) for n, r in rates.items()}


def _regimes(scenario: Scenario, date: dt.date) -> dict[str, tuple[int, Event]]:
    """The export-control regimes in force on ``date``: the latest step of each."""
    regimes: dict[str, tuple[int, Event]] = {}
    for k, e in _active(scenario, date, "export_control"):
        assert e.export_control is not None  # _active picked export-control events
        regimes[e.export_control.regime or e.id or f"events[{k}]"] = (k, e)
    return regimes


def critical_cuts(world: World, scenario: Scenario, date: dt.date) -> tuple:
    """The licences on registry products in force on ``date``, as
    :class:`detente.instruments.CriticalCut` (read by the users' nested CES block).

    An export control with a ``product`` is a licence on that critical input: the static
    model reads it with the nest (docs/model.md, section 5b), as the weekly model does with
    its inventories, and not as a trade cost on its parent sector (``coverage`` and
    ``sectors`` then only place it for the record)."""
    from detente.instruments import CriticalCut

    out = []
    for k, e in _regimes(scenario, date).values():
        x = e.export_control
        assert x is not None  # _regimes holds export-control events
        if not x.product:
            continue
        refused = 1.0 - approval_on(x.licence, e.date, x.review_days, x.approval_share, date)
        scoped = not selects_all(x.users)
        if refused <= 0 and not scoped:  # a licence of the users' own lifts the others' refusals
            continue
        loc = e.label(k)
        exp = tuple(world.countries[i] for i in _sel(world, x.exporter, "country", loc))
        imp = tuple(world.countries[i] for i in _sel(world, x.importers, "country", loc))
        users = tuple(world.sectors[j] for j in _sel(world, x.users, "sector", loc)) if scoped else "all"
        out.append(CriticalCut(x.product, exp, imp, float(refused), users, x.user_share))
    return tuple(out)


def refused_share(world: World, scenario: Scenario, date: dt.date) -> np.ndarray:
    """(N, N, J) share of each flow refused by export controls in force on ``date``
    (controls on a registry ``product`` are read by :func:`critical_cuts` instead)."""
    regimes = _regimes(scenario, date)
    r = np.zeros((world.n_countries, world.n_countries, world.n_sectors))
    for name, (k, e) in regimes.items():
        x = e.export_control
        assert x is not None  # _regimes holds export-control events
        if x.product:
            continue
        approved = approval_on(x.licence, e.date, x.review_days, x.approval_share, date)
        r[_mask(world, e, e.label(k))] += x.coverage * (1.0 - approved)
        if (r >= 1.0 - 1e-12).any():
            raise ScenarioError(
                f"{scenario.path}: export controls refuse all of a flow on {date} "
                f"(regime {name!r}): an infinite trade cost; lower the coverage"
            )
    return r


def licence_wedge(world: World, scenario: Scenario, date: dt.date) -> np.ndarray:
    """(N, N, J) export-tax equivalents of the export licences in force on ``date``.

    A licence regime that refuses the share r of a flow is a quota; its static
    equivalent is the export tax ``x = (1 - r)^(-1/theta_j) - 1`` that cuts the flow by r
    at given prices, with the revenue (the scarcity rent of the licences) kept by the
    exporting country (docs/model.md, section 5), not lost like an iceberg cost.
    ``world.theta`` is used (apply :func:`world_for` for overrides first).
    """
    return licence_equivalent(refused_share(world, scenario, date), np.asarray(world.theta)[None, None, :])


def export_tax_state(world: World, scenario: Scenario, date: dt.date) -> np.ndarray:
    """(N, N, J) export taxes in force on ``date`` (fractions; the ``export_tax`` events,
    added up), their revenue the exporter's."""
    x = np.zeros((world.n_countries, world.n_countries, world.n_sectors))
    for k, e in _active(scenario, date, "export_tax"):
        assert e.export_tax is not None  # _active picked export-tax events
        x[_mask(world, e, e.label(k))] += e.export_tax.rate_pp / 100.0
    return x


def iceberg_state(world: World, scenario: Scenario, date: dt.date) -> np.ndarray:
    """(N, N, J) iceberg trade-cost factors on ``date`` (1 = baseline): the iceberg events
    (non-tariff measures), multiplied. Export licences are :func:`licence_wedge`."""
    d = np.ones((world.n_countries, world.n_countries, world.n_sectors))
    for k, e in _active(scenario, date, "iceberg"):
        assert e.iceberg is not None  # _active picked iceberg events
        d[_mask(world, e, e.label(k))] *= e.iceberg.factor
    return d


def tariff_state(world: World, scenario: Scenario, date: dt.date) -> np.ndarray:
    """(N, N, J) tariffs in force on ``date``, fractions: baseline plus all layers."""
    extra = sum(layer_rates(world, scenario, date).values(), np.zeros(world.tariffs.shape))
    return np.array(world.tariffs) + extra / 100.0


@dataclasses.dataclass(frozen=True, eq=False)
class PolicyState:
    """The policy in force on one date: new tariffs (fractions), iceberg factors, the
    export-tax equivalents of export licences (fractions, rent to the exporter), key."""

    date: dt.date
    tariffs: np.ndarray
    iceberg: np.ndarray
    layers: dict[str, np.ndarray]
    key: str
    export_taxes: np.ndarray | None = None
    #: licences on critical inputs (:func:`critical_cuts`), read by the users' nested CES
    #: block at the counterfactual's ``critical_horizon``
    critical: tuple = ()

    def apply(self, cf):
        """``cf`` (a Counterfactual of the same world) with this state's trade costs; its
        ``changes`` say what differs from ``cf`` (so an error names the state, not "no change")."""
        out = dataclasses.replace(
            cf,
            tariffs=self.tariffs,
            iceberg=self.iceberg,
            export_taxes=self.export_taxes,
            changes=tuple(cf.changes) + self.describe(cf),
        )
        for c in self.critical:
            out = out.critical_input_cut(
                c.product,
                list(c.exporter),
                list(c.importer),
                c.refused,
                users=c.users if isinstance(c.users, str) else list(c.users),
                user_share=c.user_share,
            )
        return out

    def describe(self, ref) -> tuple[str, ...]:
        """What this state changes against ``ref`` (a Counterfactual): one line per kind."""
        out = []
        dt_pp = 100 * (np.asarray(self.tariffs) - np.asarray(ref.tariffs))
        moved = np.abs(dt_pp) > 1e-9
        if moved.any():
            out.append(
                f"policy on {self.date}: tariffs in {int(moved.sum())} cells changed by "
                f"{float(dt_pp.min()):+.4g} to {float(dt_pp.max()):+.4g} pp"
            )
        ice = np.asarray(self.iceberg) / np.asarray(ref.iceberg)
        if (np.abs(ice - 1) > 1e-12).any():
            out.append(
                f"policy on {self.date}: trade costs x{float(ice.min()):.4g} to x{float(ice.max()):.4g} "
                f"in {int((np.abs(ice - 1) > 1e-12).sum())} cells"
            )
        if self.export_taxes is not None and np.any(self.export_taxes):
            x = np.asarray(self.export_taxes)
            out.append(
                f"policy on {self.date}: export taxes and licences' tax equivalents (up to "
                f"{100 * float(x.max()):.4g}%) in {int((x > 0).sum())} cells"
            )
        for c in self.critical:
            out.append(
                f"policy on {self.date}: licences refuse {100 * c.refused:.4g}% of {c.product} "
                f"({','.join(c.exporter)} -> {len(c.importer)} importers"
                + (f"; {selector_text(c.users)} users, {100 * c.user_share:g}% of their purchases" if c.scoped else "")
                + ")"
            )
        return tuple(out)


def state_key(
    tariffs: np.ndarray, iceberg: np.ndarray, export_taxes: np.ndarray | None = None, critical: tuple = ()
) -> str:
    """A short hashable key: equal for identical policy states (to 1e-12)."""
    h = hashlib.blake2b(digest_size=12)
    for a in (tariffs, iceberg) + (() if export_taxes is None or not np.any(export_taxes) else (export_taxes,)):
        h.update(np.ascontiguousarray(np.round(a, _ROUND) + 0.0).tobytes())
    for c in sorted(critical, key=repr):
        h.update(f"{c.product}|{','.join(c.exporter)}|{','.join(c.importer)}|{round(c.refused, _ROUND)}".encode())
        if c.scoped:
            h.update(f"|{selector_text(c.users)}|{round(c.user_share, _ROUND)}".encode())
    return h.hexdigest()


def policy_state(world: World, scenario: Scenario, date: dt.date) -> PolicyState:
    """Everything in force on ``date`` as a :class:`PolicyState`."""
    layers = layer_rates(world, scenario, date)
    tau = np.array(world.tariffs) + sum(layers.values(), np.zeros(world.tariffs.shape)) / 100.0
    d = iceberg_state(world, scenario, date)
    # licences' export-tax equivalents and export taxes, both rents to the exporter
    x = (1.0 + licence_wedge(world, scenario, date)) * (1.0 + export_tax_state(world, scenario, date)) - 1.0
    cuts = critical_cuts(world, scenario, date)
    return PolicyState(date, tau, d, layers, state_key(tau, d, x, cuts), x, cuts)


def events_on(scenario: Scenario, date: dt.date) -> list[str]:
    """Labels of the events that start, expire or end a review period on ``date``."""
    out = []
    for k, e in enumerate(scenario.events):
        if e.kind == "notice":
            continue
        lab = e.label(k)
        if e.date == date:
            out.append(lab)
        if e.until == date:
            out.append(f"{lab} ends")
        if (
            e.kind == "export_control"
            and e.export_control is not None
            and e.export_control.review_days
            and e.date + dt.timedelta(days=e.export_control.review_days) == date
        ):
            out.append(f"{lab} approvals start")
    return out
