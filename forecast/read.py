"""What pages, the API, the wall and the briefing read of the forecasts (no computing here).

Every reader gets a :class:`Forecast` — the served points with 80/95 % intervals, the
model and whether it is the baseline, when the series was last observed and how old that
is, and the backtest's accuracy — or ``None`` when the series has no forecast yet.
These signatures are the contract the pages, the API, the wall and the briefing rely on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select

from citybrain.i18n import t
from citybrain.settings import Settings
from forecast.series import Spec, find, scope_label
from store.schema import forecast_points, forecast_series

UTC = dt.timezone.utc
POINT_COLUMNS = ["time", "value", "lo80", "hi80", "lo95", "hi95"]


@dataclass(frozen=True)
class Forecast:
    """One series' served forecast."""

    indicator: str
    grain: str
    scope_kind: str
    scope: str
    model: str
    fallback: bool  # the seasonal-naive baseline serves (no model beat it, or none tested yet)
    last_obs: dt.datetime  # aware UTC: the newest complete observed period's start
    made_at: dt.datetime | None
    #: time, value, lo80, hi80, lo95, hi95 — time aware UTC, from the period after last_obs
    points: pd.DataFrame
    accuracy: dict[str, Any] = field(default_factory=dict)
    note_zh: str = ""
    note_en: str = ""

    def age(self, now: dt.datetime, period: dt.timedelta) -> dt.timedelta:
        """How old the newest observation is: zero when the period just ended."""
        return max(dt.timedelta(0), now - (self.last_obs + period))


def _utc(v: Any) -> dt.datetime | None:
    if v is None:
        return None
    v = pd.Timestamp(v).to_pydatetime()
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def forecasts(settings: Settings, engine: Engine, indicator: str, *, grain: str = "hour", scope_kind: str,
              scopes: Sequence[str] | None = None, horizon: int | None = None) -> list[Forecast]:
    """The served forecasts of ``indicator`` at ``grain`` for every scope of ``scope_kind``
    (or only ``scopes``), each cut to its first ``horizon`` periods. [] when none."""
    spec = find(settings, indicator, grain, scope_kind)
    s, p = forecast_series.c, forecast_points.c
    q = select(forecast_series).where(s.indicator == indicator, s.grain == grain, s.scope_kind == scope_kind,
                                      s.last_obs.is_not(None))
    if scopes is not None:
        q = q.where(s.scope.in_(list(scopes)))
    with engine.connect() as conn:
        heads = conn.execute(q.order_by(s.scope)).all()
        if not heads:
            return []
        pq = select(p.scope, p.time, p.value, p.lo80, p.hi80, p.lo95, p.hi95).where(
            p.indicator == indicator, p.grain == grain, p.scope_kind == scope_kind,
            p.scope.in_([h.scope for h in heads])).order_by(p.scope, p.time)
        pts = pd.DataFrame(conn.execute(pq).all(), columns=["scope", *POINT_COLUMNS])
    if not pts.empty:
        pts["time"] = pd.to_datetime(pts["time"], utc=True)
    out = []
    for h in heads:
        mine = pts[pts["scope"] == h.scope][POINT_COLUMNS].reset_index(drop=True) if not pts.empty \
            else pd.DataFrame(columns=POINT_COLUMNS)
        if horizon is not None:
            mine = mine.iloc[:max(0, int(horizon))]
        acc = dict(h.accuracy or {})
        out.append(Forecast(indicator, grain, scope_kind, h.scope, h.model,
                            bool(acc.get("fallback", True)) or h.model == "seasonal_naive", _utc(h.last_obs),
                            _utc(h.made_at), mine, acc, spec.note_zh if spec else "", spec.note_en if spec else ""))
    return out


def forecast(settings: Settings, engine: Engine, indicator: str, *, grain: str = "hour", scope_kind: str,
             scope: str, horizon: int | None = None) -> Forecast | None:
    """One series' served forecast, or None."""
    found = forecasts(settings, engine, indicator, grain=grain, scope_kind=scope_kind, scopes=[scope],
                      horizon=horizon)
    return found[0] if found else None


def next_hours(settings: Settings, engine: Engine, indicator: str, *, scope_kind: str, hours: int = 4,
               scopes: Sequence[str] | None = None) -> list[Forecast]:
    """The wall's "未来4小时": each scope's next ``hours`` hourly points."""
    return forecasts(settings, engine, indicator, grain="hour", scope_kind=scope_kind, scopes=scopes, horizon=hours)


def tomorrow_peaks(settings: Settings, engine: Engine, indicator: str = "tourism_present", *,
                   scope_kind: str = "site", now: dt.datetime | None = None,
                   scopes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """The briefing's tomorrow: per scope the peak of tomorrow's (city-local) hourly points
    with its hour and 80 % interval, highest first. [] when no series covers tomorrow.

    Items: scope, name_zh, name_en, peak, time (aware, city zone), lo80, hi80, lo95, hi95,
    model, fallback, capacity and share (sites only; None elsewhere)."""
    tz = settings.tz
    now = (now or dt.datetime.now(UTC)).astimezone(tz)
    start = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(days=1)
    capacity = {s.code: s.capacity for s in settings.sites}
    out = []
    for f in forecasts(settings, engine, indicator, grain="hour", scope_kind=scope_kind, scopes=scopes):
        day = f.points[(f.points["time"] >= start) & (f.points["time"] < end)]
        if day.empty:
            continue
        top = day.loc[day["value"].idxmax()]
        cap = capacity.get(f.scope) if scope_kind == "site" else None
        out.append({"scope": f.scope, "name_zh": scope_label(settings, scope_kind, f.scope, "zh"),
                    "name_en": scope_label(settings, scope_kind, f.scope, "en"), "peak": float(top["value"]),
                    "time": top["time"].to_pydatetime().astimezone(tz), "lo80": float(top["lo80"]),
                    "hi80": float(top["hi80"]), "lo95": float(top["lo95"]), "hi95": float(top["hi95"]),
                    "model": f.model, "fallback": f.fallback, "capacity": cap,
                    "share": float(top["value"]) / cap if cap else None})
    return sorted(out, key=lambda r: -r["peak"])


def window_days(acc: dict[str, Any], grain: str | None = None) -> float | None:
    """The days the backtest's errors actually span: from its first origin to its last
    origin's horizon end. Not the ``weeks`` asked for — a history shorter than that (a new
    store, a new series) is backtested over what there is, and the label must say so."""
    if acc.get("days") is not None:
        return float(acc["days"])
    first, last = acc.get("first_origin"), acc.get("last_origin")
    if not first or not last:
        return None
    grain = grain or ("hour" if (acc.get("horizon") or 24) == 24 else "day")
    period = dt.timedelta(hours=1) if grain == "hour" else dt.timedelta(days=1)
    span = pd.Timestamp(last) - pd.Timestamp(first) + (acc.get("horizon") or 1) * period
    return span.total_seconds() / 86400


def window_text(acc: dict[str, Any], grain: str | None = None, lang: str = "zh") -> str:
    """"近4周" for a backtest spanning about that many whole weeks (two or more), else "近11天"."""
    days = window_days(acc, grain)
    if days is None:
        return ""
    if days >= 13.5:
        return t("fc.window_weeks", lang, n=round(days / 7))
    return t("fc.window_days", lang, n=max(1, round(days)))


def accuracy_label(f: Forecast | dict[str, Any], lang: str = "zh", grain: str | None = None) -> str:
    """"近4周预测误差 MASE 0.52，优于基线 23%" — or that the baseline serves, and why.

    The window is the one the backtest covered (:func:`window_text`), not the one asked for."""
    acc = f.accuracy if isinstance(f, Forecast) else f
    grain = f.grain if isinstance(f, Forecast) else grain
    if not acc or acc.get("mase") is None:
        return t("fc.short", lang) if acc and acc.get("origins") == 0 else t("fc.untested", lang)
    window = window_text(acc, grain, lang) or t("fc.window_weeks", lang, n=acc.get("weeks") or 4)
    mase = f"{acc['mase']:.2f}"
    if acc.get("fallback") or acc.get("model") == "seasonal_naive":
        return t("fc.fallback_in", lang, window=window, mase=mase)
    better = acc.get("better_than_baseline")
    return t("fc.accuracy_in", lang, window=window, mase=mase, better=f"{round(100 * (better or 0))}%")


def coverage_label(f: Forecast, lang: str = "zh") -> str:
    acc = f.accuracy
    if acc.get("coverage80") is None:
        return ""
    return t("fc.coverage", lang, c80=f"{round(100 * acc['coverage80'])}%", c95=f"{round(100 * acc['coverage95'])}%")


def spec_of(settings: Settings, f: Forecast) -> Spec | None:
    return find(settings, f.indicator, f.grain, f.scope_kind)
