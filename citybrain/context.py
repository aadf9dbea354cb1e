"""What a request needs from the app it runs in: settings, store engine, language.

The app factory puts one :class:`Runtime` into ``server.extensions``; page layouts and
callbacks reach it through these functions, so nothing lives in module globals and
several apps (tests, several workers) never share state.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask
from sqlalchemy import Engine

from citybrain.i18n import DEFAULT_LANG, LANGS, Lang
from citybrain.settings import Settings

EXTENSION = "citybrain"
LANG_COOKIE = "citybrain_lang"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine


def runtime() -> Runtime:
    return flask.current_app.extensions[EXTENSION]


def settings() -> Settings:
    return runtime().settings


def engine() -> Engine:
    return runtime().engine


def lang() -> Lang:
    """The reader's language: ``?lang=`` wins, then the remembered cookie, then Chinese."""
    if flask.has_request_context():
        chosen = flask.request.args.get("lang") or flask.request.cookies.get(LANG_COOKIE)
        if chosen in LANGS:
            return chosen  # type: ignore[return-value]
    return DEFAULT_LANG
