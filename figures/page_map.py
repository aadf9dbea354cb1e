"""The page's map as a static figure, for the printed view (导出简报) and other exports.

The screen's map is Leaflet, which a PDF cannot hold; this draws the same layers from the
same geometry (the district outlines and entities of the city config) with the same
colours (the values a page's ``render`` hands its map, ``Rendered.map_values``), as plain
scatter traces — what plotly.js's basic bundle, which the printer loads, can draw. The
legend names the theme's classes in the standard colours, as the screen's legend does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from citybrain.i18n import pick, t
from citybrain.settings import Settings
from figures import FONT

#: districts without a value: light, so the thematic layer on top reads
BLANK, OUTLINE = "#eef2f7", "#8a99ad"


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a (Multi)Polygon."""
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def _in_scope(feature: Mapping[str, Any], district: str | None, homes: Mapping[str, str | None]) -> bool:
    """Is the entity in ``district`` (all are, for the city)? ``homes``: code → its district."""
    return district is None or homes.get(feature.get("id")) == district


def map_figure(settings: Settings, layers: Sequence[str], values: Mapping[str, Mapping[str, Any]], lang: str, *,
               district: str | None = None, legend: str | None = None, height: int = 420) -> go.Figure:
    """``layers`` of the page's map (``PageSpec.map_layers``) styled by ``values`` (layer →
    code → {"c": colour, "t": text}); ``district``: one district's view — its outline only,
    fitted to it; ``legend``: the theme (:func:`components.citymap.legend_for`)."""
    from components.citymap import legend_items
    from store.queries.map import district_geojson, entity_features

    fig = go.Figure()
    homes = {e.code: e.district for e in (*settings.stations, *settings.segments, *settings.sites)}
    names: dict[str, str] = {}
    shades = values.get("districts") or {}
    outlines = [f for f in district_geojson(settings)["features"] if district is None or f["id"] == district]
    for f in outlines:
        props = f.get("properties") or {}
        names[f["id"]] = pick(props.get("name_zh", f["id"]), props.get("name_en", f["id"]), lang)
        style = shades.get(f["id"]) or {}
        colour = (style.get("c") or style.get("k") or BLANK) if "districts" in layers else BLANK
        for ring in _rings(f["geometry"]):
            fig.add_trace(go.Scatter(x=[p[0] for p in ring], y=[p[1] for p in ring], mode="lines", fill="toself",
                                     fillcolor=colour, line={"color": OUTLINE, "width": 1}, hoverinfo="skip",
                                     showlegend=False))
    if "segments" in layers:
        seg = values.get("segments") or {}
        for f in entity_features(settings, "segments")["features"]:
            if not _in_scope(f, district, homes) or f["geometry"]["type"] != "LineString":
                continue
            coords = f["geometry"]["coordinates"]
            fig.add_trace(go.Scatter(x=[p[0] for p in coords], y=[p[1] for p in coords], mode="lines",
                                     line={"color": (seg.get(f["id"]) or {}).get("c") or OUTLINE, "width": 4},
                                     hoverinfo="skip", showlegend=False))
    for layer in ("stations", "sites"):
        if layer not in layers:
            continue
        styles = values.get(layer) or {}
        points = [f for f in entity_features(settings, layer)["features"] if _in_scope(f, district, homes)]
        if points:
            fig.add_trace(go.Scatter(
                x=[f["geometry"]["coordinates"][0] for f in points], y=[f["geometry"]["coordinates"][1] for f in points],
                mode="markers+text", text=[(styles.get(f["id"]) or {}).get("t", "") for f in points],
                textposition="top center", textfont={"size": 10},
                marker={"size": 13, "color": [(styles.get(f["id"]) or {}).get("c") or OUTLINE for f in points],
                        "line": {"color": "#0b1220", "width": 1.5}}, hoverinfo="skip", showlegend=False))
    labels = [f for f in entity_features(settings, "district_labels")["features"] if f["id"] in names]
    texts = values.get("labels") or {}
    fig.add_trace(go.Scatter(
        x=[f["geometry"]["coordinates"][0] for f in labels], y=[f["geometry"]["coordinates"][1] for f in labels],
        mode="text", text=[names[f["id"]] + (f"<br>{texts[f['id']]['t']}" if (texts.get(f["id"]) or {}).get("t") else "")
                           for f in labels],
        textfont={"size": 11, "color": "#212529"}, hoverinfo="skip", showlegend=False))
    if legend:
        for colour, label in legend_items(legend, lang):
            fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label, showlegend=True,
                                     marker={"size": 11, "symbol": "square", "color": colour}))
    xs = [p[0] for f in outlines for ring in _rings(f["geometry"]) for p in ring]
    ys = [p[1] for f in outlines for ring in _rings(f["geometry"]) for p in ring]
    fig.update_layout(height=height, margin={"l": 4, "r": 4, "t": 4, "b": 4}, font={"family": FONT, "size": 11},
                      paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      legend={"title": {"text": t(f"map.legend.{legend}", lang)} if legend else {},
                              "orientation": "v", "x": 1, "xanchor": "right", "y": 0, "yanchor": "bottom",
                              "bgcolor": "rgba(255,255,255,0.85)"})
    fig.update_xaxes(visible=False, range=[min(xs), max(xs)] if xs else None)
    # a degree of longitude is shorter than one of latitude: keep the city's true shape
    mid = (min(ys) + max(ys)) / 2 if ys else 34.0
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1 / max(math.cos(math.radians(mid)), 0.1))
    return fig
