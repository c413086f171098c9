"""The calibrated baseline world: data, checks, aggregation, storage.

Public names: :class:`World`, :class:`WorldMeta`, :func:`load_world`, :func:`save_world`,
:func:`read_world`, :func:`aggregate`, :func:`load_cp2015`.
"""

from detente.world._aggregate import aggregate
from detente.world._cp2015 import load_cp2015
from detente.world._csv import read_csv_world, write_csv_world
from detente.world._io import read_world, save_world
from detente.world._registry import available_worlds, load_world
from detente.world._synthetic import random_world
from detente.world._world import Baseline, World, WorldMeta

__all__ = ["Baseline", "World", "WorldMeta", "aggregate", "available_worlds", "load_cp2015",
           "load_world", "random_world", "read_csv_world", "read_world", "save_world",
           "write_csv_world"]
