"""Navigation entries of the city's themes: one per theme the reader may view, after the
built-in domains' pages, named in the reader's language."""

from __future__ import annotations

from collections.abc import Collection

from citybrain.settings import Settings


def theme_links(settings: Settings, allowed: Collection[str] | None, lang: str) -> list[tuple[str, str]]:
    """(label, path) per theme in config order; ``allowed`` None = every theme (no reader known)."""
    return [(theme.name(lang), f"/t/{theme.code}") for theme in settings.themes
            if allowed is None or theme.code in allowed]
