"""Policy: the scenario file, the dated timeline of instruments, and replays.

Public names: :func:`load_scenario`, :func:`parse_scenario`, :func:`scenario_json_schema`,
:class:`Scenario`, :class:`Event`, :class:`ScenarioError`, :func:`check_labels`,
:func:`apply_variant`, :func:`dates`, :func:`tariff_state`, :func:`iceberg_state`,
:func:`layer_rates`, :func:`policy_state`, :func:`state_key`, :func:`replay`,
:class:`Replay`, :func:`average_tariff`, :func:`baseline_tariffs`, :func:`rebase`,
:func:`tariff_series`. docs/scenarios.md describes the file format.
"""

from detente.policy._baseline import baseline_tariffs, rebase
from detente.policy._replay import Replay, average_tariff, replay
from detente.policy._schema import (
    Event,
    Scenario,
    ScenarioError,
    check_labels,
    load_scenario,
    parse_scenario,
    scenario_json_schema,
    shipped_scenarios,
)
from detente.policy._series import tariff_series
from detente.policy._timeline import (
    PolicyState,
    apply_variant,
    change_dates,
    dates,
    events_on,
    iceberg_state,
    licence_wedge,
    layer_rates,
    policy_state,
    refused_share,
    state_key,
    tariff_state,
    world_for,
)

__all__ = ["Event", "PolicyState", "Replay", "Scenario", "ScenarioError", "apply_variant",
           "average_tariff", "baseline_tariffs", "change_dates", "check_labels", "dates", "events_on", "iceberg_state", "licence_wedge",
           "layer_rates", "load_scenario", "parse_scenario", "policy_state", "rebase", "refused_share",
           "replay", "scenario_json_schema", "shipped_scenarios", "state_key", "tariff_series", "tariff_state",
           "world_for"]
