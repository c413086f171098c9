"""Welfare decomposition of Caliendo & Parro (2015), section 4.

For a change from the baseline to a counterfactual, as fractions of baseline income I_n:

    terms of trade  = sum_{i,j} [ E_ni^j (c_hat_n^j - 1) - M_ni^j (c_hat_i^j - 1) ] / I_n
    volume of trade = sum_{i,j} tau_ni^j M_ni^j (M_hat_ni^j - c_hat_i^j) / I_n

    deficit         = (D'_n - D_n) / I_n

with E_ni^j exports of n to i and M_ni^j imports of n from i at factory prices in the
baseline, and tau the baseline tariffs. This is the discrete form the authors use for
their Table 2 (a first-order decomposition of the welfare change); the exact real-income
change I_hat / P_hat is reported beside it.

The deficit term is the change in income due to the new deficits D' instead of the
baseline D (zero under fixed deficits; endogenous under the fixed-ratio closure; -D/I
for a purge). For tariff changes, ToT + VoT + deficit is the first-order change of
ln(I/P): from I = wL + R + D and Shephard's lemma for P (docs/model.md, section 7).
An iceberg change has a further direct resource cost, -sum_i (1+tau) M d ln d / I,
which is not one of the three terms.
"""

from __future__ import annotations

import numpy as np


def decompose(
    world, solution, new_tariffs: np.ndarray, new_deficits: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """``terms_of_trade``, ``volume_of_trade`` and ``deficit`` (N,) as fractions of baseline income.

    ``new_deficits`` default to ``solution.D`` (the kernel's D'), else the baseline.
    """
    M = world.trade_flows  # (n, i, j) imports of n from i
    E = M.transpose(1, 0, 2)  # (n, i, j) exports of n to i
    c = solution.c_hat
    M_new = solution.pi * solution.X[:, None, :] / (1.0 + new_tariffs)
    I = world.income
    tot = (E * (c[:, None, :] - 1.0) - M * (c[None, :, :] - 1.0)).sum(axis=(1, 2)) / I
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = np.where(M > 0, M_new / M, 0.0)
    vot = (world.tariffs * M * (m_hat - c[None, :, :])).sum(axis=(1, 2)) / I
    if new_deficits is None:
        new_deficits = getattr(solution, "D", None)
    if new_deficits is None:
        new_deficits = world.deficit
    deficit = (np.asarray(new_deficits, float) - world.deficit) / I
    return {"terms_of_trade": tot, "volume_of_trade": vot, "deficit": deficit}
