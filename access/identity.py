"""Who is asking: one :class:`~access.roles.Principal` per request, from one of

1. an API bearer token (``Authorization: Bearer cbt_…``, the API only),
2. a wall token — opened once as ``/wall/<screen>?token=cbw_…``, exchanged at once for
   the session cookie (:func:`access.web.exchange_wall_token`), remembered there by id,
3. the trusted SSO header, only when the request comes straight from a configured proxy,
4. the signed session cookie set at sign-in,
5. the open demo (explicitly enabled, and only while the store has no users).

Users and tokens are re-read on every request, so disabling a user or revoking a token
takes effect at once, not when a cookie expires. A session cookie carries the user's
``session_version`` of its sign-in; sign-out, a new password and disabling raise the
version (:func:`access.users.end_sessions`), which voids every older cookie of that user
on its next request, wherever it is.
"""

from __future__ import annotations

import datetime as dt
import logging

import flask

from access import audit
from access.roles import Principal
from access.state import state
from access.tokens import principal_by_id, verify_token
from access.users import active_user, has_users
from citybrain import context

log = logging.getLogger("citybrain.access")
UTC = dt.timezone.utc
SESSION_USER, SESSION_AT, SESSION_WALL, SESSION_SSO = "cb_user", "cb_at", "cb_wall", "cb_sso"
#: the user's ``session_version`` when this session began
SESSION_VERSION = "cb_ver"
#: the WSGI environ key under which :mod:`access.headers` keeps the address of the peer
#: itself when it took the client's address from a trusted proxy's ``X-Forwarded-For``
PEER_ENVIRON = "citybrain.peer"


def address() -> str | None:
    """The client's address (behind a trusted proxy: the one it forwarded, :mod:`access.headers`)."""
    return flask.request.remote_addr


def peer_address() -> str | None:
    """The address of whoever opened this connection — a proxy, if one forwarded the
    request. Trust in a proxy's own headers (the SSO header) is decided on this one."""
    return flask.request.environ.get(PEER_ENVIRON) or flask.request.remote_addr


def bearer_principal() -> Principal | None:
    header = flask.request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return verify_token(context.engine(), secret.strip(), "api")


def session_principal() -> Principal | None:
    """The principal of a browser request (wall token, SSO, session, open demo), or None."""
    engine = context.engine()
    cfg = state().config
    req = flask.request
    session = flask.session

    if session.get(SESSION_WALL) is not None:
        return principal_by_id(engine, int(session[SESSION_WALL]), "wall")

    if cfg.sso_header:
        remote_user = req.headers.get(cfg.sso_header)
        if remote_user:
            if cfg.trusted_proxy(peer_address()):
                user = active_user(engine, remote_user.strip())
                if user is not None:
                    if session.get(SESSION_SSO) != user.name:
                        session[SESSION_SSO] = user.name
                        audit.record(engine, actor=user.name, action="sso.login", address=address(),
                                     detail={"header": cfg.sso_header})
                    return Principal(name=user.name, role=user.role, domains=user.domains,
                                     district=user.district, via="sso")
            else:
                log.warning("ignoring %s from %s: not a configured SSO proxy", cfg.sso_header, peer_address())

    name = session.get(SESSION_USER)
    if name:
        started = session.get(SESSION_AT)
        fresh = started and dt.datetime.now(UTC) - dt.datetime.fromisoformat(started) < dt.timedelta(hours=cfg.session_hours)
        user = active_user(engine, name) if fresh else None
        if user is None or session.get(SESSION_VERSION) != user.extra.get("session_version"):
            session.clear()  # expired, disabled, signed out elsewhere, or a password change since
            return None
        return user

    if cfg.open_demo and not has_users(engine):
        return Principal(name="demo", role="admin", via="open-demo")
    return None


def sign_in(principal: Principal) -> None:
    """Start a fresh session for ``principal`` (a new session on every sign-in: no fixation),
    under the user's current session version (``principal.extra``, :func:`access.users.principal_of`)."""
    flask.session.clear()
    flask.session[SESSION_USER] = principal.name
    flask.session[SESSION_AT] = dt.datetime.now(UTC).isoformat()
    flask.session[SESSION_VERSION] = principal.extra.get("session_version", 0)
    flask.session.permanent = True


def sign_in_wall(principal: Principal) -> None:
    """Start a fresh session for a wall token's principal (remembered by the token's id:
    revoking the token ends the session, and the secret itself is never stored)."""
    flask.session.clear()
    flask.session[SESSION_WALL] = principal.token_id
    flask.session.permanent = True


def current() -> Principal | None:
    """The principal the enforcement hook put on ``flask.g`` for this request."""
    return getattr(flask.g, "user", None)
