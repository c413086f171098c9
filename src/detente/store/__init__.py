"""The results store: every run saved with its scenario, data vintage, code version and
settings in an embedded DuckDB database, with Parquet and CSV exports.

Public names: :class:`RunStore`, :class:`RunRecord`, :func:`record_from_replay`,
:func:`record_from_equilibrium`, :func:`record_from_strategy`, :func:`default_store_path`, :func:`code_version`,
:class:`StoreError` (and :class:`StoreBusy`, a file held by another process). docs/store.md describes the database and its guarantees::

    from detente.store import RunStore, record_from_replay
    store = RunStore()                      # $DETENTE_STORE, else <data dir>/runs.duckdb
    run_id = store.save(record_from_replay(rp))
    store.list(); store.load(run_id).dataset; store.export(run_id, "out/")
"""

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "RunRecord": "detente.store._records",
    "code_version": "detente.store._records",
    "record_from_equilibrium": "detente.store._records",
    "record_from_replay": "detente.store._records",
    "record_from_strategy": "detente.store._records",
    "RunStore": "detente.store._store",
    "StoreBusy": "detente.store._store",
    "StoreError": "detente.store._store",
    "default_store_path": "detente.store._store",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.store._records import (  # noqa: F401
        RunRecord,
        code_version,
        record_from_equilibrium,
        record_from_replay,
        record_from_strategy,
    )
    from detente.store._store import RunStore, StoreBusy, StoreError, default_store_path  # noqa: F401

__getattr__, __dir__ = lazy(__name__, _EXPORTS)

__all__ = [
    "RunRecord",
    "RunStore",
    "StoreBusy",
    "StoreError",
    "code_version",
    "default_store_path",
    "record_from_equilibrium",
    "record_from_replay",
    "record_from_strategy",
]
