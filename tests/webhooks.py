"""A local webhook receiver over a real socket, shared by the warnings' and the work orders'
delivery tests: it records every POST and answers as the robots do.

Paths: ``/flaky`` answers 500 once then 200, ``/down`` always 500, ``/robot-refuses`` 200 with
a DingTalk errcode (a refusal in the body), anything else 200 ``{"errcode": 0}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@contextmanager
def webhook_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(base URL, the requests seen: {path, query, body}) while the receiver runs."""
    seen: list[dict[str, Any]] = []
    calls: dict[str, int] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
            path = urlsplit(self.path).path
            calls[path] = calls.get(path, 0) + 1
            seen.append({"path": path, "query": parse_qs(urlsplit(self.path).query), "body": body})
            failing = path == "/down" or (path == "/flaky" and calls[path] == 1)
            reply = {"errcode": 310000, "errmsg": "keywords not in content"} if path == "/robot-refuses" \
                else {"errcode": 0, "errmsg": "ok"}
            data = json.dumps(reply).encode()
            self.send_response(500 if failing else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
