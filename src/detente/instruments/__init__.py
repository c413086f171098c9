"""Instruments of trade policy, defined once, with one reading shared by every model.

This package is the home of each instrument's semantics (docs/model.md, section 5;
docs/shortage.md):

- the instruments as values (:mod:`._model`): :class:`Tariff`, :class:`TradeCost` (a
  non-tariff measure as an iceberg factor), :class:`ExportTax`, :class:`ExportLicence`
  (on a registry critical input or on the covered share of sectors; per-shipment,
  general or a ban) and :func:`Quota`; each translates itself onto the static model
  (``to_static``) and, for licences, onto the weekly shortage model (``to_shortage``).
  The what-if command, the web what-if, leverage, the truce ladder and package
  bargaining build these values; :func:`parse` reads the command line's spellings;
- the licence reading both models share (:mod:`._licence`): a ban passes nothing;
  per-shipment licences pass nothing during their review and then their approval share;
  general licences pass their approval share from the first day; the quota's
  export-tax equivalent;
- the critical-input nest of the static model (:mod:`._critical`).
"""

from detente.instruments._critical import (
    NEST_SIGMA,
    CriticalCut,
    critical_block,
    nest_sigma,
    replacement_share,
)
from detente.instruments._licence import LICENCES, approval_on, licence_equivalent, review_end
from detente.instruments._model import (
    ExportLicence,
    ExportTax,
    Instrument,
    Quota,
    Tariff,
    TradeCost,
    apply,
    parse,
    parse_all,
)

__all__ = [
    "LICENCES",
    "ExportLicence",
    "ExportTax",
    "Instrument",
    "Quota",
    "Tariff",
    "TradeCost",
    "apply",
    "parse",
    "parse_all",
    "NEST_SIGMA",
    "CriticalCut",
    "approval_on",
    "critical_block",
    "licence_equivalent",
    "nest_sigma",
    "replacement_share",
    "review_end",
]
