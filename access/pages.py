"""Which page a path is, found the way Dash's router finds it, and which resource it is.

A page names its resource with ``dash.register_page(..., access="traffic")``; pages that
predate that hook are mapped by :data:`DEFAULT_RESOURCES` (module → resource). A page
with neither is admin-only (fail closed) until it says what it is.

The router strips every leading and trailing slash before it looks a path up
(``//audit``, ``///audit//`` and ``/audit/`` all render ``/audit``), so the gate looks
paths up the same way (:func:`page_for_path`): what the gate checks is what is rendered.
"""

from __future__ import annotations

import re
from typing import Any

import dash

from citybrain.settings import DOMAINS

DEFAULT_RESOURCES: dict[str, str | None] = {
    "pages.home": "overview", **{f"pages.{d}": d for d in DOMAINS},
    "pages.warnings": "warnings", "pages.warning_detail": "warnings",
    "pages.sources": "sources", "pages.briefings": "briefings", "pages.wall": "wall", "pages.wall_screen": "wall",
    "pages.audit": "audit", "pages.not_found_404": None,
}
#: the resource of a page nobody mapped: admin-only
UNMAPPED = "audit"
#: ``access=`` of the theme page ``/t/<code>``: its resource is the theme its path names (issue 20)
THEME_PAGE = "@theme"


def page_resource(page: dict[str, Any]) -> str | None:
    """The resource of a ``dash.page_registry`` entry (None: public, e.g. the 404 page)."""
    if "access" in page:
        return page["access"]
    return DEFAULT_RESOURCES.get(page["module"], UNMAPPED)


def normalise_path(path: str) -> str:
    """``path`` as the router reads it: leading and trailing slashes stripped, one added."""
    return "/" + (path or "").strip("/")


def _template_regex(template: str) -> re.Pattern[str]:
    # Dash matches a template with fnmatch: a variable is ``*``, which also spans slashes
    parts = re.split(r"(<[^>]+>)", template.strip("/"))
    return re.compile("^" + "".join("(.*)" if p.startswith("<") else re.escape(p) for p in parts) + "$")


def page_for_path(path: str) -> dict[str, Any] | None:
    """The registered page the router renders for ``path`` (None: its 404 page).

    Dash's order: pages in registration order, a page's template before its path.
    """
    stripped = (path or "").strip("/")
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template and _template_regex(template).match(stripped):
            return page
        if stripped == (page.get("path") or "").strip("/"):
            return page
    return None


def path_variables(page: dict[str, Any], path: str) -> dict[str, str]:
    """The variables of ``page``'s path template in ``path`` ({} for a plain path)."""
    template = page.get("path_template")
    if not template:
        return {}
    names = re.findall(r"<([^>]+)>", template)
    found = _template_regex(template).match((path or "").strip("/"))
    return dict(zip(names, found.groups())) if found else {}


def query_values(search: str) -> dict[str, Any]:
    """``?a=1&b=2&b=3`` → {"a": "1", "b": ["2", "3"]}, as the router passes a query to a layout."""
    from urllib.parse import parse_qs

    if not search or not search.startswith("?"):
        return {}
    return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(search[1:], keep_blank_values=True).items()}
