"""The access extension's per-app state (``server.extensions["citybrain.access"]``).

Nothing lives in module globals: the config and the Dash app belong to one Flask app, so
test apps and workers never share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import flask

from access.config import AccessConfig

EXTENSION = "citybrain.access"


@dataclass
class AccessState:
    config: AccessConfig
    dash_app: Any = None


def state() -> AccessState:
    return flask.current_app.extensions[EXTENSION]
