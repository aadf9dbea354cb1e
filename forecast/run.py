"""The forecast jobs: the backtest that chooses and fits each series' model (nightly, and
for a series that has none yet), and the refresh that serves new points after new data.

* :func:`backtest` — rolling origin over the last ``weeks`` weeks, every candidate of
  :mod:`forecast.models`; stores the chosen model (the baseline when nothing beats it),
  its fitted parameters with the interval calibration, and the accuracy; then refreshes.
* :func:`refresh` — for each series whose newest complete period moved since its points
  were made: the stored model applied to the new data with its stored parameters (no
  refit: ~1 ms a series), points from the first period after the last observation.

Both are idempotent and write each series in its own short transaction, so pages keep
reading while they run.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update

from citybrain.settings import Settings
from forecast import models
from forecast.read import window_days
from forecast.series import Spec, load, specs
from store.schema import forecast_points, forecast_series

log = logging.getLogger(__name__)
UTC = dt.timezone.utc

#: weeks of rolling origins in the nightly backtest (the page says "近N周")
WEEKS = 4
#: a model older than this is backtested again by the refresh itself
STALE_MODEL = dt.timedelta(days=2)


@dataclass
class RunReport:
    """What one run did, with the time spent per phase (the benchmark prints these)."""

    series: int = 0
    backtested: int = 0
    refreshed: int = 0
    skipped: int = 0
    fallback: int = 0
    seconds_backtest: float = 0.0
    seconds_refresh: float = 0.0
    errors: dict[str, str] = field(default_factory=dict)

    def __int__(self) -> int:
        return self.refreshed


def _selected(settings: Settings, indicators: Sequence[str] | None) -> list[Spec]:
    chosen = specs(settings)
    if indicators:
        unknown = set(indicators) - {s.indicator for s in chosen}
        if unknown:
            raise ValueError(f"no forecast series for {', '.join(sorted(unknown))}; "
                             f"use one of {', '.join(dict.fromkeys(s.indicator for s in chosen))}")
        chosen = [s for s in chosen if s.indicator in indicators]
    return chosen


def _key(spec: Spec, scope: str) -> dict[str, str]:
    return {"indicator": spec.indicator, "grain": spec.grain, "scope_kind": spec.scope_kind, "scope": scope}


def _where(table: Any, spec: Spec, scope: str) -> list[Any]:
    c = table.c
    return [c.indicator == spec.indicator, c.grain == spec.grain, c.scope_kind == spec.scope_kind, c.scope == scope]


def _stored(engine: Engine, spec: Spec) -> dict[str, Any]:
    c = forecast_series.c
    with engine.connect() as conn:
        rows = conn.execute(select(forecast_series).where(
            c.indicator == spec.indicator, c.grain == spec.grain, c.scope_kind == spec.scope_kind)).all()
    return {r.scope: r for r in rows}


def _utc(t: Any) -> dt.datetime | None:
    if t is None:
        return None
    t = pd.Timestamp(t).to_pydatetime()
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def backtest(settings: Settings, engine: Engine, *, indicators: Sequence[str] | None = None,
             now: dt.datetime | None = None, weeks: int = WEEKS, scopes: Iterable[tuple[Spec, str]] | None = None,
             progress: Callable[[str], None] | None = None) -> RunReport:
    """Backtest every series (of ``indicators``), store model, parameters and accuracy, refresh."""
    now = now or dt.datetime.now(UTC)
    report = RunReport()
    todo = list(scopes) if scopes is not None else None
    for spec in _selected(settings, indicators):
        wanted = [s for sp, s in todo if sp == spec] if todo is not None else None
        if wanted == []:
            continue
        periods = models.TRAIN[spec.freq] + weeks * models.week(spec.freq) + spec.horizon
        data = load(engine, settings, spec, now=now, periods=periods, scopes=wanted)
        for scope, y in data.items():
            report.series += 1
            t0 = time.perf_counter()
            try:
                _backtest_one(settings, engine, spec, scope, y, weeks, now)
                report.backtested += 1
            except Exception as exc:  # noqa: BLE001 — one odd series must not stop the others
                log.exception("forecast backtest of %s %s failed", spec.indicator, scope)
                report.errors[f"{spec.indicator}|{spec.scope_kind}|{scope}"] = f"{type(exc).__name__}: {exc}"
                continue
            finally:
                report.seconds_backtest += time.perf_counter() - t0
            t0 = time.perf_counter()
            if _serve(settings, engine, spec, scope, y, now):
                report.refreshed += 1
            report.seconds_refresh += time.perf_counter() - t0
            if progress:
                progress(f"{spec.indicator} {spec.scope_kind} {scope}")
    report.fallback = _count_fallback(engine)
    return report


def _backtest_one(settings: Settings, engine: Engine, spec: Spec, scope: str, y: pd.Series, weeks: int,
                  now: dt.datetime) -> None:
    tz = settings.tz
    train = y.iloc[-(models.TRAIN[spec.freq] + weeks * models.week(spec.freq) + spec.horizon):]
    bt_horizon = 24 if spec.grain == "hour" else 7
    bt = models.backtest(train, tz, weeks=weeks, horizon=bt_horizon, log=spec.log)
    chosen = bt.chosen
    fitted = models.fit([chosen, models.BASELINE], models.to_model_scale(y, spec.log), tz)
    if chosen not in fitted:  # the full history could not fit it (should not happen): baseline
        chosen = models.BASELINE
    params = {"model": chosen, "fitted": fitted.get(chosen, {}), "log": spec.log,
              "calib": bt.scores.get(chosen, {}).get("calib")}
    accuracy = bt.accuracy() | {"weeks": weeks}
    span = window_days(accuracy, spec.grain)  # what the origins covered: the label's 近N周/天 (issue 22)
    accuracy["days"] = round(span, 2) if span is not None else None
    if not bt.origins:
        accuracy["note"] = "history too short for a backtest: the seasonal-naive baseline serves"
    values = {"model": chosen, "params": params, "accuracy": accuracy, "backtested_at": now}
    with engine.begin() as conn:
        done = conn.execute(update(forecast_series).where(*_where(forecast_series, spec, scope)).values(**values))
        if not done.rowcount:
            conn.execute(insert(forecast_series).values(**_key(spec, scope), **values))


def _serve(settings: Settings, engine: Engine, spec: Spec, scope: str, y: pd.Series, now: dt.datetime) -> bool:
    """Points of one series from its stored model; False when it has none."""
    with engine.connect() as conn:
        row = conn.execute(select(forecast_series.c.model, forecast_series.c.params)
                           .where(*_where(forecast_series, spec, scope))).first()
    if row is None or not row.params:
        return False
    name = row.params.get("model", models.BASELINE)
    fitted = row.params.get("fitted") or {}
    log = bool(row.params.get("log"))
    work = models.to_model_scale(y, log)
    if not fitted:  # nothing fitted (history too short at the backtest): fit the baseline now
        fitted = models.fit([models.BASELINE], work, settings.tz).get(models.BASELINE, {})
        name = models.BASELINE
    if not fitted:
        return False
    pred = models.predict(name, fitted, work, spec.horizon, settings.tz)
    frame = models.intervals(pred, row.params.get("calib"), nonneg=True, log=log)
    last_obs = _utc(y.index[-1])
    points = [{**_key(spec, scope), "time": _utc(r.time), "value": float(r.value), "lo80": float(r.lo80),
               "hi80": float(r.hi80), "lo95": float(r.lo95), "hi95": float(r.hi95)}
              for r in frame.itertuples(index=False)]
    with engine.begin() as conn:
        conn.execute(delete(forecast_points).where(*_where(forecast_points, spec, scope)))
        if points:
            conn.execute(insert(forecast_points), points)
        conn.execute(update(forecast_series).where(*_where(forecast_series, spec, scope))
                     .values(last_obs=last_obs, made_at=now))
    return True


def refresh(settings: Settings, engine: Engine, *, indicators: Sequence[str] | None = None,
            now: dt.datetime | None = None, force: bool = False, weeks: int = WEEKS) -> RunReport:
    """Serve new points for each series with a newer complete period than its points start
    after (``force``: every series). A series with no model yet, or a model older than
    :data:`STALE_MODEL`, is backtested first."""
    now = now or dt.datetime.now(UTC)
    report = RunReport()
    for spec in _selected(settings, indicators):
        stored = _stored(engine, spec)
        data = load(engine, settings, spec, now=now, periods=models.TRAIN[spec.freq])
        stale = []
        for scope, y in data.items():
            report.series += 1
            row = stored.get(scope)
            backtested = _utc(row.backtested_at) if row is not None else None
            if row is None or backtested is None or now - backtested > STALE_MODEL:
                stale.append((spec, scope))
                continue
            if not force and _utc(row.last_obs) == _utc(y.index[-1]):
                report.skipped += 1
                continue
            t0 = time.perf_counter()
            try:
                if _serve(settings, engine, spec, scope, y, now):
                    report.refreshed += 1
            except Exception as exc:  # noqa: BLE001
                log.exception("forecast refresh of %s %s failed", spec.indicator, scope)
                report.errors[f"{spec.indicator}|{spec.scope_kind}|{scope}"] = f"{type(exc).__name__}: {exc}"
            report.seconds_refresh += time.perf_counter() - t0
        if stale:
            sub = backtest(settings, engine, now=now, weeks=weeks, scopes=stale, indicators=[spec.indicator])
            report.backtested += sub.backtested
            report.refreshed += sub.refreshed
            report.seconds_backtest += sub.seconds_backtest
            report.seconds_refresh += sub.seconds_refresh
            report.errors.update(sub.errors)
    report.fallback = _count_fallback(engine)
    return report


def _count_fallback(engine: Engine) -> int:
    with engine.connect() as conn:
        return sum(1 for m, in conn.execute(select(forecast_series.c.model)) if m == models.BASELINE)


# ------------------------------------------------------------------------- scheduler

def refresh_step(settings: Settings, engine: Engine, touched: Any = None) -> int:
    """Scheduler / pipeline adapter: serve new points where new data arrived."""
    return refresh(settings, engine).refreshed


def backtest_step(settings: Settings, engine: Engine, touched: Any = None) -> int:
    """Scheduler adapter: the nightly backtest (model choice, fit, accuracy) of every series."""
    return backtest(settings, engine).backtested


#: how often the scheduler looks for series with a newer complete period (cheap when none)
REFRESH_SECONDS = 300


def scheduler_jobs(settings: Settings, engine: Engine) -> list[tuple[Callable[..., Any], dict[str, Any], str]]:
    """The scheduler's forecast jobs: refresh every 5 minutes (serves only series whose
    newest complete hour moved), backtest nightly at 03:40 city time."""
    import functools

    now = dt.datetime.now(UTC)
    return [
        (functools.partial(refresh_step, settings, engine),
         {"trigger": "interval", "seconds": REFRESH_SECONDS, "next_run_time": now + dt.timedelta(seconds=60)},
         "forecast_refresh"),
        (functools.partial(backtest_step, settings, engine),
         {"trigger": "cron", "hour": 3, "minute": 40, "timezone": settings.tz, "misfire_grace_time": 3600},
         "forecast_backtest"),
    ]
