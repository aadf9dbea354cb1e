"""API v1: the city's indicators for other systems, as JSON under ``/api/v1`` (OpenAPI 3).

Bearer tokens from ``citybrain token create``; the same permission table as the pages
(``access.roles``), a per-token rate limit, JSON errors, pagination.
"""

from __future__ import annotations

import flask


def init_app(server: flask.Flask) -> None:
    from api.routes import bp

    server.register_blueprint(bp)
