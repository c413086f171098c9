"""Instruments of trade policy, defined once, with one reading shared by every model.

This package is the home of each instrument's semantics (docs/model.md, section 5;
docs/shortage.md). Today it holds the export-licence reading that the static
equilibrium (the scenario timeline) and the weekly shortage model both use, so the same
event means the same thing in both: a ban passes nothing; per-shipment licences pass
nothing during their review and then their approval share; general licences pass their
approval share from the first day.
"""

from detente.instruments._critical import (
    NEST_SIGMA,
    CriticalCut,
    critical_block,
    nest_sigma,
    replacement_share,
)
from detente.instruments._licence import LICENCES, approval_on, licence_equivalent, review_end

__all__ = [
    "LICENCES",
    "NEST_SIGMA",
    "CriticalCut",
    "approval_on",
    "critical_block",
    "licence_equivalent",
    "nest_sigma",
    "replacement_share",
    "review_end",
]
