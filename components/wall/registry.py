"""Every kind of screen a ``[[wall.screens]]`` entry may name: the built-in ones and any added.

A new kind of screen is one module that builds a :class:`components.wall.kind.ScreenKind`
and one entry here (import it and add it below) — the shell,
the refresh and the first load find it through :func:`kind_of`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from citybrain.settings import WallScreen
from components.wall import theme
from components.wall.kind import ScreenKind
from components.wall.screens import BUILTIN_KINDS

log = logging.getLogger("citybrain.wall")

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


def shown(screens: Sequence[WallScreen]) -> list[WallScreen]:
    """The screens a wall can build: one of a kind nobody registered yet (a theme screen in the
    config before its module is in) is left out with a warning, not the whole wall broken."""
    out = []
    for screen in screens:
        if screen.kind in SCREEN_KINDS:
            out.append(screen)
        else:
            log.warning("wall: screen %r is of kind %r, which no module provides; left out", screen.name, screen.kind)
    return out
