"""Writing files so that nothing is ever half-written.

Every file detente writes (worlds, results, reports, exports) goes through
:func:`atomic_path`: the content is written to a temporary file in the same folder and
renamed over the target only when complete; on error the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".part") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    The parent folder is created; the file gets the usual permissions (0666 less the
    umask) rather than the 0600 of :func:`tempfile.mkstemp`.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
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


def write_json(path: str | os.PathLike, record) -> Path:
    """Write ``record`` as indented JSON to ``path`` atomically."""
    return write_text(path, json.dumps(record, indent=2))


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
