"""Fixtures of the theme surfaces' tests: the themes' test city (tests/themes) and its store."""

from tests.themes.conftest import sqlite_store  # noqa: F401 — a fixture, used by name
