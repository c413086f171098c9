"""Labels across worlds: a compact world's regions and sector groups on the full world.

The shipped compact world groups the OECD ICIO economies into 20 regions (EUR, ASE, LAM,
ROW, and 16 economies as themselves) and the 50 industries into 22 sector groups (MOTOR
= C29, ELECTRONICS = C26, ...; ``detente.world._build.COMPACT_REGIONS`` and
``COMPACT_SECTORS``). On a world that does not have such a label but has its members
(the full 80 x 50 world), the label stands for its members, so scenarios written for the
compact world (world-2025, us-china-2025) run on the full one. A rate or coverage given
for a group applies to each member alike (an approximation: the group's average).
"""

from __future__ import annotations


def label_members(world, label: str, what: str) -> list[int] | None:
    """Indices of ``label`` in ``world``: itself, or the members of a compact group; None if neither."""
    labels = world.countries if what == "country" else world.sectors
    if label in labels:
        return [labels.index(label)]
    from detente.world._build import COMPACT_REGIONS, COMPACT_SECTORS

    members = (COMPACT_REGIONS if what == "country" else COMPACT_SECTORS).get(label)
    if members:
        idx = [labels.index(m) for m in members if m in labels]
        if idx and len(idx) == len(members):
            return idx
    return None
