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

from dash import html

from citybrain.i18n import pick, t
from citybrain.settings import Settings
from metrics.traffic import LINK_GRADES as GRADES
from store.queries.map import bounds, district_geojson, entity_features

LAYERS: tuple[str, ...] = ("districts", "segments", "stations", "sites", "theme", "labels")

#: GB/T 33171 link grades, best to worst → colour (green … dark red).
GRADE_COLORS = ("#2fbf71", "#a3d65c", "#f5d33d", "#f08c2e", "#d9363e")
#: HJ 633 levels 1–6 → the national AQI colours.
AQI_COLORS = ("#00e400", "#ffff00", "#ff7e00", "#ff0000", "#99004c", "#7e0023")
CROWDING_COLORS = {"normal": "#2fbf71", "warning": "#f5a524", "stop_entry": "#d9363e", "over_capacity": "#a51d2d"}
NO_DATA = "#5c6b80"
#: 12345 calls by district, as a share of the busiest district's (sequential blues)
CALLS_COLORS = ("#bfe3ff", "#74b9f0", "#3585d6", "#174ea6")

_JS = "citybrain.map."


def _fn(name: str) -> dict[str, str]:
    """A reference to a JS function in assets/wall.js (dash-leaflet resolves ``{"variable": …}``)."""
    return {"variable": _JS + name}


def layer_id(map_id: str, layer: str) -> dict[str, str]:
    """The pattern-matching id of one layer, so callbacks can restyle ``ALL`` layers of a map."""
    return {"type": "citymap-layer", "map": map_id, "layer": layer}


def city_map(map_id: str, settings: Settings, *, layers: Sequence[str] = LAYERS, scope: str | None = None,
             styles: Mapping[str, dict[str, Any]] | None = None, lang: str = "zh", scale: float = 1.0,
             interactive: bool = False, className: str = "", legend: str | None = None,
             theme: Mapping[str, Any] | None = None) -> Any:
    """A map of ``settings``' city (or of district ``scope``) with ``layers``, styled by ``styles``.

    ``interactive=False`` (the wall) removes every control and gesture: nobody touches a wall.
    ``scale`` multiplies line widths and marker sizes (the wall's canvas unit).
    ``interactive=True`` (office pages) adds a name tooltip and drill-down on click: a district
    sets the page's district filter, a station/segment/site opens its detail (``?detail=``).
    ``legend`` (one of :data:`LEGENDS`) wraps the map with a legend in the standard colours.
    ``theme``: a theme's entities as GeoJSON points, for the ``theme`` layer (issue 20).
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
        "theme": dict(theme) if theme else {"type": "FeatureCollection", "features": []},
    }
    if not interactive:
        # nothing to hover: the styles read only a feature's id, so its names (500 segments'
        # worth on a big city) need not travel with every page load
        data |= {layer: _bare(data[layer]) for layer in ("segments", "stations", "sites")}
    functions = {
        "districts": {"style": _fn("districtStyle"), "onEachFeature": _fn("districtEach")},
        "segments": {"style": _fn("segmentStyle"), "onEachFeature": _fn("segmentEach")},
        "stations": {"pointToLayer": _fn("stationPoint"), "onEachFeature": _fn("stationEach")},
        "sites": {"pointToLayer": _fn("sitePoint"), "onEachFeature": _fn("siteEach")},
        "labels": {"pointToLayer": _fn("labelPoint")},
        # points and areas (a theme of districts on the wall); the style sets their level's colour
        "theme": {"pointToLayer": _fn("stationPoint"), "style": _fn("themeStyle"), "onEachFeature": _fn("stationEach")},
    }
    box = bounds(settings)
    pad = 12 * scale
    children: list[Any] = []
    tile_url = settings.map.tile_url or settings.wall.tile_url
    if tile_url:
        children.append(dl.TileLayer(url=tile_url, maxZoom=settings.map.tile_max_zoom,
                                     attribution=settings.map.tile_attribution or settings.wall.tile_attribution or None))
    for layer in (x for x in LAYERS if x in layers):
        pane = f"cb-{map_id}-{layer}"
        # point layers are created in JS: they need the pane name to land in their own pane
        hideout = {"values": {}, "scale": scale, "pane": pane, **styles.get(layer, {})}
        if layer in ("districts", "segments"):
            hideout |= {"bounds": box, "pad": pad}  # the browser re-fits when the wall reflows
        if layer == "labels" or (interactive and layer != "labels"):
            hideout.setdefault("names", {f["id"]: pick(f["properties"]["name_zh"], f["properties"]["name_en"], lang)
                                         for f in data[layer]["features"]})
        if layer == "labels":
            # 禹州市 → 禹州: the short form Chinese maps print where space is tight (the single-panel wall)
            hideout.setdefault("short", {code: short_name(name) for code, name in hideout["names"].items()})
        if interactive and layer != "labels":
            hideout["clickable"] = True  # tooltip + click drills down (district filter or detail)
        children.append(dl.Pane(
            dl.GeoJSON(id=layer_id(map_id, layer), data=data[layer], hideout=hideout,
                       interactive=interactive and layer != "labels", pane=pane, **functions[layer]),
            name=pane, className=f"cb-map-layer cb-map-layer-{layer}",
        ))
    locked = {} if interactive else {
        "zoomControl": False, "dragging": False, "scrollWheelZoom": False, "doubleClickZoom": False,
        "boxZoom": False, "keyboard": False, "touchZoom": False, "attributionControl": bool(tile_url),
    }
    # fractional zoom: the city fills the map instead of the nearest power of two leaving a margin
    # trackViewport off: nothing pans a wall, and without it dash-leaflet needs no center prop
    out = dl.Map(children, id=map_id, center=list(settings.city.center), zoom=settings.city.zoom, bounds=box,
                 boundsOptions={"padding": [pad, pad]}, trackViewport=interactive, zoomSnap=0.1, zoomDelta=0.5,
                 className=f"cb-citymap {className}".strip(), **locked)
    if legend is None:
        return out
    return html.Div([out, map_legend(legend, lang)], className=f"cb-citymap-box cb-legend-show-{legend}")


LEGENDS: tuple[str, ...] = ("index", "aqi", "grade", "crowding", "calls", "level")


def legend_for(layers: Sequence[str]) -> str | None:
    """The theme a map card's legend explains, from the layers it shows (points and lines
    carry the domain's standard scale; shaded districts the index bands). Districts with
    labels and nothing else print their values as text: no colour scale to explain."""
    for layer, kind in (("stations", "aqi"), ("segments", "grade"), ("sites", "crowding")):
        if layer in layers:
            return kind
    return None if "labels" in layers else "index"


def legend_items(kind: str, lang: str) -> list[tuple[str, str]]:
    """(colour, label) pairs of one theme, in the standard colours: HJ 633 AQI levels,
    GB/T 33171 grades, LB/T 034 crowding lines, the index bands of :func:`index_color`."""
    if kind == "aqi":
        return [(c, t(f"wall.aqi.{i + 1}", lang)) for i, c in enumerate(AQI_COLORS)]
    if kind == "grade":
        return [(c, t(f"wall.grade.{i}", lang)) for i, c in enumerate(GRADE_COLORS)]
    if kind == "crowding":
        return [(CROWDING_COLORS["normal"], "< 80%"), (CROWDING_COLORS["warning"], "80–100%"),
                (CROWDING_COLORS["over_capacity"], "≥ 100%")]
    if kind == "calls":
        return [(c, label) for c, label in zip(CALLS_COLORS, ("< 25%", "25–50%", "50–75%", "≥ 75%"))]
    if kind == "level":
        # a theme's places (issue 20): below blue, the four warning colours, and no levels at all
        from components.theme.model import LEVEL_COLORS

        return [(LEVEL_COLORS[0], t("map.level.calm", lang)),
                *[(c, t(f"wall.level_short.{lv}", lang)) for c, lv in zip(LEVEL_COLORS[1:], ("blue", "yellow", "orange", "red"))],
                (NO_DATA, t("map.level.unrated", lang))]
    if kind == "index":
        return [("#2fbf71", "≥ 85"), ("#8cc152", "70–85"), ("#f5d33d", "55–70"), ("#f08c2e", "40–55"), ("#d9363e", "< 40")]
    raise ValueError(f"unknown legend {kind!r}; choose from {', '.join(LEGENDS)}")


def map_legend(kind: str, lang: str) -> html.Div:
    """A legend box (title + swatches) for one theme; the wall stacks one per theme and shows
    the current screen's with CSS (``cb-legend-<kind>``)."""
    rows = [html.Div([html.Span(className="cb-legend-swatch", style={"background": c}),
                      html.Span(label, className="cb-legend-label")], className="cb-legend-row")
            for c, label in legend_items(kind, lang)]
    return html.Div([html.Div(t(f"map.legend.{kind}", lang), className="cb-legend-title"), *rows],
                    className=f"cb-legend cb-legend-{kind}")


def short_name(name: str) -> str:
    """A district's short name: the 市/区/县 suffix off a Chinese name of three or more
    characters (禹州市 → 禹州, 东区 stays); other names as they are."""
    if len(name) >= 3 and name[-1] in "市区县旗" and all("\u4e00" <= ch <= "\u9fff" for ch in name):
        return name[:-1]
    return name


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


def calls_color(share: float | None) -> str:
    """Calls as a share of the busiest district's → one of four blues."""
    if share is None:
        return NO_DATA
    return CALLS_COLORS[min(int(share * 4), 3)]


def layer_styles(*, vital: Mapping[str, Any] | None = None, air: Mapping[str, Any] | None = None,
                 traffic: Mapping[str, Any] | None = None, tourism: Mapping[str, Any] | None = None,
                 hotline: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Query results (``store.queries.wall``) → ``{layer: {"values": {code: style}}}``.

    Only the ``values`` part changes with the data; callers patch ``hideout.values``.
    """
    out: dict[str, dict[str, Any]] = {}
    districts: dict[str, dict[str, Any]] = {}
    labels: dict[str, dict[str, Any]] = {}
    if vital is not None:
        for d in vital.get("districts", []):
            districts.setdefault(d["code"], {})["c"] = index_color(d["value"])
            labels.setdefault(d["code"], {})["t"] = f"{d['value']:.0f}"
    if hotline is not None:
        calls = dict(hotline.get("districts") or [])
        top = max(calls.values(), default=0) or 1
        for code, n in calls.items():
            districts.setdefault(code, {})["k"] = calls_color(n / top)
            labels.setdefault(code, {})["n"] = f"{n:.0f}"
    if vital is not None or hotline is not None:
        out["districts"] = {"values": districts}
        out["labels"] = {"values": labels}
    if air is not None:
        out["stations"] = {"values": {s["code"]: {"c": s.get("color") or aqi_color(s.get("level")), "t": f"{s['value']:.0f}"}
                                      for s in air.get("stations", [])}}
    if traffic is not None:
        out["segments"] = {"values": {s["code"]: {"c": grade_color(s.get("grade"))} for s in traffic.get("segments", [])}}
    if tourism is not None:
        out["sites"] = {"values": {s["code"]: {"c": crowding_color(s["ratio"]), "r": round(min(max(s["ratio"], 0.0), 1.2), 3)}
                                   for s in tourism.get("sites", [])}}
    return out
