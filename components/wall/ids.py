"""Pattern-matching ids of the wall's fillable parts, and the "fill" they receive.

A fill is ``{(kind, key): value}`` where kind is one of :data:`KINDS` — the property a
refresh may change. The refresh callback outputs ``ALL`` ids of each kind, and sends a
value only where it differs from what the wall already shows (``no_update`` elsewhere),
so an unchanged tile costs nothing in the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

#: kind → the component property it sets
KINDS: dict[str, str] = {"text": "children", "class": "className", "style": "style", "fig": "figure"}
#: the map layers' styles: fill key ("hideout", layer) → the layer's hideout
MAP_LAYER = "citymap-layer"

Fill = dict[tuple[str, str], Any]


def wid(kind: str, key: str) -> dict[str, str]:
    """The id of the part ``key`` whose ``kind`` property the refresh sets."""
    if kind not in KINDS:
        raise ValueError(f"unknown fill kind {kind!r}")
    return {"type": f"wall-{kind}", "key": key}


def screen_id(name: str) -> dict[str, str]:
    """The id of one screen's panels (their class says whether the screen is showing)."""
    return {"type": "wall-screen", "screen": name}


def fingerprint(value: Any) -> str:
    """A short, stable digest of a value: what the wall shows, remembered between refreshes."""
    import hashlib
    import json

    raw = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def changed_only(ids: list[dict[str, Any]], kind: str, fill: Fill, shown: dict[str, str],
                 convert: Any = None) -> tuple[list[Any], dict[str, str]]:
    """For the ``ids`` of one kind (in the callback's output order): the new value where it
    changed since last shown, ``no_update`` elsewhere — plus the updated fingerprints.

    ``shown`` maps ``"kind:key"`` → fingerprint of what the wall displays; it lives in the
    browser (a ``dcc.Store``), so the server keeps no per-wall state.
    """
    from dash import no_update

    out: list[Any] = []
    seen = dict(shown)
    for item in ids:
        key = item["id"]["key"] if isinstance(item.get("id"), dict) else item["key"]
        if (kind, key) not in fill:
            out.append(no_update)
            continue
        value = fill[(kind, key)]
        fp = fingerprint(value)
        if shown.get(f"{kind}:{key}") == fp:
            out.append(no_update)
        else:
            out.append(convert(value) if convert else value)
            seen[f"{kind}:{key}"] = fp
    return out, seen


def _fill_key(cid: Any) -> tuple[str, str] | None:
    kind = str(cid.get("type", ""))
    if kind == MAP_LAYER:
        return "hideout", str(cid.get("layer"))
    if kind.startswith("wall-") and kind[5:] in KINDS:
        return kind[5:], str(cid.get("key"))
    return None


def apply_fill(tree: Any, fill: Fill, setters: Mapping[str, Callable[[Any, Any], Any]] | None = None) -> dict[str, str]:
    """Put ``fill`` into the components of ``tree`` — the wall's first picture, sent with its
    layout — and return the fingerprints of what they now show: the ``wall-shown`` that the
    refresh compares with (as if it had sent those values), so it sends only what changed.

    ``setters[kind](current, value)`` gives the property for a kind whose value is not the
    property itself (a figure's traces, a layer's hideout values); others are set as they are.
    """
    from dash.development.base_component import Component

    setters = setters or {}
    shown: dict[str, str] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if not isinstance(node, Component):
            continue
        cid = getattr(node, "id", None)
        found = _fill_key(cid) if isinstance(cid, dict) else None
        if found is not None and found in fill:
            kind, key = found
            prop = KINDS.get(kind, kind)
            value = fill[found]
            setter = setters.get(kind)
            setattr(node, prop, setter(getattr(node, prop, None), value) if setter else value)
            shown[f"{kind}:{key}"] = fingerprint(value)
        children = getattr(node, "children", None)
        if children is not None:
            stack.append(children)
    return shown
