"""JSON errors for the API: every failure is ``{"message": …, "status": …}`` with its HTTP status."""

from __future__ import annotations

from typing import Any

import flask
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    """A client-facing failure: the message says what to change."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> flask.Response:
    response = flask.jsonify({"message": message, "status": status})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def register_handlers(bp: flask.Blueprint) -> None:
    @bp.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.message, exc.headers)

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        return error_response(exc.code or 500, exc.description or exc.name)
