"""Weekly shortage dynamics of critical inputs under export licences (DESIGN.md section 4).

Public names: :func:`load_registry`, :class:`Registry`, :class:`Product`,
:class:`Restriction`, :func:`restrictions_from_scenario`, :class:`ShortageSettings`,
:func:`build_model`, :func:`simulate`, :func:`simulate_scenario`,
:class:`ShortageResult`, :func:`monte_carlo`, :func:`run_kernel`. The model's
equations and the registry's sources are in docs/shortage.md.
"""

from detente.shortage._kernel import KernelInputs, KernelOutput, run_kernel
from detente.shortage._licensing import (
    Restriction,
    approval_schedule,
    licensed_share,
    restrictions_from_scenario,
    shipped_share,
)
from detente.shortage._montecarlo import MonteCarloResult, monte_carlo
from detente.shortage._registry import Product, Registry, User, load_registry, map_registry
from detente.shortage._simulate import (
    ShortageModel,
    ShortageResult,
    ShortageSettings,
    build_model,
    simulate,
    simulate_scenario,
)

__all__ = ["KernelInputs", "KernelOutput", "MonteCarloResult", "Product", "Registry", "Restriction",
           "ShortageModel", "ShortageResult", "ShortageSettings", "User", "approval_schedule",
           "build_model", "licensed_share", "load_registry", "map_registry", "monte_carlo",
           "restrictions_from_scenario", "run_kernel", "shipped_share", "simulate", "simulate_scenario"]
