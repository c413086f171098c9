"""Offline world maps (detente.report.maps): the shipped Natural Earth outlines, the
choropleth, and the map section of the world-2025 report."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="maps need the 'report' extra (matplotlib)")

from _labels import COMPACT_COUNTRIES as DEFAULT_WORLD  # noqa: E402

from detente.report import maps as M  # noqa: E402
from detente.world._build import COMPACT_REGIONS, ICIO_COUNTRIES  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plotly_ships_no_world_geometry():
    """Why detente ships outlines: plotly's geo traces fetch topojson from a CDN."""
    plotly = pytest.importorskip("plotly")
    root = Path(plotly.__file__).parent
    found = [p for p in root.rglob("*") if re.search(r"topojson|world_110m|countries.*json", p.name, re.I)]
    assert not found, found
    js = root / "package_data" / "plotly.min.js"
    if js.exists():
        assert re.search(r'topojsonURL:\{valType:"string"[^}]*dflt:"https://cdn\.plot\.ly/', js.read_text("utf-8"))


def test_shapes_have_provenance_licence_and_stay_small():
    meta = M.shapes()["meta"]
    assert "public domain" in meta["licence"].lower() and "natural earth" in meta["original"].lower()
    assert re.fullmatch(r"[0-9a-f]{64}", meta["source_sha256"]) and meta["source_commit"] in meta["source"]
    path = Path(M.__file__).parents[1] / "data" / "maps" / M.SHAPES_FILE
    assert path.stat().st_size < 300 * 1024
    assert (path.parent / "README.md").exists()


@pytest.mark.parametrize("label", DEFAULT_WORLD)
def test_every_label_of_the_default_world_is_on_the_map(label):
    assert M.members(label)


def test_every_economy_of_the_80x50_world_has_an_outline_or_a_point():
    countries = M.shapes()["countries"]
    missing = [c for c in ICIO_COUNTRIES if c not in countries]
    assert not missing
    points = sorted(c for c in ICIO_COUNTRIES if not countries[c]["polygons"])
    assert points == ["HKG", "MLT", "SGP", "STP"]
    assert all(len(countries[c]["point"]) == 2 for c in points)
    # the outlines are in degrees and closed rings
    for code in ("USA", "CHN", "FRA", "NOR"):
        for poly in countries[code]["polygons"]:
            ring = np.asarray(poly[0])
            assert ring.shape[1] == 2 and len(ring) >= 4
            assert (-180 <= ring[:, 0]).all() and (ring[:, 0] <= 180).all() and (np.abs(ring[:, 1]) <= 90).all()


def test_regions_spread_to_their_members_and_an_economy_wins():
    vals = M.expand({"EUR": 1.5, "NLD": -2.0, "USA": 3.0, "XXX": 9.0, "ROW": float("nan")})
    assert vals["USA"] == 3.0 and vals["NLD"] == -2.0
    others = [c for c in COMPACT_REGIONS["EUR"] if c in M.shapes()["countries"] and c != "NLD"]
    assert others and all(vals[c] == 1.5 for c in others)
    assert "XXX" not in vals and not any(c in vals for c in COMPACT_REGIONS["ROW"])


def test_choropleth_colours_by_value_and_greys_the_rest():
    colors = pytest.importorskip("matplotlib.colors")
    fig = M.choropleth({"USA": 0.0, "CHN": 10.0}, title="t", unit="pp", highlight=["MEX"], highlight_label="importer")
    ax = fig.axes[0]
    coll = ax.collections[0]
    faces = [colors.to_hex(f) for f in coll.get_facecolors()]
    codes = [code for code, _ in M._polygons()]
    face = dict(zip(codes, faces, strict=True))
    assert face["BRA"] == M.NO_DATA and face["MEX"] == "#555555"
    assert face["USA"] != face["CHN"] and face["USA"] != M.NO_DATA
    assert M.png_bytes(fig).startswith(PNG_MAGIC)


def test_scale_is_capped_when_one_partner_dwarfs_the_rest():
    cap, note = M.scale_top({"CHN": 125.0, "VNM": 20.0, "MEX": 5.0})
    assert cap == pytest.approx(25.0) and "CHN 125" in note
    assert M.scale_top({"CHN": 30.0, "VNM": 20.0}) == (None, "")


@pytest.fixture(scope="module")
def world_run():
    from detente.policy import load_scenario, replay
    from detente.report._runs import replay_dataset

    return replay_dataset(replay(load_scenario("world-2025")))


def test_world_maps_of_the_world_2025_replay(world_run):
    tariffs = M.tariff_increase(world_run, "USA", "2025-08-07")
    assert "USA" not in tariffs and tariffs["BRA"] > tariffs["MEX"] > 0
    assert set(M.welfare(world_run, "2025-08-07")) >= {"USA", "CHN", "EUR"}
    fig = M.world_maps(world_run, "USA", at="2025-08-07")
    assert len(fig.axes) >= 2 and "2025-08-07" in fig.axes[0].get_title()


def test_world_report_has_an_offline_map(world_run, tmp_path):
    pytest.importorskip("plotly")
    from detente.report.html import write_report

    index = write_report({"world-2025": world_run}, tmp_path, at="2025-08-07")
    text = index.read_text(encoding="utf-8")
    assert "id='map'" in text and "Natural Earth" in text
    m = re.search(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert m and base64.b64decode(m.group(1)).startswith(PNG_MAGIC)
    assert (tmp_path / "map.png").read_bytes().startswith(PNG_MAGIC)
    assert "cdn.plot.ly/un" not in text.split("<script")[0]
