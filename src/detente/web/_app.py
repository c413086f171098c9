"""The HTTP API and the dashboard: ``create_app(settings)`` builds the FastAPI app.

Endpoints (``GET /openapi.json`` has the schema; docs/web.md the guide):

==========================================  ================================================
``GET  /api/capabilities``                  version, optional parts present, server limits
``GET  /api/worlds``, ``/api/worlds/{name}``  worlds by name; labels and sector groups of one
``GET  /api/scenarios``, ``/{name}``        shipped scenarios; one with its YAML and timeline
``POST /api/scenarios/validate``            validate scenario YAML (schema, labels, dates)
``GET  /api/schema/scenario``               JSON schema of scenario files
``POST /api/whatif``                        solve a static what-if now (JSON, CSV or Parquet)
``POST /api/replays``                       start a replay job (202; 429 when too many)
``GET  /api/jobs``, ``/api/jobs/{id}``      job table: status, progress
``POST /api/jobs/{id}/cancel``              stop a job between two dates
``GET  /api/jobs/{id}/result``              a replay's results (JSON, CSV or Parquet)
``GET  /api/runs``, ``/{id}``, ``/{id}/result``  the results store (when installed)
``POST /api/strategy/leverage``             leverage table and threat points of two countries
``GET  /``, ``/static/*``, ``/vendor/plotly.min.js``  the dashboard
==========================================  ================================================

Safety: requests name worlds and scenarios from fixed lists, never files; bodies are
limited in size; every error is JSON ``{"error": {"code", "message", "problems"}}``
with a 4xx status; an unexpected failure is logged with a reference and answered with
a 500 that carries only that reference, never a stack trace.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import importlib.util
import json
import logging
import threading
import uuid
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware

from detente.errors import ConvergenceError, DataError, DetenteError, ScenarioError, UnknownLabelError
from detente.report.whatif import main_countries
from detente.web import _models as m
from detente.web._jobs import JobManager, TooManyJobs, UnknownJob
from detente.web._middleware import _BodyLimit, _error, _SecurityHeaders, allowed_methods
from detente.web._results import (
    ReplayResult,
    _apply_controls,
    _average_tariffs,
    _check_world_name,
    _pair_arg,
    _result_response,
    _scenario_info,
    _table_response,
    _timeline,
    shortage_paths,
)

log = logging.getLogger("detente.web")


@dataclasses.dataclass(frozen=True)
class _BandedResult(ReplayResult):
    """A replay job's result with its uncertainty bands (``"bands": N`` in the request)."""

    bands: dict | None = None


#: sector groups of the dashboard's sliders (labels of the compact world; others fall back to goods)
SECTOR_GROUPS = {
    "farm & food": ("AGR", "FOOD"),
    "energy & mining": ("MIN_ENERGY", "MIN_ORES", "PETROLEUM"),
    "metals": ("STEEL", "NONFERROUS", "METAL_PRODUCTS"),
    "chemicals & pharma": ("CHEMICALS", "PHARMA", "PLASTICS_MINERALS"),
    "electronics & electrical": ("ELECTRONICS", "ELECTRICAL"),
    "machinery & vehicles": ("MACHINERY", "MOTOR", "OTHER_TRANSPORT"),
    "textiles & other": ("TEXTILES", "OTHER_MANUF"),
}
STATIC = resources.files("detente.web") / "static"

JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{1,32}$", description="job id")]
RunId = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="stored run id")]
Fmt = Literal["json", "csv", "parquet"]
Table = Literal["country", "pairs", "sectors", "country_sector"]


@dataclasses.dataclass(frozen=True)
class WebSettings:
    """Server settings; every limit the API enforces is here.

    ``allowed_hosts``: Host headers accepted (protects a loopback server from DNS
    rebinding); ``("*",)`` when serving on a network interface on purpose.
    ``jobs_path``: JSON file that keeps the job table across restarts (None: memory
    only; ``detente serve`` puts it next to the store). Read limits: ``body_timeout``
    (seconds to receive a request body, else 408) is enforced by the app;
    ``header_timeout``, ``keep_alive_timeout`` and ``write_timeout`` by ``detente serve``'s
    uvicorn server (:func:`detente.web._middleware.timed_protocol`).
    """

    max_body_bytes: int = 256_000
    workers: int = 2
    max_jobs: int = 8
    job_seconds: float = 300.0
    max_dates: int = 2_000
    keep_results: int = 16
    solve_slots: int = 4
    store_path: str | None = None
    use_store: bool = True
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")
    default_scenario: str = "us-china-2025"
    warm: bool = True  # on start-up, load the default world and replay the default scenario
    jobs_path: str | None = None
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: int = 5
    write_timeout: float = 60.0


# ============================================================================ helpers
class _NotFound(DetenteError):
    """A named thing (scenario, run, store) that does not exist here: HTTP 404."""


class _NotAvailable(_NotFound):
    """An optional part that is not installed: HTTP 404."""


class _Worlds:
    """Loaded worlds by name (loading takes seconds; a world is an immutable value)."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, name: str):
        from detente.world import load_world

        if name not in m.WORLD_NAMES:  # never a path from a request
            raise UnknownLabelError(f"unknown world {name!r}; known: {', '.join(m.WORLD_NAMES)}")
        key = "oecd-icio-2022-compact" if name == "default" else name
        with self._lock:
            if key not in self._cache:
                self._cache[key] = load_world(key)
            return self._cache[key]


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[:n] + "..."


def _describe_validation(exc: RequestValidationError) -> list[str]:
    from detente.policy._schema import format_loc

    out = []
    for e in exc.errors():
        loc = [p for p in e.get("loc", ()) if p not in ("body",)]
        where = format_loc(loc) if loc else "request body"
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        if e.get("type") == "missing":
            out.append(f"{where}: required field is missing")
        elif e.get("type") == "extra_forbidden":
            out.append(f"{where}: unknown key (not allowed here; check the spelling)")
        elif not loc and isinstance(e.get("input"), (bytes, str)):
            out.append("request body must be a JSON object, sent with content-type: application/json")
        elif e.get("type") == "json_invalid":
            out.append(f"request body is not valid JSON: {e.get('ctx', {}).get('error', msg)}")
        else:
            out.append(f"{where} = {_short(e.get('input'))}: {msg}")
    return out


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """Build the API and dashboard app (``uvicorn.run(create_app(), ...)``)."""
    from detente import __version__

    cfg = settings or WebSettings()
    worlds = _Worlds()
    jobs = JobManager(
        workers=cfg.workers,
        max_active=cfg.max_jobs,
        max_seconds=cfg.job_seconds,
        keep_results=cfg.keep_results,
        state_path=cfg.jobs_path,
    )
    slots = threading.BoundedSemaphore(cfg.solve_slots)
    nf: dict[int | str, dict[str, Any]] = {
        404: {"model": m.ErrorResponse, "description": "no such scenario, job or stored run"}
    }
    cf: dict[int | str, dict[str, Any]] = {
        409: {"model": m.ErrorResponse, "description": "the world named is not available here (not built)"}
    }
    errs: dict[int | str, dict[str, Any]] = {
        400: {"model": m.ErrorResponse, "description": "a body that cannot be parsed, or a Host that is not allowed"},
        422: {"model": m.ErrorResponse, "description": "invalid input (field, value, what was expected)"},
        413: {"model": m.ErrorResponse, "description": "request body too large"},
    }

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if cfg.warm and cfg.default_scenario:  # the dashboard opens on this replay: start it now
            try:
                submit_replay(m.ReplayRequest(scenario=cfg.default_scenario))
            except DetenteError as exc:
                log.warning("could not start the default replay %r: %s", cfg.default_scenario, exc)
        yield
        jobs.shutdown()

    app = FastAPI(
        title="detente",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        responses=errs,
        lifespan=lifespan,
        description="Trade-war simulator: static what-ifs, scenario replays, results. "
        "Errors are JSON {error: {code, message, problems}}.",
    )
    app.state.settings, app.state.jobs, app.state.worlds = cfg, jobs, worlds

    # ---------------------------------------------------------------- errors
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = _describe_validation(exc)
        return _error(422, "invalid_request", f"{len(problems)} problem(s) in the request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "invalid_request")
        msg = str(exc.detail)
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"no such page or endpoint: {request.url.path} (the API is described at /openapi.json)"
        elif exc.status_code == 405:
            allow = allowed_methods(app.router.routes, request.scope) or (exc.headers or {}).get("Allow", "")
            msg = f"{request.method} is not allowed on {request.url.path}: use {allow} (see /openapi.json)"
            return _error(405, code, msg, headers={"Allow": allow})
        return _error(exc.status_code, code, msg, headers=exc.headers)

    @app.exception_handler(DetenteError)
    async def _detente(request: Request, exc: DetenteError):
        text = str(exc)
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        if isinstance(exc, TooManyJobs):
            return _error(429, "too_many_jobs", text)
        if isinstance(exc, (UnknownJob, _NotFound)):
            return _error(404, "not_found", text)
        if isinstance(exc, ScenarioError):
            return _error(422, "invalid_scenario", lines[0] if lines else text, lines[1:] or lines)
        if isinstance(exc, UnknownLabelError):
            return _error(422, "unknown_label", text, [text])
        if isinstance(exc, DataError):
            return _error(409, "conflict", text)
        if isinstance(exc, ConvergenceError):
            return _error(422, "no_convergence", text)
        return _error(422, "invalid_request", text, [text])

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        ref = uuid.uuid4().hex[:8]
        log.error("internal error (ref %s) on %s %s", ref, request.method, request.url.path, exc_info=exc)
        return _error(500, "internal", f"internal error (ref {ref}); the server log has the details")

    # ---------------------------------------------------------------- capabilities, worlds
    def store():
        if not cfg.use_store:
            return None
        try:
            mod = importlib.import_module("detente.store")
        except ImportError:
            return None
        return mod

    def open_store():
        mod = store()
        if mod is None:
            raise _NotAvailable("the results store (detente.store) is not available in this installation")
        return mod, mod.RunStore(cfg.store_path)

    @app.get("/api/capabilities", response_model=m.Capabilities, tags=["meta"])
    def capabilities():
        def has(name):
            try:
                return bool(getattr(importlib.import_module(name), "__all__", None))
            except ImportError:
                return False

        return {
            "version": __version__,
            "store": store() is not None,
            "shortage": has("detente.shortage"),
            "strategy": has("detente.strategy"),
            "limits": {
                "max_body_bytes": cfg.max_body_bytes,
                "max_jobs": cfg.max_jobs,
                "job_seconds": cfg.job_seconds,
                "max_dates": cfg.max_dates,
                "max_changes": m.MAX_CHANGES,
                "workers": cfg.workers,
            },
        }

    @app.get("/api/worlds", response_model=list[m.WorldInfo], tags=["worlds"])
    def list_worlds():
        from detente.world import available_worlds

        return [{"name": k, "description": v, "available": "not built" not in v} for k, v in available_worlds().items()]

    @app.get("/api/elasticities", response_model=list[m.ElasticitySetInfo], tags=["worlds"])
    def list_elasticities():
        from detente.world.elasticities import elasticity_set, list_sets

        out = []
        for name in list_sets():
            es = elasticity_set(name)
            out.append(
                {
                    "name": name,
                    "label": es.label,
                    "horizon": str(es.horizon),
                    "citation": " ".join(str(es.citation).split()),
                }
            )
        return out

    @app.get("/api/worlds/{name}", response_model=m.WorldDetail, tags=["worlds"], responses=cf)
    def world_detail(name: m.WorldName):
        w = worlds.get(name)
        groups = {g: [s for s in secs if s in w.goods] for g, secs in SECTOR_GROUPS.items()}
        groups = {g: s for g, s in groups.items() if s}
        left = [s for s in w.goods if not any(s in v for v in groups.values())]
        if left and groups:
            groups["other goods"] = left
        return {
            "name": name,
            "full_name": w.meta.name,
            "vintage": w.meta.vintage,
            "year": w.meta.year,
            "units": w.meta.units,
            "countries": list(w.countries),
            "sectors": list(w.sectors),
            "sector_names": dict(zip(w.sectors, w.meta.sector_names or w.sectors)),
            "goods": list(w.goods),
            "services": list(w.services),
            "sector_groups": {"all goods": list(w.goods), **groups},
            "main_countries": main_countries(w.countries),
        }

    # ---------------------------------------------------------------- scenarios
    shipped_cache: dict = {}  # (path, mtime) -> (scenario, text): shipped files are parsed once

    def shipped(name: str):
        from detente.policy import load_scenario, shipped_scenarios

        files = shipped_scenarios()
        if name not in files:
            raise _NotFound(f"no shipped scenario {name!r}; shipped: {', '.join(sorted(files)) or 'none'}")
        key = (str(files[name]), files[name].stat().st_mtime_ns)
        if key not in shipped_cache:
            shipped_cache[key] = (load_scenario(files[name]), files[name].read_text(encoding="utf-8"))
        return shipped_cache[key]

    @app.get("/api/scenarios", response_model=list[m.ScenarioInfo], tags=["scenarios"])
    def list_scenarios():
        from detente.policy import shipped_scenarios

        return [_scenario_info(shipped(n)[0]) for n in sorted(shipped_scenarios())]

    @app.get("/api/scenarios/{name}", response_model=m.ScenarioDetail, tags=["scenarios"], responses=nf)
    def scenario_detail(name: Annotated[str, PathParam(max_length=128)]):
        sc, text = shipped(name)
        return {**_scenario_info(sc), "text": text, "events": _timeline(sc)}

    @app.get("/api/schema/scenario", response_model=dict[str, Any], tags=["scenarios"])
    def scenario_schema():
        from detente.policy import scenario_json_schema

        return scenario_json_schema()

    def check_dates(sc) -> None:
        """The server's limit on replay dates, checked before any date is built."""
        from detente.policy._timeline import count_dates

        n = count_dates(sc)
        if n > cfg.max_dates:
            raise ScenarioError(
                f"the scenario has up to {n:,} dates (period steps and change dates); the "
                f"server's limit is {cfg.max_dates:,} (use a longer step or a shorter period)"
            )

    def parse_request_scenario(text: str):
        from detente.policy import check_labels, parse_scenario

        sc = parse_scenario(text, "<request>")
        _check_world_name(sc)
        check_labels(sc, worlds.get(sc.world))
        return sc

    @app.post("/api/scenarios/validate", response_model=m.ValidationResult, tags=["scenarios"], responses=cf)
    def validate_scenario(body: m.ScenarioText):
        from detente.policy import apply_variant, dates, policy_state, world_for
        from detente.policy._baseline import check_baseline

        sc = parse_request_scenario(body.text)
        checked = ["schema", f"labels against world {sc.world!r}"]
        check_dates(sc)  # before any date is built
        n_dates = len(dates(sc))
        for v in sc.variants:
            apply_variant(sc, v)
        checked.append("variants compose")
        with slots:
            check_baseline(worlds.get(sc.world), sc)
        checked.append("the baseline solves")
        if body.deep:
            w = world_for(sc, worlds.get(sc.world))
            for v in [None, *sc.variants]:
                sv = apply_variant(sc, v)
                for d in dates(sv):
                    policy_state(w, sv, d)
            checked.append("policy on every date of every variant")
        return {
            "ok": True,
            "name": sc.name,
            "title": sc.title,
            "world": sc.world,
            "n_dates": n_dates,
            "variants": {k: v.description for k, v in sc.variants.items()},
            "events": _timeline(sc),
            "checked": checked,
        }

    # ---------------------------------------------------------------- what-if
    def run_whatif(req: m.WhatIfRequest):
        from detente.equilibrium import Counterfactual, solve
        from detente.instruments import Tariff
        from detente.report.whatif import whatif_record
        from detente.world._theta import ElasticityChoice, with_elasticities

        w = with_elasticities(worlds.get(req.world), ElasticityChoice(req.elasticities, req.horizon))
        cf = Counterfactual.from_world(
            w, deficits=None if req.closure == "balanced" else req.deficits, closure=req.closure
        )
        # no change at all is the baseline itself: a valid (zero) what-if
        cf = cf.apply(*(Tariff(t.importer, t.exporter, t.sectors, t.rate_pp, t.op) for t in req.tariffs))
        if req.export_controls or req.icebergs:
            cf = _apply_controls(cf, w, req)
        cf = cf.with_label(req.title)
        countries = list(req.countries) if req.countries else main_countries(w.countries)
        for c in countries:
            w.country_index(c)
        pair = req.pair if req.pair else _pair_arg(None, w.countries)
        for c in pair:
            w.country_index(c)
        with slots:
            eq = solve(w, cf)
        rec = whatif_record(eq, countries=countries, pair=pair)
        rec["average_tariffs"] = _average_tariffs(w, cf, pair)
        rec["request"] = req.model_dump(mode="json")
        return eq, rec

    @app.post(
        "/api/whatif",
        tags=["what-if"],
        response_model=dict[str, Any],
        responses={
            **nf,
            **cf,
            200: {
                "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
                "description": "the what-if record (JSON), or the country table (CSV, Parquet)",
            },
        },
    )
    def whatif(body: m.WhatIfRequest, format: Literal["json", "csv", "parquet"] = "json"):
        eq, rec = run_whatif(body)
        if body.save:
            mod, st = open_store()
            rec["run_id"] = str(st.save(mod.record_from_equilibrium(eq, body.title)))
        if format == "json":
            return JSONResponse(rec)
        import pandas as pd

        df = pd.DataFrame(rec["countries"])
        return _table_response(df, format, "whatif")

    # ---------------------------------------------------------------- strategy
    @app.post("/api/strategy/leverage", tags=["strategy"], response_model=dict[str, Any], responses={**nf, **cf})
    def strategy_leverage(body: m.LeverageRequest):
        """The leverage table and threat points of two countries (as ``detente leverage``)."""
        from detente.strategy._web import leverage_payload
        from detente.world._theta import ElasticityChoice, with_elasticities

        w = with_elasticities(worlds.get(body.world), ElasticityChoice(body.elasticities, body.horizon))
        with slots:
            out = leverage_payload(w, body.players, reference=body.reference, horizon=body.horizon)
        return JSONResponse(out)

    # ---------------------------------------------------------------- replays and jobs
    @app.post(
        "/api/replays",
        status_code=202,
        response_model=m.JobInfo,
        tags=["jobs"],
        responses={**nf, **cf, 429: {"model": m.ErrorResponse, "description": "too many jobs queued or running"}},
    )
    def start_replay(body: m.ReplayRequest):
        return jobs.info(submit_replay(body).id)

    def submit_replay(body: m.ReplayRequest):
        """Check the request now (bad input is a 4xx, not a failed job), then queue the replay."""
        from detente.policy import apply_variant, dates, replay

        if body.scenario is not None:
            sc, text = shipped(body.scenario)
            _check_world_name(sc)
        else:
            text = body.text
            assert text is not None  # ReplayRequest takes exactly one of scenario and text
            sc = parse_request_scenario(text)
        sv = apply_variant(sc, body.variant)  # unknown variant -> 422 now, not in the job
        check_dates(sv)  # before any date is built
        n = len(dates(sv))
        key = hashlib.sha256(
            f"{text}\0{body.variant or ''}\0{body.save}".encode()
            + (f"\0bands={body.bands},{body.seed},{body.level}".encode() if body.bands else b"")
        ).hexdigest()
        title = f"{sc.name}{' / ' + body.variant if body.variant else ''}"
        params = {
            "scenario": body.scenario or sc.name,
            "variant": body.variant,
            "edited": body.text is not None,
            "world": sc.world,
            "dates": n,
        }

        def run(progress):
            rp = replay(
                sc,
                worlds.get(sc.world),
                variant=body.variant,
                progress=progress,
                elasticities=body.elasticities,
                horizon=body.horizon,
                adjustment=body.adjustment,
                closure=body.closure,
            )
            run_id = None
            if body.save:
                mod, st = open_store()
                run_id = str(st.save(mod.record_from_replay(rp)))
            shortage = shortage_paths(sc, body.variant, worlds.get(sc.world))
            if body.bands:
                from detente.policy._bands import replay_bands

                bands = replay_bands(
                    sc,
                    worlds.get(sc.world),
                    n_draws=body.bands,
                    seed=body.seed,
                    level=body.level,
                    variant=body.variant,
                    elasticities=body.elasticities,
                    horizon=body.horizon,
                    adjustment=body.adjustment,
                    closure=body.closure,
                    central=rp,
                )
                return _BandedResult(rp.dataset, _timeline(rp.scenario), run_id, shortage, bands.to_dict())
            return ReplayResult(rp.dataset, _timeline(rp.scenario), run_id, shortage)

        return jobs.submit("replay", title, params, run, key=key)

    @app.get("/api/jobs", response_model=list[m.JobInfo], tags=["jobs"])
    def list_jobs():
        return jobs.list()

    @app.get("/api/jobs/{job_id}", response_model=m.JobInfo, tags=["jobs"], responses=nf)
    def job_info(job_id: JobId):
        return jobs.info(job_id)

    @app.post("/api/jobs/{job_id}/cancel", response_model=m.JobInfo, tags=["jobs"], responses=nf)
    def cancel_job(job_id: JobId):
        return jobs.cancel(job_id)

    @app.get(
        "/api/jobs/{job_id}/result",
        tags=["jobs"],
        response_model=dict[str, Any],
        responses={
            **nf,
            409: {"model": m.ErrorResponse, "description": "the job has no result (yet)"},
            200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}},
        },
    )
    def job_result(
        job_id: JobId,
        format: Fmt = "json",
        table: Table = "country",
        pair: Annotated[str | None, Query(max_length=64, description="'A,B' (default USA,CHN)")] = None,
        countries: Annotated[str | None, Query(max_length=2000, description="comma list (JSON)")] = None,
    ):
        job = jobs.get(job_id)
        res = job.result
        if job.status != "done" or res is None:
            why = {"done": "its result was dropped from memory (run it again)"}.get(job.status, f"it is {job.status}")
            return _error(409, "conflict", f"job {job_id} has no result: {why}")
        return _result_response(
            res.dataset,
            res.events,
            format,
            table,
            pair,
            countries,
            f"replay-{job_id}",
            extra={"shortage": res.shortage, **({"bands": res.bands} if getattr(res, "bands", None) else {})},
        )

    # ---------------------------------------------------------------- stored runs
    @app.get(
        "/api/runs",
        response_model=list[dict[str, Any]],
        tags=["runs"],
        responses={404: {"model": m.ErrorResponse, "description": "no results store installed"}},
    )
    def list_runs():
        _, st = open_store()
        df = st.list()
        return json.loads(df.to_json(orient="records", date_format="iso", default_handler=str))

    def load_run(run_id: str):
        _, st = open_store()
        try:
            return st.load(run_id)
        except (KeyError, LookupError, FileNotFoundError, ValueError) as exc:
            raise _NotFound(f"no stored run {run_id!r}") from exc

    @app.get(
        "/api/runs/{run_id}",
        response_model=dict[str, Any],
        tags=["runs"],
        responses={404: {"model": m.ErrorResponse, "description": "unknown run or no store"}},
    )
    def run_detail(run_id: RunId):
        r = load_run(run_id)
        fields = (
            "id",
            "kind",
            "name",
            "variant",
            "world",
            "vintage",
            "code_version",
            "settings",
            "scenario_text",
            "seed",
            "created_at",
            "summary",
        )
        out = {f: getattr(r, f, None) for f in fields}
        out["variables"] = {k: list(v.dims) for k, v in r.dataset.data_vars.items()}
        return json.loads(json.dumps(out, default=str))

    @app.get(
        "/api/runs/{run_id}/result",
        tags=["runs"],
        response_model=dict[str, Any],
        responses={
            404: {"model": m.ErrorResponse, "description": "unknown run or no store"},
            200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}},
        },
    )
    def run_result(
        run_id: RunId,
        format: Fmt = "json",
        table: Table = "country",
        pair: Annotated[str | None, Query(max_length=64)] = None,
        countries: Annotated[str | None, Query(max_length=2000)] = None,
    ):
        r = load_run(run_id)
        events = []
        if getattr(r, "scenario_text", None):
            try:
                from detente.policy import apply_variant, parse_scenario

                stored = parse_scenario(r.scenario_text, later_events="keep")  # a run's record, as it ran
                events = _timeline(apply_variant(stored, r.variant or None))
            except DetenteError:
                events = []
        return _result_response(r.dataset, events, format, table, pair, countries, f"run-{run_id}")

    # ---------------------------------------------------------------- dashboard
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(str(STATIC / "index.html"), media_type="text/html")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        spec = importlib.util.find_spec("plotly")
        path = Path(spec.origin).parent / "package_data" / "plotly.min.js" if spec and spec.origin else None
        if path is None or not path.is_file():
            raise _NotFound("plotly.js not found: install the web extra (pip install 'detente[web]')")
        return FileResponse(str(path), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # middleware: outermost last
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(_BodyLimit, limit=cfg.max_body_bytes, timeout=cfg.body_timeout)
    app.add_middleware(_SecurityHeaders, allowed_hosts=cfg.allowed_hosts)
    return app
