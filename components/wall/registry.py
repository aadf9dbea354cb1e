"""Every kind of screen a ``[[wall.screens]]`` entry may name: the built-in ones and any added.

A new kind of screen is one module that builds a :class:`components.wall.kind.ScreenKind`
and one entry here (import it and add it below; /work/notes/wall_api.md) — the shell,
the refresh and the first load find it through :func:`kind_of`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from citybrain.settings import WallScreen
from components.wall import theme
from components.wall.kind import ScreenKind
from components.wall.screens import BUILTIN_KINDS

SCREEN_KINDS: Mapping[str, ScreenKind] = MappingProxyType({
    **BUILTIN_KINDS,
    # added kinds, one line each
    "theme": theme.SCREEN_KIND,
})


def kind_of(screen: WallScreen) -> ScreenKind:
    """The kind ``screen`` names (a config naming an unknown kind fails here, loudly)."""
    try:
        return SCREEN_KINDS[screen.kind]
    except KeyError:
        raise ValueError(f"unknown wall screen kind {screen.kind!r}; known: {', '.join(SCREEN_KINDS)}") from None
