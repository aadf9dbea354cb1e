"""Which series are forecast, and how each is read from the store as a regular series.

A forecast series is (indicator, grain, scope_kind, scope). The names are those of
``/api/v1/indicators/`` where one exists (``tpi``, ``aqi``, ``hotline_calls``, a theme's
``<theme>.<indicator>``); the scenic sites' head-count present and the stations' PM2.5,
which are observations rather than indicators, are ``tourism_present`` (the hour's
peak present: the crowding indicator times the site's capacity, as crowding warnings read
it) and ``pm25`` (the station's hourly reading).

Only complete periods count: the current hour (or local day) is still filling, and a
partial count would read as a collapse. A series ends at its newest complete observed
period — one whose source stopped ends in the past, and is forecast from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select

from citybrain.settings import Settings
from store.schema import indicators, obs_air

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Spec:
    """One forecastable indicator at one grain and scope kind."""

    indicator: str
    grain: str  # hour | day
    scope_kind: str
    domain: str  # the access resource that may read it
    #: "indicators" (the row of ``indicator``); "crowding" (the site's hourly crowding × its
    #: capacity = the hour's peak present, LB/T 034); "obs_air:<pollutant>" (hourly readings)
    source: str
    #: a missing period inside the series is a zero (counts: no call that hour), not a gap
    zero_fill: bool = False
    #: modelled on log(1 + y): errors grow with the level (air quality episodes)
    log: bool = False
    name_zh: str = ""
    name_en: str = ""
    unit: str = ""
    #: what accuracy the user may expect — said on the page and in the API
    note_zh: str = ""
    note_en: str = ""

    @property
    def freq(self) -> str:
        return "h" if self.grain == "hour" else "D"

    @property
    def period(self) -> dt.timedelta:
        return dt.timedelta(hours=1) if self.grain == "hour" else dt.timedelta(days=1)

    @property
    def horizon(self) -> int:
        """Periods served: 48 h (tomorrow's whole day from any hour today), 14 days."""
        return 48 if self.grain == "hour" else 14


_AIR_NOTE_ZH = "无气象预报输入：空气质量预测只依据自身历史的日/周规律，逆温、降水、风向变化无法预见，数小时外误差明显增大。"
_AIR_NOTE_EN = ("No weather forecast is used: air quality is forecast from its own daily and weekly pattern "
                "only; inversions, rain and wind shifts are not foreseen, and errors grow quickly beyond a few hours.")

BUILTIN: tuple[Spec, ...] = (
    Spec("tourism_present", "hour", "site", "tourism", "crowding",
         name_zh="景区在园人数", name_en="Visitors present", unit="人"),
    Spec("hotline_calls", "hour", "city", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("hotline_calls", "hour", "district", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("hotline_calls", "hour", "category", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("hotline_calls", "day", "city", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("hotline_calls", "day", "district", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("hotline_calls", "day", "category", "hotline", "indicators", zero_fill=True,
         name_zh="12345来电量", name_en="12345 calls", unit="件"),
    Spec("tpi", "hour", "city", "traffic", "indicators", name_zh="交通运行指数", name_en="Traffic index"),
    Spec("tpi", "hour", "district", "traffic", "indicators", name_zh="交通运行指数", name_en="Traffic index"),
    Spec("aqi", "hour", "station", "environment", "indicators", log=True, name_zh="空气质量指数", name_en="AQI",
         note_zh=_AIR_NOTE_ZH, note_en=_AIR_NOTE_EN),
    Spec("pm25", "hour", "station", "environment", "obs_air:pm25", log=True, name_zh="PM2.5",
         name_en="PM2.5", unit="µg/m³", note_zh=_AIR_NOTE_ZH, note_en=_AIR_NOTE_EN),
)


def specs(settings: Settings) -> list[Spec]:
    """The built-in series and every theme indicator marked ``forecast = true`` (issue 20):
    hourly, per entity and for the city, read from ``indicators`` under ``<theme>.<indicator>``."""
    out = list(BUILTIN)
    for theme in getattr(settings, "themes", []) or []:
        for ind in theme.indicators:
            if getattr(ind, "forecast", False):
                name = theme.metric(ind.code)
                count = getattr(ind, "kind", "") == "count"
                for kind in ("entity", "city"):
                    out.append(Spec(name, "hour", kind, theme.code, "indicators", zero_fill=count,
                                    name_zh=ind.name_zh, name_en=ind.name_en, unit=getattr(ind, "unit", "") or ""))
    return out


def indicator_names(settings: Settings) -> list[str]:
    return list(dict.fromkeys(s.indicator for s in specs(settings)))


def find(settings: Settings, indicator: str, grain: str, scope_kind: str) -> Spec | None:
    return next((s for s in specs(settings) if (s.indicator, s.grain, s.scope_kind) == (indicator, grain, scope_kind)),
                None)


def complete_before(spec: Spec, now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The start of the current (still-filling) period: only periods before it count."""
    now = now.astimezone(UTC)
    if spec.grain == "hour":
        return now.replace(minute=0, second=0, microsecond=0)
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def load(engine: Engine, settings: Settings, spec: Spec, *, now: dt.datetime, periods: int,
         scopes: Sequence[str] | None = None) -> dict[str, pd.Series]:
    """Each scope's last ``periods`` complete periods as a regular series (UTC index, NaN
    for gaps, zero for an empty period of a count), ending at its newest observation."""
    end = complete_before(spec, now, settings.tz)
    start = end - spec.period * periods
    frame = _rows(engine, spec, start, end, scopes, settings)
    out: dict[str, pd.Series] = {}
    if frame.empty:
        return out
    freq = spec.freq
    for scope, g in frame.groupby("scope", sort=True):
        s = g.set_index("time")["value"].astype(float).sort_index()
        s = s[~s.index.duplicated(keep="last")]
        s = s[s.notna()]
        if s.empty:
            continue
        if freq == "D":  # local midnights stored in UTC: a regular 24 h grid in a zone without DST
            grid = pd.date_range(s.index[0], s.index[-1], freq="24h")
        else:
            grid = pd.date_range(s.index[0], s.index[-1], freq="h")
        s = s.reindex(grid)
        if spec.zero_fill:
            s = s.fillna(0.0)
        out[str(scope)] = s
    return out


def _rows(engine: Engine, spec: Spec, start: dt.datetime, end: dt.datetime,
          scopes: Iterable[str] | None, settings: Settings) -> pd.DataFrame:
    wanted = list(scopes) if scopes is not None else None
    with engine.connect() as conn:
        if spec.source in ("indicators", "crowding"):
            i = indicators.c
            name = "crowding" if spec.source == "crowding" else spec.indicator
            q = select(i.scope, i.time, i.value).where(
                i.name == name, i.grain == spec.grain, i.scope_kind == spec.scope_kind,
                i.time >= start, i.time < end)
            if wanted is not None:
                q = q.where(i.scope.in_(wanted))
            frame = pd.DataFrame(conn.execute(q).all(), columns=["scope", "time", "value"])
            if spec.source == "crowding":
                capacity = {s.code: float(s.capacity) for s in settings.sites}
                frame = frame[frame["scope"].isin(capacity)]
                frame = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce")
                                     * frame["scope"].map(capacity).astype(float))
        else:
            _, column = spec.source.split(":")
            q = select(obs_air.c.station, obs_air.c.time, obs_air.c[column]).where(
                obs_air.c.time >= start, obs_air.c.time < end)
            if wanted is not None:
                q = q.where(obs_air.c.station.in_(wanted))
            frame = pd.DataFrame(conn.execute(q).all(), columns=["scope", "time", "value"])
    if frame.empty:
        return frame
    frame["time"] = pd.to_datetime(frame["time"], utc=True).astype("datetime64[us, UTC]")
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    return frame


def scope_label(settings: Settings, scope_kind: str, scope: str, lang: str = "zh") -> str:
    """A person's name for a scope: the site, station, district or category, or the city."""
    zh = lang == "zh"
    if scope_kind == "city":
        return settings.city.name_zh if zh else settings.city.name_en
    pools = {"district": settings.districts, "site": settings.sites, "station": settings.stations,
             "segment": settings.segments}
    for e in pools.get(scope_kind, []):
        if e.code == scope:
            return e.name_zh if zh else e.name_en
    return scope


def district_of(settings: Settings, scope_kind: str, scope: str) -> str | None:
    """The district a scope lies in (for a department head limited to one district)."""
    if scope_kind == "district":
        return scope
    pools = {"site": settings.sites, "station": settings.stations, "segment": settings.segments}
    for e in pools.get(scope_kind, []):
        if e.code == scope:
            return e.district
    return None
