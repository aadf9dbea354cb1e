"""The citybrain web app: ``create_app(settings)`` builds everything from one settings object.

As in Flask's tutorial app, importing this module does no work: ``create_app`` opens the
store, sets up the cache and registers the pages. ``server`` — what ``gunicorn app:server``
loads — is built on first access from the environment's settings (``CITYBRAIN_CONFIG``,
``CITYBRAIN_STORE_URL``, …), once per worker process.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import secrets
from pathlib import Path
from typing import Any

import dash
import flask
from flask import Flask, jsonify, redirect, request
from sqlalchemy import text

from citybrain import context
from citybrain.cache import init_cache
from citybrain.i18n import t
from citybrain.settings import PROJECT_ROOT, Settings, load_settings
from store.engine import current_revision, head_revision, make_engine, private_dir

log = logging.getLogger("citybrain.app")


def create_app(settings: Settings | None = None, *, open_demo: bool | None = None) -> dash.Dash:
    """Build the Dash app (and its Flask ``server``) for ``settings``."""
    settings = settings or load_settings()
    private_dir(settings.data_dir)  # holds the secret key, the SQLite store and the cache: this user's only
    server = Flask("citybrain")
    server.config.update(
        SECRET_KEY=settings.secret_key or _local_secret(settings.data_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    engine = make_engine(settings.resolved_store_url)
    server.extensions[context.EXTENSION] = context.Runtime(settings=settings, engine=engine)
    init_cache(server, settings)
    _add_routes(server)

    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        title=f"{settings.city.name_zh} · {t('app.title')}",
        update_title=None,
        suppress_callback_exceptions=True,
        serve_locally=True,  # command centres run on intranets: nothing from a CDN
    )
    app.layout = _root_layout
    app.interpolate_index = functools.partial(_index_with_preloads, app, app.interpolate_index)
    import access
    from access import declare

    declare.install(app)  # every callback, declared with its permission by the modules Dash imported
    import api
    from briefings import web as briefings_web

    access.init_app(server, settings, open_demo=open_demo, dash_app=app)
    api.init_app(server)
    briefings_web.init_app(server)
    from dispatch import web as dispatch_web

    dispatch_web.init_app(server)  # attachments of events (issue 21)
    from citybrain import http_errors

    http_errors.init_app(server)  # a bundle path Dash did not register: 404, not 500 (issue 17)
    return app


def _root_layout() -> Any:
    """Every page inside the office frame, its content rendered by the pages router —
    except a page offering a ``first_layout`` (the wall), served whole on its first load."""
    from components.frame import frame

    return _served_whole() or frame()


#: what dcc.Graph and dash-leaflet's GeoJSON load on demand, after the layout has rendered
#: (Dash 4's async chunks), fetched late, in turn. plotly.js is not among them: the
#: assets carry plotly.js's basic bundle (``assets/vendor``), which defines
#: ``window.Plotly`` before any graph mounts, so Dash never fetches its full 4.8 MB one.
LAZY_SCRIPTS = ("/_dash-component-suites/dash/dcc/async-graph.js",
                "/_dash-component-suites/dash_leaflet/async-GeoJSON.js")

#: the office frame's component bundles (Mantine, AG Grid): 2.3 MB of JavaScript that a
#: page served whole (the wall: no frame, no grid) never uses, left out of its index
OFFICE_BUNDLES = ("dash_mantine_components", "dash_ag_grid")
#: set by the lean index on Dash's layout request: the page's own URL (path and query) …
PAGE_HEADER = "X-Citybrain-Page"
#: … and that this browser did not load :data:`OFFICE_BUNDLES`
LEAN_HEADER = "X-Citybrain-Lean"
#: the ids of Dash's pages router (``dash.page_container``): location, content, store, dummy
ROUTER_IDS = ("_pages_location", "_pages_content", "_pages_store", "_pages_dummy")
#: a URL with this query parameter gets the full index (the way back from a lean load
#: whose layout could not be served whole)
FULL_PARAM = "_full"

#: runs before Dash's renderer: tags its layout and dependencies requests with the page's
#: URL, so the server knows which page they are for without relying on the Referer (a proxy
#: or a policy may drop it)
TAG_LAYOUT_JS = ("<script>(function(){var f=window.fetch,page=encodeURI(location.pathname+location.search);"
                 "window.fetch=function(u,o){if(typeof u==='string'&&/\\/_dash-(layout|dependencies)$/.test(u.split('?')[0])){"
                 "var h=new Headers((o&&o.headers)||{});"
                 f"h.set('{PAGE_HEADER}',page);h.set('{LEAN_HEADER}','1');"
                 "return f.call(this,u,Object.assign({},o,{headers:h}));}return f.apply(this,arguments);};})();</script>")


def _index_with_preloads(app: dash.Dash, interpolate: Any, **parts: str) -> str:
    """Dash's index page. For a page that will be served whole (the wall) it also

    * asks the browser to fetch the lazily loaded scripts while it runs the bundles, so
      they are there when the graphs and the map mount instead of being fetched only then;
    * leaves out the office bundles, which that page does not use (issue 10: the wall's
      first render waited for 2.3 MB of JavaScript to run), and tags the layout request
      with the page's URL (:data:`TAG_LAYOUT_JS`). Should that layout nevertheless not be
      served whole — the reader lost the right to the page in between — the layout sends
      the browser to the full index instead (:func:`_full_reload`).
    """
    if not flask.has_request_context() or request.args.get(FULL_PARAM) is not None:
        return interpolate(**parts)
    search = f"?{request.query_string.decode('latin-1')}" if request.query_string else ""
    if _whole_page(request.path, search) is None:
        return interpolate(**parts)
    links = "".join(f'<link rel="preload" as="script" href="{app.get_relative_path(src)}">' for src in LAZY_SCRIPTS)
    scripts = "\n".join(line for line in parts.get("scripts", "").split("\n")
                        if not any(f"/{bundle}/" in line for bundle in OFFICE_BUNDLES))
    return interpolate(**{**parts, "css": parts.get("css", "") + links, "scripts": TAG_LAYOUT_JS + scripts})


def _whole_page(path: str, search: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The page (and its path variables) at ``path`` if it is served whole to this reader:
    it offers ``first_layout``, the router and access agree on it, and the reader may open
    it (``access.gate.check_path``, the check the router's request gets)."""
    import access
    from access.gate import check_path
    from access.pages import page_for_path, path_variables

    page = page_for_path(path)  # the page the router renders, found as the router finds it
    principal = access.current_principal()
    if page is None or not callable(page.get("first_layout")) or principal is None:
        return None
    if check_path(principal, path, search, context.settings(), context.engine()):
        return None
    return page, path_variables(page, path)


def _layout_page_url() -> Any:
    """The URL of the page a layout (or dependencies) request is for: the lean index's
    header, else the Referer if it is of this host (hostnames: a proxy's Host may drop the port)."""
    from urllib.parse import unquote, urlsplit

    tagged = request.headers.get(PAGE_HEADER)
    if tagged:
        url = urlsplit(unquote(tagged))
        return url if tagged.startswith("/") and not tagged.startswith("//") and not url.netloc else None
    if not request.referrer:
        return None
    url = urlsplit(request.referrer)
    return url if url.hostname == urlsplit(f"//{request.host}").hostname else None


def _requested_page() -> tuple[Any, str, tuple[dict[str, Any], dict[str, Any]] | None]:
    """For Dash's layout and dependencies requests: the page's URL, its query (``?…`` or
    empty) and — if that page is served whole to this reader — the page and its variables."""
    url = _layout_page_url()
    search = f"?{url.query}" if url is not None and url.query else ""
    return url, search, (_whole_page(url.path, search) if url is not None else None)


def _served_whole() -> Any:
    """For Dash's layout request from a page registered with ``first_layout``: that layout,
    already inside the router's own components, else None.

    The page's URL comes with the request (:func:`_layout_page_url`); only a page this
    reader may open counts (:func:`_whole_page`) — otherwise the frame, and the router
    decides as always. The router's location already holds the URL, so it sends no
    request; its callback runs only if the URL changes. This saves the router's round
    trip and the wait for the first refresh before a wall shows numbers.
    """
    from access.pages import query_values

    if not flask.has_request_context() or request.path != "/_dash-layout":
        return None
    url, search, found = _requested_page()
    if found is None:
        return _full_reload(url) if request.headers.get(LEAN_HEADER) else None
    page, variables = found
    content = page["first_layout"](**{**variables, **query_values(search)})  # as the router does
    title = page["title"](**variables) if callable(page["title"]) else page["title"]
    return dash.html.Div([
        dash.dcc.Location(id=ROUTER_IDS[0], refresh="callback-nav", pathname=url.path, search=search),
        dash.html.Div(content, id=ROUTER_IDS[1], disable_n_clicks=True),
        dash.dcc.Store(id=ROUTER_IDS[2], data={"title": title}),
        dash.html.Div(id=ROUTER_IDS[3], disable_n_clicks=True),
    ])


def _lean_dependencies(response: Any) -> Any:
    """For a lean page: only its own callbacks and the router's.

    A wall never leaves for another page without a full load, so the office pages'
    callbacks are dead weight its renderer would still index against the layout (issue
    10: 0.09 s of the first render). A callback is kept when it is declared for the
    page's resource (:mod:`access.declare`) or is the router's own (not declared by us);
    anything else — no page, no rights — keeps the whole list.
    """
    from access.declare import declarations
    from access.gate import resource_of
    from access.pages import page_resource

    _, _, found = _requested_page()
    if found is None or response.status_code != 200:
        return response
    page, _ = found
    resource = page_resource(page)
    declared = declarations(flask.current_app)

    def kept(dep: dict[str, Any]) -> bool:
        decl = declared.get(dep.get("output", ""))
        return any(p in dep.get("output", "") for p in ROUTER_IDS) if decl is None else resource_of(decl) == resource

    response.set_data(json.dumps([d for d in response.get_json() if kept(d)]))
    return response


def _full_reload(url: Any) -> Any:
    """A browser that loaded the lean index needs the office bundles for any other layout:
    it is sent to the same URL with :data:`FULL_PARAM`, which always gets the full index."""
    from urllib.parse import parse_qsl, urlencode

    path = url.path if url is not None else "/"
    query = [(k, v) for k, v in parse_qsl(url.query if url is not None else "") if k != FULL_PARAM]
    href = f"{path}?{urlencode([*query, (FULL_PARAM, '1')])}"
    return dash.html.Div(dash.dcc.Location(id="cb-full-reload", href=href, refresh=True))


def _local_secret(data_dir: Path) -> str:
    """A per-installation secret kept in the data dir when CITYBRAIN_SECRET_KEY is unset.

    Generated once and reused so that several workers on one host and restarts agree;
    production sets CITYBRAIN_SECRET_KEY explicitly.
    """
    import os
    import time

    path = data_dir / "secret_key"
    if not path.exists():
        try:
            # created 0600 from the start (a chmod after writing would leave a moment in
            # which others may read it); O_EXCL: two workers racing keep one key
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
    elif path.stat().st_mode & 0o077:
        try:
            path.chmod(0o600)  # one written by an older release: readable by others no longer
        except OSError:
            log.warning("%s is readable by other users; chmod 600 it", path)
    for _ in range(50):  # a racing worker may have created the file and not written it yet
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty: delete it (a new key is made) or set CITYBRAIN_SECRET_KEY")


def _add_routes(server: Flask) -> None:
    @server.after_request
    def lean_page(response: Any) -> Any:
        if request.path == "/_dash-layout":
            # the layout of a wall URL is the wall (_served_whole), known by these
            response.vary.update(("Referer", PAGE_HEADER, LEAN_HEADER))
        elif request.path == "/_dash-dependencies":
            response.vary.update((PAGE_HEADER, LEAN_HEADER))
            if request.headers.get(LEAN_HEADER):
                response = _lean_dependencies(response)
        return response

    @server.get("/healthz")
    def healthz() -> Any:
        """Liveness and readiness: the store answers and is at the schema this code expects."""
        rt = context.runtime()
        body: dict[str, Any] = {"city": rt.settings.city.code, "time": dt.datetime.now(dt.timezone.utc).isoformat()}
        try:
            with rt.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            revision = current_revision(rt.engine)
        except Exception as exc:  # noqa: BLE001 — any store failure means "not ready"
            log.warning("healthz: store unavailable: %s", exc)
            return jsonify(body | {"status": "error", "store": "unavailable"}), 503
        expected = head_revision()
        ok = revision == expected
        body |= {"status": "ok" if ok else "error", "store": "ok" if ok else f"at {revision}, expected {expected}; run `citybrain db upgrade`"}
        return jsonify(body), 200 if ok else 503


def __getattr__(name: str) -> Any:
    # ``gunicorn app:server`` reads this attribute once per worker; building it lazily
    # keeps the import free of work and of module-level state.
    if name == "server":
        return create_app().server
    raise AttributeError(name)
