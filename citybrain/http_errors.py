"""App-wide HTTP answers for requests that name nothing: a 404, not a 500.

Dash serves its component bundles under ``/_dash-component-suites/<package>/<path>`` and
raises :class:`dash.exceptions.DependencyException` for a path it did not register
(``/_dash-component-suites/dash/dash.py``, issue 17), which Flask turned into a 500 with
a traceback in the log. A file that is not there is RFC 9110 §15.5.5's 404.

(The exceptions citybrain raises on purpose live in :mod:`citybrain.errors`.)
"""

from __future__ import annotations

import logging

import flask
from dash.exceptions import DependencyException

log = logging.getLogger("citybrain.http")


def init_app(server: flask.Flask) -> None:
    """Register the handlers on ``server`` (called once by ``app.create_app``)."""
    server.register_error_handler(DependencyException, _no_such_bundle)


def _no_such_bundle(exc: DependencyException) -> flask.Response:
    log.info("no component bundle at %s", flask.request.path[:200])
    response = flask.make_response("not found\n", 404)
    response.mimetype = "text/plain"
    return response
