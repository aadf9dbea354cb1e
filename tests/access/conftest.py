"""The session's one app (shared with tests/api through the pytest config)."""

from __future__ import annotations

import pytest

from tests.access.harness import Harness, build


def shared_harness(request: pytest.FixtureRequest) -> Harness:
    config = request.config
    if not hasattr(config, "_citybrain_access_harness"):
        config._citybrain_access_harness = build(request.getfixturevalue("tmp_path_factory").mktemp("access"))
    return config._citybrain_access_harness


@pytest.fixture(scope="session")
def harness(request: pytest.FixtureRequest) -> Harness:
    return shared_harness(request)
