"""What a stored run is (:class:`RunRecord`) and how to make one from a result.

A record carries everything needed to reproduce and to read a run: the scenario as run,
the world and its data vintage, the code version, the settings, the seed, and the
results as an :class:`xarray.Dataset`. Builders: :func:`record_from_replay` for a dated
scenario replay, :func:`record_from_equilibrium` for a single what-if.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from detente._defaults import DEFAULT_PAIR


@dataclasses.dataclass(frozen=True, eq=False)
class RunRecord:
    """One run: provenance, settings and results.

    Attributes
    ----------
    kind : str
        ``"whatif"``, ``"replay"``, or another producer's name.
    name : str
        Scenario name or what-if title.
    variant : str or None
        Scenario variant(s) applied, ``"a+b"`` when composed.
    world, vintage : str
        World name and its data vintage.
    code_version : str
        ``detente.__version__`` plus ``+g<commit>`` (and ``.dirty``) when run from a git
        checkout (:func:`code_version`).
    settings : dict
        Solver and closure settings, elasticity overrides... (JSON-able).
    scenario_text : str or None
        The full scenario YAML as run.
    seed : int or None
        Random seed, for stochastic producers.
    created_at : str
        ISO 8601 UTC time of the run.
    dataset : xarray.Dataset
        The results, any dimensions; variables may have a ``date`` dimension.
    summary : dict
        Small JSON-able headline numbers.
    id : str or None
        Set by :meth:`RunStore.save` / :meth:`RunStore.load`.

    Records compare by identity (``eq=False``): datasets have no single truth value.
    """

    kind: str
    name: str
    variant: str | None
    world: str
    vintage: str
    code_version: str
    settings: dict
    scenario_text: str | None
    seed: int | None
    created_at: str
    dataset: Any
    summary: dict
    id: str | None = None

    def meta(self) -> dict:
        """Everything but the dataset, JSON-able (what ``meta.json`` of an export holds)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "dataset"}


def now_utc() -> str:
    """The current time, ISO 8601 in UTC to the second (``2025-11-27T14:03:09+00:00``)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``detente.__version__``, plus ``+g<commit>[.dirty]`` when the package is a git checkout.

    Never fails: without git, outside a repository, or when the installed package is not
    tracked by the repository around it, the bare version is returned.
    """
    from detente import __version__

    here = Path(__file__).resolve().parents[1]  # the detente package folder

    def git(*args: str) -> str | None:
        try:
            r = subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    # only trust the commit if this very file is tracked there (not a site-packages copy
    # inside somebody else's repository)
    if git("ls-files", "--error-unmatch", "__init__.py") is None:
        return __version__
    commit = git("rev-parse", "--short=10", "HEAD")
    if not commit:
        return __version__
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"


def jsonable(x: Any) -> Any:
    """``x`` with numpy scalars/arrays as Python values, tuples as lists, NaN/inf as None."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, np.generic):
        return jsonable(x.item())
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


# ---------------------------------------------------------------------------- replay
def _scenario_text(scenario) -> str:
    """The scenario file's text if it still yields exactly the scenario that ran, else a
    YAML dump of the scenario as run (variant applied, ``variant`` set)."""
    import yaml

    from detente.policy import apply_variant, parse_scenario

    ran = scenario.model_dump(mode="json")
    path = Path(scenario.path)
    try:
        text = path.read_text(encoding="utf-8")
        base = parse_scenario(text, str(path))
        variant = scenario.variant
        if variant and base.variant and variant.startswith(base.variant + "+"):
            variant = variant[len(base.variant) + 1 :]
        elif variant == base.variant:
            variant = None
        if apply_variant(base, variant).model_dump(mode="json") == ran:
            return text
    except Exception:  # noqa: BLE001 - the file moved, changed or never existed: dump instead
        pass
    head = (
        f"# scenario {scenario.name!r} as run (variant {scenario.variant!r} already applied);\n"
        f"# dumped by detente because {str(path)!r} no longer yields it\n"
    )
    return head + yaml.safe_dump(ran, sort_keys=False, allow_unicode=True)


def record_from_replay(replay) -> RunRecord:
    """A :class:`RunRecord` of a :class:`detente.policy.Replay` (kind ``"replay"``).

    The dataset is ``replay.dataset`` unchanged; ``world`` is the world solved (a
    re-based world's name says so; ``settings["scenario_world"]`` is the scenario's own
    ``world``). The summary holds the dates, the number
    of solves, welfare by country on the last date and at its minimum, and the peak and
    last average US-China tariffs when both countries are in the world.
    """
    ds = replay.dataset
    sc = replay.scenario
    w = replay.world
    eqs = list(replay.equilibria.values())
    settings = {
        "deficits": sc.settings.deficits,
        "closure": ds.attrs.get("closure", sc.settings.closure),
        "elasticities": ds.attrs.get("elasticities", w.meta.elasticities),
        "adjustment": ds.attrs.get("adjustment", "fixed"),
        "elasticity_overrides": dict(sc.settings.elasticity_overrides),
        "period": sc.period.model_dump(mode="json"),
        "n_solves": replay.n_solves,
        "check_tolerance": eqs[0].diagnostics.tolerance if eqs else None,
        "numeraire": "world value added (fixed)",
        "scenario_file": sc.path,
        "scenario_world": sc.world,
        "rebased": getattr(sc, "baseline", None) is not None,
    }
    welfare = ds["welfare_pct"]
    summary: dict[str, Any] = {
        "title": sc.title,
        "first_date": str(ds["date"].values[0])[:10] if ds.sizes.get("date") else None,
        "last_date": str(ds["date"].values[-1])[:10] if ds.sizes.get("date") else None,
        "n_dates": int(ds.sizes.get("date", 0)),
        "n_solves": replay.n_solves,
        "welfare_pct_last": dict(
            zip(welfare["country"].values.tolist(), welfare.isel(date=-1).values.tolist(), strict=True)
        ),
        "welfare_pct_min": dict(
            zip(welfare["country"].values.tolist(), welfare.min("date").values.tolist(), strict=True)
        ),
    }
    if set(DEFAULT_PAIR) <= set(w.countries) and "avg_tariff_pct" in ds:
        avg = ds["avg_tariff_pct"]
        a, b = DEFAULT_PAIR
        for imp, exp in ((a, b), (b, a)):
            s = avg.sel(importer=imp, exporter=exp)
            summary[f"avg_tariff_pct_peak {imp}<-{exp}"] = float(s.max())
            summary[f"avg_tariff_pct_last {imp}<-{exp}"] = float(s.isel(date=-1))
    return RunRecord(
        kind="replay",
        name=sc.name,
        variant=sc.variant or None,
        world=w.meta.name,
        vintage=w.meta.vintage,
        code_version=code_version(),
        settings=jsonable(settings),
        scenario_text=_scenario_text(sc),
        seed=None,
        created_at=now_utc(),
        dataset=ds,
        summary=jsonable(summary),
    )


# ---------------------------------------------------------------------------- what-if
def record_from_equilibrium(eq, title: str) -> RunRecord:
    """A :class:`RunRecord` of one solved what-if (kind ``"whatif"``).

    The dataset is ``eq.to_dataset()`` plus ``avg_tariff_pct`` (importer, exporter): the
    goods tariff averaged with baseline-import weights, as in a replay, so that what-ifs
    and replays compare (:meth:`RunStore.compare`).
    """
    from detente.policy import average_tariff

    w = eq.world
    cf = eq.counterfactual
    ds = eq.to_dataset()
    goods = np.array([s in set(w.goods) for s in w.sectors])
    avg = average_tariff(np.asarray(w.trade_flows), 100 * np.asarray(cf.tariffs), goods)
    ds["avg_tariff_pct"] = (
        ("importer", "exporter"),
        avg,
        {"units": "%", "long_name": "average tariff, baseline-import weights, goods"},
    )
    d = eq.diagnostics
    deficits = (
        "baseline" if np.array_equal(cf.deficits, w.deficit) else ("zero" if not np.any(cf.deficits) else "custom")
    )
    settings = {
        "counterfactual": cf.describe(),
        "changes": list(cf.changes),
        "label": cf.label,
        "deficits": deficits,
        "closure": cf.closure,
        "elasticities": w.meta.elasticities,
        "check_tolerance": d.tolerance,
        "numeraire": "world value added (fixed)",
    }
    summary = {
        "welfare_pct": dict(zip(w.countries, ds["welfare_pct"].values.tolist(), strict=True)),
        "iterations": d.iterations,
        "diagnostics": str(d),
    }
    return RunRecord(
        kind="whatif",
        name=title,
        variant=None,
        world=w.meta.name,
        vintage=w.meta.vintage,
        code_version=code_version(),
        settings=jsonable(settings),
        scenario_text=None,
        seed=None,
        created_at=now_utc(),
        dataset=ds,
        summary=jsonable(summary),
    )


# ---------------------------------------------------------------------------- strategy
def record_from_strategy(
    command: str,
    result: dict,
    *,
    world,
    tables=None,
    settings: dict | None = None,
    seed: int | None = None,
    name: str | None = None,
) -> RunRecord:
    """A :class:`RunRecord` of a strategy command (kind ``"strategy"``).

    ``result`` is the command's JSON record (what ``--json`` prints); it is kept whole in
    the dataset's ``result_json`` attribute and its scalar entries form the summary.
    ``tables`` (name -> pandas DataFrame) become variables ``<name>.<column>`` along a
    dimension ``<name>_row`` labelled by the table's index (as strings).
    """
    import json

    import xarray as xr

    data = {}
    coords = {}
    for tname, df in (tables or {}).items():
        dim = f"{tname}_row"
        coords[dim] = [str(i) for i in df.index]
        for col in df.columns:
            v = df[col].to_numpy()
            if v.dtype.kind not in "fiub":
                v = np.array(["" if x is None else str(x) for x in v.tolist()], dtype=object)
            data[f"{tname}.{col}"] = ((dim,), v, {k: str(x) for k, x in df.attrs.items() if isinstance(x, str)})
    ds = xr.Dataset(
        data,
        coords=coords,
        attrs={
            "command": command,
            "result_json": json.dumps(jsonable(result)),
            "world": world.meta.name,
            "elasticities": world.meta.elasticities,
        },
    )
    summary = {k: v for k, v in jsonable(result).items() if isinstance(v, (str, int, float, bool)) or v is None}
    summary["command"] = command
    settings = {"command": command, "elasticities": world.meta.elasticities, **(settings or {})}
    return RunRecord(
        kind="strategy",
        name=name or f"detente {command}",
        variant=None,
        world=world.meta.name,
        vintage=world.meta.vintage,
        code_version=code_version(),
        settings=jsonable(settings),
        scenario_text=None,
        seed=seed,
        created_at=now_utc(),
        dataset=ds,
        summary=summary,
    )
