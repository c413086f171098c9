"""Names of the shortage model's rule settings (no numpy: the CLI parser reads them)."""

from __future__ import annotations

#: how a user's inventory cohorts source a critical input (docs/shortage.md, 'Cohorts')
COHORT_SOURCING = ("single", "single-low", "single-high", "mixed", "independent")

#: where a user's critical input comes from (docs/shortage.md, 'The parts channel')
PARTS_CHANNEL = ("io", "none")


#: the settings that decide who runs dry, in the order :func:`settings_text` shows them
KEY_SETTINGS = ("cohorts", "cohort_spread", "cohort_sourcing", "parts_channel", "io_rule", "propagate")


def settings_text(settings) -> str:
    """The settings that decide who runs dry, in one line, from a run's recorded settings
    (the dataset's ``settings`` attribute, a mapping; anything else is shown as it is)."""
    if not isinstance(settings, dict):
        return str(settings)
    return ", ".join(f"{k} {settings[k]}" for k in KEY_SETTINGS if k in settings)
