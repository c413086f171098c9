"""Weekly shortage dynamics of critical inputs under export licences (DESIGN.md section 4).

Public names: :func:`load_registry`, :class:`Registry`, :class:`Product`,
:class:`Restriction`, :func:`restrictions_from_scenario`, :class:`ShortageSettings`,
:func:`build_model`, :func:`simulate`, :func:`simulate_scenario`,
:class:`ShortageResult`, :func:`monte_carlo`, :func:`cut_losses` (a sustained cut-off
with its band), :func:`run_kernel`, :class:`Parts` and
:func:`parts_origins` (the parts channel). The model's
equations and the registry's sources are in docs/shortage.md.
"""

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "CutLosses": "detente.shortage._cut",
    "KernelInputs": "detente.shortage._kernel",
    "KernelOutput": "detente.shortage._kernel",
    "MonteCarloResult": "detente.shortage._montecarlo",
    "Parts": "detente.shortage._registry",
    "Product": "detente.shortage._registry",
    "Registry": "detente.shortage._registry",
    "Restriction": "detente.shortage._licensing",
    "ShortageModel": "detente.shortage._simulate",
    "ShortageResult": "detente.shortage._simulate",
    "ShortageSettings": "detente.shortage._simulate",
    "User": "detente.shortage._registry",
    "approval_schedule": "detente.shortage._licensing",
    "build_model": "detente.shortage._simulate",
    "cohort_sourcing": "detente.shortage._licensing",
    "cut_losses": "detente.shortage._cut",
    "licensed_share": "detente.shortage._licensing",
    "load_registry": "detente.shortage._registry",
    "map_registry": "detente.shortage._registry",
    "monte_carlo": "detente.shortage._montecarlo",
    "parts_origins": "detente.shortage._registry",
    "restrictions_from_scenario": "detente.shortage._licensing",
    "run_kernel": "detente.shortage._kernel",
    "shipped_share": "detente.shortage._licensing",
    "simulate": "detente.shortage._simulate",
    "simulate_scenario": "detente.shortage._simulate",
    "sustained_supply": "detente.shortage._licensing",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.shortage._cut import CutLosses, cut_losses  # noqa: F401
    from detente.shortage._kernel import KernelInputs, KernelOutput, run_kernel  # noqa: F401
    from detente.shortage._licensing import (  # noqa: F401
        Restriction,
        approval_schedule,
        cohort_sourcing,
        licensed_share,
        restrictions_from_scenario,
        shipped_share,
        sustained_supply,
    )
    from detente.shortage._montecarlo import MonteCarloResult, monte_carlo  # noqa: F401
    from detente.shortage._registry import (  # noqa: F401
        Parts,
        Product,
        Registry,
        User,
        load_registry,
        map_registry,
        parts_origins,
    )
    from detente.shortage._simulate import (  # noqa: F401
        ShortageModel,
        ShortageResult,
        ShortageSettings,
        build_model,
        simulate,
        simulate_scenario,
    )

__getattr__, __dir__ = lazy(__name__, _EXPORTS)
__all__ = [
    "KernelInputs",
    "KernelOutput",
    "MonteCarloResult",
    "Parts",
    "Product",
    "Registry",
    "Restriction",
    "ShortageModel",
    "ShortageResult",
    "ShortageSettings",
    "User",
    "approval_schedule",
    "build_model",
    "cohort_sourcing",
    "licensed_share",
    "load_registry",
    "map_registry",
    "monte_carlo",
    "parts_origins",
    "restrictions_from_scenario",
    "run_kernel",
    "shipped_share",
    "simulate",
    "simulate_scenario",
    "sustained_supply",
]
