"""Who is acting: the one place the warnings center asks for the signed-in user.

Access control (users, roles, login) arrives with issue 9; until then every action is
recorded as the demo duty officer. Issue 9 replaces :func:`actor` (and only it).
"""

from __future__ import annotations

import flask

#: stored in ``warning_events.actor`` / ``silences.created_by`` while nobody can sign in
DEMO_ACTOR = "duty officer (unauthenticated demo)"


def actor() -> str:
    """The signed-in user's name (``flask.g.user``) when there is one, else the demo duty officer."""
    if flask.has_app_context():
        user = getattr(flask.g, "user", None)
        name = getattr(user, "username", None) or (user.get("username") if isinstance(user, dict) else None)
        if name:
            return str(name)[:64]
    return DEMO_ACTOR


def actor_label(name: str | None, lang: str) -> str:
    """How an actor reads on the page (the demo officer in the reader's language)."""
    from citybrain.i18n import t

    if not name:
        return ""
    return t("warnings.actor.demo", lang) if name == DEMO_ACTOR else name
