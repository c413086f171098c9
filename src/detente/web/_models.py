"""Request and response models of the HTTP API (pydantic, strict: unknown keys are rejected).

Scenario text is validated by the scenario file's own models
(:func:`detente.policy.parse_scenario`); export controls in a what-if use the scenario
file's :class:`~detente.policy._schema.ExportControlSpec`, so an API request and a
scenario file mean the same thing. World names come from a fixed list
(:func:`detente.world.available_worlds`): a request can never name a file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from detente._defaults import DEFAULT_PAIR
from detente.policy._schema import SELECTOR_PATTERN, ExportControlSpec, IcebergSpec, _selector
from detente.world import available_worlds

#: world names a request may use (never a path)
WORLD_NAMES: tuple[str, ...] = tuple(available_worlds())
WorldName = Literal[WORLD_NAMES]  # type: ignore[valid-type]

Label = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"\S")]


#: a label, a comma list ("USA,MEX"), a list, "all"; sectors also "goods" / "services";
#: never empty (no empty text, list or item: an empty selector would change nothing)
def _bounded(value: str | list[str]) -> str | list[str]:
    if isinstance(value, str) and len(value) > 2000:
        raise ValueError("a selector is at most 2000 characters")
    if isinstance(value, list) and (len(value) > 200 or any(len(s) > 64 for s in value)):
        raise ValueError("a selector lists at most 200 labels of at most 64 characters")
    return value


Labels = Annotated[
    str | list[str],
    AfterValidator(_bounded),
    AfterValidator(_selector),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": SELECTOR_PATTERN},
                {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 200,
                    "items": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"},
                },
            ]
        }
    ),
]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$")]

MAX_CHANGES = 64
#: characters of scenario text in a request (files on the command line may be larger:
#: detente.policy._schema.MAX_TEXT_BYTES); the server's body limit is a little above
MAX_SCENARIO_CHARS = 200_000
ScenarioYaml = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SCENARIO_CHARS)]


class _Strict(BaseModel):
    # strict: no coercion the OpenAPI schema does not promise ("save": 1, "seed": false);
    # fixed-length pairs (JSON arrays) set strict=False on their field
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class TariffChange(_Strict):
    """A tariff change in percentage points: ``add`` to the tariff in force, or ``set`` it.

    Same meaning as ``detente whatif --tariff IMPORTER<-EXPORTER:SECTORS:+PP`` (add) or
    ``...:=PP`` (set). Domestic sales are never taxed.
    """

    importer: Labels = Field(description="importing country label(s), comma list or 'all'", examples=["USA"])
    exporter: Labels = Field(description="exporting country label(s), comma list or 'all'", examples=["CHN"])
    sectors: Labels = Field("goods", description="sector label(s), 'goods', 'services' or 'all'")
    op: Literal["add", "set"] = Field(
        "add", description="add rate_pp to the tariff in force, or set the tariff to rate_pp"
    )
    rate_pp: float = Field(ge=-1000, le=1000, description="percentage points (set: >= 0)", examples=[125])

    @model_validator(mode="after")
    def _set_not_negative(self) -> TariffChange:
        if self.op == "set" and self.rate_pp < 0:
            raise ValueError(f"op 'set' needs rate_pp >= 0 (a tariff rate), got {self.rate_pp}")
        imp, exp = (_one_label(x) for x in (self.importer, self.exporter))
        if imp is not None and imp == exp:
            raise ValueError(
                f"importer and exporter are the same country, {imp}: a country's own sales are "
                "never taxed, so this change would do nothing"
            )
        return self


def _one_label(sel: str | list[str]) -> str | None:
    """The single label a selector names, or None (several, or 'all')."""
    items = [s.strip() for s in (sel.split(",") if isinstance(sel, str) else sel) if s.strip()]
    return items[0] if len(set(items)) == 1 and items[0].lower() not in ("all", "*") else None


def _elasticity_sets() -> tuple[str, ...]:
    from detente.world.elasticities import list_sets

    return (*list_sets(), "world")


if TYPE_CHECKING:
    # the sets are found at import, so mypy cannot see the Literal; pydantic checks it at run time
    ElasticitySet = str
else:
    ElasticitySet = Literal[_elasticity_sets()]


def _horizon(value: str) -> str:
    from detente.errors import DataError
    from detente.world._theta import normalise_horizon

    try:
        normalise_horizon(value)
    except DataError as exc:
        raise ValueError(str(exc)) from None
    return value


#: 'long', or years in (0, 50] with at most three decimals and an optional 'y' (the pattern
#: is exact: what it allows, the server accepts)
HORIZON_PATTERN = (
    r"^(long|(?:0?[1-9]|[1-4][0-9])(?:\.[0-9]{1,3})?y?|50(?:\.0{1,3})?y?"
    r"|0{1,2}\.(?:[1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9])y?)$"
)
Horizon = Annotated[str, StringConstraints(pattern=HORIZON_PATTERN, max_length=8), AfterValidator(_horizon)]


class WhatIfRequest(_Strict):
    """A static what-if: tariff changes, export controls and iceberg costs on a world."""

    world: WorldName = Field("default", description="world name (GET /api/worlds)")
    title: Annotated[str, StringConstraints(max_length=200)] = "custom what-if"
    deficits: Literal["baseline", "zero"] = "baseline"
    closure: Literal["fixed-deficits", "fixed-ratios", "balanced"] = Field(
        "fixed-deficits",
        description="how deficits adjust: fixed in levels, expenditure/output ratios fixed, "
        "or balanced trade (deficits purged first)",
    )
    tariffs: list[TariffChange] = Field(default_factory=list, max_length=MAX_CHANGES)
    export_controls: list[ExportControlSpec] = Field(
        default_factory=list,
        max_length=MAX_CHANGES,
        description="licence regimes as in scenario files; the static what-if applies approval_share "
        "(the state after the review period)",
    )
    icebergs: list[IcebergSpec] = Field(
        default_factory=list, max_length=MAX_CHANGES, description="non-tariff trade-cost factors (> 0)"
    )
    countries: list[Label] | None = Field(
        None,
        min_length=1,
        max_length=200,
        json_schema_extra={"uniqueItems": True},
        description="countries to report, each once (default: main economies)",
    )
    pair: tuple[Label, Label] | None = Field(
        None,
        strict=False,
        json_schema_extra={"uniqueItems": True},
        description="bilateral pair for trade by sector, two countries (default USA, CHN)",
    )
    save: bool = Field(False, description="also save the result in the results store (if installed)")
    elasticities: ElasticitySet | None = Field(
        None,
        description="trade-elasticity set (GET /api/elasticities), 'world' for the world file's; default: 'default'",
    )
    horizon: Horizon = Field("1y", description="horizon of the elasticities: 1y, 3y, long or years")

    @field_validator("countries")
    @classmethod
    def _countries_once(cls, value: list[str] | None) -> list[str] | None:
        if value:
            seen: set[str] = set()
            dups: list[str] = []
            for c in value:
                if c in seen:
                    dups.append(c)
                seen.add(c)
            if dups:
                raise ValueError(f"{', '.join(dict.fromkeys(dups))} given more than once; name each country once")
        return value

    @field_validator("pair")
    @classmethod
    def _two_countries(cls, value: tuple[str, str] | None) -> tuple[str, str] | None:
        if value is not None and value[0] == value[1]:
            raise ValueError(f"the pair names {value[0]} twice; give two different countries")
        return value


class LeverageRequest(_Strict):
    """Leverage of two countries' instruments against each other (``detente leverage``)."""

    world: WorldName = Field("default", description="world name (GET /api/worlds)")
    players: tuple[Label, Label] = Field(
        DEFAULT_PAIR,
        strict=False,
        json_schema_extra={"uniqueItems": True},
        description="the two sides (imposer and target in turn)",
    )
    reference: Literal["baseline", "geneva-2025", "april-2025-peak"] = Field(
        "baseline", description="the state the threats are made from: the baseline or a preset"
    )
    elasticities: ElasticitySet | None = Field(None, description="trade-elasticity set (default: 'default')")
    horizon: Horizon = Field(
        "long", description="horizon of the elasticities (strategy compares permanent policies: long run by default)"
    )

    @model_validator(mode="after")
    def _two_players(self) -> LeverageRequest:
        if self.players[0] == self.players[1]:
            raise ValueError(f"players must be two different countries, got {list(self.players)}")
        return self


class ScenarioText(_Strict):
    """A scenario file's YAML text (as in scenarios/*.yaml)."""

    text: ScenarioYaml
    deep: bool = Field(False, description="also evaluate the policy on every date of every variant (slower)")


class ReplayRequest(_Strict):
    """A replay: a shipped scenario by name, or scenario YAML text (exactly one)."""

    scenario: Name | None = Field(
        None, description="shipped scenario name (GET /api/scenarios)", examples=["us-china-2025"]
    )
    text: ScenarioYaml | None = Field(None, description="scenario YAML text (edited in the dashboard)")
    variant: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="variant name, or several joined by '+'"
    )
    save: bool = Field(False, description="also save the result in the results store (if installed)")
    elasticities: ElasticitySet | None = Field(
        None, description="trade-elasticity set (GET /api/elasticities); default: the scenario's"
    )
    horizon: Horizon | None = Field(None, description="elasticity horizon; default: the scenario's")
    adjustment: Literal["fixed", "path"] | None = Field(None, description="fixed horizon or adjustment path")
    closure: Literal["fixed-deficits", "fixed-ratios", "balanced"] | None = Field(
        None, description="deficit closure; default: the scenario's"
    )
    bands: int = Field(
        0,
        ge=0,
        le=200,
        description="uncertainty bands from this many draws of the trade elasticities (0: none; else 2 to 200)",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the elasticity draws")
    level: float = Field(0.9, ge=0.5, le=0.99, description="central coverage of the bands (0.9: 5th-95th percentiles)")

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        strict=True,
        json_schema_extra={
            "oneOf": [
                {"required": ["scenario"], "properties": {"scenario": {"type": "string"}, "text": {"type": "null"}}},
                {"required": ["text"], "properties": {"text": {"type": "string"}, "scenario": {"type": "null"}}},
            ]
        },
    )

    @model_validator(mode="after")
    def _one_source(self) -> ReplayRequest:
        if (self.scenario is None) == (self.text is None):
            raise ValueError("give exactly one of 'scenario' (a shipped name) or 'text' (scenario YAML)")
        if self.bands == 1:
            raise ValueError("bands: 0 for none, or 2 to 200 draws")
        return self


# ------------------------------------------------------------------------- responses
class ErrorBody(BaseModel):
    code: str = Field(
        description="machine-readable kind: invalid_request, invalid_scenario, unknown_label, "
        "not_found, too_large, too_many_jobs, conflict, internal"
    )
    message: str = Field(description="what went wrong and what to change")
    problems: list[str] = Field(default_factory=list, description="one line per problem (field, value, expected)")


class ErrorResponse(BaseModel):
    error: ErrorBody


class ElasticitySetInfo(BaseModel):
    name: str
    label: str
    horizon: str
    citation: str


class WorldInfo(BaseModel):
    name: str
    description: str
    available: bool


class WorldDetail(BaseModel):
    name: str
    full_name: str
    vintage: str
    year: int | None
    units: str
    countries: list[str]
    sectors: list[str]
    sector_names: dict[str, str]
    goods: list[str]
    services: list[str]
    sector_groups: dict[str, list[str]] = Field(description="sector groups for the dashboard's sliders")
    main_countries: list[str]


class ScenarioInfo(BaseModel):
    name: str
    title: str
    description: str
    world: str
    period: dict[str, Any]
    variants: dict[str, str]
    n_events: int


class TimelineEvent(BaseModel):
    index: int
    id: str | None
    date: str
    until: str | None
    kind: str
    text: str
    source: str


class ScenarioDetail(ScenarioInfo):
    text: str
    events: list[TimelineEvent]


class ValidationResult(BaseModel):
    ok: bool
    name: str
    title: str
    world: str
    n_dates: int
    variants: dict[str, str]
    events: list[TimelineEvent]
    checked: list[str] = Field(description="what was checked")


class JobProgress(BaseModel):
    done: int
    total: int
    date: str | None


class JobInfo(BaseModel):
    id: str
    kind: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    title: str
    params: dict[str, Any]
    progress: JobProgress
    created_at: str
    started_at: str | None
    finished_at: str | None
    seconds: float | None
    error: str | None
    run_id: str | None = Field(None, description="id in the results store, when saved")
    links: dict[str, str]


class Capabilities(BaseModel):
    version: str
    store: bool
    shortage: bool
    strategy: bool
    limits: dict[str, Any]
