"""The deficit closure of a counterfactual: one name, one definition (docs/model.md, section 4).

=================  =================================================================
closure            new deficits D'_n
=================  =================================================================
``fixed-deficits`` D'_n = D_n, fixed numbers in numeraire units (world value added is the
                   numeraire, so they are fixed as a share of world value added)
``fixed-ratios``   each country's deficit moves with its own nominal value added,
                   D'_n = delta_n w_hat_n VA_n with delta_n = D_n / VA_n, less a
                   zero-sum adjustment (below); this holds expenditure / output fixed
                   (in the one-sector endowment model E_n / Y_n = 1 + delta_n), the
                   convention of gegravity and of Larch & Yotov (2016, eq. 30)
``balanced``       Dekle, Eaton & Kortum (2008): the baseline is first purged of deficits
                   (solved with D' = 0, giving a purged world) and the counterfactual is
                   solved from the purged world with D' = 0; results are changes relative
                   to the purged world
=================  =================================================================

Zero-sum adjustment of ``fixed-ratios``. ``sum_n delta_n w_hat_n VA_n`` is zero at the
baseline but not after a shock, and deficits must sum to zero world-wide. detente
subtracts the world sum in proportion to each country's new value added::

    D'_n = w_hat_n VA_n * (delta_n - sum_m delta_m w_hat_m VA_m / sum_m w_hat_m VA_m)

so every country's deficit/value-added ratio moves by the same number of points (the
value-added-weighted mean of the ratios, which is zero at the baseline). The rule is
homogeneous of degree one in wages, so real outcomes do not depend on the numeraire.
gegravity itself applies ``E'_n = phi_n Y'_n`` with no adjustment: its full-GE step keeps
the baseline output and expenditure shares in the multilateral-resistance system, where
the sum constraint never binds (see docs/csv_worlds.md for a comparison).

:func:`deficit_rule` is the single definition used by the numpy kernel
(:mod:`._kernel`), the JAX twin (:mod:`detente.strategy._jax_kernel`) and the tests.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente._defaults import CLOSURES as _CLOSURES

Closure = Literal["fixed-deficits", "fixed-ratios", "balanced"]
CLOSURES: tuple[str, ...] = _CLOSURES  # defined once, in detente._defaults

DESCRIPTIONS = {
    "fixed-deficits": "deficits fixed in numeraire units (world value added)",
    "fixed-ratios": "deficit / value-added ratios fixed (expenditure / output held), "
    "world sum removed in proportion to value added",
    "balanced": "deficits purged (Dekle-Eaton-Kortum): changes relative to the balanced-trade baseline",
}


def check_closure(closure: str) -> str:
    """``closure`` if it is one of :data:`CLOSURES`, else a readable :class:`ShockError`."""
    if closure not in CLOSURES:
        from detente.errors import ShockError

        raise ShockError(f"unknown closure {closure!r}: expected one of {', '.join(CLOSURES)}")
    return closure


def deficit_rule(closure: str, D, VA, w_hat, xp=np):
    """New deficits D' (N,) given wage changes ``w_hat`` (numpy or jax arrays via ``xp``).

    ``D`` are the closure's reference deficits: the fixed levels under
    ``fixed-deficits`` and ``balanced`` (zeros), the deficits at baseline wages under
    ``fixed-ratios`` (so ``delta = D / VA``).
    """
    if closure == "fixed-ratios":
        own = w_hat * D  # delta_n * w_hat_n * VA_n
        va_new = w_hat * VA
        return own - va_new * (own.sum() / va_new.sum())
    return D
