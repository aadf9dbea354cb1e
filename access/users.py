"""Users: creation, password changes, disabling, sign-in, ending sessions, demo users.

Guessing is slowed before a password is checked, by :mod:`access.throttle` (growing waits
per account and address, never a lock a stranger can hold shut). :func:`authenticate`
itself does the same work and answers the same way whether or not the account exists.

Every user has a ``session_version``: a session cookie carries the version it was issued
under (:mod:`access.identity`), and :func:`end_sessions` raises it — on sign-out, a new
password and disabling — so every cookie issued before is void on its next request.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import Engine, insert, select, update

from access.passwords import hash_password, verify_password
from access.roles import DISTRICT_RESOURCES, ROLES, Principal, check_role
from citybrain.errors import CitybrainError
from citybrain.settings import DOMAINS
from store.schema import users

UTC = dt.timezone.utc
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-@")


class UserError(CitybrainError):
    """A user command that cannot be carried out as given (the message says how to fix it)."""


class LoginRefused(Exception):
    """Sign-in refused; ``reason`` is bad_credentials | disabled, for the audit log only: the
    person signing in is told the same for both, and for an account that does not exist."""

    def __init__(self, reason: str, username: str):
        super().__init__(reason)
        self.reason, self.username = reason, username


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(UTC)


def validate_scope(role: str, domains: list[str] | tuple[str, ...], district: str | None,
                   settings: Any = None) -> tuple[str, list[str], str | None]:
    """Check a role with its domains and district; returns them cleaned."""
    try:
        check_role(role)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    domains = sorted({d.strip() for d in domains if d and d.strip()})
    themes = settings.themes if settings is not None else []
    # issue 20: a theme's code, or its owner department (owner_zh) for every theme it owns
    owned = {t.owner_zh: [x.code for x in themes if x.owner_zh == t.owner_zh] for t in themes}
    domains = sorted({c for d in domains for c in owned.get(d, [d])})
    known = [*DOMAINS, *(t.code for t in themes)]
    bad = [d for d in domains if d not in known]
    if bad:
        raise UserError(f"unknown domain(s) {', '.join(bad)}; use {', '.join(known)}"
                        + (f" or a theme's department ({', '.join(owned)})" if owned else ""))
    if role == "department" and not domains:
        raise UserError("a department head needs --domain (one or more of " + ", ".join(DOMAINS) + ")")
    if district is not None and settings is not None:
        codes = {d.code for d in settings.districts}
        if district not in codes:
            raise UserError(f"unknown district {district!r}; use one of {', '.join(sorted(codes))}")
    if district and role in ("wall",):
        raise UserError(f"a {role} user cannot be limited to a district (its pages are city-wide)")
    return role, domains, district or None


def add_user(engine: Engine, username: str, password: str | None, role: str, *, domains: list[str] = (),  # type: ignore[assignment]
             district: str | None = None, display_name: str = "", settings: Any = None,
             now: dt.datetime | None = None) -> int:
    """Create a user; ``password`` None makes an SSO-only user (cannot sign in with a password)."""
    if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
        raise UserError("a username is 1–64 letters, digits or _ . - @")
    role, doms, district = validate_scope(role, list(domains), district, settings)
    try:
        pw_hash = hash_password(password) if password is not None else None
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise UserError(f"user {username!r} exists already; use `citybrain users passwd` to change the password")
        return conn.execute(insert(users).values(
            username=username, display_name=display_name or "", password_hash=pw_hash, role=role, domains=doms,
            district=district, disabled=False, failed_logins=0, created_at=_now(now))).inserted_primary_key[0]


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Every user, without password hashes."""
    cols = [c for c in users.c if c.name != "password_hash"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(users.c.username))]


def get_user(engine: Engine, username: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    return dict(row._mapping) if row else None


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    """Disable (or enable) a user; disabling also ends every open session (:func:`end_sessions`)."""
    values: dict[str, Any] = {"disabled": disabled}
    if disabled:
        values["session_version"] = users.c.session_version + 1
    with engine.begin() as conn:
        if conn.execute(update(users).where(users.c.username == username).values(**values)).rowcount != 1:
            raise UserError(f"no user {username!r}; see `citybrain users list`")


def set_password(engine: Engine, username: str, password: str) -> None:
    """New password; ends every open session of the user (a password changed because it
    leaked must also throw out whoever signed in with it)."""
    try:
        pw_hash = hash_password(password)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    with engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.username == username).values(
            password_hash=pw_hash, failed_logins=0, locked_until=None,
            session_version=users.c.session_version + 1)).rowcount
    if done != 1:
        raise UserError(f"no user {username!r}; see `citybrain users list`")


def end_sessions(engine: Engine, username: str) -> None:
    """Void every session cookie issued to ``username`` so far (sign-out ends them all, on
    every device: OWASP ASVS 4.0 V3.3.1, logout invalidates the session)."""
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username)
                     .values(session_version=users.c.session_version + 1))


def principal_of(row: dict[str, Any], via: str = "session") -> Principal:
    """The principal of a user row; ``extra["session_version"]`` is what a new session cookie carries."""
    return Principal(name=row["username"], role=row["role"], domains=tuple(row.get("domains") or ()),
                     district=row.get("district"), via=via,
                     extra={"session_version": int(row.get("session_version") or 0)})


def authenticate(engine: Engine, username: str, password: str, *, now: dt.datetime | None = None) -> Principal:
    """The user if ``password`` is right and the account usable; :class:`LoginRefused` otherwise.

    An unknown name, an SSO-only account, a disabled account and a wrong password cost the
    same (one scrypt check: an unknown user is checked against a dummy hash), write nothing
    and raise the same way — nothing tells a guesser which accounts exist (OWASP ASVS 4.0
    V2.2.1, V3.2). Slowing guessers is :mod:`access.throttle`'s job, before this is called.
    """
    row = get_user(engine, username) if username and len(username) <= 64 else None
    ok = verify_password(row["password_hash"] if row is not None else None, password)
    if row is None or not ok:
        raise LoginRefused("bad_credentials", username)
    if row["disabled"]:
        raise LoginRefused("disabled", username)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == row["id"])
                     .values(failed_logins=0, locked_until=None, last_login=_now(now)))
    return principal_of(row)


def active_user(engine: Engine, username: str) -> Principal | None:
    """The user behind a session or an SSO header, if it still exists and is not disabled
    (with its current ``session_version`` in ``extra``)."""
    row = get_user(engine, username)
    if row is None or row["disabled"]:
        return None
    return principal_of(row)


def has_users(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(users.c.id).limit(1)).first() is not None


def ensure_demo_users(engine: Engine, settings: Any) -> list[tuple[str, str, str]]:
    """One demo user per role (and a district-level department head), with fresh random passwords.

    Returns (username, password, role) for the demo to print at start; existing demo users get
    a new password each start, so a printed password is only valid for that run.
    """
    district = settings.districts[0].code if settings.districts else None
    wanted = [("admin", "admin", [], None), ("leader", "leader", [], None),
              ("traffic_head", "department", ["traffic"], None),
              ("environment_head", "department", ["environment"], None),
              ("duty", "duty", [], None), ("analyst", "analyst", [], None), ("wall", "wall", [], None)]
    if district:
        wanted.append((f"traffic_{district}", "department", ["traffic"], district))
    # issue 20: the head of each department that owns themes (in the demo 市城管局 owns two),
    # named after its first theme; the owner's name gives every theme it owns
    owners: dict[str, str] = {}
    for theme in getattr(settings, "themes", None) or []:
        owners.setdefault(theme.owner_zh, theme.code)
    wanted += [(f"{code}_head", "department", [owner], None) for owner, code in owners.items()]
    out: list[tuple[str, str, str]] = []
    for username, role, doms, dist in wanted:
        password = secrets.token_urlsafe(9)
        if get_user(engine, username) is None:
            add_user(engine, username, password, role, domains=doms, district=dist, settings=settings,
                     display_name=f"demo {role}")
        else:
            set_password(engine, username, password)
            set_disabled(engine, username, False)
        out.append((username, password, role))
    return out


__all__ = ["ROLES", "DISTRICT_RESOURCES", "UserError", "LoginRefused", "add_user", "list_users", "get_user",
           "set_disabled", "set_password", "end_sessions", "authenticate", "active_user", "has_users", "ensure_demo_users"]
