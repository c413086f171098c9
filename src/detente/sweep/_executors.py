"""Where chunks run: in this process, on a local Dask cluster, or on an existing one.

Every executor has one method, ``map(fn, chunks, *args)``, an iterator of
``(chunk, result)`` in the order chunks finish. The Dask executors submit each chunk as a
task keyed by the chunk's hash (``pure``, with retries): a chunk lost with its worker is
run again by the scheduler, and a chunk can finish only once per key, so results are
never duplicated; the client writes each chunk's file itself (:mod:`._run`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence

from detente.sweep._spec import SweepError

#: the environment variable naming an existing scheduler (``tcp://HOST:PORT``)
SCHEDULER_ENV = "DETENTE_DASK_SCHEDULER"


class SerialExecutor:
    """Run chunks one after another in this process."""

    name = "serial"

    def map(self, fn: Callable, chunks: Sequence, *args) -> Iterator:
        for chunk in chunks:
            yield chunk, fn(chunk.tasks, *args)

    def close(self) -> None:
        pass

    def describe(self) -> dict:
        return {"executor": "serial", "workers": 1}


def _need_distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - depends on the installation
        raise SweepError("the Dask executors need dask.distributed: pip install 'detente[distributed]'") from None
    return distributed


class DaskExecutor:
    """Run chunks on a Dask cluster.

    ``address`` (``tcp://HOST:PORT``; default ``$DETENTE_DASK_SCHEDULER``) connects to an
    existing scheduler; without one, a :class:`distributed.LocalCluster` of ``n_workers``
    single-threaded worker processes is started here and closed by :meth:`close`.
    ``retries`` is how often a chunk whose worker raised is tried again; chunks lost with
    a worker are rerun by the scheduler regardless (``distributed.scheduler.allowed-failures``).
    """

    name = "dask"

    def __init__(
        self,
        address: str | None = None,
        *,
        n_workers: int | None = None,
        threads_per_worker: int = 1,
        retries: int = 3,
        memory_limit: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        distributed = _need_distributed()
        self.address = (os.environ.get(SCHEDULER_ENV) if address is None else address) or None
        self._cluster = None
        if self.address:
            try:
                self.client = distributed.Client(self.address, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise SweepError(f"cannot reach the Dask scheduler {self.address!r}: {exc}") from None
        else:
            n = n_workers or max(1, min(4, os.cpu_count() or 2))
            kwargs = {"memory_limit": memory_limit} if memory_limit else {}
            self._cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=threads_per_worker, processes=True, dashboard_address=None, **kwargs
            )
            self.client = distributed.Client(self._cluster)
        self.retries = retries

    def map(self, fn: Callable, chunks: Sequence, *args) -> Iterator:
        from distributed import as_completed

        futures = {}
        for chunk in chunks:
            fut = self.client.submit(
                fn, chunk.tasks, *args, key=f"detente-sweep-{chunk.key}", pure=True, retries=self.retries
            )
            futures[fut.key] = (fut, chunk)
        seen: set[str] = set()
        try:
            for fut in as_completed([f for f, _ in futures.values()]):
                if fut.key in seen:  # never twice (as_completed may re-yield after a rerun)
                    continue
                seen.add(fut.key)
                chunk = futures[fut.key][1]
                result = fut.result()
                fut.release()
                yield chunk, result
        finally:
            for f, _ in futures.values():
                if not f.done():
                    f.cancel()

    def worker_memory(self) -> dict[str, int]:
        """Resident memory (bytes) of each worker process, as the workers report it."""

        def rss():
            import psutil

            return psutil.Process().memory_info().rss

        with contextlib.suppress(Exception):
            return self.client.run(rss)
        return {}

    def describe(self) -> dict:
        info = self.client.scheduler_info()
        return {
            "executor": "dask",
            "scheduler": self.client.scheduler.address,
            "workers": len(info.get("workers", {})),
            "local": self._cluster is not None,
        }

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


def make_executor(executor=None, *, scheduler: str | None = None, n_workers: int | None = None):
    """An executor from a name (``"serial"``, ``"local"``, ``"dask"``), an instance, or None.

    None: a scheduler given (``scheduler`` or ``$DETENTE_DASK_SCHEDULER``) -> that cluster,
    else serial. ``"local"`` starts a LocalCluster; ``"dask"`` needs a scheduler address.
    """
    if executor is not None and not isinstance(executor, str):
        return executor
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if executor is None:
        executor = "dask" if address else "serial"
    if executor == "serial":
        return SerialExecutor()
    if executor == "local":
        return DaskExecutor(scheduler or "", n_workers=n_workers)
    if executor == "dask":
        if not address:
            raise SweepError(
                f"executor 'dask' needs a scheduler address: --scheduler tcp://HOST:PORT or ${SCHEDULER_ENV}"
            )
        return DaskExecutor(address)
    raise SweepError(f"unknown executor {executor!r}: choose 'serial', 'local' or 'dask'")
