"""Security headers on every response: CSP (with a hash for every inline script the app
serves), nosniff, Referrer-Policy, framing denied except on the wall pages."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re

import pytest

from access.state import EXTENSION

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S)


def directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_secured(response, *, framable: bool = False) -> None:
    policy = directives(response)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert "'unsafe-eval'" not in policy["script-src"] and "'unsafe-inline'" not in policy["script-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if not framable:
        assert response.headers["X-Frame-Options"] == "DENY" and policy["frame-ancestors"] == ["'none'"]


def test_every_kind_of_response_carries_the_headers(harness):
    anonymous = harness.server.test_client()
    signed = harness.client("u_admin")
    bearer = {"Authorization": f"Bearer {harness.tokens['u_analyst']}"}
    for client, path, headers in ((anonymous, "/login", {}), (anonymous, "/economy", {}), (anonymous, "/healthz", {}),
                                  (anonymous, "/assets/app.css", {}), (anonymous, "/no-such-page", {}),
                                  (signed, "/", {}), (signed, "/_dash-layout", {}), (signed, "/_dash-dependencies", {}),
                                  (anonymous, "/api/v1/sources", bearer), (anonymous, "/api/v1/openapi.json", {}),
                                  (signed, "/set-lang/en", {})):
        assert_secured(client.get(path, headers=headers))
    r = signed.post("/_dash-update-component", json=harness.callback_body("traffic-kpis", {"traffic-view.data": {}}))
    assert_secured(r)


def test_every_inline_script_of_the_index_is_allowed_by_hash(harness):
    """Dash's renderer and clientside callbacks (office index), and the lean wall index's
    tagging script: each inline script served has its hash in the policy, nothing else runs."""
    c = harness.client("u_admin")
    for path in ("/", "/traffic", "/wall/overview", "/wall"):
        r = c.get(path)
        html = re.sub(r"<!--.*?-->", "", r.get_data(as_text=True), flags=re.S)  # IE's conditional comment
        allowed = set(directives(r)["script-src"])
        scripts = [body for attrs, body in INLINE_SCRIPT.findall(html) if "application/json" not in attrs]
        assert scripts, path
        for body in scripts:
            digest = "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            assert digest in allowed, f"{path}: inline script without its hash: {body[:80]!r}"
    from app import TAG_LAYOUT_JS

    assert "X-Citybrain-Page" in TAG_LAYOUT_JS and TAG_LAYOUT_JS[8:-9] in c.get("/wall/overview").get_data(as_text=True)


def test_wall_pages_may_be_framed_by_the_configured_ancestors_only(harness):
    c = harness.client("u_admin")
    for path in ("/wall", "/wall/overview"):
        r = c.get(path)
        assert_secured(r, framable=True)
        assert directives(r)["frame-ancestors"] == ["'self'"] and r.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert_secured(c.get("/"))  # every other page: nobody
    state = harness.server.extensions[EXTENSION]
    saved = state.config
    state.config = dataclasses.replace(saved, wall_frame_ancestors=("'self'", "https://portal.example"))
    try:
        r = c.get("/wall/overview")
        assert directives(r)["frame-ancestors"] == ["'self'", "https://portal.example"]
        assert "X-Frame-Options" not in r.headers  # it cannot name a list; CSP frame-ancestors does
        assert c.get("/traffic").headers["X-Frame-Options"] == "DENY"
    finally:
        state.config = saved


@pytest.mark.parametrize("secure", [False, True])
def test_hsts_only_over_https(harness, secure):
    r = harness.server.test_client().get("/login", base_url="https://localhost" if secure else "http://localhost")
    assert ("Strict-Transport-Security" in r.headers) is secure
