"""Writing files so that nothing is ever half-written.

Every file detente writes (worlds, results, reports, exports) goes through
:func:`atomic_path`: the content is written to a temporary file in the same folder and
renamed over the target only when complete; on error the temporary file is removed.
Commands check their output paths first, with :func:`check_output_path`, so that a
wrong ``--out`` is refused before anything is computed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from detente.errors import DetenteError


def check_output_path(path: str | os.PathLike, what: str = "--out", *, folder: bool = False) -> Path:
    """Refuse an output path that cannot be written, before any work is done.

    ``folder=False``: ``path`` is a file to (over)write; an existing folder is refused.
    ``folder=True``: ``path`` is a folder to write files into; an existing file is
    refused. Missing parent folders are fine (they are created when writing), but the
    nearest existing one must be a writable folder. Raises
    :class:`~detente.errors.DetenteError` naming ``what`` and the path; returns the path.
    """
    text = os.fspath(path)
    if not text.strip():
        raise DetenteError(f"{what}: the output path is empty")
    target = Path(text).expanduser()
    if folder:
        if target.exists() and not target.is_dir():
            raise DetenteError(
                f"{what} {text!r} is an existing file, not a folder: give a folder (new or existing) to write into"
            )
    elif target.is_dir():
        raise DetenteError(f"{what} {text!r} is a folder: give a file name, e.g. {str(target / 'results')!r}")
    elif target.exists() and not target.is_file():
        raise DetenteError(f"{what} {text!r} exists and is not a regular file")
    parent = target if folder and target.is_dir() else target.parent
    while not parent.exists() and not parent.is_symlink() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise DetenteError(f"{what} {text!r}: {str(parent)!r} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise DetenteError(f"{what} {text!r}: no permission to write in {str(parent)!r}")
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".part") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The parent folder is created; the file gets the usual permissions (0666 less the
    umask) rather than the 0600 of :func:`tempfile.mkstemp`. A target that is a folder, or
    a parent that cannot be created or written, raises :class:`~detente.errors.DetenteError`.
    """
    target = Path(path)
    if target.is_dir():
        raise DetenteError(f"cannot write {str(target)!r}: it is a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    except OSError as exc:
        raise DetenteError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, record, *, default=None) -> Path:
    """Write ``record`` as indented JSON to ``path`` atomically (``default`` as in json.dumps)."""
    return write_text(path, json.dumps(record, indent=2, default=default) + "\n")


def write_csv(frame, path: str | os.PathLike, **options) -> Path:
    """Write a pandas DataFrame as CSV to ``path`` atomically (``options``: DataFrame.to_csv's)."""
    with atomic_path(path, suffix=".csv.part") as tmp:
        frame.to_csv(tmp, **options)
    return Path(path)


def write_figure(fig, path: str | os.PathLike, *, dpi: int = 130) -> Path:
    """Save a matplotlib figure to ``path`` atomically, in the format its suffix names."""
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower() or "png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, dpi=dpi, format=fmt)
    return target


def write_netcdf(ds, path: str | os.PathLike) -> Path:
    """Write an xarray Dataset as NetCDF-3 atomically; non-scalar attributes become JSON."""

    def flat(attrs: dict) -> dict:
        return {k: (v if isinstance(v, (str, int, float)) else json.dumps(v, default=str)) for k, v in attrs.items()}

    ds = ds.copy()
    ds.attrs = flat(ds.attrs)
    for var in ds.variables.values():
        var.attrs = flat(var.attrs)
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
    return Path(path)
