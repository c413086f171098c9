"""Worlds by name or by path.

=================  ===========================================================
name               what
=================  ===========================================================
``default``        compact OECD ICIO 2022 world shipped in the package
                   (alias ``oecd-icio-2022-compact``); no download needed
``oecd-icio-2022`` full 80 economies x 50 industries, built on demand by
                   ``detente data build`` into the data directory
``cp2015``         Caliendo & Parro (2015) 1993 data from ``../shared/data/cp2015``
                   (validation only)
a path             any world file written by :func:`detente.world.save_world`
a ``.csv`` path    a one-sector flows file, or a directory with ``flows.csv``
or CSV directory   (:func:`detente.world.read_csv_world`, docs/csv_worlds.md)
=================  ===========================================================

The data directory is ``$DETENTE_DATA_DIR``, else ``$XDG_DATA_HOME/detente``, else
``~/.local/share/detente``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from detente.errors import DataError, UnknownLabelError
from detente.world._world import World

DEFAULT_WORLD = "oecd-icio-2022-compact"
_ALIASES = {"default": DEFAULT_WORLD}
_PACKAGED = {DEFAULT_WORLD: "world_oecd_icio_2022_compact.nc"}
_BUILT = {"oecd-icio-2022": "oecd-icio-2022.nc"}


def data_dir() -> Path:
    """Where built worlds and other generated data live (created on demand)."""
    env = os.environ.get("DETENTE_DATA_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "detente"


def available_worlds() -> dict[str, str]:
    """Names :func:`load_world` understands, with a one-line description each."""
    return {
        "default": f"alias of {DEFAULT_WORLD}",
        DEFAULT_WORLD: "OECD ICIO 2025 release, 2022: 20 regions x 22 sector groups (shipped)",
        "oecd-icio-2022": "OECD ICIO 2025 release, 2022: 80 economies x 50 industries "
        f"(build with `detente data build`; {'built' if (data_dir() / _BUILT['oecd-icio-2022']).exists() else 'not built yet'})",
        "cp2015": "Caliendo & Parro (2015) NAFTA data, 31 regions x 40 sectors, 1993 (validation)",
    }


def packaged_world_path(name: str = DEFAULT_WORLD) -> Path:
    return Path(str(resources.files("detente") / "data" / _PACKAGED[name]))


def is_csv_world(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a CSV world: a ``.csv`` file or a directory with ``flows.csv``."""
    p = Path(path).expanduser()
    return p.suffix.lower() == ".csv" or (p.is_dir() and (p / "flows.csv").is_file())


def load_world(
    name_or_path: str | os.PathLike = "default",
    *,
    elasticities: str | None = None,
    horizon: str = "1y",
    theta=None,
    **csv_options,
) -> World:
    """Load a world by name (see the module docstring) or from a file path.

    The world's trade elasticities are set to ``elasticities`` at ``horizon``
    (:func:`detente.world.with_elasticities`; docs/elasticities.md): by default the
    registry's ``default`` set at one year where the registry maps the world's sectors
    (the OECD worlds), else the world file's own (CP 2015, CSV worlds).
    ``elasticities="world"`` keeps the file's own everywhere. ``world.meta.elasticities``
    says which.

    A CSV world (``.csv`` file or directory with ``flows.csv``) is read with
    :func:`detente.world.read_csv_world`; ``theta`` and ``csv_options`` are passed to it
    (the trade elasticity is needed unless the files carry it).
    """
    from detente.world._theta import ElasticityChoice, with_elasticities

    world = _read_world(name_or_path, theta=theta, **csv_options)
    return with_elasticities(world, ElasticityChoice(elasticities, horizon))


def _read_world(name_or_path: str | os.PathLike, *, theta=None, **csv_options) -> World:
    if is_csv_world(name_or_path):
        from detente.world._csv import read_csv_world

        return read_csv_world(name_or_path, theta=theta, **csv_options)
    if theta is not None or csv_options:
        raise DataError(f"theta= and CSV options apply to CSV worlds only, not {str(name_or_path)!r}")
    from detente.world._io import read_world

    key = str(name_or_path)
    key = _ALIASES.get(key, key)
    if key in _PACKAGED:
        path = packaged_world_path(key)
        if not path.is_file():
            raise DataError(
                f"the packaged world file {str(path)!r} is missing; reinstall detente "
                "or run `detente data build --compact`"
            )
        return read_world(path)
    if key in _BUILT:
        path = data_dir() / "worlds" / _BUILT[key]
        if not path.is_file():
            raise DataError(f"world {key!r} is not built yet: run `detente data build` (it writes {str(path)!r})")
        return read_world(path)
    if key == "cp2015":
        from detente.world._cp2015 import load_cp2015

        return load_cp2015()
    path = Path(key).expanduser()
    if path.suffix in {".nc", ".netcdf"} or path.exists() or os.sep in key:
        return read_world(path)
    names = ", ".join(available_worlds())
    raise UnknownLabelError(f"unknown world {str(name_or_path)!r}: give a world file path or one of {names}")
