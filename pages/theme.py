"""专题 — any department's theme declared in the city config (issue 20): ``/t/<code>``.

One page for every theme: the layout and the callbacks (``components.theme``) read the
theme's spec — names, units, decimals, direction, levels, entities — and its stored
values (``themes.queries``); nothing here names a theme. The page's resource is the theme
its path names (``access.pages.THEME_PAGE``), so a department head sees their own themes.

URL: ``/t/<code>?district=<code>&range=…&detail=<entity>``.
"""

from __future__ import annotations

from typing import Any

import dash

import access
from access.pages import THEME_PAGE
from citybrain import context
from components.page.view import View
from components.theme import callbacks  # noqa: F401 — declares the page's callbacks
from components.theme.layout import theme_layout, unknown_theme

dash.register_page(__name__, path="/t", path_template="/t/<code>", title="专题", access=THEME_PAGE)


def layout(code: str | None = None, **kwargs: Any) -> Any:
    settings, lang = context.settings(), context.lang()
    theme = settings.theme(code) if isinstance(code, str) else None
    if theme is None:
        return unknown_theme(str(code or ""), lang)
    view = View.from_query(kwargs)
    bound = getattr(access.current_principal(), "district", None)
    if bound and view.district != bound:  # a district-level reader sees their district only
        view = View(district=bound, range=view.range, start=view.start, end=view.end, detail=view.detail)
    return theme_layout(theme, settings, view, lang)
