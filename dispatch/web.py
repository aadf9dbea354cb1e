"""The attachments' download route for signed-in readers (the pages' evidence links).

``GET /attachments/<id>`` serves a photo or PDF to a reader who may open the dispatch pages
(``view`` on ``warnings``) *and* may see the attachment's event
(:func:`dispatch.attachments.read`: a department head only events dispatched to their
department, a district user only their district's); anyone else gets 404, as if it did not
exist. The API's token route is :mod:`api.dispatch`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import flask

from citybrain import context


def file_response(meta: dict[str, Any], data: bytes) -> flask.Response:
    """The bytes with their checked type, never sniffed by the browser, shown inline (a photo,
    a PDF) under the name they were uploaded with (RFC 6266 / RFC 5987 for non-ASCII names)."""
    response = flask.make_response(data)
    response.headers["Content-Type"] = meta["content_type"]
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    ascii_name = meta["filename"].encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    response.headers["Content-Disposition"] = (f"inline; filename=\"{ascii_name}\"; "
                                               f"filename*=UTF-8''{quote(meta['filename'])}")
    return response


def init_app(server: flask.Flask) -> None:
    from access import require

    @server.get("/attachments/<int:aid>")
    @require("view", "warnings")
    def attachment(aid: int) -> Any:
        from access.identity import session_principal
        from dispatch.attachments import read
        from dispatch.errors import NotFound

        principal = getattr(flask.g, "user", None) or session_principal()
        try:
            meta, data = read(context.engine(), context.settings(), aid, principal)
        except (NotFound, FileNotFoundError):
            return flask.jsonify(error=f"attachment {aid} does not exist or is outside your scope"), 404
        return file_response(meta, data)
