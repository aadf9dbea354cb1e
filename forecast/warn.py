"""预计 warnings (issue 22, rule kind ``forecast``): what such a rule sees, and its hit rate.

:func:`load_views` reads, per rule and scope, the served forecast and the value observed
now; :func:`observe_forecast` (pure) turns that into an
:class:`~alerts.conditions.Observation` the ordinary lifecycle steps on — the 预计
warning has its own rule, title, level and lifecycle:

* ``active`` at the most severe level whose probability is reached: the probability that
  the value reaches the threshold in some hour of the next ``within``, taken from the
  predictive distribution the forecast serves (its 2.5/10/50/90/97.5 % quantiles,
  interpolated, with normal tails beyond the 95 % interval) — the largest per hour, a
  lower bound of the probability over the window;
* ``band`` between ``recover`` and the lowest level's probability (no flapping);
* ``clear`` when the probability falls back — or when the value itself has reached the
  threshold: the forecast came true (``outcome = "confirmed"`` in the warning's detail)
  and the real warning (``confirms``) speaks from now on;
* no observation (held) when the forecast is older than ``max_age``.

:func:`hit_rate` scores every fired 预计 warning whose window has passed: confirmed when
the observed value reached the threshold between its firing and the end of its window.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from alerts.conditions import Observation, graded
from citybrain.settings import Settings
from forecast.models import Z80, Z95
from forecast.read import forecasts
from forecast.series import Spec, find, load
from store.schema import warnings

UTC = dt.timezone.utc
#: the quantile levels a served point carries, and their order
_LEVELS = np.array([0.025, 0.10, 0.50, 0.90, 0.975])


@dataclass(frozen=True)
class View:
    """What a forecast rule reads for one scope: the served points, the last observation,
    the value observed now (None: none recent), and the threshold in the series' unit."""

    points: pd.DataFrame
    last_obs: dt.datetime
    period: dt.timedelta
    current: float | None
    threshold: float


def exceedance(threshold: float, value: float, lo80: float, hi80: float, lo95: float, hi95: float) -> float:
    """P(Y ≥ threshold) from a point's quantiles: piecewise linear between them, a normal
    tail (its scale from the 80–95 % spacing on that side) beyond the 95 % interval."""
    q = np.array([lo95, lo80, value, hi80, hi95], dtype=float)
    if not np.isfinite(q).all():
        return 0.0
    q = np.maximum.accumulate(q)  # clipping at zero may have tied some
    if threshold <= q[0]:
        if q[1] > q[0]:
            sigma = (q[1] - q[0]) / (Z95 - Z80)
            z = -Z95 - (q[0] - threshold) / sigma
            return 1 - _phi(z)
        return 1.0
    if threshold >= q[-1]:
        if q[-1] > q[-2]:
            sigma = (q[-1] - q[-2]) / (Z95 - Z80)
            z = Z95 + (threshold - q[-1]) / sigma
            return 1 - _phi(z)
        return 0.0 if threshold > q[-1] else 0.025
    cdf = float(np.interp(threshold, q, _LEVELS))
    return 1 - cdf


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def _threshold(rule: Any, settings: Settings, scope: str) -> float | None:
    if rule.threshold is not None:
        return float(rule.threshold)
    cap = next((s.capacity for s in settings.sites if s.code == scope), None)
    return float(rule.capacity_share) * cap if cap else None


def load_views(settings: Settings, engine: Engine, rules: Sequence[Any], now: dt.datetime) -> dict[str, dict[str, View]]:
    """Per forecast rule and scope: the served forecast and the value observed now."""
    out: dict[str, dict[str, View]] = {}
    for rule in rules:
        spec = find(settings, rule.indicator, rule.grain, rule.scope_kind)
        if spec is None:
            out[rule.id] = {}
            continue
        served = forecasts(settings, engine, rule.indicator, grain=rule.grain, scope_kind=rule.scope_kind,
                           scopes=rule.scopes)
        current = _current(settings, engine, spec, now, [f.scope for f in served])
        views = {}
        for f in served:
            thr = _threshold(rule, settings, f.scope)
            if thr is None:
                continue
            views[f.scope] = View(f.points, f.last_obs, spec.period, current.get(f.scope), thr)
        out[rule.id] = views
    return out


def _current(settings: Settings, engine: Engine, spec: Spec, now: dt.datetime, scopes: list[str]) -> dict[str, float]:
    """The newest value of each scope within the last two periods, the still-filling one
    included (a crowd at 80 % confirms at once, as the threshold rule sees it)."""
    if not scopes:
        return {}
    later = now + spec.period  # ``load`` keeps periods before the current one; this takes the current too
    data = load(engine, settings, spec, now=later, periods=2, scopes=scopes)
    out = {}
    for scope, y in data.items():
        ok = y.dropna()
        if len(ok) and ok.index[-1] >= pd.Timestamp(now) - 2 * spec.period:
            out[scope] = float(ok.iloc[-1])
    return out


def observe_forecast(rule: Any, views: Mapping[str, View], now: dt.datetime) -> dict[str, Observation]:
    """Scope → observation of a ``forecast`` rule at ``now`` (pure)."""
    out: dict[str, Observation] = {}
    horizon_end = now + rule.within
    recover = rule.recover if rule.recover is not None else min(rule.levels.values())
    for scope, v in views.items():
        if rule.scopes is not None and scope not in rule.scopes:
            continue
        if now - (v.last_obs + v.period) > rule.max_age:
            continue  # a forecast from stale data is not acted on: held, as missing data is
        detail: dict[str, Any] = {"indicator": rule.indicator, "grain": rule.grain, "forecast": True,
                                  "threshold": round(v.threshold, 4), "within_seconds": rule.within.total_seconds(),
                                  "last_obs": v.last_obs.isoformat(), "confirms": rule.confirms}
        reached = v.current is not None and (v.current >= v.threshold if rule.op == ">=" else v.current > v.threshold)
        if reached:
            out[scope] = Observation(rule.scope_kind, scope, "clear", None, v.current, now,
                                     detail | {"outcome": "confirmed", "observed": v.current})
            continue
        pts = v.points
        if pts.empty:
            continue
        window = pts[(pts["time"] + v.period > pd.Timestamp(now)) & (pts["time"] < pd.Timestamp(horizon_end))]
        if window.empty:
            continue
        probs = [exceedance(v.threshold, r.value, r.lo80, r.hi80, r.lo95, r.hi95) for r in window.itertuples()]
        i = int(np.argmax(probs))
        p = float(probs[i])
        at = window["time"].iloc[i].to_pydatetime()
        value = float(window["value"].iloc[i])
        level = graded(p, rule.levels, ">=")
        status = "active" if level is not None else ("band" if p >= recover else "clear")
        out[scope] = Observation(rule.scope_kind, scope, status, level if level else
                                 (rule.lowest_level if status == "band" else None), value, v.last_obs,
                                 detail | {"probability": round(p, 4), "expected_at": at.isoformat(),
                                           "expected_value": round(value, 2),
                                           "outcome": "fell_back" if status == "clear" else None})
    return out


def hit_rate(settings: Settings, engine: Engine, *, now: dt.datetime | None = None, district: str | None = None,
             domains: Sequence[str] | None = None, days: int | None = None) -> dict[str, Any]:
    """Fired 预计 warnings whose window has passed, and the share the value confirmed;
    ``days``: only those fired in the last ``days`` days (the warnings center: 近30天)."""
    now = now or dt.datetime.now(UTC)
    q = select(warnings).where(warnings.c.rule_kind == "forecast", warnings.c.fired_at.is_not(None))
    if days is not None:
        q = q.where(warnings.c.fired_at >= now - dt.timedelta(days=days))
    if district:
        q = q.where(warnings.c.district == district)
    if domains is not None:
        q = q.where(warnings.c.domain.in_(list(domains)))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(warnings.c.fired_at)).all()
    by_rule: dict[str, dict[str, int]] = {}
    scored = confirmed = 0
    for r in rows:
        detail = r.detail or {}
        fired = _aware(r.fired_at)
        end = fired + dt.timedelta(seconds=float(detail.get("within_seconds") or 7200))
        if end > now and detail.get("outcome") != "confirmed":
            continue  # its window is still open
        hit = detail.get("outcome") == "confirmed" or _reached(settings, engine, r, fired, end, detail)
        scored += 1
        confirmed += int(hit)
        stats = by_rule.setdefault(r.rule, {"scored": 0, "confirmed": 0})
        stats["scored"] += 1
        stats["confirmed"] += int(hit)
    return {"fired": len(rows), "scored": scored, "confirmed": confirmed,
            "hit_rate": round(confirmed / scored, 4) if scored else None, "by_rule": by_rule, "days": days}


def _reached(settings: Settings, engine: Engine, row: Any, start: dt.datetime, end: dt.datetime,
             detail: Mapping[str, Any]) -> bool:
    spec = find(settings, detail.get("indicator", ""), detail.get("grain", "hour"), row.scope_kind)
    thr = detail.get("threshold")
    if spec is None or thr is None:
        return False
    periods = int((end - start) / spec.period) + 2
    data = load(engine, settings, spec, now=end + spec.period, periods=periods, scopes=[row.scope])
    y = data.get(row.scope)
    if y is None:
        return False
    inside = y[(y.index + spec.period > pd.Timestamp(start)) & (y.index < pd.Timestamp(end))]
    return bool((inside >= float(thr)).any())


def _aware(t: Any) -> dt.datetime:
    t = pd.Timestamp(t).to_pydatetime()
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
