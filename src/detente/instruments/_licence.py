"""Export licences: the share of a controlled flow approved on a day."""

from __future__ import annotations

import datetime as dt

#: licence types: per-shipment licences (a review lag, then an approval share), general
#: licences (the approval share from the first day), a ban (nothing passes)
LICENCES = ("per_shipment", "general", "ban")


def approval_on(licence: str, start: dt.date, review_days: int, approval_share: float, day: dt.date) -> float:
    """Share of a controlled flow approved on ``day`` by a regime step in force since ``start``.

    ``ban``: 0. ``per_shipment``: 0 for the first ``review_days`` days, then
    ``approval_share``. ``general``: ``approval_share`` from the first day.
    """
    if licence not in LICENCES:
        raise ValueError(f"licence must be one of {LICENCES}, got {licence!r}")
    if licence == "ban":
        return 0.0
    if licence == "per_shipment" and day < start + dt.timedelta(days=review_days):
        return 0.0
    return float(approval_share)


def review_end(licence: str, start: dt.date, review_days: int) -> dt.date | None:
    """The day a per-shipment review ends (the approval share starts), else None."""
    if licence == "per_shipment" and review_days:
        return start + dt.timedelta(days=review_days)
    return None


def licence_equivalent(refused, theta):
    """The export-tax equivalent x of refusing the share ``refused`` of a flow, fractions.

    ``1 + x = (1 - refused)^(-1/theta)``: at given prices the flow falls by ``refused``
    (the quota), and the wedge's revenue is the licence rent kept by the exporter
    (docs/model.md, section 5). Arrays broadcast; ``refused`` must be in [0, 1).
    """
    import numpy as np

    r = np.asarray(refused, dtype=float)
    if (r < 0).any() or (r >= 1).any():
        raise ValueError(f"refused share must be in [0, 1), got {r.min() if (r < 0).any() else r.max()!r}")
    return (1.0 - r) ** (-1.0 / np.asarray(theta, dtype=float)) - 1.0
