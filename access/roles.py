"""Who may do what: the one permission table of citybrain.

Every check in the app — page layouts, Dash callbacks, exports, PDFs, the API — asks
:func:`allowed`, so a role's rights are read here and nowhere else. A *resource* is a
page family (``overview`` = home and the vital-signs index, one per domain, ``warnings``,
``sources``, ``wall``, ``audit``); ``@domains`` in the table stands for the principal's
own domains (department heads). A principal bound to a district (``district``) is further
limited to :data:`DISTRICT_RESOURCES` — the pages whose data can be cut by district —
and to values of that district (checked where the values are, see ``access.enforce``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from citybrain.settings import DOMAINS

ROLES: tuple[str, ...] = ("admin", "leader", "department", "duty", "analyst", "wall")
#: view: open a page and read its data; handle: acknowledge, assign, note, close and (on every
#: domain: city-wide) silence warnings; export: CSV/XLSX of tables; print: PDF of a page's view
#: and producing briefings; api: the JSON API; administer: users, tokens and the audit log
ACTIONS: tuple[str, ...] = ("view", "handle", "export", "print", "api", "administer")
RESOURCES: tuple[str, ...] = ("overview", *DOMAINS, "warnings", "sources", "briefings", "wall", "audit")

OWN = "@domains"
#: every theme of the city (issue 20: themes are resources like the domains, by their code)
THEMES = "@themes"
_EVERY_PAGE = ("overview", *DOMAINS, THEMES, "warnings", "sources", "briefings", "wall")
_DATA = ("overview", *DOMAINS, THEMES, "warnings", "sources")
_PRINTS = ("overview", *DOMAINS, THEMES, "briefings")

#: role → action → resources (``@domains``: the principal's own domains). As a command
#: centre works (issue 17): the leader reads, prints and exports everything and handles
#: nothing; the duty officer reads every page and briefing, handles every warning and
#: produces briefings; a department head works on their own department (a district-level
#: one on their district); the analyst reads everything, exports and uses the API; the
#: wall token opens its screen; the admin does everything.
PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "admin": {"view": (*_EVERY_PAGE, "audit"), "handle": (*DOMAINS, THEMES), "export": _DATA, "print": _PRINTS,
              "api": _DATA, "administer": ("audit",)},
    "leader": {"view": _EVERY_PAGE, "export": _DATA, "print": _PRINTS, "api": _DATA},
    "duty": {"view": _EVERY_PAGE, "handle": (*DOMAINS, THEMES), "print": ("briefings",),
             "api": ("overview", "warnings", "sources")},
    "department": {"view": (OWN, "warnings"), "handle": (OWN,), "export": (OWN, "warnings"), "print": (OWN,),
                   "api": (OWN, "warnings")},
    "analyst": {"view": _EVERY_PAGE, "export": _DATA, "print": ("overview", *DOMAINS, THEMES), "api": _DATA},
    "wall": {"view": ("wall",)},
}

#: what a district-bound principal may still see: pages whose every value has a district
DISTRICT_RESOURCES: tuple[str, ...] = (*DOMAINS, "warnings")


@dataclass(frozen=True)
class Principal:
    """The one acting: a signed-in user, an API token or a wall token.

    ``domains`` only matters for department heads; ``district`` limits anyone to one
    district; ``screen`` binds a wall token to one wall screen.
    """

    name: str
    role: str
    domains: tuple[str, ...] = ()
    district: str | None = None
    screen: str | None = None
    via: str = "session"  # session | sso | api-token | wall-token | open-demo
    token_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def username(self) -> str:
        """What ``components.center.actor.actor`` reads (``flask.g.user.username``)."""
        return self.name


def resources_for(principal: Principal, action: str, themes: Collection[str] | None = None) -> frozenset[str]:
    """The resources ``principal`` may ``action``, with ``@domains``, ``@themes`` and the
    district limit applied. ``themes``: the city's theme codes (default: the current app's)."""
    granted = PERMISSIONS.get(principal.role, {}).get(action, ())
    codes = set(city_themes() if themes is None else themes)
    out: set[str] = set()
    for item in granted:
        if item == OWN:
            out |= {d for d in principal.domains if d in DOMAINS or d in codes}
        elif item == THEMES:
            out |= codes
        else:
            out.add(item)
    if principal.district:
        out &= set(DISTRICT_RESOURCES) | codes  # a theme's values have districts, as a domain's
    return frozenset(out)


def city_themes() -> tuple[str, ...]:
    """The theme codes of the app serving the request (none outside an app)."""
    import flask

    if not flask.has_app_context():
        return ()
    runtime = flask.current_app.extensions.get("citybrain")
    return tuple(t.code for t in runtime.settings.themes) if runtime is not None else ()


def allowed(principal: Principal | None, action: str, resource: str) -> bool:
    """May ``principal`` ``action`` ``resource``? No principal may do nothing."""
    if principal is None:
        return False
    return resource in resources_for(principal, action)


def handles_everything(principal: Principal | None) -> bool:
    """May ``principal`` handle warnings of every domain? What city-wide acts (silences) need."""
    return all(allowed(principal, "handle", d) for d in (*DOMAINS, *city_themes()))


def check_role(role: str) -> str:
    """``role`` if it is one of :data:`ROLES`; a ValueError naming them otherwise."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    return role


def permission_table() -> list[dict[str, str]]:
    """The table as rows (role, action, resources) — for the CLI, the docs and the report."""
    return [{"role": r, "action": a, "resources": ", ".join(res)} for r, acts in PERMISSIONS.items()
            for a, res in acts.items()]
