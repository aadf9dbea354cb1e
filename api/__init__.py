"""API v1: the city's indicators for other systems, as JSON under ``/api/v1`` (OpenAPI 3).

Bearer tokens from ``citybrain token create``; the same permission table as the pages
(``access.roles``), a per-token rate limit, JSON errors, pagination.
"""

from __future__ import annotations

import flask
from werkzeug.routing import Map, Rule

#: where each app keeps the map of its API routes alone (:func:`allowed_methods`)
API_MAP = "citybrain.api_map"


def init_app(server: flask.Flask) -> None:
    import api.dispatch  # noqa: F401 — issue 21's routes join the blueprint before it is registered
    import api.themes  # noqa: F401 — issue 20's /themes joins it too
    import api.forecast  # noqa: F401 — issue 22's /forecasts
    from api.routes import bp

    server.register_blueprint(bp)


def allowed_methods(path: str) -> list[str]:
    """The methods the API's own routes answer at ``path`` (none: no API resource there).

    The app's URL map also holds Dash's catch-all ``GET /<path>``, so Werkzeug's own
    answer would offer GET on every API path (``OPTIONS /api/v1/warnings/1/ack`` said
    ``Allow: GET, …, POST``). A 405 and an ``Allow`` header list what the resource
    supports (RFC 9110 §10.2.1, §15.5.6), which is what the API's routes say.
    """
    app = flask.current_app
    api_map = app.extensions.get(API_MAP)
    if api_map is None:
        api_map = Map([Rule(r.rule, endpoint=r.endpoint, methods=r.methods) for r in app.url_map.iter_rules()
                       if r.endpoint.startswith("api_v1.")])
        app.extensions[API_MAP] = api_map
    return sorted(api_map.bind("api").allowed_methods(path))
