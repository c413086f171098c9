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

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "Bands": "detente.sweep._bands",
    "bands": "detente.sweep._bands",
    "quantiles": "detente.sweep._bands",
    "SCHEDULER_ENV": "detente.sweep._executors",
    "DaskExecutor": "detente.sweep._executors",
    "SerialExecutor": "detente.sweep._executors",
    "make_executor": "detente.sweep._executors",
    "SweepResult": "detente.sweep._run",
    "run_sweep": "detente.sweep._run",
    "sweep_bands": "detente.sweep._run",
    "Sweep": "detente.sweep._spec",
    "SweepError": "detente.sweep._spec",
    "load_sweep": "detente.sweep._spec",
    "parse_sweep": "detente.sweep._spec",
    "shipped_sweeps": "detente.sweep._spec",
    "chunked": "detente.sweep._tasks",
    "draw_theta": "detente.sweep._tasks",
    "expand": "detente.sweep._tasks",
    "theta_mean_sd": "detente.sweep._tasks",
    "run_chunk": "detente.sweep._worker",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.sweep._bands import Bands, bands, quantiles  # noqa: F401
    from detente.sweep._executors import SCHEDULER_ENV, DaskExecutor, SerialExecutor, make_executor  # noqa: F401
    from detente.sweep._run import SweepResult, run_sweep, sweep_bands  # noqa: F401
    from detente.sweep._spec import Sweep, SweepError, load_sweep, parse_sweep, shipped_sweeps  # noqa: F401
    from detente.sweep._tasks import chunked, draw_theta, expand, theta_mean_sd  # noqa: F401
    from detente.sweep._worker import run_chunk  # noqa: F401

__getattr__, __dir__ = lazy(__name__, _EXPORTS)
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
