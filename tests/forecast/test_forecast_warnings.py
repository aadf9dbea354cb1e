"""预计 warnings (rule kind ``forecast``): the probability from the predictive distribution,
the lifecycle (fires, resolves when the forecast falls back, resolves as confirmed when
the value arrives) and the hit rate."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, insert, select

from alerts.engine import evaluate
from alerts.rules import ConfigError, parse_rules
from forecast.warn import exceedance, hit_rate
from store.schema import forecast_points, forecast_series, indicators, warning_events, warnings

UTC = timezone.utc
T = datetime(2026, 11, 7, 2, 0, tzinfo=UTC)  # a Saturday, 10:00 in Xuchang
RULE = {"id": "crowd_soon", "kind": "forecast", "title_zh": "景区客流将达80%", "title_en": "site at 80 %",
        "domain": "tourism", "indicator": "tourism_present", "scope_kind": "site", "capacity_share": 0.8,
        "within": "2h", "levels": {"blue": 0.7, "yellow": 0.9}, "recover": 0.5, "confirms": "scenic_crowding"}


def _rule(**over):
    return parse_rules([RULE | over])[0]


def _forecast(engine, last_obs: datetime, values: list[float], spread: float = 100.0, site: str = "TS01") -> None:
    key = {"indicator": "tourism_present", "grain": "hour", "scope_kind": "site", "scope": site}
    with engine.begin() as conn:
        conn.execute(delete(forecast_points).where(forecast_points.c.scope == site))
        conn.execute(delete(forecast_series).where(forecast_series.c.scope == site))
        conn.execute(insert(forecast_series).values(**key, model="mstl_ses", params={}, last_obs=last_obs,
                                                    made_at=last_obs, backtested_at=last_obs,
                                                    accuracy={"model": "mstl_ses", "fallback": False}))
        conn.execute(insert(forecast_points), [
            {**key, "time": last_obs + timedelta(hours=i + 1), "value": v, "lo80": v - 1.28 * spread,
             "hi80": v + 1.28 * spread, "lo95": v - 1.96 * spread, "hi95": v + 1.96 * spread}
            for i, v in enumerate(values)])


def _crowding(engine, at: datetime, ratio: float, site: str = "TS01") -> None:
    with engine.begin() as conn:
        conn.execute(insert(indicators).values(name="crowding", grain="hour", scope_kind="site", scope=site,
                                               time=at.replace(minute=0), value=ratio, computed_at=at))


def _rows(engine):
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(warnings).order_by(warnings.c.id))]


def test_exceedance_reads_the_quantiles() -> None:
    q = dict(value=100.0, lo80=80.0, hi80=120.0, lo95=70.0, hi95=130.0)
    assert exceedance(100, **q) == pytest.approx(0.5)
    assert exceedance(120, **q) == pytest.approx(0.1)
    assert exceedance(80, **q) == pytest.approx(0.9)
    assert exceedance(130, **q) == pytest.approx(0.025, abs=1e-3)
    assert exceedance(200, **q) < 1e-6
    assert exceedance(0, **q) > 1 - 1e-6


def test_the_rule_is_labelled_and_validated() -> None:
    rule = _rule()
    assert rule.title_zh.startswith("预计") and rule.title_en.startswith("Expected")
    with pytest.raises(ConfigError):
        parse_rules([RULE | {"threshold": 2000}])  # both a threshold and a capacity share
    with pytest.raises(ConfigError):
        parse_rules([RULE | {"scope_kind": "district"}])  # a capacity share needs a site
    with pytest.raises(ConfigError):
        parse_rules([RULE | {"recover": 0.8}])  # recover above the lowest level


def test_lifecycle_fires_falls_back_then_is_confirmed_and_scored(settings, store) -> None:
    rule = _rule()
    # TS01 holds 3000: 80 % is 2400. At 10:00 the forecast says 2600 ± 100 at 11:00 → p ≈ 0.98
    _forecast(store, T - timedelta(hours=1), [2000, 2600, 2700, 2500])
    evaluate(settings, store, now=T, rules=[rule], notify=False)
    [w] = _rows(store)
    assert (w["rule_kind"], w["state"], w["level"]) == ("forecast", "firing", "yellow")
    assert w["title_zh"].startswith("预计") and w["detail"]["probability"] > 0.9
    assert w["detail"]["threshold"] == 2400

    # the next hour's forecast falls back (1800 ± 100): resolved, never confirmed
    _forecast(store, T, [1800, 1700, 1600])
    evaluate(settings, store, now=T + timedelta(minutes=10), rules=[rule], notify=False)
    [w] = _rows(store)
    assert w["state"] == "resolved" and w["detail"]["outcome"] == "fell_back"

    # probability between recover (0.5) and blue (0.7) opens nothing
    _forecast(store, T + timedelta(hours=2), [2420, 2300])  # p(≥2400) ≈ 0.58
    evaluate(settings, store, now=T + timedelta(hours=3), rules=[rule], notify=False)
    assert len(_rows(store)) == 1

    # later a new 预计 at blue (p ≈ 0.76) …
    later = T + timedelta(hours=4)
    _forecast(store, later - timedelta(hours=1), [2300, 2470, 2300])
    evaluate(settings, store, now=later, rules=[rule], notify=False)
    first, second = _rows(store)
    assert (second["state"], second["level"]) == ("firing", "blue")
    # … and the count itself arrives: 82 % present → resolved as confirmed (scenic_crowding speaks now)
    _crowding(store, later + timedelta(minutes=50), 0.82)
    evaluate(settings, store, now=later + timedelta(minutes=50), rules=[rule], notify=False)
    first, second = _rows(store)
    assert second["state"] == "resolved" and second["detail"]["outcome"] == "confirmed"
    assert second["detail"]["confirms"] == "scenic_crowding"
    with store.connect() as conn:
        states = [e.to_value for e in conn.execute(select(warning_events).where(
            warning_events.c.warning_id == second["id"], warning_events.c.kind == "state"))]
    assert states == ["pending", "firing", "resolved"]

    rate = hit_rate(settings, store, now=T + timedelta(hours=8))
    assert (rate["fired"], rate["scored"], rate["confirmed"]) == (2, 2, 1)
    assert rate["hit_rate"] == 0.5 and rate["by_rule"]["crowd_soon"] == {"scored": 2, "confirmed": 1}
    assert hit_rate(settings, store, now=T + timedelta(hours=8), days=30) == rate | {"days": 30}
    assert hit_rate(settings, store, now=T + timedelta(days=31), days=30)["fired"] == 0  # fired before the window
    assert hit_rate(settings, store, now=T + timedelta(days=31), domains=["traffic"])["fired"] == 0

    # the warnings center shows it beside the counts, for the reader's remit
    from components.center.hit_rate import forecast_hit_rate
    from store.queries.warnings import WarningFilters

    center = forecast_hit_rate(settings, store, WarningFilters(), "zh", now=T + timedelta(hours=8))
    assert center.children == "预计预警命中率 近30天 1/2（50%）"
    en = forecast_hit_rate(settings, store, WarningFilters(), "en", now=T + timedelta(days=40))
    assert en.children == "Forecast-warning hit rate, last 30 days: none to score yet"
    # a traffic head: no forecast rule watches traffic, so no rate is shown at all
    assert forecast_hit_rate(settings, store, WarningFilters(domains=("traffic",)), "zh", now=T) is None


def test_a_miss_turns_into_a_hit_when_the_value_comes_later_in_the_window(settings, store) -> None:
    rule = _rule()
    _forecast(store, T - timedelta(hours=1), [2600, 2600])
    evaluate(settings, store, now=T, rules=[rule], notify=False)
    _forecast(store, T, [1000, 1000])
    evaluate(settings, store, now=T + timedelta(minutes=5), rules=[rule], notify=False)
    assert hit_rate(settings, store, now=T + timedelta(hours=1))["scored"] == 0  # the window is still open
    _crowding(store, T + timedelta(minutes=90), 0.85)  # it came after all, inside the 2 h
    assert hit_rate(settings, store, now=T + timedelta(hours=3))["confirmed"] == 1


def test_a_stale_forecast_raises_nothing(settings, store) -> None:
    _forecast(store, T - timedelta(hours=6), [2900, 2900, 2900, 2900, 2900, 2900, 2900, 2900])
    evaluate(settings, store, now=T, rules=[_rule()], notify=False)
    assert _rows(store) == []
