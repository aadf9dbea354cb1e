"""The command-centre wall (大屏): ``/wall`` rotates through the configured screens,
``/wall/<screen>`` holds one screen.

Built for a browser nobody touches, for days (Grafana kiosk's complaints are the bar):

* **one document, forever** — rotation swaps which stacked screen is visible in the
  browser; it never navigates, so the wall mode can't be lost between screens;
* **change only what changed** — one refresh interval, one callback: it reads the
  cached queries, builds every screen's values, and sends a value only where it differs
  from what the wall already shows (``no_update`` elsewhere, ``Patch`` for figures and
  map styles); nothing is appended, so nothing grows;
* **say when data is old** — every tile carries its "as of" time and an amber badge
  past its domain's max age; the header names the late domains;
* **survive the server** — the clock, the rotation and the "connection lost since"
  banner run in the browser; when the server answers again the next refresh fills in;
  a nightly soft reload (``wall.reload_at``, only if the server answers) is the net;
* **check in** — each refresh records a heartbeat (client, screen) in ``wall_heartbeats``.

Query parameters: ``canvas`` (``1920x1080``, ``3840x2160``, ``5760x1080``; default from the
config: the design unit — 3840x2160 doubles every size), ``lang`` (``zh``/``en``), ``client``
(a name for this wall in the heartbeat list). Whatever the canvas, the browser fits the wall
to the screen it is on (``assets/wall.js`` ``fit``): three panels side by side on a screen of
2.6:1 or wider, one panel otherwise, scaled to fill; the smallest text is 40 px of a 1080-line
panel (issue 18: ≥ 16 arc-minutes at 5 m).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from typing import Any

import dash
import flask
from dash import ALL, ClientsideFunction, Input, Output, Patch, State, ctx, html

from access import declare

import access
from citybrain import context
from citybrain.i18n import LANGS, t
from citybrain.settings import Settings, WallScreen
from components.citymap import layer_styles
from components.wall.header import banner_fill
from components.wall.ids import KINDS, Fill, changed_only
from components.wall.registry import kind_of, shown
from components.wall.screens import screen_fill
from components.wall.shell import CANVASES, MAP_ID, wall_shell
from components.wall.ticker import ticker_fill
from components.wall.trend import trend_patch
from store.queries import wall as q
from store.queries.wall_dispatch import departments

log = logging.getLogger("citybrain.wall")


def layout(screen: str | None = None, canvas: str | None = None, lang: str | None = None,
           client: str | None = None, **_: Any) -> Any:
    """Cheap: config only — every number arrives with the first refresh."""
    return _wall(screen, canvas, lang, client, filled=False)


def first_layout(screen: str | None = None, canvas: str | None = None, lang: str | None = None,
                 client: str | None = None, **_: Any) -> Any:
    """The wall with its values, for the first load of a wall URL (``app._served_whole``):
    the numbers, trends and map colours paint with the layout instead of after the first
    refresh (which then sends only what changed since). Reads the cached queries the
    refresh reads; if they fail, the empty wall — the refresh fills it when they answer."""
    return _wall(screen, canvas, lang, client, filled=True)


def _wall(screen: str | None, canvas: str | None, lang: str | None, client: str | None, *, filled: bool) -> Any:
    settings = context.settings()
    lang = lang if lang in LANGS else context.lang()
    screens = shown(access.visible_screens(list(settings.wall.screens)))  # a wall token sees only its screen
    canvas = canvas if canvas in CANVASES else settings.wall.canvas
    if screen is not None:
        # a held screen never rotates: only it is built, drawn and refreshed (not five hidden others)
        screens = [s for s in screens if s.name == screen]
        if not screens:
            return html.Div(t("wall.unknown_screen", lang, name=screen), className="cb-wall cb-wall-missing")
    if not screens:
        return html.Div(t("wall.unknown_screen", lang, name=""), className="cb-wall cb-wall-missing")
    rotate = settings.wall.rotate and screen is None
    fill = None
    if filled:
        try:
            fill = full_fill(settings, context.engine(), screens, lang, dt.datetime.now(dt.timezone.utc))
        except Exception as exc:  # noqa: BLE001 — a wall opens whatever the store does
            log.warning("wall: first values unavailable (%s); the refresh will fill them", exc)
    return wall_shell(settings, screens, rotate=rotate, canvas=canvas, lang=lang, client=client,
                      fill=fill)


# ``first_layout``: what ``app`` serves whole on a wall URL's first load (no router round trip)
dash.register_page(__name__, path="/wall", nav="wall.nav", order=90, title="大屏", first_layout=first_layout)
dash.register_page("pages.wall_screen", path_template="/wall/<screen>", layout=layout, title="大屏",
                   first_layout=first_layout)


# ---------------------------------------------------------------------------- data

def gather(settings: Settings, engine: Any, screens: list[WallScreen]) -> dict[str, Any]:
    """The cached query results the given screens need (each read at most once per refresh)."""
    needs = {n for s in screens for n in kind_of(s).needs} | {"vital", "air", "traffic", "tourism", "hotline"}  # the map
    headline = next((i.code for i in settings.indicators if i.headline), None)
    data = dict(q.snapshot(engine, tuple(sorted(needs)), headline, settings.city.timezone))
    data["departments"] = departments(settings)
    # a kind with data of its own (a theme's screen) reads it here, cached by the kind
    data["own"] = {s.name: kind.read(settings, engine, s) for s in screens if (kind := kind_of(s)).read is not None}
    return data


def full_fill(settings: Settings, engine: Any, screens: list[WallScreen], lang: str, now: dt.datetime) -> Fill:
    """Everything a refresh shows: every screen's values, banner, ticker and map styles."""
    data = gather(settings, engine, screens)
    fill = wall_fill(settings, screens, data, lang, now)
    for layer, style in layer_styles(vital=data["vital"], air=data["air"], traffic=data["traffic"],
                                     tourism=data["tourism"], hotline=data["hotline"]).items():
        fill[("hideout", layer)] = style["values"]
    return fill


def wall_fill(settings: Settings, screens: list[WallScreen], data: dict[str, Any], lang: str,
              now: dt.datetime) -> Fill:
    """Every value on the wall: all screens (hidden ones stay current), banner, ticker."""
    fill: Fill = {}
    own = data.get("own") or {}
    for screen in screens:
        fill |= screen_fill(screen, {**data, "own": own.get(screen.name)}, settings=settings, lang=lang, now=now)
    fill |= banner_fill(data.get("freshness") or {}, settings, lang, now)
    fill |= ticker_fill(data.get("warnings") or [], (data.get("warning_counts") or {}).get("*") or {},
                        data.get("board"), data.get("departments") or {}, lang, now)
    return fill


def _screens(settings: Settings, config: dict[str, Any] | None) -> list[WallScreen]:
    names = [s["name"] for s in (config or {}).get("screens", [])]
    return shown([s for s in settings.wall.screens if s.name in names] or list(settings.wall.screens))


def _hideout_patch(values: dict[str, Any]) -> Patch:
    p = Patch()
    p["values"] = values
    return p


#: a wall's own name for itself (kept in its localStorage): anything else gets a new one
CLIENT_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

# ------------------------------------------------------------------------ callbacks

@declare.callback(
    Output({"type": "wall-text", "key": ALL}, "children"),
    Output({"type": "wall-class", "key": ALL}, "className"),
    Output({"type": "wall-style", "key": ALL}, "style"),
    Output({"type": "wall-fig", "key": ALL}, "figure"),
    Output({"type": "citymap-layer", "map": MAP_ID, "layer": ALL}, "hideout"),
    Output("wall-shown", "data"),
    Input("wall-refresh", "n_intervals"),
    Input("wall-kick", "n_intervals"),
    State("wall-config", "data"),
    State("wall-shown", "data"),
    page="wall", scope={"config": "wall_config"},
    prevent_initial_call=True,
)
def refresh(_n: int | None, _kick: int | None, config: dict[str, Any] | None,
            shown: dict[str, str] | None) -> tuple[Any, ...]:
    """Unpack → query (cached) → values → send only what changed. Not called on load: a
    wall sent filled shows its values already, an empty one is kicked (``wall-kick``)."""
    settings = context.settings()
    lang = (config or {}).get("lang", "zh")
    screens = _screens(settings, config)
    fill = full_fill(settings, context.engine(), screens, lang, dt.datetime.now(dt.timezone.utc))
    before = shown = shown or {}
    outputs: list[Any] = []
    for i, kind in enumerate(KINDS):
        convert = trend_patch if kind == "fig" else None
        values, shown = changed_only(ctx.outputs_list[i], kind, fill, shown, convert)
        outputs.append(values)
    layers = [{"key": o["id"]["layer"]} for o in ctx.outputs_list[4]]
    values, shown = changed_only(layers, "hideout", fill, shown, _hideout_patch)
    outputs.append(values)
    outputs.append(_shown_patch(before, shown))
    return tuple(outputs)


def _shown_patch(before: dict[str, str], after: dict[str, str]) -> Any:
    """Only the fingerprints that changed: the browser keeps the rest (a refresh that
    changed two values sends two entries, not the wall's few hundred)."""
    delta = {k: v for k, v in after.items() if before.get(k) != v}
    if not delta:
        return dash.no_update
    p = Patch()
    for key, fp in delta.items():
        p[key] = fp
    return p


@declare.callback(
    Output("wall-client", "data"),
    Output("wall-beat", "data"),
    Input("wall-refresh", "n_intervals"),
    State("wall-screen", "data"),
    State("wall-client", "data"),
    page="wall", scope={"screen": "screen"},
)
def heartbeat(_n: int | None, screen: str | None, client: str | None) -> tuple[str, str]:
    """Record this wall's check-in; a wall without a name gets one, kept in its localStorage."""
    if not (isinstance(client, str) and CLIENT_NAME.fullmatch(client)):
        client = f"wall-{uuid.uuid4().hex[:8]}"
    screen = screen if screen is None or len(screen) <= 64 else screen[:64]
    now = dt.datetime.now(dt.timezone.utc)
    req = flask.request
    q.record_heartbeat(context.engine(), client, screen or "", address=req.remote_addr,
                       user_agent=req.headers.get("User-Agent"), now=now)
    return client, now.isoformat()


declare.clientside(
    ClientsideFunction(namespace="wall", function_name="rotate"),
    Output({"type": "wall-screen", "screen": ALL, "side": ALL}, "className"),
    Output("wall-root", "className"),
    Output("wall-title", "children"),
    Output("wall-screen", "data"),
    Input("wall-rotate", "n_intervals"),
    State("wall-config", "data"),
    prevent_initial_call=True,
    page="wall",
)

declare.clientside(
    ClientsideFunction(namespace="wall", function_name="tick"),
    Output("wall-clock", "children"),
    Output("wall-date", "children"),
    Input("wall-tick", "n_intervals"),
    State("wall-config", "data"),
    page="wall",
)

declare.clientside(
    ClientsideFunction(namespace="wall", function_name="ping"),
    Output("wall-conn", "data"),
    Output("wall-conn-banner", "children"),
    Output("wall-conn-banner", "className"),
    Input("wall-refresh", "n_intervals"),
    State("wall-conn", "data"),
    State("wall-config", "data"),
    page="wall",
)
