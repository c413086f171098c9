"""Names of the shortage model's rule settings (no numpy: the CLI parser reads them)."""

from __future__ import annotations

#: how a user's inventory cohorts source a critical input (docs/shortage.md, 'Cohorts')
COHORT_SOURCING = ("single", "single-low", "single-high", "mixed", "independent")

#: where a user's critical input comes from (docs/shortage.md, 'The parts channel')
PARTS_CHANNEL = ("io", "none")
