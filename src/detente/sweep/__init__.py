"""Sweeps: what-ifs and scenario replays over grids and random draws, serially or on Dask.

Public names: :func:`run_sweep`, :func:`sweep_bands`, :class:`SweepResult`,
:func:`load_sweep`, :func:`parse_sweep`, :class:`Sweep`, :class:`SweepError`,
:func:`bands`, :class:`Bands`, :func:`quantiles`, :class:`SerialExecutor`,
:class:`DaskExecutor`, :func:`make_executor`, :func:`expand`, :func:`shipped_sweeps`.
docs/sweeps.md describes the file format, executors and outputs::

    from detente.sweep import run_sweep
    res = run_sweep("geneva-elasticity-bands", executor="local")
    res.bands(0.9).table
"""

from detente.sweep._bands import Bands, bands, quantiles
from detente.sweep._executors import SCHEDULER_ENV, DaskExecutor, SerialExecutor, make_executor
from detente.sweep._run import SweepResult, run_sweep, sweep_bands
from detente.sweep._spec import Sweep, SweepError, load_sweep, parse_sweep, shipped_sweeps
from detente.sweep._tasks import chunked, draw_theta, expand, theta_mean_sd
from detente.sweep._worker import run_chunk

__all__ = [
    "Bands",
    "DaskExecutor",
    "SCHEDULER_ENV",
    "SerialExecutor",
    "Sweep",
    "SweepError",
    "SweepResult",
    "bands",
    "chunked",
    "draw_theta",
    "expand",
    "load_sweep",
    "make_executor",
    "parse_sweep",
    "quantiles",
    "run_chunk",
    "run_sweep",
    "shipped_sweeps",
    "sweep_bands",
    "theta_mean_sd",
]
