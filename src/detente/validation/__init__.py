"""Validation: every headline against a published or observed number, one command each.

``detente reproduce NAME`` runs one comparison; ``detente reproduce list`` names them.
Each comparison returns a :class:`Comparison`: rows of (quantity, model, published,
unit, source), the model settings used (world, elasticities, horizon, closure) and notes
on what differs and why. docs/validation.md shows them side by side.
"""

from detente.validation._core import Comparison, Row, list_studies, reproduce

__all__ = ["Comparison", "Row", "list_studies", "reproduce"]
