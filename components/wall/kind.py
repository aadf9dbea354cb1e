"""What a kind of wall screen is: the one shape every screen kind (built-in or added) fills in.

A ``[[wall.screens]]`` entry names a ``kind``; :data:`components.wall.registry.SCREEN_KINDS`
maps each kind to a :class:`ScreenKind`. The wall's shell, refresh and first load only ever
call these fields — a new kind of screen is a module that builds one ``ScreenKind`` and
one line in the registry (components/wall/registry.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from citybrain.settings import Settings, WallScreen
from components.wall.ids import Fill

#: (screen, settings, lang, font_px) → (left column panels, right column panels), empty
Panels = Callable[[WallScreen, Settings, str, int], tuple[list[Any], list[Any]]]
#: (screen, data, settings, lang, now) → the values of the screen's ids
Filler = Callable[[WallScreen, Mapping[str, Any], Settings, str, dt.datetime], Fill]
#: (settings, engine, screen) → the screen's own data (cache it yourself: it is called every refresh)
Reader = Callable[[Settings, Any, WallScreen], Any]


def _no_domain(_screen: WallScreen) -> str | None:
    return None


@dataclass(frozen=True)
class ScreenKind:
    """One kind of screen.

    ``panels`` builds the screen's two columns once, empty (ids from :func:`components.wall.ids.wid`,
    keys prefixed with ``screen.name`` so two screens of one kind do not collide); ``fill``
    turns the refresh's data into their values. ``needs`` names the shared cached reads the
    fill uses (keys of ``store.queries.wall.snapshot``: vital, air, traffic, tourism, economy,
    hotline, board, forecast); ``read`` gives a kind data of its own, passed to ``fill`` as
    ``data["own"]``. ``map_theme`` is (district fill, legend) of the shared map: fill
    ``index | calls | none``, legend one of ``components.citymap.LEGENDS``. ``domain`` is the
    warning domain whose open warnings and work orders the screen's board lists (None: all).
    """

    panels: Panels
    fill: Filler
    needs: tuple[str, ...] = ()
    read: Reader | None = None
    map_theme: tuple[str, str] = ("index", "index")
    domain: Callable[[WallScreen], str | None] = _no_domain
