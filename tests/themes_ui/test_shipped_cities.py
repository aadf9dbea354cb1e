"""Every theme of every shipped city (config/*.toml) renders on every surface from its spec
alone — page view, drill-down, wall screen, briefing section — also before any data has
arrived (an empty store: dashes and "no data", never an exception)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from citybrain.settings import PROJECT_ROOT, WallScreen, load_settings
from components.page.view import View

CITIES = sorted(p for p in (PROJECT_ROOT / "config").glob("*.toml") if not p.name.endswith(".warnings.toml"))
NOW = dt.datetime(2026, 12, 4, 12, tzinfo=dt.timezone.utc)


@pytest.fixture(scope="module", params=CITIES, ids=lambda p: p.stem)
def city(request, tmp_path_factory):
    from app import create_app
    from store.engine import make_engine, upgrade

    settings = load_settings(Path(request.param), env={}, data_dir=tmp_path_factory.mktemp(request.param.stem),
                             cache_url="null")
    upgrade(settings.resolved_store_url)
    app = create_app(settings)
    engine = make_engine(settings.resolved_store_url)
    yield settings, engine, app
    engine.dispose()


def test_the_shipped_cities_have_themes():
    assert CITIES and all(load_settings(p, env={}).themes for p in CITIES)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_theme_renders_on_an_empty_store(city, lang):
    from briefings.daily import period
    from briefings.kinds import BriefContext
    from briefings.theme_section import sections
    from components.theme.callbacks import detail, render
    from components.wall import theme as wall_theme

    settings, engine, app = city
    with app.server.test_request_context():
        for theme in settings.themes:
            out = render(engine, settings, theme, View(range="7d"), lang, NOW)
            assert [k.value for k in out.kpis] == ["—"] * len(theme.indicators)
            assert out.map_values == {} and set(out.figures) == {"trend", "districts", "ranking"}
            places = {r["code"] for r in out.rows}
            if places:
                title, _ = detail(engine, settings, theme, View(detail=sorted(places)[0]), lang, NOW)
                assert title is not None
            screen = WallScreen(name=theme.code, kind="theme", theme=theme.code, title_zh="x", title_en="x")
            wall_theme.panels(screen, settings, lang, 40)
            fill = wall_theme.fill(screen, {"own": wall_theme.read(settings, engine, screen)}, settings, lang, NOW)
            assert fill[("text", f"{theme.code}.value")] == "—"
        day = dt.date(2026, 12, 3)
        start, end = period(day, settings)
        ctx = BriefContext(settings, engine, day, lang, start, end, end, NOW, [])
        built = sections(ctx)
    assert [s.heading for s in built] == [t.name(lang) for t in settings.themes if t.briefing]
    if lang == "en":
        text = repr([s.blocks for s in built])
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), text[:300]


def test_the_overview_has_a_card_per_overview_theme(city, monkeypatch):
    """``/`` shows a card for each theme marked ``overview = true`` the reader may view, linking to its page."""
    import access
    from components.theme.overview import theme_cards

    settings, engine, app = city
    with app.server.test_request_context():
        assert theme_cards(engine, settings, "zh", warnings={}, stale=[]) == []  # nobody signed in: no card
        monkeypatch.setattr(access, "offer", lambda action, resource, **_: "")  # a reader who may view them all
        cards = theme_cards(engine, settings, "zh", warnings={settings.themes[0].code: 2}, stale=[])
    wanted = [t for t in settings.themes if t.overview]
    assert [c.href for c in cards] == [f"/t/{t.code}" for t in wanted]
    text = repr([c.to_plotly_json() for c in cards])
    assert all(t.name_zh in text for t in wanted) and "—" in text  # no data yet: a dash, not a zero
