"""``citybrain users`` and ``citybrain token``: the commands work and every change is audited."""

from __future__ import annotations

from typer.testing import CliRunner

from citybrain.cli import app


def test_users_and_tokens_from_the_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("CITYBRAIN_DATA_DIR", str(tmp_path))
    run = lambda *a: CliRunner().invoke(app, list(a))  # noqa: E731
    out = run("users", "add", "chen", "--role", "department", "--domain", "traffic", "--password", "long-enough-1")
    assert out.exit_code == 0, out.output
    assert run("users", "add", "li", "--role", "department", "--password", "long-enough-1").exit_code == 1
    assert run("users", "passwd", "chen", "--password", "another-pass-2").exit_code == 0
    assert run("users", "disable", "chen").exit_code == 0
    listing = run("users", "list")
    assert "chen" in listing.output and "disabled" in listing.output
    created = run("token", "create", "--role", "analyst", "--name", "bi", "--expires", "30d")
    assert created.exit_code == 0 and "cbt_" in created.output
    assert run("token", "create", "--wall", "--screen", "nope").exit_code == 1
    assert run("token", "revoke", "1").exit_code == 0
    assert "revoked" in run("token", "list").output
    from access import audit
    from citybrain.settings import load_settings
    from store.engine import make_engine

    engine = make_engine(load_settings(env={}, data_dir=tmp_path).resolved_store_url)
    actions = {r["action"] for r in audit.read(engine)[0]}
    engine.dispose()
    assert {"user.add", "user.passwd", "user.disable", "token.create", "token.revoke"} <= actions
