"""Named what-ifs for the command line (``detente whatif --preset NAME``).

Each preset is a list of tariff changes in the ``IMPORTER<-EXPORTER:SECTORS:±PP``
syntax of :func:`detente.equilibrium.parse_tariff`, applied on top of the baseline
world's tariffs, with the date and source of the policy it represents.
"""

from __future__ import annotations

from dataclasses import dataclass

from detente.errors import UnknownLabelError


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    date: str
    tariffs: tuple[str, ...]
    source: str

    def instruments(self) -> list:
        """The preset's tariff changes as :class:`detente.instruments.Tariff` values."""
        from detente.instruments import parse_all

        return parse_all(self.tariffs, "tariff")


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="april-2025-peak",
            title="April 2025 peak: US +145 pp on all goods from China, China +125 pp on all goods from the US",
            date="2025-04-10/2025-05-13",
            tariffs=("USA<-CHN:goods:+145", "CHN<-USA:goods:+125"),
            source="US: 20 pp IEEPA 'fentanyl' + 125 pp IEEPA 'reciprocal' from 10 April 2025; China: "
            "125 pp retaliation from 12 April 2025 (../shared/data/us_china/headline_rates_2025_2026.csv). "
            "Added on top of the 2022 baseline tariffs; services are not tariffed.",
        ),
        Preset(
            name="geneva-2025",
            title="Geneva truce (14 May 2025): US +30 pp on China, China +10 pp on the US",
            date="2025-05-14",
            tariffs=("USA<-CHN:goods:+30", "CHN<-USA:goods:+10"),
            source="US: 20 pp 'fentanyl' + 10 pp 'reciprocal'; China: 10 pp (Geneva joint statement, 12 May 2025).",
        ),
    )
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise UnknownLabelError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
