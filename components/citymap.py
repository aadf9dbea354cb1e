"""The city map (dash-leaflet): districts shaded by index, air stations by AQI colour,
road segments by congestion grade, scenic sites sized and coloured by crowding.

Two halves, both small and explicit:

* :func:`city_map` builds the map — which ``layers``, which ``scope`` (the city or one
  district), and the ``styles`` to start with. Geometry comes from the config and the
  shipped (or approximated) district outlines, so building it never touches the store.
* :func:`layer_styles` turns the wall's query results into one ``hideout`` per layer.
  Styling lives in JavaScript functions (``window.citybrain.map`` in ``assets/wall.js``)
  that read the hideout, so a refresh changes one small dict per layer — never the
  geometry — and the same map restyles without being rebuilt.

Works with no internet: tiles only when ``tile_url`` names an (intranet) tile server;
without one the district outlines draw the city on a dark ground.

Every layer sits in its own Leaflet pane with the class ``cb-map-layer-<layer>``, so a
page can show or hide layers with CSS alone (the wall does, per screen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_leaflet as dl

from citybrain.i18n import pick
from citybrain.settings import Settings
from store.queries.map import bounds, district_geojson, entity_features

LAYERS: tuple[str, ...] = ("districts", "segments", "stations", "sites", "labels")

#: GB/T 33171 link grades, best to worst → colour (green … dark red).
GRADE_COLORS = ("#2fbf71", "#a3d65c", "#f5d33d", "#f08c2e", "#d9363e")
GRADES = ("畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵")
#: HJ 633 levels 1–6 → the national AQI colours.
AQI_COLORS = ("#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023")
CROWDING_COLORS = {"normal": "#2fbf71", "warning": "#f5a524", "stop_entry": "#d9363e", "over_capacity": "#a51d2d"}
NO_DATA = "#5c6b80"

_JS = "citybrain.map."


def _fn(name: str) -> dict[str, str]:
    """A reference to a JS function in assets/wall.js (dash-leaflet resolves ``{"variable": …}``)."""
    return {"variable": _JS + name}


def layer_id(map_id: str, layer: str) -> dict[str, str]:
    """The pattern-matching id of one layer, so callbacks can restyle ``ALL`` layers of a map."""
    return {"type": "citymap-layer", "map": map_id, "layer": layer}


def city_map(map_id: str, settings: Settings, *, layers: Sequence[str] = LAYERS, scope: str | None = None,
             styles: Mapping[str, dict[str, Any]] | None = None, lang: str = "zh", scale: float = 1.0,
             interactive: bool = False, className: str = "") -> dl.Map:
    """A map of ``settings``' city (or of district ``scope``) with ``layers``, styled by ``styles``.

    ``interactive=False`` (the wall) removes every control and gesture: nobody touches a wall.
    ``scale`` multiplies line widths and marker sizes (the wall's canvas unit).
    """
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown map layer(s) {sorted(unknown)}; choose from {', '.join(LAYERS)}")
    styles = styles or {}
    districts = district_geojson(settings)
    if scope:
        districts = {**districts, "features": [f for f in districts["features"] if f["id"] == scope]}
    data = {
        "districts": districts,
        "segments": entity_features(settings, "segments"),
        "stations": entity_features(settings, "stations"),
        "sites": entity_features(settings, "sites"),
        "labels": entity_features(settings, "district_labels"),
    }
    if not interactive:
        # nothing to hover: the styles read only a feature's id, so its names (500 segments'
        # worth on a big city) need not travel with every page load
        data |= {layer: _bare(data[layer]) for layer in ("segments", "stations", "sites")}
    functions = {
        "districts": {"style": _fn("districtStyle")},
        "segments": {"style": _fn("segmentStyle")},
        "stations": {"pointToLayer": _fn("stationPoint")},
        "sites": {"pointToLayer": _fn("sitePoint")},
        "labels": {"pointToLayer": _fn("labelPoint")},
    }
    children: list[Any] = []
    if settings.wall.tile_url:
        children.append(dl.TileLayer(url=settings.wall.tile_url, attribution=settings.wall.tile_attribution or None))
    for layer in (x for x in LAYERS if x in layers):
        pane = f"cb-{map_id}-{layer}"
        # point layers are created in JS: they need the pane name to land in their own pane
        hideout = {"values": {}, "scale": scale, "pane": pane, **styles.get(layer, {})}
        if layer == "labels":
            hideout.setdefault("names", {f["id"]: pick(f["properties"]["name_zh"], f["properties"]["name_en"], lang)
                                         for f in data["labels"]["features"]})
        children.append(dl.Pane(
            dl.GeoJSON(id=layer_id(map_id, layer), data=data[layer], hideout=hideout, interactive=False,
                       pane=pane, **functions[layer]),
            name=pane, className=f"cb-map-layer cb-map-layer-{layer}",
        ))
    box = bounds(settings)
    locked = {} if interactive else {
        "zoomControl": False, "dragging": False, "scrollWheelZoom": False, "doubleClickZoom": False,
        "boxZoom": False, "keyboard": False, "touchZoom": False, "attributionControl": bool(settings.wall.tile_url),
        "zoomSnap": 0.1,
    }
    # trackViewport off: nothing pans a wall, and without it dash-leaflet needs no center prop
    return dl.Map(children, id=map_id, center=list(settings.city.center), zoom=settings.city.zoom, bounds=box,
                  boundsOptions={"padding": [12 * scale, 12 * scale]}, trackViewport=interactive,
                  className=f"cb-citymap {className}".strip(), **locked)


def _bare(collection: Mapping[str, Any]) -> dict[str, Any]:
    """``collection`` with each feature's properties cut to its code."""
    return {**collection, "features": [{**f, "properties": {"code": (f.get("properties") or {}).get("code", f.get("id"))}}
                                       for f in collection["features"]]}


# ---------------------------------------------------------------------------- styles

def index_color(value: float | None) -> str:
    """Vital-signs index 0–100 → red (poor) … amber … green (good)."""
    if value is None:
        return NO_DATA
    if value >= 85:
        return "#2fbf71"
    if value >= 70:
        return "#8cc152"
    if value >= 55:
        return "#f5d33d"
    if value >= 40:
        return "#f08c2e"
    return "#d9363e"


def aqi_color(level: int | None) -> str:
    return AQI_COLORS[level - 1] if level and 1 <= level <= 6 else NO_DATA


def grade_color(grade: str | None) -> str:
    return GRADE_COLORS[GRADES.index(grade)] if grade in GRADES else NO_DATA


def crowding_color(ratio: float | None) -> str:
    if ratio is None:
        return NO_DATA
    if ratio >= 1.0:
        return CROWDING_COLORS["over_capacity"]
    if ratio >= 0.8:
        return CROWDING_COLORS["warning"]
    return CROWDING_COLORS["normal"]


def layer_styles(*, vital: Mapping[str, Any] | None = None, air: Mapping[str, Any] | None = None,
                 traffic: Mapping[str, Any] | None = None, tourism: Mapping[str, Any] | None = None,
                 ) -> dict[str, dict[str, Any]]:
    """Query results (``store.queries.wall``) → ``{layer: {"values": {code: style}}}``.

    Only the ``values`` part changes with the data; callers patch ``hideout.values``.
    """
    out: dict[str, dict[str, Any]] = {}
    if vital is not None:
        out["districts"] = {"values": {d["code"]: {"c": index_color(d["value"])} for d in vital.get("districts", [])}}
        out["labels"] = {"values": {d["code"]: {"t": f"{d['value']:.0f}"} for d in vital.get("districts", [])}}
    if air is not None:
        out["stations"] = {"values": {s["code"]: {"c": s.get("color") or aqi_color(s.get("level")), "t": f"{s['value']:.0f}"}
                                      for s in air.get("stations", [])}}
    if traffic is not None:
        out["segments"] = {"values": {s["code"]: {"c": grade_color(s.get("grade"))} for s in traffic.get("segments", [])}}
    if tourism is not None:
        out["sites"] = {"values": {s["code"]: {"c": crowding_color(s["ratio"]), "r": round(min(max(s["ratio"], 0.0), 1.2), 3)}
                                   for s in tourism.get("sites", [])}}
    return out
