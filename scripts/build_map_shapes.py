"""Build src/detente/data/maps/ne_110m_countries.json: simplified country outlines for offline maps.

    # the source file (public domain, Natural Earth 1:110m Admin 0 - Countries, as GeoJSON):
    BASE=https://raw.githubusercontent.com/martynafford/natural-earth-geojson/90266457d82d3717e47313e72a921e31a087d2c4/110m/cultural
    curl -LO $BASE/ne_110m_admin_0_countries.json -LO $BASE/ne_110m_populated_places_simple.json
    python scripts/build_map_shapes.py ne_110m_admin_0_countries.json --places ne_110m_populated_places_simple.json

Why: plotly draws geographic traces from topojson it fetches from a CDN
(``topojsonURL``, default https://cdn.plot.ly/un/); the installed package ships no world
geometry, so a map drawn offline needs its own outlines. detente's maps
(:mod:`detente.report.maps`) draw these with matplotlib.

What: every country of Natural Earth's 1:110m Admin 0 layer except Antarctica, keyed by
``ADM0_A3`` (ISO 3166 alpha-3 where one exists; France and Norway have ``ISO_A3 = -99``
in the source but ``ADM0_A3`` FRA and NOR), each a list of polygons (outer ring, then
holes) of [longitude, latitude] in degrees. Rings are simplified with Douglas-Peucker at
``TOLERANCE`` degrees and rounded to ``DIGITS`` decimals; rings that fall under four points
are dropped. Economies of the 80 x 50 world too small for the 1:110m layer (Hong Kong,
Malta, Singapore, Sao Tome and Principe) get a ``point``: their capital from Natural Earth's
1:110m populated places (``--places``), drawn as a marker. The output records the source URL, commit, sha256 of the input, this
script's sha256, the build date and the licence; the same input gives the same outlines.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "detente" / "data" / "maps" / "ne_110m_countries.json"
SOURCE_REPO = "https://github.com/martynafford/natural-earth-geojson"
SOURCE_COMMIT = "90266457d82d3717e47313e72a921e31a087d2c4"
SOURCE_PATH = "110m/cultural/ne_110m_admin_0_countries.json"
SOURCE_SHA256 = "a2faba6d84aeb04246240ee301c5e94a1a32b0e294a2c97094262fd0a6ae3c16"
PLACES_PATH = "110m/cultural/ne_110m_populated_places_simple.json"
PLACES_SHA256 = "8516b6f246ba9a2e10d1042bef3429db9e83b60801377cda73374a4326e9fbbe"
TOLERANCE = 0.1  # degrees (about 17 km at the equator); the 1:110m source is ~1-3 km
DIGITS = 2
DROP = {"ATA"}  # Antarctica: no trade, a third of the map's area


def _perp(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def simplify(points: list[list[float]], tol: float) -> list[list[float]]:
    """Douglas-Peucker on an open polyline (iterative, keeps both ends)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        i, j = stack.pop()
        best, at = 0.0, None
        for k in range(i + 1, j):
            d = _perp(points[k], points[i], points[j])
            if d > best:
                best, at = d, k
        if at is not None and best > tol:
            keep[at] = True
            stack += [(i, at), (at, j)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def ring(coords: list[list[float]], tol: float, digits: int) -> list[list[float]] | None:
    """A closed ring simplified (split in two halves so the closing point stays) and rounded."""
    pts = [[float(x), float(y)] for x, y, *_ in coords]
    if pts[0] != pts[-1]:
        pts.append(pts[0])
    half = len(pts) // 2
    out = simplify(pts[: half + 1], tol)[:-1] + simplify(pts[half:], tol)
    out = [[round(x, digits), round(y, digits)] for x, y in out]
    dedup = [p for k, p in enumerate(out) if k == 0 or p != out[k - 1]]
    return dedup if len(dedup) >= 4 else None


def add_points(countries: dict, places: Path, needed) -> list[str]:
    """A ``point`` (the capital) for each needed economy without an outline; returns their codes."""
    added = []
    for f in json.loads(places.read_bytes())["features"]:
        p = f["properties"]
        code = p.get("adm0_a3")
        if code in needed and code not in countries and str(p.get("featurecla", "")).startswith("Admin-0"):
            x, y = f["geometry"]["coordinates"][:2]
            countries[code] = {
                "name": p.get("adm0name") or p.get("name") or code,
                "polygons": [],
                "point": [round(float(x), DIGITS), round(float(y), DIGITS)],
            }
            added.append(code)
    return sorted(added)


def build(src: Path, tol: float = TOLERANCE, digits: int = DIGITS, places: Path | None = None) -> dict:
    raw = src.read_bytes()
    data = json.loads(raw)
    countries: dict[str, dict] = {}
    for f in data["features"]:
        p = f["properties"]
        code = p.get("ADM0_A3") or p.get("ISO_A3")
        if not code or code in DROP:
            continue
        g = f["geometry"]
        polys = g["coordinates"] if g["type"] == "MultiPolygon" else [g["coordinates"]]
        kept = []
        for poly in polys:
            rings = [r for r in (ring(rr, tol, digits) for rr in poly) if r]
            if rings and rings[0]:
                kept.append(rings)
        if kept:
            entry = countries.setdefault(code, {"name": p.get("NAME") or p.get("ADMIN") or code, "polygons": []})
            entry["polygons"] += kept
    points = []
    if places is not None:
        from detente.world._build import ICIO_COUNTRIES

        points = add_points(countries, places, set(ICIO_COUNTRIES))
    script = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()
    meta = {
        "title": "Natural Earth 1:110m Admin 0 - Countries, simplified for detente's offline maps",
        "source": f"{SOURCE_REPO}/blob/{SOURCE_COMMIT}/{SOURCE_PATH}",
        "source_commit": SOURCE_COMMIT,
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "original": "Natural Earth, https://www.naturalearthdata.com (1:110m cultural vectors, Admin 0 - Countries), "
        "converted to GeoJSON with GDAL ogr2ogr by the source repository",
        "licence": "Public domain: Natural Earth 'is a public domain map dataset' (naturalearthdata.com); the "
        "GeoJSON conversion of the source repository is CC0 1.0. No attribution is required; "
        "detente credits it as 'Made with Natural Earth'.",
        "disclaimer": "Natural Earth draws boundaries by de facto control; detente takes no position on them.",
        "processing": f"Antarctica dropped; Douglas-Peucker {tol} deg; coordinates rounded to {digits} decimals; "
        "rings under 4 points dropped; keyed by ADM0_A3",
        "points": (
            f"{', '.join(points)}: no outline at 1:110m; the capital from {PLACES_PATH} "
            f"(sha256 {hashlib.sha256(places.read_bytes()).hexdigest()})"
        )
        if points
        else "none",
        "script": "scripts/build_map_shapes.py",
        "script_sha256": script,
        "built": dt.date.today().isoformat(),
        "n_countries": len(countries),
    }
    return {"meta": meta, "countries": dict(sorted(countries.items()))}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("geojson", type=Path, help=f"{SOURCE_PATH} of {SOURCE_REPO} at {SOURCE_COMMIT[:7]}")
    ap.add_argument("--places", type=Path, help=f"{PLACES_PATH} (capitals of economies without an outline)")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--tolerance", type=float, default=TOLERANCE)
    args = ap.parse_args(argv)
    out = build(args.geojson, args.tolerance, places=args.places)
    if out["meta"]["source_sha256"] != SOURCE_SHA256:
        print(
            f"warning: input sha256 {out['meta']['source_sha256']} differs from the recorded {SOURCE_SHA256}",
            file=sys.stderr,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text) / 1024:.0f} KiB, {out['meta']['n_countries']} countries)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
