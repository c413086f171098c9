"""The sweep file: a strict pydantic model of a YAML document (docs/sweeps.md).

Every section forbids unknown keys, so a misspelt field is an error, and every error
names the field by its dotted path (``draws.n``, ``grid.tariffs.0.values``), the value
and what was expected (:class:`SweepError`).
"""

from __future__ import annotations

import os
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
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from detente.errors import DetenteError

#: relative standard deviation used for an elasticity without a published standard error
DEFAULT_RELATIVE_SD = 0.25
HEADLINES = ("welfare_pct", "real_wage_pct", "cpi_pct", "wage_pct", "imports_pct", "exports_pct")


class SweepError(DetenteError, ValueError):
    """A sweep file or sweep run is malformed; the message names the field and value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_tariff(text: str) -> str:
    from detente.equilibrium import parse_tariff

    parse_tariff(text)  # raises ShockError with the expected syntax
    return text


def _check_target(text: str) -> str:
    """``IMPORTER<-EXPORTER:SECTORS`` (a tariff change without its rate)."""
    _check_tariff(f"{text}:+0")
    return text


def _check_set(name: str) -> str:
    from detente.world.elasticities import list_sets

    known = list_sets()
    if name not in known and name != "world":
        raise ValueError(f"unknown elasticity set {name!r}; choose one of {', '.join(known)} or 'world'")
    return name


def _check_horizon(value: Any) -> str:
    from detente.world._theta import normalise_horizon

    return normalise_horizon(str(value))  # DataError (a ValueError) names the value


TariffText = Annotated[str, AfterValidator(_check_tariff)]
SetName = Annotated[str, AfterValidator(_check_set)]
Horizon = Annotated[str, BeforeValidator(_check_horizon)]


class WhatIf(_Strict):
    """A what-if: tariff changes on the baseline (``preset`` and/or ``tariffs``)."""

    preset: str | None = None
    tariffs: list[TariffText] = Field(default_factory=list)
    closure: Literal["fixed-deficits", "fixed-ratios", "balanced"] = "fixed-deficits"

    @field_validator("preset")
    @classmethod
    def _preset(cls, v: str | None) -> str | None:
        if v is not None:
            from detente.presets import PRESETS

            if v not in PRESETS:
                raise ValueError(f"unknown preset {v!r}; known: {', '.join(PRESETS)}")
        return v

    def changes(self) -> list[str]:
        out: list[str] = []
        if self.preset:
            from detente.presets import get_preset

            out.extend(get_preset(self.preset).tariffs)
        return out + list(self.tariffs)


class Replay(_Strict):
    """A scenario replay (a shipped scenario name or a file path)."""

    scenario: str
    variant: str | None = None
    closure: Literal["fixed-deficits", "fixed-ratios", "balanced"] | None = None
    #: the dates reported: "last" (the scenario's last date), "all", or ISO dates
    dates: Literal["last", "all"] | list[str] = "last"
    #: "static": the equilibrium replay; "shortage": the weekly shortage model of the
    #: scenario's critical-input licences (headline ``va_lost_pct_gdp``: value added lost
    #: over the run, % of annual GDP; inventory axes apply)
    model: Literal["static", "shortage"] = "static"


class TariffAxis(_Strict):
    """One tariff axis of the grid: ``target`` (``USA<-CHN:goods``) at each rate in ``values`` (pp)."""

    target: str
    op: Literal["add", "set"] = "add"
    values: list[float] = Field(min_length=1)

    _t = field_validator("target")(classmethod(lambda cls, v: _check_target(v)))


class TariffDraw(_Strict):
    """A tariff drawn uniformly: ``target`` at a rate in [``low``, ``high``] pp."""

    target: str
    op: Literal["add", "set"] = "add"
    low: float
    high: float

    _t = field_validator("target")(classmethod(lambda cls, v: _check_target(v)))

    @model_validator(mode="after")
    def _order(self) -> TariffDraw:
        if not self.high >= self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class Grid(_Strict):
    """Axes whose Cartesian product is swept (each combination once per draw).

    ``approval_shares`` (replays): each value sets the approval share of every export
    licence in the scenario that is not a ban (the share of controlled trade licensed once
    approvals start), read by the static model's licence and critical-input readings."""

    tariffs: list[TariffAxis] = Field(default_factory=list)
    elasticities: list[SetName] = Field(default_factory=lambda: ["default"], min_length=1)
    horizons: list[Horizon] = Field(default_factory=lambda: ["1y"], min_length=1)
    approval_shares: list[Annotated[float, Field(ge=0, le=1)]] = Field(default_factory=list)
    #: shortage replays: every user's inventory cover times each factor
    inventory_scales: list[Annotated[float, Field(gt=0, le=20)]] = Field(default_factory=list)


class HorizonDraw(_Strict):
    """A horizon drawn uniformly in [``low``, ``high``] years."""

    low: float = Field(gt=0, le=50)
    high: float = Field(gt=0, le=50)

    @model_validator(mode="after")
    def _order(self) -> HorizonDraw:
        if not self.high >= self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class ApprovalDraw(_Strict):
    """An approval share drawn uniformly in [``low``, ``high``] (replays; as ``grid.approval_shares``)."""

    low: float = Field(ge=0, le=1)
    high: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _order(self) -> ApprovalDraw:
        if not self.high >= self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class InventoryDraw(_Strict):
    """An inventory-cover factor drawn log-uniformly in [``low``, ``high``] (shortage replays)."""

    low: float = Field(gt=0, le=20)
    high: float = Field(gt=0, le=20)

    @model_validator(mode="after")
    def _order(self) -> InventoryDraw:
        if not self.high >= self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self


class Draws(_Strict):
    """Random draws: ``n`` per grid point and seed, from ``seed`` (or each of ``seeds``)."""

    n: int = Field(default=0, ge=0, le=1_000_000)
    seed: int = Field(default=0, ge=0)
    seeds: list[int] | None = Field(default=None, min_length=1)
    elasticities: bool = True
    #: relative s.d. of theta where the registry has no standard error (docs/sweeps.md)
    relative_sd: float = Field(default=DEFAULT_RELATIVE_SD, gt=0, le=2)
    tariffs: list[TariffDraw] = Field(default_factory=list)
    horizon: HorizonDraw | None = None
    approval: ApprovalDraw | None = None
    inventory: InventoryDraw | None = None

    @property
    def seed_list(self) -> list[int]:
        return list(self.seeds) if self.seeds else [self.seed]


_Headline = Literal[
    "welfare_pct", "real_wage_pct", "cpi_pct", "wage_pct", "imports_pct", "exports_pct", "va_lost_pct_gdp"
]


def _default_headlines() -> list[_Headline]:
    return ["welfare_pct", "real_wage_pct", "cpi_pct"]


class Outputs(_Strict):
    headlines: list[_Headline] = Field(default_factory=_default_headlines, min_length=1)
    countries: list[str] | None = None
    #: central coverage of the uncertainty bands, e.g. 0.9 for the 5th-95th percentiles
    coverage: float = Field(default=0.9, gt=0, lt=1)


class Sweep(_Strict):
    """A sweep file (docs/sweeps.md)."""

    name: str = Field(min_length=1)
    description: str = ""
    world: str = "default"
    whatif: WhatIf | None = None
    replay: Replay | None = None
    grid: Grid = Field(default_factory=Grid)
    draws: Draws = Field(default_factory=Draws)
    outputs: Outputs = Field(default_factory=Outputs)
    chunk_size: int = Field(default=8, ge=1, le=10_000)
    tol: float = Field(default=1e-12, gt=0, lt=1e-3)
    max_iter: int = Field(default=3000, ge=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Sweep:
        if (self.whatif is None) == (self.replay is None):
            raise ValueError("give exactly one of 'whatif' and 'replay'")
        if self.replay is not None and self.grid.tariffs:
            raise ValueError("grid.tariffs applies to what-ifs only (a replay's tariffs come from its scenario)")
        if self.replay is not None and self.draws.tariffs:
            raise ValueError("draws.tariffs applies to what-ifs only")
        if self.whatif is not None and (self.grid.approval_shares or self.draws.approval is not None):
            raise ValueError(
                "grid.approval_shares and draws.approval apply to replays only (a what-if has no licences)"
            )
        shortage = self.replay is not None and self.replay.model == "shortage"
        if (self.grid.inventory_scales or self.draws.inventory is not None) and not shortage:
            raise ValueError(
                "grid.inventory_scales and draws.inventory apply to shortage replays only "
                "(replay.model: shortage; the static model has no inventories)"
            )
        if shortage and list(self.outputs.headlines) != ["va_lost_pct_gdp"]:
            raise ValueError(
                "a shortage replay reports outputs.headlines: [va_lost_pct_gdp] (value added lost "
                "over the run, % of GDP)"
            )
        if not shortage and "va_lost_pct_gdp" in self.outputs.headlines:
            raise ValueError("va_lost_pct_gdp is the shortage model's headline (replay.model: shortage)")
        return self

    @property
    def kind(self) -> str:
        return "whatif" if self.whatif is not None else "replay"


def _describe(err: ErrorDetails) -> str:
    loc = ".".join(str(x) for x in err.get("loc", ())) or "(top level)"
    msg = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        msg = "unknown field (not allowed here)"
    value = err.get("input")
    shown = "" if isinstance(value, dict) or err.get("type") == "missing" else f" (got {value!r})"
    return f"field '{loc}': {msg}{shown}"


def parse_sweep(text: str | dict, source: str = "<sweep>") -> Sweep:
    """Validate a sweep document (YAML text or a mapping); :class:`SweepError` names each bad field."""
    if isinstance(text, dict):
        data = text
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SweepError(f"sweep file {source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SweepError(
            f"sweep file {source}: expected a mapping of fields (name, whatif/replay, grid, "
            f"draws, ...), got {type(data).__name__}"
        )
    try:
        return Sweep.model_validate(data)
    except ValidationError as exc:
        msgs = [_describe(e) for e in exc.errors()]
        raise SweepError(f"{len(msgs)} problem(s) in sweep file {source}:\n  " + "\n  ".join(msgs)) from None


def shipped_sweeps() -> dict[str, Path]:
    """Example sweep files shipped in the package (``detente/data/sweeps/*.sweep.yaml``), by
    name (the file stem without ``.sweep``)."""
    root = resources.files("detente") / "data" / "sweeps"
    if not root.is_dir():
        return {}
    out = {}
    for p in root.iterdir():
        if p.name.endswith((".yaml", ".yml")):
            name = Path(p.name).stem
            out[name[: -len(".sweep")] if name.endswith(".sweep") else name] = Path(str(p))
    return out


def load_sweep(path: str | os.PathLike | Sweep) -> Sweep:
    """Read and validate a sweep file, or a shipped example by name (``geneva-elasticity-bands``)."""
    if isinstance(path, Sweep):
        return path
    p = Path(path).expanduser()
    if not p.is_file():
        shipped = shipped_sweeps()
        if str(path) not in shipped:
            raise SweepError(
                f"sweep file {str(path)!r} does not exist (shipped examples: {', '.join(sorted(shipped)) or 'none'})"
            )
        p = shipped[str(path)]
    return parse_sweep(p.read_text(encoding="utf-8"), str(p))
