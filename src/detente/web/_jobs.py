"""Background jobs (replays) in a bounded thread pool: status, progress, cancel, limits.

A :class:`JobManager` runs callables ``fn(progress) -> result`` (a result may carry a
``run_id``, its id in the results store) on a small pool of
worker threads. ``progress(done, total, date)`` is passed to the engine (the
``progress`` callback of :func:`detente.policy.replay`); it records the progress and
raises :class:`JobCancelled` when the job was cancelled or ran past its time limit,
so a replay stops between two dates. No engine change is needed for cancelling.

Limits: at most ``max_active`` jobs queued or running (beyond: :class:`TooManyJobs`,
HTTP 429); each job at most ``max_seconds``; only the ``keep_results`` latest results
stay in memory (older jobs keep their status, not their data). Finished jobs with the
same ``key`` (scenario text, variant, world) are reused instead of run again.

Persistence: with ``state_path``, the job table (states, progress, errors, run ids; not
the results) is written to that JSON file, atomically, on every change of state (and
every few seconds of progress). A manager started on an existing file takes its jobs
back: a job that was queued or running when the server stopped (killed, crashed, or
stopped before the job ended) is marked ``failed`` with the error ``server restarted``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from detente.errors import DetenteError
from detente.web._middleware import public_text

log = logging.getLogger("detente.web")

Progress = Callable[[int, int, Any], None]
#: the error of a job that was queued or running when the server stopped
RESTARTED = "server restarted"
STATE_VERSION = 1
_PERSISTED = (
    "id",
    "kind",
    "title",
    "params",
    "status",
    "done",
    "total",
    "date",
    "created_at",
    "started_at",
    "finished_at",
    "seconds",
    "error",
    "run_id",
)


class JobCancelled(Exception):
    """Raised inside a job's progress callback to stop it (cancel or time limit)."""


class TooManyJobs(DetenteError):
    """More jobs queued or running than the server allows."""


class UnknownJob(DetenteError, KeyError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclasses.dataclass
class Job:
    """One job's state. Mutated only by the manager, under its lock."""

    id: str
    kind: str
    title: str
    params: dict
    key: str | None
    status: str = "queued"
    done: int = 0
    total: int = 0
    date: str | None = None
    created_at: str = dataclasses.field(default_factory=_now)
    started_at: str | None = None
    finished_at: str | None = None
    t0: float | None = None
    seconds: float | None = None
    error: str | None = None
    result: Any = None
    run_id: str | None = None
    cancel_requested: bool = False
    deadline: float | None = None

    def info(self) -> dict:
        base = f"/api/jobs/{self.id}"
        links = {"self": base, "cancel": f"{base}/cancel"}
        if self.status == "done" and self.result is not None:
            links.update(
                {
                    "json": f"{base}/result?format=json",
                    "csv": f"{base}/result?format=csv",
                    "parquet": f"{base}/result?format=parquet",
                }
            )
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "title": self.title,
            "params": self.params,
            "progress": {"done": self.done, "total": self.total, "date": self.date},
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "seconds": self.seconds,
            "error": self.error,
            "run_id": self.run_id,
            "links": links,
        }


class JobManager:
    """A job table and a bounded pool of worker threads.

    Parameters
    ----------
    workers : int
        Jobs run at the same time.
    max_active : int
        Jobs queued or running at most; :meth:`submit` raises :class:`TooManyJobs` beyond.
    max_seconds : float
        A job still running after this many seconds is stopped at its next progress call.
    keep_results : int
        Finished results kept in memory (the oldest are dropped first).
    keep_jobs : int
        Job records kept (finished ones are forgotten first).
    state_path : path-like, optional
        JSON file the job table is kept in (see the module's docstring); None: memory only.
    """

    def __init__(
        self,
        workers: int = 2,
        max_active: int = 8,
        max_seconds: float = 300.0,
        keep_results: int = 16,
        keep_jobs: int = 200,
        state_path: str | os.PathLike | None = None,
    ) -> None:
        self.workers, self.max_active, self.max_seconds = workers, max_active, max_seconds
        self.keep_results, self.keep_jobs = keep_results, keep_jobs
        self._pool: ThreadPoolExecutor | None = None  # started on first use, again after shutdown
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self.state_path = Path(state_path).expanduser() if state_path else None
        self._save_lock = threading.Lock()
        self._saved_at = 0.0
        if self.state_path is not None:
            self._restore()

    # ---------------------------------------------------------------- persistence
    def _restore(self) -> None:
        """Take back the jobs of the file; those that were queued or running failed."""
        if self.state_path is None:
            return
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            rows = data["jobs"] if isinstance(data, dict) else []
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring the job state file %s: %s", self.state_path, exc)
            return
        now = _now()
        with self._lock:
            for row in rows:
                try:
                    job = Job(key=None, **{k: row.get(k) for k in _PERSISTED if k in row})
                except TypeError:
                    continue
                if job.status in ("queued", "running"):
                    job.status, job.error, job.finished_at = "failed", RESTARTED, now
                job.done, job.total = int(job.done or 0), int(job.total or 0)
                self._jobs[job.id] = job
            self._prune()
        self._flush(force=True)

    def _flush(self, *, force: bool = True) -> None:
        """Write the job table to ``state_path`` (atomically; the latest state wins).

        Called without the manager's lock held; ``force=False`` writes at most every 2 s.
        """
        if self.state_path is None:
            return
        if not force and time.monotonic() - self._saved_at < 2.0:
            return
        from detente._files import write_text

        with self._save_lock:
            with self._lock:
                rows = [{k: getattr(j, k) for k in _PERSISTED} for j in self._jobs.values()]
            self._saved_at = time.monotonic()
            try:
                write_text(self.state_path, json.dumps({"version": STATE_VERSION, "jobs": rows}, default=str))
            except (OSError, DetenteError) as exc:
                log.warning("cannot write the job state file %s: %s", self.state_path, exc)

    # ---------------------------------------------------------------- submit
    def submit(
        self, kind: str, title: str, params: dict, fn: Callable[[Progress], Any], *, key: str | None = None
    ) -> Job:
        """Queue ``fn(progress)``; reuse a finished job with the same ``key`` if its result is kept."""
        with self._lock:
            if key is not None:
                for job in reversed(self._jobs.values()):
                    if (
                        job.key == key
                        and job.status in ("queued", "running", "done")
                        and (job.status != "done" or job.result is not None)
                        and not job.cancel_requested
                    ):
                        return job
            active = sum(j.status in ("queued", "running") for j in self._jobs.values())
            if active >= self.max_active:
                raise TooManyJobs(
                    f"too many jobs: {active} queued or running (limit {self.max_active}); "
                    "wait for one to finish or cancel one"
                )
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, title=title, params=params, key=key)
            self._jobs[job.id] = job
            self._prune()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="detente-job")
            pool = self._pool
        self._flush()  # on disk before the client learns the id
        pool.submit(self._run, job, fn)
        return job

    def _run(self, job: Job, fn: Callable[[Progress], Any]) -> None:
        with self._lock:
            if job.cancel_requested:
                job.status, job.finished_at = "cancelled", _now()
                cancelled = True
            else:
                cancelled = False
                job.status, job.started_at, job.t0 = "running", _now(), time.monotonic()
                job.deadline = job.t0 + self.max_seconds
        self._flush()
        if cancelled:
            return

        def progress(done: int, total: int, date: Any = None) -> None:
            with self._lock:
                job.done, job.total = int(done), int(total)
                job.date = str(date) if date is not None else None
                stop = job.cancel_requested
                late = job.deadline is not None and time.monotonic() > job.deadline
            self._flush(force=False)
            if stop:
                raise JobCancelled("cancelled")
            if late:
                raise JobCancelled(f"stopped: longer than the limit of {self.max_seconds:g} s per job")

        try:
            result = fn(progress)
        except JobCancelled as exc:
            self._finish(job, "cancelled", error=None if str(exc) == "cancelled" else str(exc))
        except DetenteError as exc:
            log.info("job %s failed: %s", job.id, exc)
            self._finish(job, "failed", error=public_text(str(exc)))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("job %s failed (ref %s)", job.id, ref)
            self._finish(job, "failed", error=f"internal error (ref {ref}); see the server log")
        else:
            self._finish(job, "done", result=result, run_id=getattr(result, "run_id", None))

    def _finish(
        self, job: Job, status: str, *, result: Any = None, error: str | None = None, run_id: str | None = None
    ) -> None:
        with self._lock:
            job.status, job.finished_at, job.error = status, _now(), error
            job.result, job.run_id = result, run_id
            job.seconds = round(time.monotonic() - job.t0, 3) if job.t0 is not None else None
            if status == "done":
                job.done = max(job.done, job.total)
            self._prune()
        self._flush()

    def _prune(self) -> None:
        kept = [j for j in self._jobs.values() if j.result is not None]
        for j in kept[: -self.keep_results] if len(kept) > self.keep_results else []:
            j.result = None
        finished = [j for j in self._jobs.values() if j.status not in ("queued", "running")]
        excess = len(self._jobs) - self.keep_jobs
        for j in finished[: max(excess, 0)]:
            del self._jobs[j.id]

    # ---------------------------------------------------------------- queries
    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJob(f"no job {job_id!r} (the server keeps its latest {self.keep_jobs} jobs)")
        return job

    def info(self, job_id: str) -> dict:
        job = self.get(job_id)
        with self._lock:
            return job.info()

    def list(self) -> list[dict]:
        with self._lock:
            return [j.info() for j in reversed(self._jobs.values())]

    def cancel(self, job_id: str) -> dict:
        """Ask a job to stop; a queued job never starts, a running one stops at its next date."""
        job = self.get(job_id)
        with self._lock:
            if job.status in ("queued", "running"):
                job.cancel_requested = True
                if job.status == "queued":
                    job.status, job.finished_at = "cancelled", _now()
            info = job.info()
        self._flush()
        return info

    def wait(self, job_id: str, timeout: float = 60.0) -> dict:
        """Block until the job has finished (for tests and scripts)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            info = self.info(job_id)
            if info["status"] not in ("queued", "running"):
                return info
            time.sleep(0.02)
        return self.info(job_id)

    def shutdown(self) -> None:
        """Stop every job (at its next date) and the worker threads; a later submit starts new ones."""
        with self._lock:
            for j in self._jobs.values():
                if j.status in ("queued", "running"):
                    j.cancel_requested = True
                    if j.status == "queued":
                        j.status, j.finished_at = "cancelled", _now()
            pool, self._pool = self._pool, None
        self._flush()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
