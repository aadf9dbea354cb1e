"""Time limits of work orders (``[dispatch.sla]``) and the departments orders go to.

Limits are counted from the dispatch instant: a red order must be accepted (签收) within
``respond`` (default 15 min) and resolved (办结) within ``resolve`` (default 2 h) — the
tiers of 12345 platforms (国务院办公厅关于进一步优化地方政务服务便民热线的指导意见,
国办发〔2020〕53号: 快速响应, 限时办结). Defaults: red 15m/2h, orange 30m/4h, yellow 2h/24h,
blue 24h/72h (``citybrain.settings.DISPATCH_SLA_DEFAULTS``).

Departments are the owners of the city's domains: a department's code is the domain it
owns (``traffic`` …) and its name is the ``owner_zh`` / ``owner_en`` of that domain's
sources in the city config (数据共享交换目录). A department head (role ``department``)
heads the departments of their ``domains``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from access.roles import Principal
from citybrain.settings import DOMAINS, Settings
from dispatch.errors import InvalidInput

LEVELS: tuple[str, ...] = ("blue", "yellow", "orange", "red")

#: names used when no source of the domain names its owner
_FALLBACK_NAMES: dict[str, tuple[str, str]] = {
    "environment": ("生态环境局", "Ecology and Environment Bureau"),
    "traffic": ("交通运输局", "Transport Bureau"),
    "tourism": ("文化广电和旅游局", "Culture and Tourism Bureau"),
    "economy": ("统计局", "Statistics Bureau"),
    "hotline": ("12345热线", "12345 Hotline Centre"),
}


@dataclass(frozen=True)
class Limits:
    respond: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class Department:
    code: str
    name_zh: str
    name_en: str


def limits(settings: Settings, level: str) -> Limits:
    """The respond-by and resolve-by limits of ``level``; an unknown level is :class:`InvalidInput`."""
    if level not in LEVELS:
        raise InvalidInput(f"level {level!r} is not a warning level; use one of {', '.join(LEVELS)}")
    sla = settings.dispatch.sla[level]
    assert sla.respond is not None and sla.resolve is not None  # filled with defaults by the settings
    return Limits(sla.respond, sla.resolve)


def deadlines(settings: Settings, level: str, dispatched_at: datetime) -> tuple[datetime, datetime]:
    """(respond_by, resolve_by) of an order of ``level`` dispatched at ``dispatched_at``."""
    lim = limits(settings, level)
    return dispatched_at + lim.respond, dispatched_at + lim.resolve


def departments(settings: Settings) -> dict[str, Department]:
    """Every department orders may go to: one per domain, named by its sources' owner."""
    out: dict[str, Department] = {}
    for domain in DOMAINS:
        zh, en = _FALLBACK_NAMES[domain]
        for src in settings.sources:
            if src.domain == domain and (src.owner_zh or src.owner_en):
                zh, en = src.owner_zh or zh, src.owner_en or en
                break
        out[domain] = Department(domain, zh, en)
    return out


def department_of_domain(domain: str) -> str:
    """The department suggested for a warning of ``domain``: the domain's owner."""
    return domain


def headed_by(principal: Principal) -> frozenset[str]:
    """The departments ``principal`` heads (department heads only)."""
    if principal.role != "department":
        return frozenset()
    return frozenset(d for d in principal.domains if d in DOMAINS)
