"""The wall's header: city, screen title, data-age banner, connection banner, live clock.

The clock and the connection banner are driven in the browser (clientside callbacks in
``assets/wall.js``) so they keep working — and say so — when the server does not answer.
"""

from __future__ import annotations

from dash import html

from citybrain.i18n import pick, t
from citybrain.settings import DOMAINS, Settings
from components.wall.ids import wid


def wall_header(settings: Settings, lang: str, title: str) -> html.Div:
    city = settings.city
    return html.Div([
        html.Div([html.Span(pick(city.name_zh, city.name_en, lang), className="cb-wall-city"),
                  html.Span(t("wall.title", lang), className="cb-wall-brand"),
                  html.Span(title, id="wall-title", className="cb-wall-screen-title")], className="cb-wall-head-left"),
        html.Div([html.Div(id=wid("text", "banner"), className="cb-banner-text"),
                  html.Div(id="wall-conn-banner", className="cb-conn-banner cb-hidden")],
                 id=wid("class", "banner"), className="cb-banner"),
        html.Div([html.Span(id="wall-date", className="cb-wall-date"),
                  html.Span("--:--:--", id="wall-clock", className="cb-wall-clock")], className="cb-wall-head-right"),
    ], className="cb-wall-head")


def banner_fill(freshness: dict, settings: Settings, lang: str, now) -> dict:
    """The data-age banner: calm when every domain and theme is current, amber naming the
    late ones (a theme's sources report under its code: issue 20)."""
    from components.wall.fmt import age

    late = []
    names = {d: t(f"domain.{d}", lang) for d in DOMAINS} | {th.code: th.name(lang) for th in settings.themes}
    for domain, name in names.items():
        when = freshness.get(domain)
        if when is None or now - when > settings.max_age(domain):
            late.append(f"{name}（{age(when, now, lang)}）" if lang != "en" else f"{name} ({age(when, now, lang)})")
    if late:
        sep = "、" if lang != "en" else ", "
        return {("text", "banner"): t("wall.data_stale", lang, domains=sep.join(late)),
                ("class", "banner"): "cb-banner cb-banner-stale"}
    return {("text", "banner"): t("wall.data_ok", lang), ("class", "banner"): "cb-banner"}
