"""A demo store for the briefings: the simulated departments, 9 days (so the briefing day
has a same-day-last-week base), built once per session; an app for the memoized queries."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest


@pytest.fixture(scope="session")
def brief_settings(tmp_path_factory):
    from rich.console import Console

    from citybrain.demo import prepare
    from citybrain.settings import load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("brief-var"), cache_url="null")
    prepare(settings, days=9, console=Console(quiet=True))
    return settings


@pytest.fixture(scope="session")
def brief_app(brief_settings):
    from app import create_app

    return create_app(brief_settings, open_demo=True)


@pytest.fixture(scope="session")
def brief_engine(brief_settings):
    from store.engine import make_engine

    engine = make_engine(brief_settings.resolved_store_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def brief_day(brief_settings) -> dt.date:
    """The last whole local day the demo holds (what a morning briefing covers)."""
    from briefings.daily import default_day

    return default_day(brief_settings)


@pytest.fixture
def printer():
    """This process's printer; skips on a laptop without Chromium, fails in CI."""
    from briefings.printer import process_printer
    from tests.conftest import chromium_executable

    chromium_executable()
    return process_printer()


@pytest.fixture
def store_copy(brief_settings, tmp_path):
    """Settings on a private copy of the demo store, for tests that break things."""
    src = brief_settings.data_dir
    dst = tmp_path / "var"
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("briefings", "cache"))
    return brief_settings.model_copy(update={"data_dir": dst})
