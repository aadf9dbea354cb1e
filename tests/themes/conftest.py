"""The test city with a theme defined only in TOML, its department database and a store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from citybrain.settings import Settings, load_settings
from store.engine import make_engine, upgrade

HERE = Path(__file__).parent
CITY = HERE / "city.toml"
UTC = dt.timezone.utc
#: after every row of tests/themes/depot.py (its END), within the sources' future tolerance
NOW = dt.datetime(2026, 10, 27, 0, 0, tzinfo=UTC)


def city_settings(depot_url: str, data_dir: Path, **overrides: Any) -> Settings:
    return load_settings(CITY, env={"DEPOT_URL": depot_url}, data_dir=data_dir, **overrides)


@pytest.fixture
def sqlite_store(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/store.db"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
