"""The results store: every run, saved atomically in an embedded DuckDB database.

docs/store.md describes the file's location, the schema, SQL queries and the atomicity
guarantee. In brief: a ``runs`` table (metadata, JSON columns, ``status``), a
``variables`` table (dims, dtype, attributes, labels), a ``slices`` table mapping each
date of a dated variable to its distinct slice (a replay has ~25 distinct policy states
over 105 dates; each is stored once), and long tables ``numbers`` (DOUBLE, exact for
float64/float32, NaN stored as NULL) and ``strings``. A save is one transaction whose last
statement sets ``status = 'complete'``; reads see complete runs only.

Concurrency: DuckDB lets one process write a file, and a writer cannot open a file that
another process holds, even read-only. A save that finds the store held by another process
therefore never waits for it: it writes the run into its own small DuckDB file in the
``<store>.pending/`` folder (atomically: written under a temporary name, then renamed), and
the next operation that can open the store for writing merges the pending runs into it,
one transaction each. Reads see the store and the pending runs together. The store refuses
files that are not its own: a file whose header is not DuckDB's, or a DuckDB database
without detente's marker row in ``store_info``, is never opened for writing.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from detente._files import atomic_path, write_text
from detente.errors import DetenteError, StoreError, UnknownLabelError  # noqa: F401
from detente.store._codec import (  # noqa: F401
    CHUNK,
    DATE,
    _codec,
    _decode_dims,
    _decode_values,
    _encode,
    _encode_dims,
    _Encoded,
    _fetch,
    _groups,
    _insert_variables,
    _json,
    _labels,
    _load_variables,
    _stored_variables,
    _value_batches,
)
from detente.store._records import RunRecord, jsonable

SCHEMA_VERSION = 1
#: ``store_info`` row that marks a database as a detente results store
MARKER = ("application", "detente-runs")
#: folder next to the store (``<store>.pending``) for runs saved while the store was held
PENDING_SUFFIX = ".pending"
_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB file (after an 8-byte checksum)
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: settings of the files detente makes (new stores, pending runs): no extension installed or
#: loaded on the fly (json and parquet are built in). The store file itself is opened with
#: the defaults but only after its header was checked, so DuckDB never tries to load an
#: extension (the sqlite scanner) for a foreign file
_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
log = logging.getLogger("detente.store")
HEADLINE = ("welfare_pct", "real_wage_pct", "cpi_pct", "avg_tariff_pct")
Progress = Callable[[int, int], None]


_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_info (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY, status VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
    variant VARCHAR, world VARCHAR NOT NULL, vintage VARCHAR NOT NULL, code_version VARCHAR NOT NULL,
    created_at VARCHAR NOT NULL, seed BIGINT, settings JSON NOT NULL, summary JSON NOT NULL,
    scenario_text VARCHAR, attrs JSON NOT NULL, dims JSON NOT NULL, n_dates INTEGER NOT NULL,
    n_values BIGINT NOT NULL, saved_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS variables (
    run_id VARCHAR NOT NULL, variable VARCHAR NOT NULL, ordinal INTEGER NOT NULL, role VARCHAR NOT NULL,
    dims VARCHAR[] NOT NULL, dtype VARCHAR NOT NULL, codec VARCHAR NOT NULL, attrs JSON NOT NULL,
    by_date BOOLEAN NOT NULL, slice_dims VARCHAR[] NOT NULL, slice_shape INTEGER[] NOT NULL,
    slice_strides BIGINT[] NOT NULL, slice_labels VARCHAR[][] NOT NULL, n_slices INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS slices (
    run_id VARCHAR NOT NULL, variable VARCHAR NOT NULL, date_pos INTEGER NOT NULL, date TIMESTAMP,
    slice INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS numbers (
    run_id VARCHAR NOT NULL, variable VARCHAR NOT NULL, slice INTEGER NOT NULL, pos INTEGER NOT NULL,
    value DOUBLE);
CREATE TABLE IF NOT EXISTS strings (
    run_id VARCHAR NOT NULL, variable VARCHAR NOT NULL, slice INTEGER NOT NULL, pos INTEGER NOT NULL,
    text VARCHAR);
CREATE OR REPLACE VIEW cells AS
WITH x AS (SELECT run_id, variable, slice, pos, value, NULL::VARCHAR AS text FROM numbers
           UNION ALL SELECT run_id, variable, slice, pos, NULL::DOUBLE AS value, text FROM strings)
SELECT x.run_id, x.variable, s.date,
       map_from_entries(list_transform(range(1, len(v.slice_dims) + 1), lambda k: {
           'key': v.slice_dims[k],
           'value': v.slice_labels[k][(x.pos // v.slice_strides[k]) % v.slice_shape[k] + 1]})) AS labels,
       x.value, x.text
FROM x
JOIN runs r ON r.id = x.run_id AND r.status = 'complete'
JOIN variables v ON v.run_id = x.run_id AND v.variable = x.variable
LEFT JOIN slices s ON s.run_id = x.run_id AND s.variable = x.variable AND s.slice = x.slice;
"""
_RUN_TABLES = ("numbers", "strings", "slices", "variables", "runs")
LIST_COLUMNS = ["id", "kind", "name", "variant", "world", "vintage", "created_at", "code_version", "n_dates", "status"]

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


class StoreBusy(StoreError):
    """The store file is held by another process (a writer, or a reader while we write)."""


def _lock_for(path: Path) -> threading.RLock:
    with _locks_guard:
        return _locks.setdefault(str(path), threading.RLock())


@contextlib.contextmanager
def _transaction(con):
    """BEGIN ... COMMIT; ROLLBACK on any exception (even KeyboardInterrupt), then re-raise."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")
        raise


def default_store_path() -> Path:
    """``$DETENTE_STORE``, else ``data_dir() / "runs.duckdb"``."""
    env = os.environ.get("DETENTE_STORE")
    if env:
        return Path(env).expanduser()
    from detente.world._registry import data_dir

    return data_dir() / "runs.duckdb"


class RunStore:
    """Runs saved in a DuckDB file; each operation opens the file briefly and closes it.

    Parameters
    ----------
    path : path-like, optional
        The database file; default :func:`default_store_path`. Created on the first save.
    timeout : float
        Seconds to wait while another process holds the file (DuckDB allows one writer
        process, or several read-only ones) before raising :class:`StoreError`.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 10.0) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # ------------------------------------------------------------------ connections
    @property
    def pending_dir(self) -> Path:
        """Where runs saved while the store was held by another process wait to be merged."""
        return self.path.with_name(self.path.name + PENDING_SUFFIX)

    def _pending_files(self) -> list[Path]:
        d = self.pending_dir
        if not d.is_dir():
            return []
        return sorted(
            f
            for f in d.iterdir()
            if not f.name.startswith(".") and f.name.endswith(".duckdb") and ".conflict" not in f.name and f.is_file()
        )

    def _check_file(self, path: Path) -> None:
        """Refuse a file that is not a DuckDB database (before DuckDB sees it)."""
        if path.is_dir():
            raise StoreError(f"the results store {str(path)!r} is a folder, not a DuckDB file")
        try:
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError as exc:
            raise StoreError(f"cannot read the results store {str(path)!r}: {exc.strerror}") from None
        if head.startswith(_SQLITE_MAGIC):
            raise StoreError(
                f"{str(path)!r} is an SQLite database, not a detente results store; "
                "detente will not write into it (give another --store file)"
            )
        if head[8:12] != _DUCKDB_MAGIC:
            raise StoreError(
                f"{str(path)!r} is not a detente results store (not a DuckDB file); "
                "detente will not write into it (give another --store file)"
            )

    def _open(self, path: Path, *, write: bool, timeout: float, own: bool = False):
        """``duckdb.connect`` with retries while another process (or another connection of
        this process, with other settings) holds the file.

        ``own``: a file detente has just made (a new store, a pending run), opened with
        extension auto-loading off. The store file itself is opened with DuckDB's default
        settings, so that a read-only connection of the user's in this process can share it
        (its header was checked first: DuckDB never sees a foreign file).
        """
        try:
            import duckdb
        except ImportError:
            raise StoreError("the results store needs the duckdb package: pip install duckdb") from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                if own:
                    return duckdb.connect(str(path), read_only=not write, config=_CONFIG)
                return duckdb.connect(str(path), read_only=not write)
            except duckdb.Error as exc:
                text = str(exc)
                held = (
                    isinstance(exc, duckdb.IOException) and "lock" in text.lower()
                ) or "different configuration" in text
                if not held:
                    raise StoreError(
                        f"cannot open the results store {str(path)!r} (is it a detente DuckDB file?): {_clean(exc)}"
                    ) from None
                if time.monotonic() >= deadline:
                    log.debug("store %s busy: %s", path, exc)
                    what = "writing" if write else "reading"
                    raise StoreBusy(
                        f"cannot open the results store {str(path)!r} for {what}: another "
                        f"process or connection holds it (waited {timeout:g} s)"
                    ) from None
                time.sleep(0.05)

    def _create(self) -> None:
        """Make a new store file atomically: schema and marker in a temporary file, then
        linked into place (so a file at the path is always a complete store, or foreign)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.new")
        try:
            con = self._open(tmp, write=True, timeout=0, own=True)
            try:
                with _transaction(con):
                    _init_schema(con)
            finally:
                con.close()
            try:
                os.link(tmp, self.path)  # never replaces a file another process made meanwhile
            except FileExistsError:
                if self.path.stat().st_size == 0:
                    os.replace(tmp, self.path)
            except OSError:  # no hard links on this file system
                if not self.path.exists() or self.path.stat().st_size == 0:
                    os.replace(tmp, self.path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
            with contextlib.suppress(OSError):
                tmp.with_name(tmp.name + ".wal").unlink()

    @contextlib.contextmanager
    def _connect(self, *, write: bool, wait: bool = True) -> Iterator[Any]:
        """The store file's connection (None when reading a store not created yet); closed
        on exit. Raises :class:`StoreBusy` when another process holds the file past
        ``timeout`` (at once with ``wait=False``), :class:`StoreError` for a foreign file."""
        with _lock_for(self.path.resolve()):
            if not self.path.exists() or (write and self.path.is_file() and self.path.stat().st_size == 0):
                if not write:
                    yield None
                    return
                self._create()
            self._check_file(self.path)
            con = self._open(self.path, write=write, timeout=self.timeout if wait else 0.0)
            try:
                self._check_marker(con, self.path, write=write)
                yield con
            finally:
                con.close()

    def _check_marker(self, con, path: Path, *, write: bool) -> None:
        """Refuse a DuckDB database without detente's marker; upgrade an older store's marker."""
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database()"
            ).fetchall()
        }
        info = dict(con.execute("SELECT key, value FROM store_info").fetchall()) if "store_info" in tables else {}
        ours = info.get(MARKER[0]) == MARKER[1] or ("schema_version" in info and {*_RUN_TABLES} <= tables)
        if not ours:
            raise StoreError(
                f"{str(path)!r} is a DuckDB database but not a detente results store (no "
                f"{MARKER[0]}={MARKER[1]!r} row in a store_info table); detente will not "
                "write into it (give another --store file)"
            )
        if int(info.get("schema_version", SCHEMA_VERSION)) > SCHEMA_VERSION:
            raise StoreError(
                f"the results store {str(path)!r} has schema version {info['schema_version']}, "
                f"newer than this detente understands ({SCHEMA_VERSION}); upgrade detente"
            )
        if write and (info.get(MARKER[0]) != MARKER[1] or not {*_RUN_TABLES} <= tables):
            with _transaction(con):
                _init_schema(con)

    @contextlib.contextmanager
    def _reading(self) -> Iterator[list]:
        """Connections to read, the store file first, then each pending run's file.

        The store file is opened first: while it is open, no process can merge (and
        delete) pending files, so the two together are one consistent view.
        """
        with _lock_for(self.path.resolve()):
            if self._pending_files():
                with contextlib.suppress(StoreBusy):
                    with self._connect(write=True, wait=False) as con:
                        self._merge_pending(con)
            with contextlib.ExitStack() as stack:
                main = stack.enter_context(self._connect(write=False))
                cons = [main] if main is not None else []
                for f in self._pending_files():
                    try:
                        c = self._open(f, write=False, timeout=1.0, own=True)
                    except StoreError as exc:
                        log.warning("skipping pending run file %s: %s", f, exc)
                        continue
                    stack.callback(c.close)
                    cons.append(c)
                yield cons

    def _merge_pending(self, con) -> list[str]:
        """Move every pending run into the store (``con`` open for writing); their ids."""
        merged = []
        for f in self._pending_files():
            try:
                con.execute(f"ATTACH '{_sql_str(f)}' AS pending (READ_ONLY)")
            except Exception as exc:  # noqa: BLE001 - a damaged pending file must not stop the store
                log.warning("cannot merge the pending run file %s: %s", f, exc)
                continue
            conflict = False
            try:
                rows = con.execute("SELECT id, saved_at FROM pending.runs WHERE status = 'complete'").fetchall()
                with _transaction(con):
                    for run_id, saved_at in rows:
                        have = con.execute("SELECT saved_at FROM main.runs WHERE id = ?", [run_id]).fetchone()
                        if have is not None:
                            conflict = conflict or have[0] != saved_at  # same saved_at: merged before
                            continue
                        for table in reversed(_RUN_TABLES):  # runs first
                            key = "id" if table == "runs" else "run_id"
                            con.execute(
                                f"INSERT INTO main.{table} BY NAME SELECT * FROM pending.{table} WHERE {key} = ?",
                                [run_id],
                            )
                        merged.append(run_id)
            finally:
                con.execute("DETACH pending")
            if conflict:
                log.warning("pending run file %s has an id already in the store; kept as .conflict", f)
                os.replace(f, f.with_name(f.name.replace(".duckdb", ".conflict.duckdb")))
            else:
                f.unlink()
        return merged

    # ------------------------------------------------------------------ writing
    def save(self, record: RunRecord, *, progress: Progress | None = None) -> str:
        """Save ``record`` in one transaction and return its id (``r-YYYYMMDD-xxxxxx``).

        ``progress(done, total)`` is called after each batch of stored values is written
        (inside the transaction: if it raises, nothing is saved). A record that already
        has an id keeps it (copying runs between stores); saving an id twice is an error.
        """
        import xarray as xr

        if not isinstance(record.dataset, xr.Dataset):
            raise StoreError(f"record.dataset must be an xarray.Dataset, got {type(record.dataset).__name__}")
        for field in ("kind", "name", "world", "created_at"):
            if not isinstance(getattr(record, field), str) or not getattr(record, field):
                raise StoreError(f"record.{field} must be a non-empty string, got {getattr(record, field)!r}")
        ds = record.dataset
        encoded = [_encode(name, var, ds) for name, var in _stored_variables(ds)]
        dims = _encode_dims(ds)
        n_dates = int(ds.sizes.get(DATE, 0))
        with _lock_for(self.path.resolve()):
            try:
                with self._connect(write=True, wait=False) as con:
                    self._merge_pending(con)
                    run_id = record.id or self._new_id([con], record.created_at)
                    self._check_new_id([con], run_id)
                    _write_run(con, run_id, record, encoded, dims, n_dates, progress)
                    return run_id
            except StoreBusy as exc:
                log.info("%s; saving the run as a pending file", exc)
            return self._save_pending(record, encoded, dims, n_dates, progress)

    def _save_pending(self, record, encoded, dims, n_dates, progress) -> str:
        """Save into ``<store>.pending/<id>.duckdb`` (the store is held by another process)."""
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:  # ids in the store: readable unless a process writes it
            try:
                main = stack.enter_context(self._connect(write=False, wait=False))
            except StoreBusy:
                main = None
            cons = [main] if main is not None else []
            run_id = record.id or self._new_id(cons, record.created_at)
            self._check_new_id(cons, run_id)
        final = self.pending_dir / f"{run_id}.duckdb"
        tmp = self.pending_dir / f".{run_id}.{secrets.token_hex(4)}.tmp"
        try:
            con = self._open(tmp, write=True, timeout=0, own=True)
            try:
                with _transaction(con):
                    _init_schema(con)
                _write_run(con, run_id, record, encoded, dims, n_dates, progress)
            finally:
                con.close()
            os.replace(tmp, final)
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        return run_id

    def _check_new_id(self, cons, run_id: str) -> None:
        taken = (self.pending_dir / f"{run_id}.duckdb").exists() or any(
            c.execute("SELECT count(*) FROM runs WHERE id = ?", [run_id]).fetchone()[0] for c in cons
        )
        if taken:
            raise StoreError(f"a run with id {run_id!r} is already in {str(self.path)!r}")

    def _new_id(self, cons, created_at: str) -> str:
        day = re.sub(r"\D", "", created_at[:10]) or time.strftime("%Y%m%d", time.gmtime())
        while True:
            run_id = f"r-{day}-{secrets.token_hex(3)}"
            if not (self.pending_dir / f"{run_id}.duckdb").exists() and not any(
                c.execute("SELECT count(*) FROM runs WHERE id = ?", [run_id]).fetchone()[0] for c in cons
            ):
                return run_id

    def delete(self, run_id: str) -> str:
        """Remove a run (one transaction) and return its id; unknown ids raise
        :class:`~detente.errors.UnknownLabelError`. A pending run (saved while the store
        was held) is removed with its file."""
        with _lock_for(self.path.resolve()):
            try:
                with self._connect(write=True) as con:
                    self._merge_pending(con)
                    _, run_id = self._resolve([con], run_id)
                    with _transaction(con):
                        for table in _RUN_TABLES:
                            con.execute(
                                f"DELETE FROM {table} WHERE {'id' if table == 'runs' else 'run_id'} = ?", [run_id]
                            )
                    return run_id
            except StoreBusy:
                with self._reading() as cons:
                    _, found = self._resolve(cons, run_id)
                pending = self.pending_dir / f"{found}.duckdb"
                if not pending.exists():  # in the store file itself, which another process holds
                    raise
                pending.unlink()
                return found

    # ------------------------------------------------------------------ reading
    def resolve(self, run_id: str) -> str:
        """The id of a complete run: ``run_id`` itself, or the newest one for ``"latest"``.

        Unknown ids raise :class:`~detente.errors.UnknownLabelError` listing recent ids.
        """
        with self._reading() as cons:
            return self._resolve(cons, run_id)[1]

    def list(self):
        """Complete runs, newest first: a pandas DataFrame with :data:`LIST_COLUMNS`."""
        import pandas as pd

        with self._reading() as cons:
            rows = [
                r
                for con in cons
                for r in con.execute(
                    f"SELECT {', '.join(LIST_COLUMNS)}, saved_at FROM runs WHERE status = 'complete'"
                ).fetchall()
            ]
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in LIST_COLUMNS})
        rows.sort(key=lambda r: (r[LIST_COLUMNS.index("created_at")], r[-1]), reverse=True)
        df = pd.DataFrame([r[:-1] for r in rows], columns=LIST_COLUMNS)
        df["n_dates"] = df["n_dates"].astype("int64")
        return df

    def _resolve(self, cons, run_id: str):
        """(connection holding it, id) of ``run_id``, or of the newest run for ``latest``."""
        newest = []
        for con in cons:
            if run_id in ("latest", "last"):
                row = con.execute(
                    "SELECT created_at, saved_at, id FROM runs WHERE status = 'complete' "
                    "ORDER BY created_at DESC, saved_at DESC LIMIT 1"
                ).fetchone()
                if row:
                    newest.append((row, con))
            elif con.execute("SELECT id FROM runs WHERE id = ? AND status = 'complete'", [run_id]).fetchone():
                return con, run_id
        if newest:
            row, con = max(newest, key=lambda x: x[0][:2])
            return con, row[2]
        recent = sorted(
            (
                r
                for con in cons
                for r in con.execute(
                    "SELECT created_at, saved_at, id FROM runs WHERE status = 'complete' "
                    "ORDER BY created_at DESC, saved_at DESC LIMIT 8"
                ).fetchall()
            ),
            reverse=True,
        )[:8]
        known = f"recent runs: {', '.join(r[2] for r in recent)}" if recent else "the store has no runs yet"
        raise UnknownLabelError(f"no run {run_id!r} in {str(self.path)!r} ({known}; `detente runs list` lists them)")

    def load(self, run_id: str, *, variables: Sequence[str] | None = None) -> RunRecord:
        """The run ``run_id`` (or ``"latest"``) with its dataset, exactly as saved.

        ``variables`` limits the dataset to those data variables (and all coordinates);
        faster for big runs.
        """
        with self._reading() as cons:
            con, rid = self._resolve(cons, run_id)
            return self._load(con, rid, variables)

    @staticmethod
    def _load(con, run_id: str, variables: Sequence[str] | None) -> RunRecord:
        import xarray as xr

        row = con.execute(
            "SELECT kind, name, variant, world, vintage, code_version, settings, "
            "scenario_text, seed, created_at, summary, attrs, dims FROM runs WHERE id = ?",
            [run_id],
        ).fetchone()
        vrows = con.execute(
            "SELECT variable, role, dims, dtype, codec, attrs, by_date, slice_shape, "
            "n_slices, ordinal FROM variables WHERE run_id = ? ORDER BY ordinal",
            [run_id],
        ).fetchall()
        names = [v[0] for v in vrows]
        if variables is not None:
            missing = [v for v in variables if v not in names]
            if missing:
                raise UnknownLabelError(f"run {run_id!r} has no variable(s) {missing}; it has {', '.join(names)}")
            vrows = [v for v in vrows if v[0] in set(variables) or v[1] == "coord"]
        decoded = _load_variables(con, run_id, vrows)
        kind, name, variant, world, vintage, code, settings, text, seed, created, summary, attrs, dims = row
        coords = _decode_dims(json.loads(dims))
        data_vars = {k: var for k, (role, var) in decoded.items() if role == "data"}
        extra = {k: var for k, (role, var) in decoded.items() if role == "coord"}
        ds = xr.Dataset(data_vars, coords={**coords, **extra}, attrs=json.loads(attrs))
        return RunRecord(
            kind=kind,
            name=name,
            variant=variant,
            world=world,
            vintage=vintage,
            code_version=code,
            settings=json.loads(settings),
            scenario_text=text,
            seed=seed,
            created_at=created,
            dataset=ds,
            summary=json.loads(summary),
            id=run_id,
        )

    # ------------------------------------------------------------------ compare & export
    def compare(self, id_a: str, id_b: str):
        """Headline series of two runs side by side.

        A pandas DataFrame with columns ``variable`` (welfare_pct, real_wage_pct,
        cpi_pct, avg_tariff_pct), ``date`` (NaT for undated runs), ``country``,
        ``partner`` (the exporter for tariffs, "" otherwise), ``a``, ``b`` and
        ``diff = b - a``. An undated run (a what-if) is repeated on every date of a
        dated one. ``attrs`` holds both runs' ids and names.
        """
        import pandas as pd

        recs = []
        with self._reading() as cons:
            for rid in (id_a, id_b):
                con, rid = self._resolve(cons, rid)
                have = {r[0] for r in con.execute("SELECT variable FROM variables WHERE run_id = ?", [rid]).fetchall()}
                recs.append(self._load(con, rid, [v for v in HEADLINE if v in have]))
        a, b = (_headline(r) for r in recs)
        keys = ["variable", "date", "country", "partner"]
        dated = [df for df in (a, b) if df["date"].notna().any()]
        if len(dated) == 1:
            days = pd.DataFrame({"date": dated[0]["date"].dropna().unique()})
            a, b = ((df if df is dated[0] else df.drop(columns="date").merge(days, how="cross")) for df in (a, b))
        out = a.rename(columns={"value": "a"}).merge(b.rename(columns={"value": "b"}), on=keys, how="outer")
        out["diff"] = out["b"] - out["a"]
        out = out.sort_values(keys, kind="stable", ignore_index=True)[keys + ["a", "b", "diff"]]
        out.attrs = {"a": recs[0].id, "b": recs[1].id, "a_name": _title(recs[0]), "b_name": _title(recs[1])}
        return out

    def export(
        self,
        run_id: str,
        out_dir: str | os.PathLike,
        format: str = "parquet",  # noqa: A002
    ) -> builtins.list[Path]:
        """Write one long-format file per variable (dims as label columns, then ``value``)
        and ``meta.json`` (the record without its dataset, plus variables and files).

        ``format`` is ``"parquet"`` or ``"csv"``; files are written by DuckDB's ``COPY``.
        Dates are DATE columns when they fall on midnight; NaN is written as NULL (empty
        in CSV). ``"xlsx"`` writes one Excel workbook instead (``<run>.xlsx``: a sheet per
        variable in the same long format, and a ``meta`` sheet; needs ``detente[excel]``).
        Returns the paths written, ``meta.json`` last.
        """
        import duckdb

        if format not in ("parquet", "csv", "xlsx"):
            raise StoreError(f"export format must be 'parquet', 'csv' or 'xlsx', got {format!r}")
        if format == "xlsx":
            return self._export_xlsx(run_id, out_dir)
        rec = self.load(run_id)
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        ds = rec.dataset
        written, files = [], {}
        con = duckdb.connect()
        try:
            for name, var in _stored_variables(ds):
                frame, select = _long_frame(ds, var)
                path = out / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.{format}"
                con.register("_var", frame)
                opts = "FORMAT PARQUET" if format == "parquet" else "FORMAT CSV, HEADER"
                with atomic_path(path) as tmp:
                    con.execute(f"COPY (SELECT {select} FROM _var) TO '{_sql_str(tmp)}' ({opts})")
                con.unregister("_var")
                written.append(path)
                files[name] = {
                    "file": path.name,
                    "dims": list(var.dims),
                    "dtype": str(var.dtype),
                    "attrs": jsonable(dict(var.attrs)),
                }
        finally:
            con.close()
        meta = {
            **jsonable(rec.meta()),
            "store": str(self.path),
            "dataset_attrs": jsonable(dict(ds.attrs)),
            "sizes": {k: int(v) for k, v in ds.sizes.items()},
            "format": format,
            "variables": files,
        }
        mpath = write_text(out / "meta.json", json.dumps(meta, indent=2) + "\n")
        return written + [mpath]

    def _export_xlsx(self, run_id: str, out_dir: str | os.PathLike) -> builtins.list[Path]:
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise StoreError("export to xlsx needs openpyxl: pip install 'detente[excel]'") from None
        import duckdb
        import pandas as pd

        rec = self.load(run_id)
        out = Path(out_dir).expanduser()
        out.mkdir(parents=True, exist_ok=True)
        ds = rec.dataset
        frames: dict[str, pd.DataFrame] = {}
        files: dict[str, dict[str, Any]] = {}
        con = duckdb.connect()
        try:
            for name, var in _stored_variables(ds):
                frame, select = _long_frame(ds, var)
                con.register("_var", frame)
                df = con.execute(f"SELECT {select} FROM _var").df()
                con.unregister("_var")
                if len(df) >= _XLSX_MAX_ROWS:
                    raise StoreError(
                        f"variable {name!r} has {len(df):,} rows, more than an Excel sheet holds "
                        f"({_XLSX_MAX_ROWS - 1:,}); export it as parquet or csv"
                    )
                sheet = _sheet_name(name, frames)
                frames[sheet] = df
                files[name] = {
                    "sheet": sheet,
                    "dims": list(var.dims),
                    "dtype": str(var.dtype),
                    "attrs": jsonable(dict(var.attrs)),
                }
        finally:
            con.close()
        meta = {
            **jsonable(rec.meta()),
            "store": str(self.path),
            "dataset_attrs": jsonable(dict(ds.attrs)),
            "sizes": {k: int(v) for k, v in ds.sizes.items()},
            "format": "xlsx",
            "variables": files,
        }
        book = out / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', str(rec.meta().get('id', run_id)))}.xlsx"
        with atomic_path(book) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                rows = [(k, json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in meta.items()]
                pd.DataFrame(rows, columns=["field", "value"]).to_excel(xw, sheet_name="meta", index=False)
                for sheet, df in frames.items():
                    for c in df.columns:  # Excel has no time zones
                        if isinstance(df[c].dtype, pd.DatetimeTZDtype):
                            df[c] = df[c].dt.tz_localize(None)
                    df.to_excel(xw, sheet_name=sheet, index=False)
        mpath = write_text(out / "meta.json", json.dumps(meta, indent=2) + "\n")
        return [book, mpath]


_XLSX_MAX_ROWS = 1_048_576  # rows of one Excel sheet, the header included


def _sheet_name(name: str, taken) -> str:
    """An Excel sheet name (31 characters, none of []:*?/\\) unique among ``taken``."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "variable"
    sheet, k = base, 1
    while sheet in taken or sheet == "meta":
        k += 1
        sheet = f"{base[: 31 - len(str(k)) - 1]}~{k}"
    return sheet


def _sql_str(p: Path) -> str:
    return str(p).replace("'", "''")


def _clean(exc: Exception) -> str:
    """DuckDB's message without the holder's program, PID and user name."""
    return re.sub(r"\s*Conflicting lock is held in .*", "", str(exc), flags=re.S).strip()


def _init_schema(con) -> None:
    """Tables, view and marker rows (idempotent)."""
    con.execute(_SCHEMA)
    con.execute("INSERT OR IGNORE INTO store_info VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    con.execute("INSERT OR IGNORE INTO store_info VALUES (?, ?)", list(MARKER))


def _write_run(con, run_id: str, record: RunRecord, encoded, dims, n_dates: int, progress) -> None:
    """The run's rows in one transaction, its status set to ``complete`` last."""
    ds = record.dataset
    with _transaction(con):
        con.execute(
            "INSERT INTO runs (id, status, kind, name, variant, world, vintage, code_version, "
            "created_at, seed, settings, summary, scenario_text, attrs, dims, n_dates, n_values) "
            "VALUES (?, 'writing', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                record.kind,
                record.name,
                record.variant,
                record.world,
                record.vintage,
                record.code_version,
                record.created_at,
                None if record.seed is None else int(record.seed),
                _json(record.settings),
                _json(record.summary),
                record.scenario_text,
                _json(ds.attrs),
                _json(dims),
                n_dates,
                sum(e.values.size for e in encoded),
            ],
        )
        _insert_variables(con, run_id, encoded)
        total, done = sum(len(e.values) for e in encoded), 0
        for table, frame in _value_batches(encoded):
            con.register("_chunk", frame)
            con.execute(f"INSERT INTO {table} SELECT ?, variable, slice, pos, v FROM _chunk", [run_id])
            con.unregister("_chunk")
            done += len(frame)
            if progress is not None:
                progress(done, total)
        con.execute("UPDATE runs SET status = 'complete' WHERE id = ?", [run_id])


# ---------------------------------------------------------------------------- compare/export helpers
def _title(rec: RunRecord) -> str:
    return f"{rec.name}{'/' + rec.variant if rec.variant else ''}"


def _headline(rec: RunRecord):
    """Long frame (variable, date, country, partner, value) of a run's headline series."""
    import pandas as pd

    ds = rec.dataset
    parts = []
    for v in HEADLINE:
        if v not in ds or not ({"country"} <= set(ds[v].dims) or {"importer", "exporter"} <= set(ds[v].dims)):
            continue
        f, _ = _long_frame(ds, ds[v])
        f = f.rename(columns={"importer": "country", "exporter": "partner"})
        f = f.astype({c: object for c in ("country", "partner") if c in f.columns})
        if "partner" not in f.columns:
            f["partner"] = ""
        if DATE not in f.columns:
            f[DATE] = pd.NaT
        f["variable"] = v
        parts.append(f[["variable", DATE, "country", "partner", "value"]])
    if not parts:
        raise StoreError(f"run {rec.id!r} has none of the headline variables {', '.join(HEADLINE)}")
    out = pd.concat(parts, ignore_index=True)
    out[DATE] = pd.to_datetime(out[DATE])
    return out


def _long_frame(ds, var):
    """(pandas DataFrame with one label column per dim plus ``value``, SQL select list)."""
    import pandas as pd

    dims = list(var.dims)
    a = np.asarray(var.values)
    idx = np.indices(a.shape).reshape(len(dims), -1) if dims else np.zeros((0, 1), dtype=np.int64)
    cols: dict[str, Any] = {}
    select = []
    for k, d in enumerate(dims):
        labels = ds[d].values if d in ds.coords else np.arange(ds.sizes[d])
        if labels.dtype.kind == "M":
            labels = labels.astype("datetime64[us]")
            midnight = bool(np.all(labels == labels.astype("datetime64[D]")))
            select.append(f'CAST("{d}" AS DATE) AS "{d}"' if midnight else f'"{d}"')
        else:
            select.append(f'"{d}"')
        cols[d] = (
            pd.Categorical.from_codes(idx[k], categories=pd.Index(labels.tolist(), dtype=object))
            if labels.dtype.kind in "OUS"
            else labels[idx[k]]
        )
    flat = a.reshape(-1)
    if flat.dtype.kind == "M":
        flat = flat.astype("datetime64[us]")
    cols["value"] = flat.astype(object) if flat.dtype.kind == "O" else flat
    select.append('"value"')
    return pd.DataFrame(cols), ", ".join(select)
