"""World maps drawn offline: choropleths of a replay as static PNGs (matplotlib).

plotly's geographic traces fetch their topojson from a CDN (``topojsonURL``, by default
https://cdn.plot.ly/un/); the installed package ships no world geometry, so detente
ships its own: simplified Natural Earth 1:110m country outlines (public domain),
``detente/data/maps/ne_110m_countries.json``, built by ``scripts/build_map_shapes.py``.
The maps here draw them with matplotlib (no pyplot, no network, no extra packages).

A value given for a region of the compact world (EUR, ASE, LAM, ROW) colours each of its
member economies (``detente.world._build.COMPACT_REGIONS``); a value for an economy
itself takes precedence. Economies too small for the 1:110m layer (Hong Kong, Malta,
Singapore, Sao Tome and Principe) are drawn as dots. The projection is plain
longitude/latitude (equirectangular), Antarctica left out.

:func:`choropleth` draws any mapping of labels to numbers; :func:`world_maps` draws the
two maps of a multilateral replay (the importer's additional average tariff on each
partner, and every country's real income) at one date; :func:`report_section` writes
them as ``map.png`` and returns the HTML section of the report.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import json
import textwrap
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path

import numpy as np

from detente._defaults import DEFAULT_IMPORTER
from detente.report import charts as C

SHAPES_FILE = "ne_110m_countries.json"
CREDIT = "Made with Natural Earth (public domain), 1:110m, simplified"
NO_DATA = "#e4e4e4"
EXTENT = (-180.0, 180.0, -58.0, 84.0)


@functools.cache
def shapes() -> dict:
    """The shipped outlines: ``{"meta": {...}, "countries": {ISO3: {"name", "polygons", ["point"]}}}``."""
    path = resources.files("detente") / "data" / "maps" / SHAPES_FILE
    with path.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def members(label: str) -> list[str]:
    """The map codes a world label stands for: itself if it has an outline, else its compact-region members."""
    from detente.world._build import COMPACT_REGIONS

    known = shapes()["countries"]
    if label in known:
        return [label]
    return [c for c in COMPACT_REGIONS.get(label, []) if c in known]


def expand(values: Mapping[str, float]) -> dict[str, float]:
    """Map codes -> value: region labels spread to their members; an economy's own value wins."""
    out: dict[str, float] = {}
    direct = {k for k in values if k in shapes()["countries"]}
    for label, v in values.items():
        if v is None or not np.isfinite(v):
            continue
        for code in members(label):
            if label == code or code not in direct:
                out[code] = float(v)
    return out


def _polygons():
    """(code, outer ring as an (n, 2) array) for every polygon, the largest first (holes are not
    drawn: the countries inside them, e.g. Lesotho, are drawn over their neighbour)."""
    polys = []
    for code, entry in shapes()["countries"].items():
        for poly in entry["polygons"]:
            ring = np.asarray(poly[0], float)
            span = np.ptp(ring[:, 0]) * np.ptp(ring[:, 1])
            polys.append((span, code, ring))
    polys.sort(key=lambda t: -t[0])
    return [(code, ring) for _, code, ring in polys]


def _norm(vals: np.ndarray, diverging: bool, vmin=None, vmax=None):
    colors = C.require("matplotlib.colors")
    finite = vals[np.isfinite(vals)]
    if diverging:
        m = float(np.max(np.abs(finite))) if finite.size else 1.0
        m = m if m > 0 else 1.0
        return colors.TwoSlopeNorm(vcenter=0.0, vmin=-m if vmin is None else vmin, vmax=m if vmax is None else vmax)
    lo = float(finite.min()) if vmin is None and finite.size else (vmin or 0.0)
    hi = float(finite.max()) if vmax is None and finite.size else (vmax if vmax is not None else 1.0)
    return colors.Normalize(vmin=min(lo, 0.0), vmax=hi if hi > min(lo, 0.0) else min(lo, 0.0) + 1.0)


def choropleth(
    values: Mapping[str, float],
    *,
    title: str = "",
    unit: str = "",
    ax=None,
    cmap: str | None = None,
    diverging: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    highlight: Iterable[str] = (),
    highlight_label: str = "",
    note: str = "",
    extend: str = "neither",
):
    """Draw ``values`` (world labels or ISO3 codes -> number) on a world map.

    Returns the :class:`matplotlib.figure.Figure` (a new one unless ``ax`` is given).
    Countries without a value are light grey; ``highlight`` labels (e.g. the importer
    itself) are dark grey and named in the legend as ``highlight_label``. Values beyond
    ``vmin``/``vmax`` take the end colours (``extend`` draws the colour bar's arrows).
    """
    figure = C.require("matplotlib.figure")
    collections = C.require("matplotlib.collections")
    cm = C.require("matplotlib.cm")
    if ax is None:
        fig = figure.Figure(figsize=(11, 5.6), dpi=100, layout="constrained")
        ax = fig.subplots()
    fig = ax.figure
    vals = expand(values)
    dark = {m for h in highlight for m in members(h)}
    cmap = cmap or ("RdBu" if diverging else "YlOrRd")
    arr = np.array(list(vals.values()) or [0.0])
    norm = _norm(arr, diverging, vmin, vmax)
    mapper = cm.ScalarMappable(norm=norm, cmap=cmap)
    rings, faces = [], []
    for code, ring in _polygons():
        rings.append(ring)
        faces.append("#555555" if code in dark else mapper.to_rgba(vals[code]) if code in vals else NO_DATA)
    ax.add_collection(collections.PolyCollection(rings, facecolors=faces, edgecolors="white", linewidths=0.3))
    pts = [(code, e["point"]) for code, e in shapes()["countries"].items() if "point" in e and code in vals]
    if pts:
        xy = np.array([p for _, p in pts], float)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=18,
            c=[mapper.to_rgba(vals[c]) for c, _ in pts],
            edgecolors="#333333",
            linewidths=0.5,
            zorder=3,
        )
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    bar = fig.colorbar(mapper, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02, aspect=50, extend=extend)
    bar.set_label(unit, fontsize=9)
    bar.ax.tick_params(labelsize=8)
    legend = ["grey: no value in this run"] + ([f"dark grey: {highlight_label}"] if dark and highlight_label else [])
    ax.text(
        EXTENT[0] + 2,
        EXTENT[2] + 2,
        "; ".join(legend) + (f". {note}" if note else ""),
        fontsize=7,
        color="#555555",
        va="bottom",
    )
    return fig


def tariff_increase(ds, importer: str, date) -> dict[str, float]:
    """``importer``'s additional average tariff (the scenario's layers) on each partner on ``date``, pp."""
    t = ds["avg_additional_tariff_pct"].sel(importer=importer, date=np.datetime64(date, "ns"))
    return {str(c): float(t.sel(exporter=c)) for c in t["exporter"].values if str(c) != importer}


def welfare(ds, date) -> dict[str, float]:
    """Every country's real income on ``date``, % vs the baseline."""
    w = ds["welfare_pct"].sel(date=np.datetime64(date, "ns"))
    return {str(c): float(w.sel(country=c)) for c in w["country"].values}


def scale_top(values: Mapping[str, float]) -> tuple[float | None, str]:
    """(vmax, note): when the largest value is over twice the next, cap the scale at 1.25 times the
    next so the others stay readable, and name the values above it; else (None, '')."""
    v = sorted(((x, k) for k, x in values.items() if np.isfinite(x)), reverse=True)
    if len(v) < 2 or v[1][0] <= 0 or v[0][0] <= 2 * v[1][0]:
        return None, ""
    cap = 1.25 * v[1][0]
    above = [f"{k} {x:.0f}" for x, k in v if x > cap]
    return cap, f"above the scale: {', '.join(above)}"


def world_maps(ds, importer: str = DEFAULT_IMPORTER, at=None):
    """Two maps of a multilateral replay on one date (default: the importer's highest overall
    tariff): the importer's additional average tariff on each partner, and real income."""
    figure = C.require("matplotlib.figure")
    d, _ = C._at(ds, C.default_at(ds, importer) if at is None else at)
    fig = figure.Figure(figsize=(11, 11.4), dpi=100, layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.02, 1, 0.98))
    top, bottom = fig.subplots(2, 1)
    tariffs = tariff_increase(ds, importer, d)
    cap, note = scale_top(tariffs)
    choropleth(
        tariffs,
        ax=top,
        highlight=[importer],
        highlight_label=importer,
        vmax=cap,
        note=note,
        extend="max" if cap is not None else "neither",
        title=f"{importer} average tariff increase on each partner, policy in force on {d}",
        unit="percentage points over the baseline tariff (goods, fixed baseline import weights)",
    )
    choropleth(
        welfare(ds, d),
        ax=bottom,
        diverging=True,
        title=f"Real income (welfare), policy in force on {d}",
        unit=f"{C.pct_label(ds)}; trade elasticities {ds.attrs.get('elasticities', 'of the world file')}",
    )
    fig.text(0.01, 0.002, textwrap.fill(f"{C.footer(ds)} · {CREDIT}", 190), fontsize=6.5, color="#666666")
    return fig


def png_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def report_section(ds, importer: str, out_dir: str | Path, at=None, dpi: int = 110) -> str:
    """Write ``map.png`` into ``out_dir`` and return the report's map section (the PNG inlined,
    so the page stays self-contained); '' if matplotlib is missing."""
    try:
        C.require("matplotlib")
    except C.ReportError:
        return ""
    d, _ = C._at(ds, C.default_at(ds, importer) if at is None else at)
    png = png_bytes(world_maps(ds, importer, d), dpi)
    Path(out_dir, "map.png").write_bytes(png)
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    e = html.escape
    return (
        f"<section id='map'><h2>11. Map: {e(importer)}'s tariffs and real income on {d}</h2>"
        f"<img src='{src}' alt='world maps of the tariff increase and real income' style='max-width:100%'>"
        f"<p class='note'>Top: {e(importer)}'s additional average tariff on each partner (the scenario's "
        "layers, goods, fixed baseline import weights); bottom: real income, % vs the baseline. A region of the "
        "world (rest of the EU, rest of ASEAN, rest of Latin America, rest of the world) colours all its "
        "members; grey: not in the run. Drawn offline from Natural Earth 1:110m outlines (public domain, "
        f"shipped with detente). PNG: <a href='map.png'>map.png</a>.</p></section>"
    )
