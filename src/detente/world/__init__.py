"""The calibrated baseline world: data, checks, aggregation, storage.

Public names: :class:`World`, :class:`WorldMeta`, :func:`load_world`, :func:`save_world`,
:func:`read_world`, :func:`aggregate`, :func:`load_cp2015`.
"""

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "Baseline": "detente.world._world",
    "World": "detente.world._world",
    "WorldMeta": "detente.world._world",
    "aggregate": "detente.world._aggregate",
    "available_worlds": "detente.world._registry",
    "households": "detente.world._households",
    "load_cp2015": "detente.world._cp2015",
    "load_world": "detente.world._registry",
    "random_world": "detente.world._synthetic",
    "read_csv_world": "detente.world._csv",
    "read_world": "detente.world._io",
    "save_world": "detente.world._io",
    "write_csv_world": "detente.world._csv",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.world._aggregate import aggregate  # noqa: F401
    from detente.world._cp2015 import load_cp2015  # noqa: F401
    from detente.world._csv import read_csv_world, write_csv_world  # noqa: F401
    from detente.world._io import read_world, save_world  # noqa: F401
    from detente.world._registry import available_worlds, load_world  # noqa: F401
    from detente.world._synthetic import random_world  # noqa: F401
    from detente.world._world import Baseline, World, WorldMeta  # noqa: F401

__getattr__, __dir__ = lazy(__name__, _EXPORTS)
__all__ = [
    "Baseline",
    "World",
    "WorldMeta",
    "aggregate",
    "available_worlds",
    "load_cp2015",
    "load_world",
    "random_world",
    "read_csv_world",
    "read_world",
    "save_world",
    "write_csv_world",
]
