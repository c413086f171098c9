"""Running a sweep: expand, chunk, execute, stream chunk files, merge (docs/sweeps.md).

Output directory layout::

    OUT/manifest.json           the sweep as run, its chunk keys, the executor
    OUT/chunks/<chunk key>.parquet   one file per chunk, written atomically when it finishes
    OUT/results.parquet         the merge, in task order, checked: every task once

A chunk whose file already exists (same key = same inputs) is not run again, so an
interrupted sweep resumes where it stopped, and a chunk rerun after a lost worker
cannot add a second copy of its rows.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from detente.sweep._executors import make_executor
from detente.sweep._spec import Sweep, SweepError, load_sweep
from detente.sweep._tasks import Chunk, chunked, digest, expand
from detente.sweep._worker import run_chunk

OnChunk = Callable[[int, int, Chunk], None]


@dataclasses.dataclass(frozen=True, eq=False)
class SweepResult:
    """What :func:`run_sweep` returns: the merged table and counts."""

    spec: Sweep
    frame: Any  # pandas DataFrame, one row per task x country (x date), in task order
    out: Path
    n_tasks: int
    n_done: int  # tasks with a result row (converged or failed): n_tasks when complete
    n_failed: int  # tasks without an equilibrium (never counted as answers)
    n_chunks: int
    n_reused: int  # chunks whose files existed already (resumed)
    seconds: float
    executor: dict
    run_id: str | None = None

    @property
    def path(self) -> Path:
        return self.out / "results.parquet"

    def bands(self, coverage: float | None = None, **kwargs):
        from detente.sweep._bands import bands

        return bands(
            self.frame, coverage or self.spec.outputs.coverage, headlines=self.spec.outputs.headlines, **kwargs
        )

    def summary(self) -> dict:
        return {
            "name": self.spec.name,
            "kind": self.spec.kind,
            "n_tasks": self.n_tasks,
            "n_done": self.n_done,
            "n_failed": self.n_failed,
            "n_chunks": self.n_chunks,
            "n_reused": self.n_reused,
            "rows": int(len(self.frame)),
            "seconds": round(self.seconds, 3),
            "out": str(self.out),
            "results": str(self.path),
            "executor": self.executor,
            "run_id": self.run_id,
        }


def _write_parquet(frame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def _read_chunk(path: Path, chunk: Chunk):
    """The chunk's stored table if it is complete and of this chunk's tasks, else None."""
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except Exception:
        return None
    if set(frame["key"]) != {t["key"] for t in chunk.tasks}:
        return None
    return frame


class _Progress:
    def __init__(self, enabled: bool, total: int, title: str) -> None:
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn(f"sweep {title}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("tasks"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.start()
            self.task = self.bar.add_task("sweep", total=total)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.advance(self.task, n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def run_sweep(
    spec: Sweep | str | os.PathLike,
    executor=None,
    *,
    out: str | os.PathLike | None = None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    progress: bool = False,
    store=None,
    resume: bool = True,
    on_chunk: OnChunk | None = None,
) -> SweepResult:
    """Run a sweep and return its merged results.

    Parameters
    ----------
    spec : Sweep or path
        A validated :class:`Sweep`, a sweep file, or a shipped example's name.
    executor : None, "serial", "local", "dask" or an executor object
        None: ``scheduler`` (or ``$DETENTE_DASK_SCHEDULER``) if given, else serial.
        "local" starts a Dask LocalCluster (``n_workers``). An executor object
        (:class:`SerialExecutor`, :class:`DaskExecutor`) is used as is and not closed.
    out : path, optional
        Output directory (default: a new temporary directory).
    progress : bool
        A rich progress bar on stderr.
    store : RunStore, path or True, optional
        Also save the bands (or, without draws, the results) to the results store
        (True: the default store).
    resume : bool
        Reuse chunk files already in ``out`` (same key = same inputs).
    on_chunk : callable, optional
        Called as ``on_chunk(done_chunks, n_chunks, chunk)`` after each chunk is written.
    """
    import pandas as pd

    t0 = time.perf_counter()
    spec = load_sweep(spec)
    tasks = expand(spec)
    chunks = chunked(tasks, spec.chunk_size)
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"detente-sweep-{spec.name}-"))
    cdir = out / "chunks"
    cdir.mkdir(parents=True, exist_ok=True)
    frames: dict[str, Any] = {}  # pandas DataFrames by chunk key
    if resume:
        for ch in chunks:
            f = cdir / f"{ch.key}.parquet"
            if f.is_file():
                got = _read_chunk(f, ch)
                if got is not None:
                    frames[ch.key] = got
    n_reused = len(frames)
    todo = [ch for ch in chunks if ch.key not in frames]
    owned = executor is None or isinstance(executor, str)
    ex = make_executor(executor, scheduler=scheduler, n_workers=n_workers) if todo or not owned else None
    info = ex.describe() if ex is not None else {"executor": "none (all chunks reused)"}
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "spec": spec.model_dump(mode="json"),
                "spec_hash": digest(spec.model_dump(mode="json")),
                "n_tasks": len(tasks),
                "chunks": [c.key for c in chunks],
                "executor": info,
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    bar = _Progress(progress, len(tasks), spec.name)
    bar.advance(sum(len(c.tasks) for c in chunks if c.key in frames))
    try:
        if todo:
            assert ex is not None  # an executor is made whenever there is work to do
            args = (tuple(spec.outputs.headlines), tuple(spec.outputs.countries) if spec.outputs.countries else None)
            for chunk, frame in ex.map(run_chunk, todo, *args):
                if chunk.key in frames:  # a chunk finishes once; a rerun's copy is dropped
                    continue
                _write_parquet(frame, cdir / f"{chunk.key}.parquet")
                frames[chunk.key] = frame
                bar.advance(len(chunk.tasks))
                if on_chunk is not None:
                    on_chunk(len(frames), len(chunks), chunk)
    finally:
        bar.close()
        if owned and ex is not None:
            ex.close()
    merged = pd.concat([frames[c.key] for c in chunks], ignore_index=True) if chunks else pd.DataFrame()
    keys = merged.drop_duplicates(["key", "country", "date"]) if len(merged) else merged
    if len(keys) != len(merged):
        raise SweepError(f"sweep {spec.name!r}: the merged results hold duplicate rows")
    done = set(merged["key"]) if len(merged) else set()
    missing = [t["key"] for t in tasks if t["key"] not in done]
    if missing:
        raise SweepError(f"sweep {spec.name!r}: {len(missing)} task(s) have no result (first {missing[0]})")
    _write_parquet(merged, out / "results.parquet")
    n_failed = int(merged.loc[~merged["converged"], "key"].nunique()) if len(merged) else 0
    res = SweepResult(
        spec, merged, out, len(tasks), len(done), n_failed, len(chunks), n_reused, time.perf_counter() - t0, info
    )
    if store is not None and store is not False:
        res = dataclasses.replace(res, run_id=_save(res, store))
    return res


def _save(res: SweepResult, store) -> str:
    """Save the sweep's bands (with draws) or results (without) to the results store."""
    import xarray as xr
    import yaml

    from detente.store import RunRecord, RunStore, code_version
    from detente.store._records import now_utc

    st = store if isinstance(store, RunStore) else RunStore(None if store is True else store)
    if res.spec.draws.n > 0:
        table = res.bands().table.copy()
    else:
        table = res.frame.drop(columns=["reason"]).copy()
    table = table.reset_index(drop=True)
    table.index.name = "row"
    ds = xr.Dataset.from_dataframe(table)
    rec = RunRecord(
        kind="sweep",
        name=res.spec.name,
        variant=None,
        world=res.spec.world,
        vintage=res.spec.world,
        code_version=code_version(),
        settings={"sweep": res.spec.model_dump(mode="json")},
        scenario_text=yaml.safe_dump(res.spec.model_dump(mode="json"), sort_keys=False),
        seed=res.spec.draws.seed,
        created_at=now_utc(),
        dataset=ds,
        summary={k: v for k, v in res.summary().items() if k not in ("executor",)},
    )
    return st.save(rec)


def sweep_bands(
    spec: Sweep | str | os.PathLike, *, seed: int | None = None, coverage: float | None = None, executor=None, **kwargs
):
    """Run ``spec`` (with ``draws.seed`` replaced by ``seed``) and return its :class:`Bands`.

    The same seed gives the same draws and so the same bands, whatever the executor.
    """
    spec = load_sweep(spec)
    if seed is not None:
        spec = spec.model_copy(update={"draws": spec.draws.model_copy(update={"seed": int(seed), "seeds": None})})
    return run_sweep(spec, executor, **kwargs).bands(coverage)
