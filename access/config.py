"""The access settings, in one frozen object built once per app.

From the city file's ``[access]`` section (``citybrain.settings.Access``), overridden by
``CITYBRAIN_*`` variables read once in :func:`access_config`, and by the ``open_demo``
argument of ``create_app`` (the demo's).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class AccessConfig:
    #: no users in the store and started by ``citybrain demo``: everyone is an admin (logged)
    open_demo: bool = False
    #: trusted-header SSO: the header a portal sets (e.g. ``X-Remote-User``); "" = off
    sso_header: str = ""
    #: addresses/networks of the portal's proxy; the header is ignored from anyone else
    sso_proxies: tuple[str, ...] = ()
    #: failed sign-ins of one account from one address before each further try waits
    #: (1 s, 2 s, 4 s … doubling); counted since that pair's last success, over a day
    lockout_attempts: int = 5
    #: the longest such wait, and how far back an address's failures on any account count
    lockout_minutes: int = 15
    #: failed sign-ins from one address (any accounts) within ``lockout_minutes`` before waits start
    login_address_attempts: int = 20
    #: failed sign-ins of one account (any addresses) before waits start for addresses it
    #: never signed in from …
    login_account_attempts: int = 10
    #: … and the longest of those waits: a stranger can slow an account, never shut it
    login_account_max_delay: int = 30
    session_hours: int = 12
    #: API requests per token per minute
    api_rate_limit: int = 600
    #: mark the session cookie Secure always (it is anyway on a request that came over HTTPS)
    secure_cookies: bool = False
    #: addresses/networks of reverse proxies whose ``X-Forwarded-For/-Proto/-Host/-Port`` are
    #: believed (nginx terminating TLS); the headers are ignored from anyone else
    trusted_proxies: tuple[str, ...] = ()
    #: who may frame the wall pages (CSP ``frame-ancestors`` sources); every other page: nobody
    wall_frame_ancestors: tuple[str, ...] = ("'self'",)

    def __post_init__(self) -> None:
        for net in (*self.sso_proxies, *self.trusted_proxies):
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is not an IP address or network (CITYBRAIN_SSO_PROXIES, "
                                 "CITYBRAIN_TRUSTED_PROXIES)") from None
        for source in self.wall_frame_ancestors:
            # one CSP source expression each: a keyword, a scheme or a host source; nothing
            # that could end the directive and start another
            if not re.fullmatch(r"'(self|none)'|[a-z][a-z0-9+.-]*:(//[^\s;,'\"]+)?|[^\s;,'\":/]+(:\d+)?", source):
                raise ValueError(f"{source!r} is not a CSP frame-ancestors source (CITYBRAIN_WALL_FRAME_ANCESTORS: "
                                 "'self', 'none', https://portal.example …)")

    def trusted_proxy(self, address: str | None) -> bool:
        """Is ``address`` one of the configured SSO proxies?"""
        return _within(address, self.sso_proxies)

    def forwarding_proxy(self, address: str | None) -> bool:
        """Is ``address`` one of the reverse proxies whose ``X-Forwarded-*`` headers count?"""
        return _within(address, self.trusted_proxies)


def _within(address: str | None, networks: tuple[str, ...]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(p, strict=False) for p in networks)


_ENV = {"CITYBRAIN_OPEN_DEMO": "open_demo", "CITYBRAIN_SSO_HEADER": "sso_header",
        "CITYBRAIN_SSO_PROXIES": "sso_proxies", "CITYBRAIN_LOCKOUT_ATTEMPTS": "lockout_attempts",
        "CITYBRAIN_LOCKOUT_MINUTES": "lockout_minutes", "CITYBRAIN_SESSION_HOURS": "session_hours",
        "CITYBRAIN_API_RATE_LIMIT": "api_rate_limit", "CITYBRAIN_SECURE_COOKIES": "secure_cookies",
        "CITYBRAIN_TRUSTED_PROXIES": "trusted_proxies", "CITYBRAIN_WALL_FRAME_ANCESTORS": "wall_frame_ancestors",
        "CITYBRAIN_LOGIN_ADDRESS_ATTEMPTS": "login_address_attempts",
        "CITYBRAIN_LOGIN_ACCOUNT_ATTEMPTS": "login_account_attempts",
        "CITYBRAIN_LOGIN_ACCOUNT_MAX_DELAY": "login_account_max_delay"}


def access_config(settings: Any, *, env: Mapping[str, str] | None = None, **overrides: Any) -> AccessConfig:
    """The city file's ``[access]`` section, then ``CITYBRAIN_*`` variables, then ``overrides``.

    Like every deployment value, the environment wins over the file (e.g. the SSO proxy
    addresses differ between a test and a production cluster).
    """
    section = getattr(settings, "access", None)
    values: dict[str, Any] = {}
    if section is not None:
        values = {f.name: getattr(section, f.name) for f in fields(AccessConfig) if hasattr(section, f.name)}
    env = os.environ if env is None else env
    for var, key in _ENV.items():
        if env.get(var):
            values[key] = env[var]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return AccessConfig(**{k: _coerce(k, v) for k, v in values.items()})


def _coerce(key: str, value: Any) -> Any:
    kind = {f.name: f.type for f in fields(AccessConfig)}[key]
    if kind == "bool" and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if kind == "int":
        return int(value)
    if kind == "tuple[str, ...]":
        items = tuple(p for p in re.split(r"[,\s]+", value) if p) if isinstance(value, str) else tuple(value)
        if key == "wall_frame_ancestors":  # self/none without CSP's quotes (an env file may strip them)
            items = tuple(f"'{p}'" if p in ("self", "none") else p for p in items)
        return items
    return value
