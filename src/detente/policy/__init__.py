"""Policy: the scenario file, the dated timeline of instruments, and replays.

Public names: :func:`load_scenario`, :func:`parse_scenario`, :func:`scenario_json_schema`,
:class:`Scenario`, :class:`Event`, :class:`ScenarioError`, :func:`check_labels`,
:func:`apply_variant`, :func:`dates`, :func:`tariff_state`, :func:`iceberg_state`,
:func:`layer_rates`, :func:`policy_state`, :func:`state_key`, :func:`replay`,
:class:`Replay`, :func:`average_tariff`, :func:`baseline_tariffs`, :func:`rebase`,
:func:`tariff_series`. docs/scenarios.md describes the file format.
"""

from typing import TYPE_CHECKING

from detente._lazy import lazy

_EXPORTS = {
    "Event": "detente.policy._schema",
    "PolicyState": "detente.policy._timeline",
    "Replay": "detente.policy._replay",
    "Scenario": "detente.policy._schema",
    "ScenarioError": "detente.policy._schema",
    "apply_variant": "detente.policy._timeline",
    "average_tariff": "detente.policy._replay",
    "baseline_tariffs": "detente.policy._baseline",
    "change_dates": "detente.policy._timeline",
    "check_labels": "detente.policy._schema",
    "dates": "detente.policy._timeline",
    "events_on": "detente.policy._timeline",
    "iceberg_state": "detente.policy._timeline",
    "layer_rates": "detente.policy._timeline",
    "licence_wedge": "detente.policy._timeline",
    "load_scenario": "detente.policy._schema",
    "parse_scenario": "detente.policy._schema",
    "policy_state": "detente.policy._timeline",
    "rebase": "detente.policy._baseline",
    "refused_share": "detente.policy._timeline",
    "replay": "detente.policy._replay",
    "replay_bands": "detente.policy._bands",
    "export_tax_state": "detente.policy._timeline",
    "critical_cuts": "detente.policy._timeline",
    "ReplayBands": "detente.policy._bands",
    "scenario_json_schema": "detente.policy._schema",
    "shipped_scenarios": "detente.policy._schema",
    "state_key": "detente.policy._timeline",
    "tariff_series": "detente.policy._series",
    "tariff_state": "detente.policy._timeline",
    "world_for": "detente.policy._timeline",
}

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily at run time
    from detente.policy._bands import ReplayBands, replay_bands  # noqa: F401
    from detente.policy._baseline import baseline_tariffs, rebase  # noqa: F401
    from detente.policy._replay import Replay, average_tariff, replay  # noqa: F401
    from detente.policy._schema import (  # noqa: F401
        Event,
        Scenario,
        ScenarioError,
        check_labels,
        load_scenario,
        parse_scenario,
        scenario_json_schema,
        shipped_scenarios,
    )
    from detente.policy._series import tariff_series  # noqa: F401
    from detente.policy._timeline import (  # noqa: F401  # noqa: F401
        PolicyState,
        apply_variant,
        change_dates,
        critical_cuts,
        dates,
        events_on,
        export_tax_state,
        iceberg_state,
        layer_rates,
        licence_wedge,
        policy_state,
        refused_share,
        state_key,
        tariff_state,
        world_for,
    )

__getattr__, __dir__ = lazy(__name__, _EXPORTS)
__all__ = [
    "Event",
    "PolicyState",
    "Replay",
    "Scenario",
    "ScenarioError",
    "apply_variant",
    "average_tariff",
    "baseline_tariffs",
    "change_dates",
    "check_labels",
    "dates",
    "events_on",
    "iceberg_state",
    "licence_wedge",
    "layer_rates",
    "load_scenario",
    "parse_scenario",
    "policy_state",
    "rebase",
    "refused_share",
    "replay",
    "scenario_json_schema",
    "shipped_scenarios",
    "state_key",
    "tariff_series",
    "tariff_state",
    "world_for",
    "ReplayBands",
    "replay_bands",
    "critical_cuts",
    "export_tax_state",
]
