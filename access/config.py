"""The access settings, in one frozen object built once per app.

From the city file's ``[access]`` section (``citybrain.settings.Access``), overridden by
``CITYBRAIN_*`` variables read once in :func:`access_config`, and by the ``open_demo``
argument of ``create_app`` (the demo's).
"""

from __future__ import annotations

import ipaddress
import os
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
    lockout_attempts: int = 5
    lockout_minutes: int = 15
    session_hours: int = 12
    #: API requests per token per minute
    api_rate_limit: int = 600
    #: mark the session cookie Secure (production behind HTTPS)
    secure_cookies: bool = False

    def trusted_proxy(self, address: str | None) -> bool:
        """Is ``address`` one of the configured SSO proxies?"""
        if not address or not self.sso_proxies:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(p, strict=False) for p in self.sso_proxies)


_ENV = {"CITYBRAIN_OPEN_DEMO": "open_demo", "CITYBRAIN_SSO_HEADER": "sso_header",
        "CITYBRAIN_SSO_PROXIES": "sso_proxies", "CITYBRAIN_LOCKOUT_ATTEMPTS": "lockout_attempts",
        "CITYBRAIN_LOCKOUT_MINUTES": "lockout_minutes", "CITYBRAIN_SESSION_HOURS": "session_hours",
        "CITYBRAIN_API_RATE_LIMIT": "api_rate_limit", "CITYBRAIN_SECURE_COOKIES": "secure_cookies"}


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
    if kind == "tuple[str, ...]" and isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return tuple(value) if kind == "tuple[str, ...]" else value
