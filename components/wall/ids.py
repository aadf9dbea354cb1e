"""Pattern-matching ids of the wall's fillable parts, and the "fill" they receive.

A fill is ``{(kind, key): value}`` where kind is one of :data:`KINDS` — the property a
refresh may change. The refresh callback outputs ``ALL`` ids of each kind, and sends a
value only where it differs from what the wall already shows (``no_update`` elsewhere),
so an unchanged tile costs nothing in the browser.
"""

from __future__ import annotations

from typing import Any

#: kind → the component property it sets
KINDS: dict[str, str] = {"text": "children", "class": "className", "style": "style", "fig": "figure"}

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
