"""The access extension's per-app state (``server.extensions["citybrain.access"]``).

Nothing lives in module globals: the config, the Dash app's callback map and the lazily
built component index belong to one Flask app, so test apps and workers never share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import flask

from access.config import AccessConfig
from access.pages import ComponentIndex, build_index

EXTENSION = "citybrain.access"


@dataclass
class AccessState:
    config: AccessConfig
    dash_app: Any = None
    index: ComponentIndex | None = field(default=None)

    def component_index(self) -> ComponentIndex:
        """Built on first use (pages are imported when Dash sets itself up on the first request)."""
        if self.index is None:
            self.index = build_index()
        return self.index

    def callback_map(self) -> dict[str, Any]:
        if self.dash_app is not None:
            return self.dash_app.callback_map
        import dash

        return dash.get_app().callback_map


def state() -> AccessState:
    return flask.current_app.extensions[EXTENSION]
