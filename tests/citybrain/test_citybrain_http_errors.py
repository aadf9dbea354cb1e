"""App-wide 404s for requests that name nothing (issue 17: these were 500s)."""

from __future__ import annotations

import pytest

from tests.access.conftest import shared_harness


@pytest.fixture(scope="module")
def harness(request: pytest.FixtureRequest):
    return shared_harness(request)


def test_unregistered_bundle_paths_are_404(harness):
    client = harness.server.test_client()
    for path in ("/_dash-component-suites/dash/dash.py", "/_dash-component-suites/dash/nope.js",
                 "/_dash-component-suites/no_such_package/x.js", "/_dash-component-suites/dash/../app.py"):
        assert client.get(path).status_code == 404, path
    assert client.get("/_dash-component-suites/dash/dcc/dash_core_components.js").status_code == 200


def test_briefing_ids_beyond_the_store_are_404(harness):
    client = harness.client("u_admin")
    for bid in ("99999999999999999999", "9223372036854775808", "2147483648", "0"):
        assert client.get(f"/briefings/{bid}.pdf").status_code == 404, bid
