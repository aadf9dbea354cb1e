"""The whole wall: header, every screen's columns stacked around one shared map, the ticker,
and the few stores and intervals that drive it.

All configured screens are rendered once and stacked; rotation (in the browser) only
changes which one is visible and which map layers show. Nothing is created or destroyed
while a wall runs for days, so the DOM cannot grow, and a rotation works even while the
server is unreachable — the wall keeps showing its last picture of every screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from citybrain.i18n import pick, t
from citybrain.settings import Settings, WallScreen
from components.citymap import LEGENDS, city_map, map_legend
from components.wall.header import wall_header
from components.wall.ids import Fill, apply_fill, screen_id
from components.wall.registry import kind_of
from components.wall.screens import screen_panels
from components.wall.theme import theme_layer
from components.wall.ticker import ticker
from components.wall.trend import trend_with

CANVASES: dict[str, tuple[int, int, int]] = {  # canvas → (width, height, unit px)
    "1920x1080": (1920, 1080, 1),
    "3840x2160": (3840, 2160, 2),
    "5760x1080": (5760, 1080, 1),
}
#: the smallest text on the wall, in px at unit 1 (1920×1080 on one 55″ panel): 40 px ≈ 16
#: arc-minutes at 5 m, the legibility floor for a control-room display (issue 18)
MIN_FONT_PX = 40
MAP_ID = "wall-map"


def _approximate(settings: Settings) -> bool:
    """Whether the district outlines are the Voronoi approximation (then the map says so)."""
    from store.queries.map import district_geojson

    return any(f["properties"].get("approximate") for f in district_geojson(settings)["features"])


def layer_classes(screen: WallScreen) -> str:
    """Root classes that show ``screen``'s map layers (district labels go with the districts)."""
    return " ".join(f"cb-show-{layer}" for layer in screen.layers)


def root_class(canvas: str, screen: WallScreen) -> str:
    """Canvas, map layers, the map theme (district fill) and the legend shown for ``screen``."""
    fill, legend = kind_of(screen).map_theme
    return f"cb-wall cb-canvas-{canvas} {layer_classes(screen)} cb-theme-{fill} cb-legend-show-{legend}"


def wall_config(settings: Settings, screens: Sequence[WallScreen], *, start: int, rotate: bool, canvas: str,
                lang: str) -> dict[str, Any]:
    """What the browser needs to rotate, tick and report on its own (serialised into a Store)."""
    width, height, unit = CANVASES[canvas]
    return {
        "screens": [{"name": s.name, "title": pick(s.title_zh, s.title_en, lang),
                     "root": root_class(canvas, s)} for s in screens],
        "start": start, "rotate": rotate, "lang": lang, "canvas": [width, height], "unit": unit,
        "timezone": settings.city.timezone, "reload_at": settings.wall.reload_at,
        "conn_lost": t("wall.connection_lost", lang, time="{time}"),
        "locale": "en-GB" if lang == "en" else "zh-CN",
    }


def wall_shell(settings: Settings, screens: Sequence[WallScreen], *, start: int = 0, rotate: bool = True,
               canvas: str = "1920x1080", lang: str = "zh", client: str | None = None,
               fill: Fill | None = None) -> html.Div:
    """The wall for ``screens``, showing ``screens[start]`` first; rotating if ``rotate``.

    Empty until the first refresh fills it, or — with ``fill`` (what a refresh would send)
    — showing its values from the first paint, ``wall-shown`` saying so.
    """
    width, height, unit = CANVASES[canvas]
    font_px = MIN_FONT_PX * unit
    current = screens[start]
    left, right = [], []
    for i, screen in enumerate(screens):
        cls = "cb-wall-screen" + (" cb-active" if i == start else "")
        lp, rp = screen_panels(screen, settings, lang, font_px=font_px)
        left.append(html.Div(lp, id=screen_id(screen.name) | {"side": "left"}, className=cls))
        right.append(html.Div(rp, id=screen_id(screen.name) | {"side": "right"}, className=cls))
    wall = settings.wall
    shown = dcc.Store(id="wall-shown", data={})
    root = html.Div([
        dcc.Store(id="wall-config", data=wall_config(settings, screens, start=start, rotate=rotate, canvas=canvas,
                                                     lang=lang)),
        shown,
        dcc.Store(id="wall-screen", data=current.name),
        dcc.Store(id="wall-client", storage_type="local", data=client),
        dcc.Store(id="wall-conn", data={"lost": None}),
        dcc.Store(id="wall-beat"),
        dcc.Interval(id="wall-refresh", interval=int(wall.refresh.total_seconds() * 1000)),
        # the refresh has no initial call: a wall sent filled has nothing to ask for yet
        # (issue 10: that redundant first round trip and redraw cost 0.2 s of its first
        # render); an empty one asks at once through this one-shot kick
        dcc.Interval(id="wall-kick", interval=1, max_intervals=0 if fill else 1, disabled=bool(fill)),
        dcc.Interval(id="wall-rotate", interval=int(wall.interval.total_seconds() * 1000),
                     disabled=not (rotate and len(screens) > 1)),
        dcc.Interval(id="wall-tick", interval=1000),
        wall_header(settings, lang, pick(current.title_zh, current.title_en, lang)),
        html.Div([
            html.Div(left, className="cb-wall-col cb-wall-left"),
            html.Div([city_map(MAP_ID, settings, lang=lang, scale=unit, theme=theme_layer(settings, screens)),
                      html.Div([map_legend(k, lang) for k in LEGENDS], className="cb-legends"),
                      *([html.Div(t("map.approximate", lang), className="cb-map-note")] if _approximate(settings) else [])],
                     className="cb-wall-center"),
            html.Div(right, className="cb-wall-col cb-wall-right"),
        ], className="cb-wall-body"),
        ticker(lang),
    ], id="wall-root", className=root_class(canvas, current),
        style={"width": f"{width}px", "height": f"{height}px", "--u": f"{unit}px"})
    if fill:
        shown.data = apply_fill(root, fill, {"fig": trend_with,
                                             "hideout": lambda hideout, values: {**(hideout or {}), "values": values}})
    return root
