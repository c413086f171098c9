"""Saving and loading worlds: NetCDF (classic format) with provenance as attributes.

A world file is a NetCDF-3 file (readable by any NetCDF tool, ``xarray``, R's
``ncdf4``) holding the model arrays under the names of :class:`World` fields, with
dimensions ``importer``, ``exporter``, ``country``, ``sector``, ``input_sector``, and
the provenance (:class:`WorldMeta`) as a JSON string in the global attribute
``detente_meta``. ``format_version`` guards future changes. See docs/data.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from detente._files import atomic_path
from detente.errors import DataError
from detente.world._world import World, WorldMeta

FORMAT_VERSION = 1
_FIELDS = (
    "expenditure",
    "trade_shares",
    "tariffs",
    "theta",
    "va_share",
    "io_shares",
    "final_shares",
    "value_added",
    "deficit",
)


def save_world(world: World, path: str | os.PathLike) -> Path:
    """Write ``world`` to ``path`` (NetCDF); written to a temporary file then renamed."""
    path = Path(path)
    ds = world.to_dataset()[list(_FIELDS)]
    ds.attrs = {
        "format": "detente-world",
        "format_version": FORMAT_VERSION,
        "detente_meta": json.dumps(world.meta.to_dict()),
    }
    with atomic_path(path, suffix=".nc.part") as tmp:
        ds.to_netcdf(tmp, engine="scipy", format="NETCDF3_64BIT")
    return path


def read_world(path: str | os.PathLike) -> World:
    """Read a world written by :func:`save_world`; errors name the file and the problem."""
    import xarray as xr

    path = Path(path)
    if not path.is_file():
        raise DataError(f"world file {str(path)!r} does not exist")
    try:
        with xr.open_dataset(path, engine="scipy") as ds:
            ds = ds.load()
    except Exception as exc:  # a file that is not NetCDF at all
        raise DataError(f"{str(path)!r} is not a detente world file (NetCDF): {exc}") from None
    if ds.attrs.get("format") != "detente-world":
        raise DataError(
            f"{str(path)!r} is NetCDF but not a detente world (attribute format={ds.attrs.get('format')!r})"
        )
    version = int(ds.attrs.get("format_version", 0))
    if version > FORMAT_VERSION:
        raise DataError(f"{str(path)!r} has world format version {version}; this detente reads up to {FORMAT_VERSION}")
    missing = [f for f in _FIELDS if f not in ds]
    if missing:
        raise DataError(f"{str(path)!r} lacks variables {missing}")
    meta = WorldMeta.from_dict(json.loads(ds.attrs.get("detente_meta", "{}")))
    countries = [str(c) for c in ds["country"].values]
    sectors = [str(s) for s in ds["sector"].values]
    arrays = {f: np.asarray(ds[f].values, dtype=float) for f in _FIELDS}
    return World(tuple(countries), tuple(sectors), meta=meta, **arrays)
