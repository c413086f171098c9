"""The scenario file: strict pydantic models, a YAML loader with line numbers, label checks.

A scenario file (YAML) names a world, a period, model settings and dated events; named
overrides compose into named variants (in the style of Calliope). docs/scenarios.md
describes the format; :func:`scenario_json_schema` gives the JSON schema.

Every model forbids unknown keys. Errors name the file, the line, the field path (for
example ``events[3].tariff.rate_pp``), the value and what was expected.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from detente._lists import selector_text, selects_all
from detente.errors import DetenteError, ScenarioError  # noqa: F401  (re-exported)

EVENT_KINDS = ("tariff", "exemption", "export_control", "export_tax", "iceberg", "notice")

# ------------------------------------------------------------------------- limits
#: every scenario, from a file, the API or Python, is held to these before any work starts
#: (docs/scenarios.md, "Limits"); the YAML limits (MAX_NODES, MAX_DEPTH) are further down
MIN_DATE = dt.date(1900, 1, 1)  # earliest date anywhere in a scenario
MAX_DATE = dt.date(2100, 12, 31)  # latest date anywhere in a scenario
MAX_STEPS = 5_000  # dates of a period's steps (a daily period of about 13.7 years)
MAX_EVENTS = 10_000  # events in one list: the timeline, or one override's add_events / replace_events
MAX_OVERRIDES = 1_000  # named overrides and variants, together
MAX_COMPOSE_DEPTH = 32  # overrides composing overrides composing ...
MAX_APPLICATIONS = 1_000  # override applications when one variant is composed (a diamond repeats its parts)
MAX_VARIANTS_JOINED = 64  # names joined by '+' in one variant choice
MAX_TEXT_BYTES = 4_000_000  # size of a scenario file (the API's own limit is lower)
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_input(value: Any) -> Any:
    """Dates are written YYYY-MM-DD; a number (``date: 0``) is not read as a Unix time."""
    if isinstance(value, dt.datetime):
        raise ValueError("give a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError as exc:
            raise ValueError(f"not a valid date ({exc})") from None
    if isinstance(value, bool | int | float):
        raise ValueError(f"a date is written YYYY-MM-DD (e.g. 2025-04-02), not the number {value!r}")
    raise ValueError("a date is written YYYY-MM-DD (e.g. 2025-04-02)")


def _date_range(value: dt.date) -> dt.date:
    if not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(f"dates must lie between {MIN_DATE} and {MAX_DATE}")
    return value


Date = Annotated[dt.date, BeforeValidator(_date_input), AfterValidator(_date_range)]


def _selector(value: str | list[str]) -> str | list[str]:
    """A country or sector selector must select something: no empty text, list or item."""
    items = value.split(",") if isinstance(value, str) else list(value)
    if not items or not any(isinstance(s, str) and s.strip() for s in items):
        raise ValueError(
            "an empty selector selects nothing (the event would do nothing); give a label "
            "('USA'), a comma list ('USA,MEX'), a list or 'all'"
        )
    if any(not (isinstance(s, str) and s.strip()) for s in items):
        raise ValueError(
            "a selector has an empty item (two commas, a trailing comma or an empty "
            "list entry); give each label once, e.g. 'USA,MEX'"
        )
    return value


#: the JSON schema of a selector, as exact as :func:`_selector`: text whose comma-separated
#: items each hold a non-space character, or a non-empty list of such labels
SELECTOR_PATTERN = r"^[^,]*[^,\s][^,]*(,[^,]*[^,\s][^,]*)*$"
SELECTOR_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": SELECTOR_PATTERN},
        {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": r"\S"}},
    ]
}

#: country or sector label(s): a label, a comma list ("USA,MEX"), a list, or "all"
Labels = Annotated[str | list[str], AfterValidator(_selector), WithJsonSchema(SELECTOR_SCHEMA)]


def _horizon_text(value: str) -> str:
    from detente.errors import DataError
    from detente.world._theta import normalise_horizon

    try:
        return normalise_horizon(value)
    except DataError as exc:
        raise ValueError(str(exc)) from None


class _Strict(BaseModel):
    # strict: no coercion the JSON schema does not promise (``review_days: true`` is not 1)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


# ------------------------------------------------------------------------- event kinds
class TariffSpec(_Strict):
    """A change in one named tariff layer, in percentage points additional to the baseline.

    ``op``: ``set`` sets the layer entry to ``coverage * rate_pp``; ``add`` adds
    ``coverage * rate_pp``; ``remove`` subtracts ``coverage * rate_pp`` or, without
    ``rate_pp``, clears the entry to zero.
    """

    importer: Labels = Field(description="importing country label(s), comma list or 'all'")
    exporter: Labels = Field(description="exporting country label(s), comma list or 'all'")
    sectors: Labels = Field("goods", description="sector label(s), 'goods', 'services' or 'all'")
    layer: str = Field(min_length=1, description="tariff layer name, e.g. ieepa-reciprocal")
    op: Literal["set", "add", "remove"] = "set"
    rate_pp: float | None = Field(None, ge=0, le=1000, description="percentage points (>= 0)")
    coverage: float = Field(1.0, ge=0, le=1, description="share of the sector's trade covered")

    @model_validator(mode="after")
    def _rate_needed(self) -> TariffSpec:
        if self.op in ("set", "add") and self.rate_pp is None:
            raise ValueError(f"op '{self.op}' needs rate_pp (percentage points)")
        return self


class ExemptionSpec(_Strict):
    """A share of a sector's trade exempt from one layer, whatever that layer's rate."""

    importer: Labels
    exporter: Labels
    sectors: Labels
    layer: str = Field(min_length=1)
    share: float = Field(ge=0, le=1, description="exempt share of the sector's trade")


class ExportControlSpec(_Strict):
    """A licence regime on exports (:class:`detente.instruments.ExportLicence`).

    For the controlled share ``coverage`` of the sector, only ``approval_share`` of the
    flow is licensed; nothing is approved in the first ``review_days`` days. The static
    model reads the quota's export-tax equivalent, the rent to the exporter (or, with a
    registry ``product``, the users' nested CES block); the weekly model the licence path.
    """

    regime: str | None = Field(
        None, description="regime name; a later event of the same regime replaces it (default: event id)"
    )
    exporter: Labels
    importers: Labels = "all"
    sectors: Labels
    coverage: float = Field(1.0, ge=0, le=1, description="share of the sector's trade under licence")
    approval_share: float = Field(ge=0, le=1, description="share of controlled trade licensed")
    review_days: int = Field(0, ge=0, le=3650, description="days before the first approvals")
    product: str | None = Field(
        None, description="critical input controlled (registry id, e.g. ndfeb-magnets); read by the shortage model"
    )
    licence: Literal["per_shipment", "general", "ban"] = Field(
        "per_shipment", description="per-shipment licences (review lag applies), general licences, or a ban"
    )
    users: Labels = Field(
        "all",
        description=(
            "user sectors whose supply chains the regime licenses (with a product only; default all): "
            "a licence of their own, e.g. to the suppliers of named car makers; they get the better of it "
            "and the other regimes"
        ),
    )
    user_share: float = Field(
        1.0, gt=0, le=1, description="share of those users' purchases the regime covers (the rest: other regimes)"
    )

    @model_validator(mode="after")
    def _not_infinite(self) -> ExportControlSpec:
        if self.coverage >= 1 and (self.approval_share <= 0 or self.licence == "ban"):
            raise ValueError(
                "a ban on a whole sector (coverage 1, approval_share 0) is an infinite "
                "trade cost; give coverage < 1 or approval_share > 0"
            )
        scoped = not selects_all(self.users)
        if scoped and self.licence == "ban":
            raise ValueError(
                f"users = {selector_text(self.users)!r}: a licence for named users grants supply; it cannot be a ban"
            )
        if not self.product and scoped:
            raise ValueError(
                f"users = {selector_text(self.users)!r}: a licence for named users needs a registry "
                "'product' (the critical input whose users they are)"
            )
        return self

    def to_instrument(self):
        """The regime once its review is over, as an :class:`detente.instruments.ExportLicence`."""
        from detente.instruments import ExportLicence

        refused = 1.0 if self.licence == "ban" else 1.0 - self.approval_share
        reach: dict = (
            {"product": self.product} if self.product else {"coverage": {selector_text(self.sectors): self.coverage}}
        )
        return ExportLicence(
            self.exporter,
            self.importers,
            refused,
            licence=self.licence,
            review_days=self.review_days,
            users=self.users,
            user_share=self.user_share,
            **reach,
        )


class ExportTaxSpec(_Strict):
    """An export tax of ``exporter`` on its sales to ``importers`` in ``sectors``, in
    percentage points of the producer price; the revenue is the exporter's (docs/model.md,
    section 5). Export taxes in force on the same flow add up."""

    exporter: Labels
    importers: Labels = "all"
    sectors: Labels
    rate_pp: float = Field(gt=0, le=1000, description="percentage points (> 0)")

    def to_instrument(self):
        """This export tax as an :class:`detente.instruments.ExportTax`."""
        from detente.instruments import ExportTax

        return ExportTax(self.exporter, self.importers, self.sectors, self.rate_pp)


class IcebergSpec(_Strict):
    """A non-tariff trade cost: the trade cost is multiplied by ``factor`` (> 0)."""

    importer: Labels
    exporter: Labels
    sectors: Labels
    factor: float = Field(gt=0, le=100)

    def to_instrument(self):
        """This trade cost as a :class:`detente.instruments.TradeCost`."""
        from detente.instruments import TradeCost

        return TradeCost(self.importer, self.exporter, self.sectors, self.factor)


class NoticeSpec(_Strict):
    """An event kept on the timeline for the record only (visas, entity listings, talks)."""

    instrument: str = "other"
    actor: str = ""
    target: str = ""
    text: str = ""


class Event(_Strict):
    """A dated event: exactly one of the kind keys ``tariff``, ``exemption``,
    ``export_control``, ``iceberg``, ``notice``. In force on dates ``date <= d < until``."""

    id: str | None = None
    date: Date
    until: Date | None = Field(None, description="first date on which the event no longer applies")
    source: str = ""
    note: str = ""
    tariff: TariffSpec | None = None
    exemption: ExemptionSpec | None = None
    export_control: ExportControlSpec | None = None
    export_tax: ExportTaxSpec | None = None
    iceberg: IcebergSpec | None = None
    notice: NoticeSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Event:
        kinds = [k for k in EVENT_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(
                f"an event needs exactly one of {', '.join(EVENT_KINDS)}; got {', '.join(kinds) if kinds else 'none'}"
            )
        if self.until is not None and self.until <= self.date:
            raise ValueError(f"until ({self.until}) must be after date ({self.date})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in EVENT_KINDS if getattr(self, k) is not None)

    @property
    def spec(self) -> Any:
        return getattr(self, self.kind)

    def label(self, index: int) -> str:
        return self.id or f"events[{index}]"


# ------------------------------------------------------------------------- scenario
def _check_composition(table: Mapping[str, Override], where: Mapping[str, str]) -> None:
    """Refuse compose cycles, chains deeper than MAX_COMPOSE_DEPTH and variants whose
    composition applies more than MAX_APPLICATIONS overrides (iteratively: no recursion).
    ``where`` gives each name's field path (``overrides.lapse``) for the message."""
    depth: dict[str, int] = {}
    size: dict[str, int] = {}
    for root in table:
        if root in depth:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        path: list[str] = []
        while stack:
            name, done = stack.pop()
            subs = table[name].compose
            if done:
                path.pop()
                depth[name] = 1 + max((depth[c] for c in subs), default=0)
                size[name] = 1 + sum(size[c] for c in subs)
                if depth[name] > MAX_COMPOSE_DEPTH:
                    raise ValueError(
                        f"{where[name]} composes overrides {depth[name]} levels deep; the limit is {MAX_COMPOSE_DEPTH}"
                    )
                if size[name] > MAX_APPLICATIONS:
                    raise ValueError(
                        f"{where[name]} applies {size[name]:,} overrides once its compose lists are "
                        f"expanded; the limit is {MAX_APPLICATIONS:,}"
                    )
                continue
            if name in depth:
                continue
            if name in path:
                cycle = path[path.index(name) :] + [name]
                raise ValueError(
                    f"{where[name]} composes itself ({' -> '.join(cycle[:8])}{' -> ...' if len(cycle) > 8 else ''})"
                )
            path.append(name)
            if len(path) > MAX_COMPOSE_DEPTH:
                raise ValueError(
                    f"{where[root]} composes overrides more than {MAX_COMPOSE_DEPTH} levels deep "
                    f"({' -> '.join(path[:4])} -> ...); the limit is {MAX_COMPOSE_DEPTH}"
                )
            stack.append((name, True))
            stack.extend((c, False) for c in reversed(subs) if c not in depth)


def count_steps(start: dt.date, end: dt.date, step: str) -> int:
    """The number of step dates from ``start`` to ``end`` (inclusive), without building them."""
    if end < start:
        return 0
    if step == "day":
        return (end - start).days + 1
    if step == "week":
        return (end - start).days // 7 + 1
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day >= min(start.day, 28) or months == 0 else 0)


class Period(_Strict):
    """The replayed dates: ``start`` to ``end`` (inclusive) every ``step``, plus change dates."""

    start: Date
    end: Date
    step: Literal["day", "week", "month"] = "week"
    later_events: Literal["refuse", "keep"] = Field(
        "refuse",
        description="events dated after `end`: 'refuse' them (they would never apply), or "
        "'keep' them on the timeline for the record (announced actions beyond the replayed window)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        n = count_steps(self.start, self.end, self.step)
        if n > MAX_STEPS:
            raise ValueError(
                f"the period {self.start} to {self.end} by {self.step} has {n:,} steps; the limit "
                f"is {MAX_STEPS:,} (use a longer step or a shorter period)"
            )
        return self


class Settings(_Strict):
    deficits: Literal["baseline", "zero"] = "baseline"
    closure: Literal["fixed-deficits", "fixed-ratios", "balanced"] = Field(
        default="fixed-deficits",
        description="how trade deficits adjust: fixed in levels, expenditure/output "
        "ratios fixed, or balanced trade (deficits purged first; welfare relative to the purged world)",
    )
    elasticities: str | None = Field(
        default=None,
        description="trade-elasticity set (`detente elasticities`), "
        "'world' for the world file's own; default: 'default' where "
        "the registry maps the world's sectors, else the world's own",
    )
    horizon: str = Field(default="1y", description="horizon of the trade elasticities: 1y, 3y, long or years")
    adjustment: Literal["fixed", "path"] = Field(
        default="fixed",
        description="'fixed': every date at `horizon`; 'path': trade responds with the "
        "elasticity of the time elapsed since each policy change (docs/elasticities.md)",
    )
    elasticity_overrides: dict[str, float] = Field(default_factory=dict, description="sector: theta (> 0)")

    @field_validator("elasticity_overrides")
    @classmethod
    def _in_range(cls, value: dict[str, float]) -> dict[str, float]:
        from detente.equilibrium._solve import THETA_RANGE

        lo, hi = THETA_RANGE
        bad = {k: v for k, v in value.items() if not lo <= v <= hi}
        if bad:
            raise ValueError(
                f"trade elasticities must lie in [{lo:g}, {hi:g}] (the solver's range; published "
                f"estimates lie in about 0.1-70), got {bad}"
            )
        return value

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        return _horizon_text(value)


class BaselineTariff(_Strict):
    """A baseline tariff level for some cells: the total applied rate in percent.

    The selected cells' baseline tariff becomes ``coverage * rate_pct + (1 - coverage) *``
    the world's rate (``coverage`` 1: the world's rate is replaced).
    """

    importer: Labels = Field(description="importing country label(s), comma list or 'all'")
    exporter: Labels = Field(description="exporting country label(s), comma list or 'all'")
    sectors: Labels = Field("goods", description="sector label(s), 'goods', 'services' or 'all'")
    rate_pct: float = Field(ge=0, le=1000, description="total applied tariff, percent (>= 0)")
    coverage: float = Field(1.0, ge=0, le=1, description="share of the sector's trade at rate_pct")


class Baseline(_Strict):
    """Re-base the world before the timeline starts: new baseline tariffs for some cells.

    The world's equilibrium is solved at these tariffs and becomes the baseline of the
    replay (welfare is then measured against the re-based world), and the layers stack
    on the re-based tariffs. Entries apply in file order (a later one wins).
    """

    tariffs: list[BaselineTariff] = Field(min_length=1)
    source: str = ""
    horizon: str = Field(
        "long",
        description="horizon of the elasticities used to re-base: the "
        "world's year is years after the baseline's, so trade had time to adjust",
    )

    @field_validator("horizon")
    @classmethod
    def _horizon(cls, value: str) -> str:
        return _horizon_text(value)

    note: str = ""


class Override(_Strict):
    """Changes to the event list: remove by id, add, replace by id (applied in that order)."""

    description: str = ""
    compose: list[str] = Field(default_factory=list, description="other overrides or variants applied first")
    remove_events: list[str] = Field(default_factory=list)
    add_events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)
    replace_events: dict[str, Event] = Field(default_factory=dict, max_length=MAX_EVENTS)


class Scenario(_Strict):
    """A validated scenario: world, period, settings, layers, events and variants."""

    name: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    world: str = "default"
    period: Period
    settings: Settings = Settings()
    baseline: Baseline | None = Field(None, description="re-base the world's tariffs before the timeline")
    layers: dict[str, str] = Field(default_factory=dict, description="declared layer names: description")
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)
    overrides: dict[str, Override] = Field(
        default_factory=dict, max_length=MAX_OVERRIDES, description="named overrides variants can compose"
    )
    variants: dict[str, Override] = Field(default_factory=dict, max_length=MAX_OVERRIDES)
    variant: str | None = Field(None, description="set when a variant has been applied")

    _path: str = PrivateAttr(default="<scenario>")
    _lines: dict[tuple, int] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        counts = Counter(e.id for e in self.events if e.id)
        dup = sorted(i for i, n in counts.items() if n > 1)
        if dup:
            raise ValueError(f"duplicate event ids {dup[:10]}{' ...' if len(dup) > 10 else ''}")
        ids = set(counts)
        known = set(self.overrides) | set(self.variants)
        for vname, v in list(self.variants.items()) + list(self.overrides.items()):
            missing = [c for c in v.compose if c not in known]
            if missing:
                raise ValueError(f"{vname!r} composes unknown overrides {missing} (known: {sorted(known)[:20]})")
            unknown = [i for i in list(v.remove_events) + list(v.replace_events) if i not in ids]
            if unknown:
                raise ValueError(f"{vname!r} refers to unknown event ids {unknown[:10]}")
        _check_composition(
            {**self.overrides, **self.variants},
            {**{n: f"overrides.{n}" for n in self.overrides}, **{n: f"variants.{n}" for n in self.variants}},
        )
        if self.layers:
            used = {e.spec.layer for e in self.events if e.kind in ("tariff", "exemption")}
            undeclared = sorted(used - set(self.layers))
            if undeclared:
                raise ValueError(
                    f"layers {undeclared} are used but not declared under 'layers' (declared: {sorted(self.layers)})"
                )
        if self.period.later_events == "refuse":
            late = [(where, e) for where, e in self.all_events() if e.kind != "notice" and e.date > self.period.end]
            if late:
                where, e = late[0]
                more = f" (and {len(late) - 1} more)" if len(late) > 1 else ""
                raise ValueError(
                    f"{where} ({e.kind}, id {e.id or 'none'}) is dated {e.date}, after the period's end "
                    f"({self.period.end}): it would never apply{more}; move it into the period, "
                    "extend period.end, or set period.later_events: keep to keep it for the record"
                )
        return self

    def all_events(self) -> list[tuple[str, Event]]:
        """Every event of the file with its field path: the timeline's, then each override's."""
        out = [(f"events[{k}]", e) for k, e in enumerate(self.events)]
        for section in ("overrides", "variants"):
            for vname, v in getattr(self, section).items():
                out += [(f"{section}.{vname}.add_events[{k}]", e) for k, e in enumerate(v.add_events)]
                out += [(f"{section}.{vname}.replace_events.{i}", e) for i, e in v.replace_events.items()]
        return out

    @property
    def path(self) -> str:
        return self._path

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """The YAML line of a field path such as ``("events", 3, "tariff")`` (best match)."""
        loc = tuple(loc)
        while loc:
            if loc in self._lines:
                return self._lines[loc]
            loc = loc[:-1]
        return None


# ------------------------------------------------------------------------- loading
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """Safe loader that leaves dates as text, so pydantic reports bad ones (2025-13-04)."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:timestamp"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
# numbers with an exponent (1e-06, 1.0e9) are floats, as in YAML 1.2 (YAML 1.1 reads them as
# text, which the strict models would refuse)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)

#: limits on a scenario document, checked on the composed nodes before anything is built
MAX_NODES = 2_000_000  # nodes after expanding aliases (an alias bomb expands exponentially)
MAX_DEPTH = 64  # nesting depth


def _check_document(node: yaml.Node, path: str) -> None:
    """Refuse alias bombs, deep nesting and duplicate keys, naming the line.

    The expanded size (every alias counted as a copy of what it points to) is computed
    on the node graph without expanding it, so a 500-byte alias bomb is refused in
    microseconds instead of building gigabytes.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(node, 1, False)]
    on_path: set[int] = set()
    while stack:
        n, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise ScenarioError(f"{path}, line {n.start_mark.line + 1}: nesting deeper than {MAX_DEPTH} levels")
        children = (
            [c for kv in n.value for c in kv]
            if isinstance(n, yaml.MappingNode)
            else list(n.value)
            if isinstance(n, yaml.SequenceNode)
            else []
        )
        if done:
            on_path.discard(id(n))
            size[id(n)] = 1 + sum(size[id(c)] for c in children)
            if size[id(n)] > MAX_NODES:
                raise ScenarioError(
                    f"{path}, line {n.start_mark.line + 1}: the document expands to more than "
                    f"{MAX_NODES:,} nodes through its aliases (&anchor / *alias); write it out"
                )
            continue
        if id(n) in size:
            continue
        if id(n) in on_path:
            raise ScenarioError(f"{path}, line {n.start_mark.line + 1}: a recursive alias")
        if isinstance(n, yaml.MappingNode):
            seen: dict = {}
            for k, _ in n.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else id(k)
                if key in seen:
                    raise ScenarioError(
                        f"{path}, line {k.start_mark.line + 1}: duplicate key {key!r} (also on "
                        f"line {seen[key]}); each key may appear once"
                    )
                seen[key] = k.start_mark.line + 1
        on_path.add(id(n))
        stack.append((n, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in size)


def _line_map(node: yaml.Node) -> dict[tuple, int]:
    """Map every field path of a composed YAML document to its 1-based line (no recursion)."""
    out: dict[tuple, int] = {}
    stack: list[tuple[yaml.Node, tuple]] = [(node, ())]
    while stack:
        n, prefix = stack.pop()
        out.setdefault(prefix, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = k.value
                out[prefix + (key,)] = k.start_mark.line + 1
                stack.append((v, prefix + (key,)))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((v, prefix + (i,)) for i, v in enumerate(n.value))
    return out


def format_loc(loc: Sequence[Any]) -> str:
    """``("events", 3, "tariff", "rate_pp")`` -> ``events[3].tariff.rate_pp``."""
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


_PATH_IN_MESSAGE = re.compile(r"^'?((?:events|overrides|variants)(?:\[\d+\]|\.[^\s.\[\]']+)*)")


def _describe_error(err: Mapping[str, Any], path: str, lines: Mapping[tuple, int]) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    probe, line = loc, None
    while probe and line is None:
        line = lines.get(probe)
        probe = probe[:-1]
    where = f"{path}, line {line}" if line else path
    value = err.get("input")
    msg = err["msg"].removeprefix("Value error, ")
    if not loc and err["type"] == "value_error":  # a check across fields: the message names the field
        first = _PATH_IN_MESSAGE.match(msg)
        if first:
            probe = tuple(int(i) if i else key for i, key in re.findall(r"\[(\d+)\]|([^.\[\]]+)", first.group(1)))
            while probe and (line := lines.get(probe)) is None:
                probe = probe[:-1]
            where = f"{path}, line {line}" if probe and line else path
        return f"{where}: {msg}"
    if err["type"] == "extra_forbidden":
        return f"{where}: {format_loc(loc)}: unknown key {loc[-1]!r} (not allowed here; check the spelling)"
    if err["type"] == "missing":
        return f"{where}: {format_loc(loc)}: required field is missing"
    shown = (
        repr(value)
        if not isinstance(value, dict | list)
        else ("a mapping" if isinstance(value, dict) else repr(value) if len(repr(value)) <= 60 else "a list")
    )
    return f"{where}: {format_loc(loc)} = {shown}: {msg}"


def _count_events(data: Mapping[str, Any], path: str) -> None:
    """Refuse event lists over :data:`MAX_EVENTS` before pydantic builds a model of each."""
    lists = [("events", data.get("events"))]
    for section in ("overrides", "variants"):
        table = data.get(section)
        if isinstance(table, dict):
            if len(table) > MAX_OVERRIDES:
                raise ScenarioError(f"{path}: {section} has {len(table):,} entries; the limit is {MAX_OVERRIDES:,}")
            for name, ov in table.items():
                if isinstance(ov, dict):
                    lists += [(f"{section}.{name}.{k}", ov.get(k)) for k in ("add_events", "replace_events")]
    for where, items in lists:
        if isinstance(items, list | dict) and len(items) > MAX_EVENTS:
            raise ScenarioError(
                f"{path}: {where} has {len(items):,} events; the limit is {MAX_EVENTS:,} (split the scenario)"
            )


def parse_scenario(text: str, path: str = "<scenario>", *, later_events: str | None = None) -> Scenario:
    """Validate scenario ``text`` (YAML); raise :class:`ScenarioError` listing every problem.

    ``later_events`` ("refuse" or "keep") is the default of ``period.later_events`` when
    the file does not set it (default "refuse"; world-2025 sets "keep" for its announced
    2027 steps). The limits of this module are checked
    before any model is built: text size, YAML expansion and depth, number of events and
    overrides.
    """
    if len(text) > MAX_TEXT_BYTES:
        raise ScenarioError(f"{path}: the scenario text has {len(text):,} characters; the limit is {MAX_TEXT_BYTES:,}")
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                _check_document(node, path)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark else path
        raise ScenarioError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{path}: a scenario file must be a YAML mapping with keys name, period, "
            f"events, ...; got {type(data).__name__}"
        )
    _count_events(data, path)
    if later_events is not None and isinstance(data.get("period"), dict):
        data["period"] = {"later_events": later_events, **data["period"]}
    lines = _line_map(node) if node is not None else {}
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        msgs = [_describe_error(e, path, lines) for e in exc.errors()]
        raise ScenarioError(f"{len(msgs)} problem(s) in scenario {path}:\n  " + "\n  ".join(msgs)) from None
    sc._path, sc._lines = path, lines
    return sc


def shipped_scenarios() -> dict[str, Path]:
    """Scenario files shipped in the package, by name (file stem)."""
    root = resources.files("detente") / "scenarios"
    if not root.is_dir():
        return {}
    return {Path(p.name).stem: Path(str(p)) for p in root.iterdir() if p.name.endswith((".yaml", ".yml"))}


def read_scenario_text(p: Path) -> str:
    """The text of scenario file ``p``: at most :data:`MAX_TEXT_BYTES`, UTF-8, else a ScenarioError."""
    try:
        size = p.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise ScenarioError(f"scenario file {str(p)!r} has {size:,} bytes; the limit is {MAX_TEXT_BYTES:,}")
        with p.open("rb") as fh:
            raw = fh.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(f"scenario file {str(p)!r} cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_TEXT_BYTES:
        raise ScenarioError(f"scenario file {str(p)!r} is larger than {MAX_TEXT_BYTES:,} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{p}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start}); save the file as UTF-8"
        ) from None


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file, or a shipped scenario by name (``us-china-2025``)."""
    p = Path(path).expanduser()
    if not p.is_file():
        shipped = shipped_scenarios()
        if str(path) in shipped:
            p = shipped[str(path)]
        else:
            raise ScenarioError(
                f"scenario file {str(path)!r} does not exist (shipped scenarios: "
                f"{', '.join(sorted(shipped)) or 'none'})"
            )
    return parse_scenario(read_scenario_text(p), str(p))


def scenario_json_schema() -> dict[str, Any]:
    """The JSON schema of a scenario file (for editors and documentation)."""
    schema = Scenario.model_json_schema()
    schema["properties"].pop("variant", None)
    schema["title"] = "detente scenario"
    return schema


# ------------------------------------------------------------------------- label checks
def _shown(sel: Labels) -> str:
    return repr(sel if isinstance(sel, str) else list(sel))


def _labels_of(sel: Labels) -> list[str]:
    items = sel.split(",") if isinstance(sel, str) else sel
    return [s.strip() for s in items if s.strip()]


def check_labels(scenario: Scenario, world: Any) -> None:
    """Check every country and sector label (baseline, events, variants, settings) against ``world``.

    Raises :class:`ScenarioError` naming the file, line, field path and value of each
    unknown label, with the labels the world knows.
    """
    countries, sectors = set(world.countries), set(world.sectors)
    sector_groups = {"all", "*", "goods", "services"}
    problems: list[str] = []

    def report(loc: tuple, value: str, what: str, known: Sequence[str]) -> None:
        import difflib

        close = difflib.get_close_matches(value, list(known), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        line = scenario.line_of(loc)
        where = f"{scenario.path}, line {line}" if line else scenario.path
        problems.append(
            f"{where}: {format_loc(loc)} = {value!r}: unknown {what} in world "
            f"{world.meta.name!r}{hint} (known: {', '.join(known)})"
        )

    def known(label: str, what: str) -> bool:
        """A compact world's region or sector group whose members the world has."""
        from detente.world._aliases import label_members

        return hasattr(world, "countries") and label_members(world, label, what) is not None

    def check_event(ev: Event, loc: tuple) -> None:
        spec = ev.spec
        for field in ("importer", "exporter", "importers"):
            if hasattr(spec, field):
                for lab in _labels_of(getattr(spec, field)):
                    if lab.lower() not in {"all", "*"} and lab not in countries and not known(lab, "country"):
                        report(loc + (ev.kind, field), lab, "country", world.countries)
        if hasattr(spec, "sectors"):
            for lab in _labels_of(spec.sectors):
                if lab.lower() not in sector_groups and lab not in sectors and not known(lab, "sector"):
                    report(loc + (ev.kind, "sectors"), lab, "sector", world.sectors)
        if hasattr(spec, "exporter"):
            own_goods(
                loc + (ev.kind,),
                spec.importers if hasattr(spec, "importers") else spec.importer,
                spec.exporter,
                "importers" if hasattr(spec, "importers") else "importer",
            )

    def own_goods(loc: tuple, importer: Labels, exporter: Labels, field: str) -> None:
        """Every selected pair domestic: a tariff (or control) on a country's own goods does nothing."""
        from detente.policy._timeline import _sel

        try:
            imp = set(_sel(world, importer, "country", "")) if hasattr(world, "countries") else set()
            exp = set(_sel(world, exporter, "country", ""))
        except DetenteError:
            return  # unknown labels are reported above
        if imp and imp == exp and len(imp) == 1:
            line = scenario.line_of(loc + (field,))
            where = f"{scenario.path}, line {line}" if line else scenario.path
            problems.append(
                f"{where}: {format_loc(loc + ('exporter',))} = {_shown(exporter)}: the {field} and "
                f"the exporter are the same country, {world.countries[min(imp)]}; a country's "
                "own sales are never taxed or controlled, so this would do nothing"
            )

    for k, ev in enumerate(scenario.events):
        check_event(ev, ("events", k))
    for section in ("overrides", "variants"):
        for vname, v in getattr(scenario, section).items():
            for k, ev in enumerate(v.add_events):
                check_event(ev, (section, vname, "add_events", k))
            for eid, ev in v.replace_events.items():
                check_event(ev, (section, vname, "replace_events", eid))
    if scenario.baseline is not None:
        for k, bt in enumerate(scenario.baseline.tariffs):
            loc = ("baseline", "tariffs", k)
            for field in ("importer", "exporter"):
                for lab in _labels_of(getattr(bt, field)):
                    if lab.lower() not in {"all", "*"} and lab not in countries and not known(lab, "country"):
                        report(loc + (field,), lab, "country", world.countries)
            for lab in _labels_of(bt.sectors):
                if lab.lower() not in sector_groups and lab not in sectors and not known(lab, "sector"):
                    report(loc + ("sectors",), lab, "sector", world.sectors)
            own_goods(loc, bt.importer, bt.exporter, "importer")
    for sec in scenario.settings.elasticity_overrides:
        if sec not in sectors:
            report(("settings", "elasticity_overrides", sec), sec, "sector", world.sectors)
    if problems:
        raise ScenarioError(
            f"{len(problems)} unknown label(s) in scenario {scenario.path}:\n  " + "\n  ".join(problems)
        )
