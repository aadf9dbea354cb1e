"""Warning rules on a theme indicator (issue 20): the theme's levels serve a threshold rule,
and a warning fires after its `for` and resolves, through poll → compute → evaluate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from alerts.engine import evaluate
from alerts.rules import load_warning_config
from citybrain.errors import ConfigError
from connectors.poll import poll
from store.schema import warnings
from tests.themes import depot
from tests.themes.conftest import CITY, city_settings
from themes.compute import compute_themes

UTC = dt.timezone.utc


def test_rules_take_the_theme_levels(tmp_path):
    config = load_warning_config(city_settings(f"sqlite:///{tmp_path}/d.db", tmp_path))
    full = next(r for r in config.rules if r.id == "depot_full")
    assert full.domain == "depot" and full.levels == {"blue": 0.8, "yellow": 0.9, "red": 1.0} and full.op == ">="
    assert {r.id for r in config.rules} == {"depot_full", "depot_late_surge", "depot_stale"}


@pytest.mark.parametrize("change, words", [
    (('indicator = "depot.fill"', 'indicator = "depot.full"'), "depot.fill"),
    (('scope_kind = "entity"', 'scope_kind = "station"'), "use one of entity, district, city, category"),
    (('grain = "hour"\nscope_kind = "entity"', 'grain = "month"\nscope_kind = "entity"'), 'grain = "hour" or "day"'),
    (('domain = "depot"', 'domain = "depots"'), "not a domain or theme"),
])
def test_rule_mistakes_name_the_key(tmp_path, change, words):
    text = (Path(CITY).with_suffix("").as_posix() + ".warnings.toml")
    rules = Path(text).read_text(encoding="utf-8")
    assert change[0] in rules
    (tmp_path / "city.toml").write_text(Path(CITY).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "city.warnings.toml").write_text(rules.replace(*change, 1), encoding="utf-8")
    from citybrain.settings import load_settings

    settings = load_settings(tmp_path / "city.toml", env={"DEPOT_URL": f"sqlite:///{tmp_path}/d.db"}, data_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        load_warning_config(settings)
    assert words in str(info.value) and "warnings[" in str(info.value)


def test_a_warning_fires_and_resolves(tmp_path, sqlite_store):
    url = f"sqlite:///{tmp_path}/depot.db"
    depot.build(url)
    end = depot.END
    extra = []
    for k in range(18):  # three hours after END: D3 at 48 t (0.96 of 50) for two hours, then 20 t
        t = end + dt.timedelta(minutes=10 * k)
        extra.append({"depot_id": "D3", "read_at": t, "stock_kg": "48000" if k < 12 else "20000"})
        extra += [{"depot_id": d, "read_at": t, "stock_kg": "30000"} for d in ("D1", "D2")]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(depot.stock_readings.insert(), extra)
    engine.dispose()
    settings = city_settings(url, tmp_path)
    now = end.replace(tzinfo=UTC) + dt.timedelta(hours=3)
    poll(settings, sqlite_store, now=now, parallel=False)
    compute_themes(settings, sqlite_store, depot.START.replace(tzinfo=UTC), now)
    rules = [r for r in load_warning_config(settings).rules if r.id == "depot_full"]

    def state() -> dict[str, tuple[str, str]]:
        with sqlite_store.connect() as conn:
            return {r.scope: (r.state, r.level) for r in conn.execute(
                sa.select(warnings).where(warnings.c.rule == "depot_full").order_by(warnings.c.id))}

    t0 = end.replace(tzinfo=UTC)
    evaluate(settings, sqlite_store, now=t0 + dt.timedelta(minutes=10), rules=rules, notify=False)
    assert state().get("D3") == ("pending", "yellow")
    evaluate(settings, sqlite_store, now=t0 + dt.timedelta(minutes=45), rules=rules, notify=False)
    assert state()["D3"] == ("firing", "yellow")
    evaluate(settings, sqlite_store, now=t0 + dt.timedelta(hours=2, minutes=10), rules=rules, notify=False)
    assert state()["D3"][0] == "resolved"
    with sqlite_store.connect() as conn:
        row = conn.execute(sa.select(warnings).where(warnings.c.scope == "D3")).first()
    assert row.domain == "depot" and row.district == "990102" and "三号仓" in row.title_zh
