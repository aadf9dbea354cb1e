"""Themes in the permission table (issue 20): a theme is a resource like a domain; its
owner department's heads see and handle it, others do not."""

from __future__ import annotations

import pytest

from access.roles import Principal, allowed, resources_for
from access.users import UserError, validate_scope
from tests.themes.conftest import city_settings


def test_themes_are_resources_like_domains():
    themes = ("depot",)
    head = Principal("h", "department", domains=("depot",))
    other = Principal("o", "department", domains=("traffic",))
    for action in ("view", "handle", "export", "print", "api"):
        assert "depot" in resources_for(head, action, themes), action
        assert "depot" not in resources_for(other, action, themes), action
    for role, handles in (("admin", True), ("duty", True), ("leader", False), ("analyst", False)):
        p = Principal("x", role)
        assert "depot" in resources_for(p, "view", themes)
        assert ("depot" in resources_for(p, "handle", themes)) is handles, role
    district_head = Principal("d", "department", domains=("depot",), district="990101")
    assert "depot" in resources_for(district_head, "view", themes)
    assert "depot" not in resources_for(head, "view", ())  # a theme the city does not have
    assert not allowed(Principal("w", "wall"), "view", "depot")


def test_a_head_is_given_a_theme_by_code_or_by_its_department(tmp_path):
    settings = city_settings(f"sqlite:///{tmp_path}/d.db", tmp_path)
    assert validate_scope("department", ["depot"], None, settings)[1] == ["depot"]
    assert validate_scope("department", ["市物流局", "traffic"], None, settings)[1] == ["depot", "traffic"]
    with pytest.raises(UserError, match="市物流局"):
        validate_scope("department", ["depot2"], None, settings)


def test_the_api_serves_a_theme_to_its_heads_only(tmp_path):
    from access.tokens import create_token
    from app import create_app
    from store.engine import upgrade

    settings = city_settings(f"sqlite:///{tmp_path}/unused.db", tmp_path, cache_url="null")
    upgrade(settings.resolved_store_url)
    app = create_app(settings)
    engine = app.server.extensions["citybrain"].engine
    client = app.server.test_client()
    tokens = {}
    for name, domains in (("head", ["市物流局"]), ("other", ["traffic"])):
        _, tokens[name] = create_token(engine, kind="api", name=name, role="department", domains=domains,
                                       created_by="test", settings=settings)

    def get(who: str, path: str) -> int:
        return client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"}).status_code

    assert get("head", "/api/v1/indicators/depot.fill") == 200
    assert get("head", "/api/v1/observations/depot") == 200
    assert get("other", "/api/v1/indicators/depot.fill") == 403
    assert get("other", "/api/v1/observations/depot") == 403
    listed = client.get("/api/v1/themes", headers={"Authorization": f"Bearer {tokens['other']}"}).get_json()
    assert listed["items"] == []
    engine.dispose()
