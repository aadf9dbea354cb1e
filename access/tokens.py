"""API bearer tokens and wall-screen tokens: created, checked, listed, revoked.

The secret is shown once at creation; the store keeps only its SHA-256 (the secret is 256
random bits, so a fast hash is enough and lets a request find its row by index). The row
found is compared again with :func:`hmac.compare_digest`. A token stops working when it
expires or is revoked — checked on every request, so revocation takes effect at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import Engine, insert, select, update

from access.roles import Principal
from access.users import UserError, validate_scope
from store.schema import api_tokens

UTC = dt.timezone.utc
PREFIX = {"api": "cbt_", "wall": "cbw_"}
KINDS = tuple(PREFIX)
#: last_used_at is refreshed at most this often (one write per token per minute, not per request)
TOUCH_EVERY = dt.timedelta(minutes=1)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(engine: Engine, *, kind: str, name: str, role: str, created_by: str,
                 domains: list[str] | tuple[str, ...] = (), district: str | None = None, screen: str | None = None,
                 expires_at: dt.datetime | None = None, settings: Any = None,
                 now: dt.datetime | None = None) -> tuple[int, str]:
    """A new token; returns (id, secret). Wall tokens are role ``wall`` and bound to one screen."""
    now = now or dt.datetime.now(UTC)
    if kind not in KINDS:
        raise UserError(f"unknown token kind {kind!r}; use api or wall")
    if kind == "wall":
        role = "wall"
        names = [s.name for s in settings.wall.screens] if settings is not None else None
        if not screen or (names is not None and screen not in names):
            raise UserError(f"a wall token needs --screen, one of {', '.join(names or ['<screen>'])}")
    else:
        if role == "wall":
            raise UserError("the wall role reads screens, not the API; use `citybrain token create --wall --screen …`")
        screen = None
    role, doms, district = validate_scope(role, list(domains), district, settings)
    if expires_at is not None and expires_at <= now:
        raise UserError("--expires must lie in the future")
    if not name or len(name) > 100:
        raise UserError("give the token a name of 1–100 characters (who or what uses it)")
    secret = PREFIX[kind] + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        tid = conn.execute(insert(api_tokens).values(
            name=name, kind=kind, role=role, domains=doms, district=district, screen=screen,
            token_hash=token_hash(secret), created_by=created_by[:64], created_at=now, expires_at=expires_at,
        )).inserted_primary_key[0]
    return tid, secret


def verify_token(engine: Engine, secret: str | None, kind: str, *, now: dt.datetime | None = None) -> Principal | None:
    """The token's principal if ``secret`` is a live token of ``kind``; None otherwise (no reason given)."""
    if not secret or not secret.startswith(PREFIX.get(kind, "\0")) or len(secret) > 200:
        return None
    now = now or dt.datetime.now(UTC)
    digest = token_hash(secret)
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.token_hash == digest,
                                                    api_tokens.c.kind == kind)).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
        with engine.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.id).values(last_used_at=now))
    return Principal(name=f"token:{row.name}"[:64], role=row.role, domains=tuple(row.domains or ()),
                     district=row.district, screen=row.screen, via=f"{kind}-token", token_id=row.id)


def revoke_token(engine: Engine, token_id: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Revoke at once (the row stays, for the audit trail)."""
    now = now or dt.datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise UserError(f"no token {token_id}; see `citybrain token list`")
        if row.revoked_at is None:
            conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now))
    return {"id": row.id, "name": row.name, "kind": row.kind}


def list_tokens(engine: Engine) -> list[dict[str, Any]]:
    """Every token without its hash."""
    cols = [c for c in api_tokens.c if c.name != "token_hash"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(api_tokens.c.id))]


def principal_by_id(engine: Engine, token_id: int, kind: str, *, now: dt.datetime | None = None) -> Principal | None:
    """The principal of a live token known by id (a wall's session remembers the id, not the secret)."""
    now = now or dt.datetime.now(UTC)
    with engine.connect() as conn:
        row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.kind == kind)).first()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return Principal(name=f"token:{row.name}"[:64], role=row.role, domains=tuple(row.domains or ()),
                     district=row.district, screen=row.screen, via=f"{kind}-token", token_id=row.id)
