"""The app factory: health, language, the shell and the home page's data — without a browser."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert

from citybrain.i18n import format_age, format_number


@pytest.fixture(scope="module")
def app_and_settings(tmp_path_factory):
    from app import create_app
    from citybrain.settings import load_settings
    from store.engine import upgrade

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("var"))
    upgrade(settings.resolved_store_url)
    return create_app(settings, open_demo=True), settings


def test_healthz_reports_store_and_schema(app_and_settings):
    app, _ = app_and_settings
    res = app.server.test_client().get("/healthz")
    assert res.status_code == 200 and res.json["status"] == "ok" and res.json["city"] == "411000"


def test_healthz_is_503_on_an_unmigrated_store(tmp_path):
    from app import create_app
    from citybrain.settings import load_settings

    app = create_app(load_settings(env={}, data_dir=tmp_path), open_demo=True)  # never upgraded
    res = app.server.test_client().get("/healthz")
    assert res.status_code == 503 and "citybrain db upgrade" in res.json["store"]


def test_language_switch_is_remembered_and_local_only(app_and_settings):
    app, _ = app_and_settings
    client = app.server.test_client()
    res = client.get("/set-lang/en?next=/somewhere")
    assert res.status_code == 302 and res.headers["Location"] == "/somewhere"
    assert "citybrain_lang=en" in res.headers["Set-Cookie"] and "HttpOnly" in res.headers["Set-Cookie"]
    assert client.get("/set-lang/en?next=//evil.example").headers["Location"] == "/"


def test_index_serves_everything_locally(app_and_settings):
    app, _ = app_and_settings
    html = app.server.test_client().get("/").get_data(as_text=True)
    assert "许昌市" in html
    assert "unpkg.com" not in html and "cdn." not in html  # intranet: no CDN


def test_home_sources_table_shows_every_configured_source(app_and_settings):
    from components.sources.sources_table import sources_compact, sources_table
    from store.queries.sources import source_overview
    from store.schema import source_status

    app, settings = app_and_settings
    now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.timezone.utc)
    with app.server.app_context():
        engine = app.server.extensions["citybrain"].engine
        with engine.begin() as conn:
            conn.execute(insert(source_status), [{
                "name": "env_monitor", "domain": "environment", "status": "ok", "last_success": now,
                "data_time": now - dt.timedelta(hours=3), "rows_written_total": 123456, "rows_quarantined_total": 7,
                "last_error": None}])
        rows = source_overview(engine, settings, now=now)
    assert [r["name"] for r in rows] == [s.name for s in settings.sources]
    env = rows[1]
    assert env["status"] == "ok" and env["age_seconds"] == 3 * 3600 and env["stale"]  # max_age 2h
    assert rows[0]["status"] == "never" and rows[0]["stale"]
    from components.table import cells

    body = cells(sources_table(rows, "zh", settings.tz))
    assert body[1][8] == "12.3万" and body[1][2] == "环境"
    assert body[1][5] == "11-21 17:00"  # data time in the city's zone (UTC+8)
    assert cells(sources_table(rows, "en", settings.tz))[1][8] == "123,456"
    home = cells(sources_compact(rows, "zh"))
    assert [r[1] for r in home][1] == "市生态环境局" and len(home) == len(settings.sources)


@pytest.mark.parametrize("value,lang,text", [
    (9999, "zh", "9,999"), (12345, "zh", "1.2万"), (15000, "zh", "1.5万"), (123456789, "zh", "1.2亿"),
    (-25000, "zh", "-2.5万"), (None, "zh", "—"), (1234.5, "en", "1,234.5"), (0.05, "en", "0.1"),
])
def test_number_format(value, lang, text):
    assert format_number(value, lang) == text


def test_age_format():
    assert [format_age(s, "zh") for s in (5, 120, 7200, 200000)] == ["5秒前", "2分钟前", "2小时前", "2天前"]
    assert format_age(90, "en") == "1 min ago"


def test_catalogue_is_complete_and_bilingual():
    from citybrain.i18n import catalogue, t

    cat = catalogue()
    assert cat and all(zh or en for zh, en in cat.values())
    # only a counting word or a separator may be empty in one language ("12 人次" is "12" in English)
    one_sided = sorted(k for k, (zh, en) in cat.items() if not (zh and en))
    assert all(".unit." in k or k.endswith("_sep") for k in one_sided), one_sided
    assert t("app.title") == "城市运行智慧大脑" and t("app.title", "en") == "City Operations Brain"
    assert t("no.such.key") == "no.such.key"  # visible, not hidden


def test_every_app_in_a_process_gets_every_page_callback_once(tmp_path):
    """Dash hands page callbacks to the first app only; create_app gives each app its own copy."""
    import collections

    from app import create_app
    from citybrain.settings import load_settings
    from store.engine import upgrade

    settings = load_settings(env={}, data_dir=tmp_path)
    upgrade(settings.resolved_store_url)
    outputs = []
    for _ in range(2):
        app = create_app(settings, open_demo=True)
        deps = app.server.test_client().get("/_dash-dependencies").json
        counts = collections.Counter(d["output"] for d in deps)
        assert [k for k, n in counts.items() if n > 1] == []
        outputs.append(set(counts))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 10, "the pages' own callbacks, not only Dash's router"
