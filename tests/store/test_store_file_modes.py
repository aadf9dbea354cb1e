"""The files in the data dir that hold secrets are private from the moment they exist:
the SQLite store (password and token hashes, the audit log) with its WAL files, and the
local secret key (tests/citybrain/test_cache_counter.py has the cache directory).

The tests run under umask 0, so a file created with the default mode would be 0666 and a
directory 0777: only an explicit private mode at creation passes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from store.engine import make_engine


@pytest.fixture
def open_umask():
    before = os.umask(0)
    yield
    os.umask(before)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sqlite_store_and_its_wal_files_are_created_0600(tmp_path, open_umask):
    db = tmp_path / "var" / "deep" / "citybrain.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted(p.name for p in db.parent.iterdir())
        assert files == ["citybrain.db", "citybrain.db-shm", "citybrain.db-wal"]
        for name in files:
            assert mode(db.parent / name) == 0o600, name
        assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    finally:
        engine.dispose()


def test_an_existing_store_and_directory_are_left_as_they_are(tmp_path, open_umask):
    db = tmp_path / "shared.db"
    db.touch(mode=0o640)
    engine = make_engine(f"sqlite:///{db}")
    engine.dispose()
    assert mode(db) == 0o640 and mode(tmp_path) == stat.S_IMODE(os.stat(tmp_path).st_mode)


def test_local_secret_key_is_never_readable_by_others(tmp_path, open_umask, monkeypatch):
    from app import _local_secret

    chmods = []
    monkeypatch.setattr(Path, "chmod", lambda self, m, **kw: chmods.append(m))  # no tightening afterwards
    key = _local_secret(tmp_path)
    assert len(key) == 64 and mode(tmp_path / "secret_key") == 0o600 and not chmods
    assert _local_secret(tmp_path) == key


def test_an_old_world_readable_secret_key_is_tightened(tmp_path):
    from app import _local_secret

    path = tmp_path / "secret_key"
    path.write_text("a" * 64)
    path.chmod(0o644)
    assert _local_secret(tmp_path) == "a" * 64 and mode(path) == 0o600
