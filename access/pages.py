"""Which resource (permission-table column) each page and each component id belongs to.

A page names its resource with ``dash.register_page(..., access="traffic")``; pages that
predate that hook are mapped by :data:`DEFAULT_RESOURCES` (module → resource). A page
with neither is admin-only (fail closed) until it says what it is.

The component index maps ids to the resources of the pages whose layouts contain them,
by calling each page's layout once (layouts are cheap and query-free, STACK.md) and
walking the component tree. It is how a callback request is attributed to a page using
only server-side knowledge: the callback's registered output ids.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import dash

from citybrain.settings import DOMAINS

log = logging.getLogger("citybrain.access")

DEFAULT_RESOURCES: dict[str, str | None] = {
    "pages.home": "overview", **{f"pages.{d}": d for d in DOMAINS},
    "pages.warnings": "warnings", "pages.warning_detail": "warnings",
    "pages.sources": "sources", "pages.wall": "wall", "pages.wall_screen": "wall",
    "pages.audit": "audit", "pages.not_found_404": None,
}
#: the resource of a page nobody mapped: admin-only
UNMAPPED = "audit"
PUBLIC = None


def page_resource(page: dict[str, Any]) -> str | None:
    """The resource of a ``dash.page_registry`` entry (None: public, e.g. the 404 page)."""
    if "access" in page:
        return page["access"]
    return DEFAULT_RESOURCES.get(page["module"], UNMAPPED)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(<[^>]+>)", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("<") else re.escape(p) for p in parts) + "/?$")


def page_for_path(path: str) -> dict[str, Any] | None:
    """The registered page serving ``path`` (exact paths before templates)."""
    path = path or "/"
    for page in dash.page_registry.values():
        if page.get("path") == path or (path != "/" and page.get("path") == path.rstrip("/")):
            if not page.get("path_template"):
                return page
    for page in dash.page_registry.values():
        if page.get("path_template") and _template_regex(page["path_template"]).match(path):
            return page
    return None


def id_keys(cid: Any) -> list[str]:
    """Index keys of a component id: the id itself, or ``key=value`` per literal dict entry."""
    if isinstance(cid, str):
        return [cid]
    if isinstance(cid, dict):
        return [f"{k}={v}" for k, v in sorted(cid.items()) if isinstance(v, (str, int)) and not isinstance(v, bool)]
    return []


def _prefix(key: str) -> str:
    value = key.split("=", 1)[-1]
    return value.split("-", 1)[0]


@dataclass
class ComponentIndex:
    """id key → resources of the pages containing it, and → component type."""

    resources: dict[str, set[str | None]] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, set[str | None]] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)

    def add(self, cid: Any, kind: str, resource: str | None) -> None:
        for key in id_keys(cid):
            self.resources.setdefault(key, set()).add(resource)
            self.types.setdefault(key, kind)
            self.prefixes.setdefault(_prefix(key), set()).add(resource)

    def resources_of(self, cid: Any) -> set[str | None]:
        """Resources of the pages holding ``cid``; by the id's prefix when no layout has it
        (components created by callbacks, e.g. pattern-matching row buttons); empty: unknown."""
        keys = id_keys(cid)
        found = [self.resources[k] for k in keys if k in self.resources]
        if found:
            return set.intersection(*found)
        by_prefix = [self.prefixes[_prefix(k)] for k in keys if _prefix(k) in self.prefixes]
        return set.intersection(*by_prefix) if by_prefix else set()

    def type_of(self, cid: Any) -> str:
        keys = sorted(id_keys(cid), key=lambda k: not k.startswith("type="))  # a dict id's type names its kind
        if isinstance(cid, dict) and "type" in cid:
            both = [k for k in keys if k in self.types]
            return self.types.get(f"type={cid['type']}", "") if both else ""
        return next((self.types[k] for k in keys if k in self.types), "")


def _walk(node: Any, found: list[tuple[Any, str]]) -> None:
    if isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, found)
        return
    if not isinstance(node, dash.development.base_component.Component):
        return
    cid = getattr(node, "id", None)
    if cid is not None:
        found.append((cid, f"{node._namespace}.{node._type}"))
    for prop in node._prop_names:
        value = getattr(node, prop, None)
        if isinstance(value, (dash.development.base_component.Component, list, tuple)):
            _walk(value, found)


def build_index() -> ComponentIndex:
    """Call every page's layout (with no arguments, as Dash does at start-up) and index its ids.

    Needs an app and request context (layouts read the settings and the language).
    """
    index = ComponentIndex()
    for page in dash.page_registry.values():
        layout = page.get("layout")
        resource = page_resource(page)
        try:
            tree = layout() if callable(layout) else layout
        except Exception as exc:  # noqa: BLE001 — a broken layout must not break every other page
            log.warning("access: cannot index the layout of %s (%s); its callbacks are admin-only", page["module"], exc)
            index.broken.append(page["module"])
            continue
        found: list[tuple[Any, str]] = []
        _walk(tree, found)
        for cid, kind in found:
            index.add(cid, kind, resource)
    return index
