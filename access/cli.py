"""``citybrain users …`` and ``citybrain token …``: accounts and tokens from the command line.

Every change is written to the audit log with the operating-system user as the actor
(``cli:<name>``). Passwords are prompted (hidden) unless given, never echoed; a token's
secret is printed once, at creation, and cannot be shown again.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from citybrain.errors import CitybrainError
from citybrain.settings import parse_duration

users_app = typer.Typer(no_args_is_help=True, help="Users and roles: add, list, disable, passwd.")
token_app = typer.Typer(no_args_is_help=True, help="API and wall tokens: create, list, revoke.")

RoleOpt = Annotated[str, typer.Option("--role", help="admin | leader | department | duty | analyst | wall")]
DomainOpt = Annotated[Optional[list[str]], typer.Option("--domain", help="A department head's domain (repeatable).")]
DistrictOpt = Annotated[Optional[str], typer.Option("--district", help="Limit to one district (code).")]
UTC = dt.timezone.utc
ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="City config TOML (default: $CITYBRAIN_CONFIG or config/xuchang.toml).")]


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``citybrain.cli.handles_errors``, looked up at call time (that module mounts this one)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from citybrain.cli import handles_errors as real

        return real(fn)(*args, **kwargs)

    return wrapper


def _console() -> Any:
    from citybrain.cli import _console as console

    return console()


def _settings(config: Path | None) -> Any:
    from citybrain.settings import load_settings

    return load_settings(config)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except Exception:  # noqa: BLE001 — no login name in a container is not an error
        return "cli"


def _open(config):  # noqa: ANN001, ANN202
    from store.engine import open_store

    settings = _settings(config)
    return settings, open_store(settings)


def _audit(engine, action: str, target: str, detail: dict | None = None) -> None:  # noqa: ANN001
    from access import audit

    audit.record(engine, actor=_actor(), action=action, target=target, detail=detail, address="cli")


def _ask_password(given: str | None) -> str:
    if given:
        return given
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        raise CitybrainError("the two passwords differ; run the command again")
    return first


@users_app.command("add")
@handles_errors
def users_add(username: str, role: RoleOpt, domain: DomainOpt = None, district: DistrictOpt = None,
              display_name: Annotated[str, typer.Option("--name", help="Name shown in the app.")] = "",
              password: Annotated[Optional[str], typer.Option(help="Password (default: prompt).")] = None,
              generate: Annotated[bool, typer.Option("--generate", help="Generate and print a password.")] = False,
              sso_only: Annotated[bool, typer.Option("--sso-only", help="No password: signs in via the portal only.")] = False,
              config: ConfigOpt = None) -> None:
    """Create a user with a role (department heads: --domain; district-level users: --district)."""
    from access.users import add_user

    settings, engine = _open(config)
    try:
        pw = None if sso_only else (secrets.token_urlsafe(12) if generate else _ask_password(password))
        add_user(engine, username, pw, role, domains=domain or [], district=district, display_name=display_name,
                 settings=settings)
        _audit(engine, "user.add", username, {"role": role, "domains": domain or [], "district": district})
        _console().print(f"user {username} added ({role})" + (f"; password: {pw}" if generate else ""))
    finally:
        engine.dispose()


@users_app.command("list")
@handles_errors
def users_list(config: ConfigOpt = None) -> None:
    """Every user with role, domains, district and state."""
    from access.users import list_users

    _, engine = _open(config)
    try:
        rows = list_users(engine)
    finally:
        engine.dispose()
    table = Table(title="users")
    for col in ("username", "role", "domains", "district", "state", "last login"):
        table.add_column(col)
    for r in rows:
        state = "disabled" if r["disabled"] else "active"  # no locks: guessing is slowed (access.throttle)
        table.add_row(r["username"], r["role"], ", ".join(r["domains"] or []), r["district"] or "", state,
                      f"{r['last_login']:%Y-%m-%d %H:%M}" if r["last_login"] else "")
    _console().print(table)


@users_app.command("disable")
@handles_errors
def users_disable(username: str, enable: Annotated[bool, typer.Option("--enable", help="Enable again.")] = False,
                  config: ConfigOpt = None) -> None:
    """Disable a user at once (every open session ends), or --enable again."""
    from access.users import set_disabled

    _, engine = _open(config)
    try:
        set_disabled(engine, username, not enable)
        _audit(engine, "user.enable" if enable else "user.disable", username)
        _console().print(f"user {username} {'enabled' if enable else 'disabled'}")
    finally:
        engine.dispose()


@users_app.command("passwd")
@handles_errors
def users_passwd(username: str, password: Annotated[Optional[str], typer.Option(help="New password (default: prompt).")] = None,
                 config: ConfigOpt = None) -> None:
    """Set a new password; every open session of the user ends (they sign in again)."""
    from access.users import set_password

    _, engine = _open(config)
    try:
        set_password(engine, username, _ask_password(password))
        _audit(engine, "user.passwd", username)
        _console().print(f"password of {username} changed; their open sessions have ended")
    finally:
        engine.dispose()


def _expiry(text: str | None) -> dt.datetime | None:
    """``30d`` / ``12h`` from now, or an ISO date/time (UTC if no offset)."""
    if not text:
        return None
    try:
        return dt.datetime.now(UTC) + parse_duration(text)
    except ValueError:
        pass
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CitybrainError(f"--expires {text!r}: write a duration (90d, 12h) or a date (2027-01-31)") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@token_app.command("create")
@handles_errors
def token_create(role: Annotated[str, typer.Option("--role", help="Role the token acts as.")] = "analyst",
                 name: Annotated[str, typer.Option("--name", help="Who or what uses the token.")] = "api client",
                 domain: DomainOpt = None, district: DistrictOpt = None,
                 expires: Annotated[Optional[str], typer.Option("--expires", help="90d, 12h or 2027-01-31.")] = None,
                 wall: Annotated[bool, typer.Option("--wall", help="A wall-screen token instead of an API token.")] = False,
                 screen: Annotated[Optional[str], typer.Option("--screen", help="The wall screen (with --wall).")] = None,
                 config: ConfigOpt = None) -> None:
    """Create an API bearer token (or, with --wall --screen, a wall-screen token); the secret is shown once."""
    from access.tokens import create_token

    settings, engine = _open(config)
    try:
        tid, secret = create_token(engine, kind="wall" if wall else "api", name=name, role=role,
                                   domains=domain or [], district=district, screen=screen,
                                   expires_at=_expiry(expires), created_by=_actor(), settings=settings)
        _audit(engine, "token.create", f"token:{tid}", {"name": name, "role": "wall" if wall else role,
                                                         "screen": screen, "district": district, "expires": expires})
    finally:
        engine.dispose()
    _console().print(f"token {tid} created; copy it now, it is not shown again:")
    print(secret)
    if wall:
        _console().print(f"open the wall at /wall/{screen}?token={secret}")


@token_app.command("list")
@handles_errors
def token_list(config: ConfigOpt = None) -> None:
    """Every token (never the secret): role, scope, expiry, revocation, last use."""
    from access.tokens import list_tokens

    _, engine = _open(config)
    try:
        rows = list_tokens(engine)
    finally:
        engine.dispose()
    table = Table(title="tokens")
    for col in ("id", "kind", "name", "role", "scope", "expires", "state", "last used"):
        table.add_column(col)
    now = dt.datetime.now(UTC)
    fmt = lambda t: f"{t:%Y-%m-%d %H:%M}" if t else ""  # noqa: E731
    for r in rows:
        state = "revoked" if r["revoked_at"] else ("expired" if r["expires_at"] and r["expires_at"] <= now else "live")
        scope = " ".join(x for x in (",".join(r["domains"] or []), r["district"] or "",
                                     f"screen {r['screen']}" if r["screen"] else "") if x)
        table.add_row(str(r["id"]), r["kind"], r["name"], r["role"], scope, fmt(r["expires_at"]), state,
                      fmt(r["last_used_at"]))
    _console().print(table)


@token_app.command("revoke")
@handles_errors
def token_revoke(token_id: int, config: ConfigOpt = None) -> None:
    """Revoke a token at once."""
    from access.tokens import revoke_token

    _, engine = _open(config)
    try:
        info = revoke_token(engine, token_id)
        _audit(engine, "token.revoke", f"token:{token_id}", {"name": info["name"], "kind": info["kind"]})
        _console().print(f"token {token_id} ({info['name']}) revoked")
    finally:
        engine.dispose()
