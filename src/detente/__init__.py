"""detente: a simulator of trade wars and trade talks.

The public API in brief::

    import detente
    world = detente.load_world("default")             # calibrated baseline (2022)
    shock = detente.Counterfactual.from_world(world).tariff("USA", "CHN", "goods", 145)  # +145 pp
    eq = detente.solve(world, shock)                  # static general equilibrium
    eq.country_table()                                # real income, wages, prices, trade by country
"""

from __future__ import annotations

from detente._version import __version__
from detente.errors import ConvergenceError, DataError, DetenteError, ShockError, UnknownLabelError

__all__ = [
    "__version__",
    "ConvergenceError",
    "DataError",
    "DetenteError",
    "ShockError",
    "UnknownLabelError",
]


def __getattr__(name: str):  # lazy re-exports keep `import detente` cheap
    if name in {"World", "load_world", "save_world", "aggregate"}:
        from detente import world as _w

        return getattr(_w, name)
    if name in {"solve", "Counterfactual", "Equilibrium"}:
        from detente import equilibrium as _e

        return getattr(_e, name)
    raise AttributeError(f"module 'detente' has no attribute {name!r}")
