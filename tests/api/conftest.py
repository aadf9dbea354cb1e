"""Uses the access suite's app: one Dash app per test session."""

from __future__ import annotations

import pytest

from tests.access.conftest import shared_harness


@pytest.fixture(scope="session")
def harness(request: pytest.FixtureRequest):
    return shared_harness(request)
