"""What each rule sees at an instant: pure functions from indicator rows to observations.

No I/O here: the engine loads the rows (live: the last hours; replay: the whole period
once) and asks :func:`observe` what a rule sees at ``now``. Live and replay run the very
same function over the same rows, which is why a replay reproduces live warnings.

An :class:`Observation` per scope says whether the firing condition holds and at which
level (``active``), whether the value sits between the firing and the recovery
threshold (``band`` — hysteresis, STANDARDS.md "fire > 80, recover < 70"), is back to
normal (``clear``) or is missing (``no_data``). Missing data never raises or clears a
warning: the lifecycle holds its state, and the staleness rule speaks for the silent
source — so an outage does not flood duty officers with "No Data" noise.

Which row counts:

* ``threshold`` and ``episode`` read the newest row at or before ``now`` (the current,
  still-filling period included: a crowd at 80 % warns at once), not older than the
  rule's ``lookback`` (default two periods).
* ``rate`` and ``anomaly`` compare counts, which a filling period understates: they
  read the newest *complete* period. A scope with no row in that period while the
  others have one counts 0 (no calls in that category) if it had a row within the
  rule's lookback before; a missing hour of an anomaly baseline is left out.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from alerts.levels import rank
from alerts.rules import AnomalyRule, EpisodeRule, RateRule, StalenessRule, ThresholdRule

UTC = timezone.utc
Status = Literal["active", "band", "clear", "no_data"]
IndicatorKey = tuple[str, str, str]  # (name, grain, scope_kind)

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
}


@dataclass(frozen=True)
class Observation:
    """What one rule sees for one scope at one instant."""

    scope_kind: str
    scope: str
    status: Status
    level: str | None = None
    value: float | None = None
    data_time: datetime | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    #: a staleness observation names the domain of its source
    domain: str | None = None


@dataclass(frozen=True)
class Series:
    """One scope's rows of one indicator, sorted by time (naive UTC datetime64[us])."""

    times: np.ndarray
    values: np.ndarray

    def at(self, t: np.datetime64) -> float | None:
        i = int(np.searchsorted(self.times, t))
        if i < len(self.times) and self.times[i] == t:
            v = float(self.values[i])
            return None if math.isnan(v) else v
        return None

    def latest(self, now: np.datetime64, oldest: np.datetime64) -> int | None:
        """Index of the newest row with ``oldest < time <= now``."""
        i = int(np.searchsorted(self.times, now, side="right")) - 1
        return i if i >= 0 and self.times[i] > oldest else None


#: indicator rows grouped for fast look-ups: key → scope → series
IndicatorData = Mapping[IndicatorKey, Mapping[str, Series]]


@dataclass(frozen=True)
class SourceState:
    """A source as the staleness rule sees it (``source_status`` plus its max age)."""

    name: str
    domain: str
    data_time: datetime | None
    status: str
    max_age: timedelta
    last_error: str | None = None


def index_frame(frame: pd.DataFrame) -> dict[IndicatorKey, dict[str, Series]]:
    """Group ``indicators`` rows (name, grain, scope_kind, scope, time, value) by key and scope."""
    out: dict[IndicatorKey, dict[str, Series]] = {}
    if frame.empty:
        return out
    f = frame.assign(
        t=pd.to_datetime(frame["time"], utc=True).dt.tz_localize(None).astype("datetime64[us]"),
        v=pd.to_numeric(frame["value"], errors="coerce").astype(float),
    ).sort_values(["name", "grain", "scope_kind", "scope", "t"], kind="stable")
    for (name, grain, kind, scope), g in f.groupby(["name", "grain", "scope_kind", "scope"], sort=True):
        out.setdefault((str(name), str(grain), str(kind)), {})[str(scope)] = Series(
            g["t"].to_numpy("datetime64[us]"), g["v"].to_numpy(float))
    return out


def np_time(moment: datetime) -> np.datetime64:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}; evaluate at an aware UTC instant")
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def _us(span: timedelta) -> np.timedelta64:
    return np.timedelta64(int(span.total_seconds() * 1_000_000), "us")


def py_time(t: np.datetime64) -> datetime:
    return pd.Timestamp(t).tz_localize(UTC).to_pydatetime()


def graded(value: float, levels: Mapping[str, float], op: str) -> str | None:
    """The most severe level whose threshold ``value`` passes (``value op threshold``)."""
    hit = [name for name, thr in levels.items() if _OPS[op](value, thr)]
    return max(hit, key=rank) if hit else None


def _verdict(level: str | None, recovered: bool, lowest: str) -> tuple[Status, str | None]:
    if level is not None:
        return "active", level
    if not recovered:
        return "band", lowest
    return "clear", None


def _scopes(rule: Any, series: Mapping[str, Series]) -> Iterable[tuple[str, Series]]:
    wanted = set(rule.scopes) if rule.scopes is not None else None
    return ((s, ser) for s, ser in series.items() if wanted is None or s in wanted)


# ---------------------------------------------------------------------------- threshold

def observe_threshold(rule: ThresholdRule, data: IndicatorData, now: datetime) -> dict[str, Observation]:
    """Latest value vs ``levels``; with ``recover`` the warning holds until the value is back past it."""
    t_now = np_time(now)
    oldest = np_time(now - rule.data_window)
    up = rule.op in (">", ">=")
    out: dict[str, Observation] = {}
    for scope, ser in _scopes(rule, data.get((rule.indicator, rule.grain, rule.scope_kind), {})):
        i = ser.latest(t_now, oldest)
        value = None if i is None or math.isnan(ser.values[i]) else float(ser.values[i])
        if value is None:
            continue  # no_data: the engine treats an absent scope as no data
        level = graded(value, rule.levels, rule.op)
        recovered = level is None and (rule.recover is None or (value < rule.recover if up else value > rule.recover))
        status, level = _verdict(level, recovered, rule.lowest_level)
        out[scope] = Observation(rule.scope_kind, scope, status, level, value, py_time(ser.times[i]),
                                 {"indicator": rule.indicator, "grain": rule.grain})
    return out


# ------------------------------------------------------------------------------ episode

def observe_episode(rule: EpisodeRule, data: IndicatorData, now: datetime) -> dict[str, Observation]:
    """Consecutive periods above ``above`` ending at the newest one, graded per STANDARDS.md
    heavy-pollution practice (observed days stand in for the forecast days of the MEE rule)."""
    t_now = np_time(now)
    oldest = np_time(now - rule.data_window)
    step = _us(rule.period)
    out: dict[str, Observation] = {}
    for scope, ser in _scopes(rule, data.get((rule.indicator, rule.grain, rule.scope_kind), {})):
        i = ser.latest(t_now, oldest)
        if i is None or math.isnan(ser.values[i]):
            continue
        run: list[float] = []
        j = i
        while j >= 0 and ser.times[j] > oldest and not math.isnan(ser.values[j]) and ser.values[j] > rule.above:
            if run and ser.times[j + 1] - ser.times[j] != step:
                break  # a gap ends the run
            run.append(float(ser.values[j]))
            j -= 1
        severe = sum(v > rule.severe for v in run) if rule.severe is not None else 0
        peak = max(run) if run else None
        hit = [name for name, lv in rule.levels.items()
               if run and ((len(run) >= lv.periods and severe >= lv.severe)
                           or (lv.peak is not None and peak is not None and peak >= lv.peak))]
        level = max(hit, key=rank) if hit else None
        status: Status = "active" if level else "clear"
        out[scope] = Observation(rule.scope_kind, scope, status, level, float(ser.values[i]), py_time(ser.times[i]),
                                 {"indicator": rule.indicator, "grain": rule.grain, "periods": len(run),
                                  "severe_periods": severe, "peak": peak})
    return out


# --------------------------------------------------------------------- rate and anomaly

def _complete_period(rule: RateRule | AnomalyRule, series: Mapping[str, Series], now: datetime) -> np.datetime64 | None:
    """The newest complete period any scope has a row for (not older than the lookback)."""
    last = np_time(now - rule.period)
    oldest = np_time(now - rule.period - (rule.lookback or 2 * rule.period))
    best = None
    for ser in series.values():
        i = ser.latest(last, oldest)
        if i is not None and (best is None or ser.times[i] > best):
            best = ser.times[i]
    return best


def _count_at(ser: Series, t: np.datetime64, lookback: timedelta) -> float | None:
    """The value at ``t``; 0 when the scope has a row in the ``lookback`` before ``t`` but
    none at ``t`` (no calls that hour); None otherwise. Only rows inside the rule's data
    window are consulted, so live and replay — which load different spans — agree."""
    v = ser.at(t)
    if v is not None:
        return v
    i = ser.latest(t - np.timedelta64(1, "us"), t - _us(lookback))
    return 0.0 if i is not None else None


def observe_rate(rule: RateRule, data: IndicatorData, now: datetime) -> dict[str, Observation]:
    """Latest complete period ÷ the same period ``compare_to`` earlier (floored reference)."""
    series = data.get((rule.indicator, rule.grain, rule.scope_kind), {})
    t = _complete_period(rule, series, now)
    if t is None:
        return {}
    offset = _us(rule.compare_to)
    lookback = rule.lookback or 2 * rule.period
    out: dict[str, Observation] = {}
    for scope, ser in _scopes(rule, series):
        current = _count_at(ser, t, lookback)
        reference = _count_at(ser, t - offset, lookback)
        if current is None or reference is None:
            continue  # no history a week back: not judged
        ratio = current / max(reference, rule.reference_floor)
        level = graded(ratio, rule.levels, ">=") if current >= rule.min_value else None
        recovered = level is None and (rule.recover is None or ratio < rule.recover or current < rule.min_value)
        status, level = _verdict(level, recovered, rule.lowest_level)
        out[scope] = Observation(rule.scope_kind, scope, status, level, round(ratio, 6), py_time(t),
                                 {"indicator": rule.indicator, "grain": rule.grain, "current": current,
                                  "reference": reference, "reference_time": py_time(t - offset).isoformat()})
    return out


def _unusual_day(d: date, calendar: Any) -> str | None:
    """'holiday' or 'makeup_workday' when the hour-of-week rhythm does not apply."""
    if calendar is None:
        return None
    if calendar.holiday(d) is not None:
        return "holiday"
    if d in calendar.MAKEUP_WORKDAYS:
        return "makeup_workday"
    return None


def observe_anomaly(rule: AnomalyRule, data: IndicatorData, now: datetime, *, tz: ZoneInfo,
                    calendar: Any = None) -> dict[str, Observation]:
    """Modified z of the latest complete hour against the same hour-of-week over the last
    ``weeks`` weeks (STANDARDS.md "Seasonal anomaly"): z = 0.6745 (x − median) / max(MAD,
    floor). Holidays and make-up working days (``calendar``: simulator.holidays) are left
    out of the baseline, and such an hour itself is not judged (clear): 国庆 is not an anomaly."""
    series = data.get((rule.indicator, rule.grain, rule.scope_kind), {})
    t = _complete_period(rule, series, now)
    if t is None:
        return {}
    local_day = py_time(t).astimezone(tz).date()
    week = _us(timedelta(weeks=1))
    skip = _unusual_day(local_day, calendar)
    out: dict[str, Observation] = {}
    for scope, ser in _scopes(rule, series):
        x = _count_at(ser, t, rule.lookback or 2 * rule.period)
        if x is None:
            continue
        if skip:
            out[scope] = Observation(rule.scope_kind, scope, "clear", None, None, py_time(t),
                                     {"indicator": rule.indicator, "skipped": skip})
            continue
        base = []
        for k in range(1, rule.weeks + 1):
            tk = t - k * week
            if _unusual_day(py_time(tk).astimezone(tz).date(), calendar):
                continue
            v = ser.at(tk)  # a missing baseline hour is left out, not taken as 0
            if v is not None:
                base.append(v)
        if len(base) < rule.min_weeks:
            continue  # not enough baseline: not judged
        med = float(np.median(base))
        mad = float(np.median(np.abs(np.asarray(base) - med)))
        z = 0.6745 * (x - med) / max(mad, rule.mad_floor)
        score = {"up": z, "down": -z, "both": abs(z)}[rule.direction]
        level = graded(score, rule.levels, ">")
        recovered = level is None and (rule.recover is None or score < rule.recover)
        status, level = _verdict(level, recovered, rule.lowest_level)
        out[scope] = Observation(rule.scope_kind, scope, status, level, round(z, 6), py_time(t),
                                 {"indicator": rule.indicator, "current": x, "median": med, "mad": mad,
                                  "baseline_weeks": len(base)})
    return out


# ---------------------------------------------------------------------------- staleness

def observe_staleness(rule: StalenessRule, sources: Iterable[SourceState], now: datetime) -> dict[str, Observation]:
    """Age of each source's newest data as a multiple of its max age (never delivered: stale)."""
    out: dict[str, Observation] = {}
    wanted = set(rule.sources) if rule.sources is not None else None
    for src in sources:
        if src.status == "disabled" or (wanted is not None and src.name not in wanted):
            continue
        if rule.domain is not None and src.domain != rule.domain:
            continue
        max_age = rule.max_age or src.max_age
        if src.data_time is None:
            multiple = math.inf
        else:
            multiple = (now - src.data_time) / max_age
        level = graded(multiple, rule.levels, ">=")
        status: Status = "active" if level else "clear"
        out[src.name] = Observation(
            "source", src.name, status, level, None if math.isinf(multiple) else round(multiple, 6),
            src.data_time, {"max_age_seconds": max_age.total_seconds(), "source_status": src.status,
                            "last_error": src.last_error}, domain=src.domain)
    return out


def observe(rule: Any, data: IndicatorData, now: datetime, *, tz: ZoneInfo, calendar: Any = None,
            sources: Iterable[SourceState] = ()) -> dict[str, Observation]:
    """Dispatch on the rule's kind; the result maps scope → observation (absent = no data)."""
    if rule.kind == "threshold":
        return observe_threshold(rule, data, now)
    if rule.kind == "episode":
        return observe_episode(rule, data, now)
    if rule.kind == "rate":
        return observe_rate(rule, data, now)
    if rule.kind == "anomaly":
        return observe_anomaly(rule, data, now, tz=tz, calendar=calendar)
    if rule.kind == "staleness":
        return observe_staleness(rule, sources, now)
    raise ValueError(f"unknown rule kind {rule.kind!r}")
