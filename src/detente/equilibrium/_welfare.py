"""Welfare decomposition of Caliendo & Parro (2015), section 4.

For a change from the baseline to a counterfactual, as fractions of baseline income I_n:

    terms of trade  = sum_{i,j} [ E_ni^j (c_hat_n^j - 1) - M_ni^j (c_hat_i^j - 1) ] / I_n
    volume of trade = sum_{i,j} tau_ni^j M_ni^j (M_hat_ni^j - c_hat_i^j) / I_n

with E_ni^j exports of n to i and M_ni^j imports of n from i at factory prices in the
baseline, and tau the baseline tariffs. This is the discrete form the authors use for
their Table 2 (a first-order decomposition of the welfare change); the exact real-income
change I_hat / P_hat is reported beside it.
"""

from __future__ import annotations

import numpy as np


def decompose(world, solution, new_tariffs: np.ndarray) -> dict[str, np.ndarray]:
    M = world.trade_flows  # (n, i, j) imports of n from i
    E = M.transpose(1, 0, 2)  # (n, i, j) exports of n to i
    c = solution.c_hat
    M_new = solution.pi * solution.X[:, None, :] / (1.0 + new_tariffs)
    I = world.income
    tot = (E * (c[:, None, :] - 1.0) - M * (c[None, :, :] - 1.0)).sum(axis=(1, 2)) / I
    with np.errstate(divide="ignore", invalid="ignore"):
        m_hat = np.where(M > 0, M_new / M, 0.0)
    vot = (world.tariffs * M * (m_hat - c[None, :, :])).sum(axis=(1, 2)) / I
    return {"terms_of_trade": tot, "volume_of_trade": vot}
