"""The page shell: header with city and title, navigation, language switch, theme."""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import dcc, html

from citybrain import context
from citybrain.i18n import pick, t
from components.theme.nav import theme_links

THEME: dict[str, Any] = {
    "primaryColor": "indigo",
    "fontFamily": "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', system-ui, sans-serif",
    "headings": {"fontFamily": "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', system-ui, sans-serif"},
    "defaultRadius": "md",
}


def nav_entries(allowed: frozenset[str] | None = None, role: str | None = None) -> list[tuple[str, str]]:
    """(catalogue key, path) of every page registered with ``nav="<key>"``, in page order.

    Pages declare themselves (``dash.register_page(__name__, nav="nav.traffic", order=10)``),
    so adding a page never means editing the shell. With ``allowed`` (the resources the
    reader may view) links they cannot open are left out — a courtesy: the server
    enforces access whatever the links show.
    """
    from access.pages import page_resource

    pages = [p for p in dash.page_registry.values() if p.get("nav")]
    if allowed is not None:
        pages = [p for p in pages if page_resource(p) is None or page_resource(p) in allowed]
    if role is not None:  # a page may name the roles it is a destination for (nav_roles=…)
        pages = [p for p in pages if role in p.get("nav_roles", (role,))]
    return [(p["nav"], p["path"]) for p in sorted(pages, key=lambda p: (p.get("order") or 0, p["path"]))]


def access_principal() -> Any:
    import access

    return access.current_principal()


def _allowed() -> frozenset[str] | None:
    import access
    from access.web import visible_resources

    principal = access.current_principal()
    return None if principal is None else visible_resources(principal)


def _account(lang: str, *, ids: bool = True) -> list[Any]:
    """Who is signed in, and the way out (nothing in the open demo without users)."""
    import access

    principal = access.current_principal()
    if principal is None or principal.via in ("open-demo", "wall-token"):
        return []
    # a POST form: signing out changes state, so no link elsewhere may do it (access.csrf)
    return [html.Span(principal.username, className="cb-user"),
            html.Form(html.Button(t("login.logout", lang), type="submit", className="cb-nav",
                                  **({"id": "logout"} if ids else {}),
                                  style={"background": "none", "border": 0, "padding": 0, "font": "inherit",
                                         "color": "inherit", "cursor": "pointer"}),
                      method="post", action="/logout", style={"display": "inline", "margin": 0})]


def _phone_menu(entries: list[tuple[str, str]], lang: str, other: str) -> Any:
    """On a phone the navigation folds into a menu (a <details>: no script, works under the
    CSP); at office width it is hidden and the links sit in the header."""
    links = [html.A(t(key, lang), href=href, className="cb-menu-link") for key, href in entries]
    links.append(html.A(t("lang.switch", lang), href=f"/set-lang/{other}", className="cb-menu-link"))
    account = _account(lang, ids=False)
    return html.Details([html.Summary(["☰ ", t("nav.menu", lang)], className="cb-menu-button"),
                         html.Div([*links, *account], className="cb-menu-items")], className="cb-nav-menu")


def frame() -> Any:
    """The layout around every page (called per request, so the language is the reader's)."""
    lang = context.lang()
    city = context.settings().city
    other = "en" if lang == "zh" else "zh"
    allowed = _allowed()
    # themes (issue 20) after the pages: their labels are config names, which t() passes through
    entries = [*nav_entries(allowed, getattr(access_principal(), "role", None)),
               *theme_links(context.settings(), allowed, lang)]
    header = dmc.Group(
        [
            dmc.Group([
                html.Span(pick(city.name_zh, city.name_en, lang), className="cb-city"),
                html.Span(t("app.title", lang), className="cb-title"),
            ], gap="sm", wrap="nowrap"),
            dmc.Group([
                *[dmc.Anchor(t(key, lang), href=href, className="cb-nav") for key, href in entries],
                html.A(t("lang.switch", lang), href=f"/set-lang/{other}", id="lang-switch", className="cb-lang"),
                *_account(lang),
            ], gap="md", wrap="nowrap", className="cb-nav-full"),
            _phone_menu(entries, lang, other),
        ],
        # cb-header-<lang>: English labels are twice as wide, so its title and then its links
        # fold earlier (assets/app.css) — at 1440 px they wrapped under the header
        justify="space-between", h="100%", px="lg", wrap="nowrap", className=f"cb-header cb-header-{lang}",
    )
    return dmc.MantineProvider(
        dmc.AppShell(
            [dmc.AppShellHeader(header), dmc.AppShellMain(dash.page_container)],
            header={"height": 56}, padding="lg",
        ),
        theme=THEME, forceColorScheme="light",
    )
