"""Plain functions behind ``detente validate``, ``detente schema`` and ``detente replay``.

They raise :class:`~detente.errors.DetenteError` subclasses on bad input and return
text or values; only :func:`print_replay` and the optional progress bar print.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from detente._defaults import DEFAULT_PAIR
from detente.policy._baseline import baseline_tariffs, check_baseline
from detente.policy._replay import Replay, replay
from detente.policy._schema import check_labels, load_scenario, scenario_json_schema
from detente.policy._timeline import apply_variant, dates, policy_state, world_for
from detente.world import World, load_world


def validate_file(path: str | os.PathLike, world: str | World | None = None) -> str:
    """Validate a scenario file fully and return a human summary.

    Checks the schema and its limits, every label against the scenario's world (or
    ``world``), solves the scenario's own baseline (:func:`check_baseline`: a scenario
    whose baseline cannot solve fails here, not mid-replay), and evaluates the policy on
    every date of the base scenario and of each variant (so a layer driven negative or a
    total export ban is caught here too).
    """
    sc = load_scenario(path)
    w = world if isinstance(world, World) else load_world(world or sc.world)
    check_labels(sc, w)
    wt = world_for(sc, w)
    baseline_tariffs(wt, sc)
    solved = check_baseline(w, sc)
    for variant in [None, *sc.variants]:
        v = apply_variant(sc, variant)
        for d in dates(v):
            policy_state(wt, v, d)
    kinds = Counter(e.kind for e in sc.events)
    used = list(dict.fromkeys(e.spec.layer for e in sc.events if e.kind in ("tariff", "exemption")))
    p = sc.period
    lines = [
        f"scenario {sc.name!r}: {sc.title or '(no title)'}",
        f"  file: {sc.path}",
        f"  world: {sc.world} ({w.n_countries} countries x {w.n_sectors} sectors)",
        f"  period: {p.start} to {p.end}, step {p.step} ({len(dates(sc))} dates)",
        f"  deficits: {sc.settings.deficits}, closure {sc.settings.closure}; elasticities: {sc.settings.elasticities or 'default'} at "
        f"{sc.settings.horizon} ({sc.settings.adjustment}); overrides: "
        f"{dict(sc.settings.elasticity_overrides) or 'none'}",
        f"  events: {len(sc.events)} (" + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")",
        f"  layers: {', '.join(used) or 'none'}",
    ]
    if sc.baseline is not None:
        lines.append(
            f"  baseline: {len(sc.baseline.tariffs)} tariff entries re-base the world "
            f"({sc.baseline.source or 'no source given'})"
        )
    for name, ov in sc.variants.items():
        lines.append(f"  variant {name}: {ov.description or '(no description)'}")
    lines.append(f"  baseline solves: {solved}")
    lines.append("  OK")
    return "\n".join(lines)


def print_schema() -> str:
    """The scenario file's JSON schema as indented JSON text."""
    return json.dumps(scenario_json_schema(), indent=2)


def replay_file(
    path: str | os.PathLike,
    variant: str | None = None,
    world: str | World | None = None,
    progress: bool = True,
    *,
    elasticities: str | None = None,
    horizon: str | None = None,
    adjustment: str | None = None,
    closure: str | None = None,
) -> Replay:
    """Load a scenario (a path or a shipped name) and replay it.

    ``world`` overrides the scenario's world (a name, a path or a :class:`World`);
    ``elasticities``, ``horizon`` and ``adjustment`` override the scenario's settings;
    ``progress`` shows a rich progress bar on the terminal (stderr).
    """
    sc = load_scenario(path)
    w = world if isinstance(world, World) else load_world(world or sc.world)
    opts: dict[str, Any] = dict(
        variant=variant, elasticities=elasticities, horizon=horizon, adjustment=adjustment, closure=closure
    )
    if not progress:
        return replay(sc, w, **opts)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("replay {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(sc.name, total=None)

        def tick(done: int, total: int, date) -> None:
            bar.update(task, completed=done, total=total, description=f"{sc.name} {date}")

        return replay(sc, w, progress=tick, **opts)


def _pair_value(ds, var: str, importer: str, exporter: str, date) -> float:
    return float(ds[var].sel(importer=importer, exporter=exporter, date=date))


def _short(labels: list[str], n: int = 3) -> str:
    starts = [x for x in labels if not x.endswith(" ends")]
    ends = [x.removesuffix(" ends") for x in labels if x.endswith(" ends")]
    parts = []
    for head, items in (("", starts), ("ends: ", ends)):
        if items:
            more = f" (+{len(items) - n})" if len(items) > n else ""
            parts.append(head + ", ".join(items[:n]) + more)
    return "; ".join(parts)


def print_replay(console, rp: Replay, pair: tuple[str, str] = DEFAULT_PAIR) -> None:
    """A terminal table: average tariffs and welfare at each date the policy changes."""
    from rich.table import Table

    ds, (a, b) = rp.dataset, pair
    if a not in rp.world.countries or b not in rp.world.countries:
        a, b = rp.world.countries[:2]
    from rich.markup import escape

    sc = rp.scenario
    title = escape(f"{sc.title or sc.name}{' [' + sc.variant + ']' if sc.variant else ''}")
    t = Table(
        title=title,
        caption=escape(
            f"world {rp.world.meta.name} ({rp.world.meta.vintage}); {len(rp.dates)} dates, "
            f"{rp.n_solves} equilibrium solves; average tariffs weighted by baseline goods imports; "
            f"welfare = real income vs baseline; trade elasticities: {ds.attrs.get('elasticities', '?')}; "
            f"closure: {ds.attrs.get('closure', 'fixed-deficits')}"
        ),
    )
    t.add_column("from", no_wrap=True)
    t.add_column(f"{a} on {b} %", justify="right")
    t.add_column(f"{b} on {a} %", justify="right")
    t.add_column(f"{a} welfare %", justify="right")
    t.add_column(f"{b} welfare %", justify="right")
    t.add_column(f"{a} prices vs wage %", justify="right")
    t.add_column("changes")
    for d, _key, evs in rp.change_points():
        dd = d.isoformat()
        t.add_row(
            dd,
            f"{_pair_value(ds, 'avg_tariff_pct', a, b, dd):.1f}",
            f"{_pair_value(ds, 'avg_tariff_pct', b, a, dd):.1f}",
            f"{float(ds['welfare_pct'].sel(country=a, date=dd)):+.3f}",
            f"{float(ds['welfare_pct'].sel(country=b, date=dd)):+.3f}",
            f"{float(ds['cpi_pct'].sel(country=a, date=dd)):+.3f}",
            escape(_short(evs) or ("start" if d == rp.dates[0] else "")),
        )
    console.print(t)
