"""交通: the transport bureau's detector system (5-minute link flow) and its incident log.

Demand follows the day: two commute peaks on working days (07:30–09:00, 17:00–19:00),
a broad late-morning/afternoon shape on weekends and holidays, little at night. Speed
falls with the volume/capacity ratio (a BPR-like curve), so a weekday 08:00 on an
arterial runs at roughly half the free-flow speed while 03:00 runs near it. Incidents —
a few accidents a week, peak-hour jams, road works — slow one segment for their
duration, and are logged in ``t_incident`` (the hotline module reads the same list to
add the complaints that follow).

Segments with a counting detector (``detector = "count"``) report no speed (NULL).
Rows are written 5 minutes after the interval starts plus a transmission delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from citybrain.settings import Segment, Settings
from simulator import holidays
from simulator.clock import INTERVALS_PER_DAY, day_seconds, midnight
from simulator.feed import Department, Feed, empty_versions
from simulator.rng import stream, uniform
from simulator.schema import t_incident, t_link_flow_5min, traffic_md

#: vehicles per 5 minutes a segment carries at saturation (both directions, all lanes)
CAPACITY_5MIN = MappingProxyType({"expressway": 520, "arterial": 260, "secondary": 160, "branch": 90})
#: volume/capacity ratio at the weekday commute peak
PEAK_LOAD = MappingProxyType({"expressway": 0.70, "arterial": 0.97, "secondary": 0.90, "branch": 0.80})

#: incident kinds: expected count per day, duration (min), speed factor, flow factor
_KINDS = MappingProxyType({
    "ACC": (0.5, (40, 90), (0.30, 0.50), 0.65),
    "JAM": (0.35, (30, 75), (0.55, 0.70), 0.90),
    "CONS": (0.12, (240, 420), (0.70, 0.80), 0.85),
})


@dataclass(frozen=True)
class Incident:
    incident_id: str
    link_id: str
    kind: str  # ACC / JAM / CONS
    start: datetime
    end: datetime
    speed_factor: float
    flow_factor: float
    descr: str


def _hours() -> np.ndarray:
    return (np.arange(INTERVALS_PER_DAY) * 5 + 2.5) / 60.0


def _bell(t: np.ndarray, mu: float, sigma: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - mu) / sigma) ** 2)


def _awake(t: np.ndarray, rise: float, fall: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(t - rise) * 1.6)) / (1.0 + np.exp((t - fall) * 1.2))


def demand_shape(kind: holidays.DayKind, road_class: str) -> np.ndarray:
    """Share of the weekday-peak load per 5-minute interval (1.0 at the morning peak)."""
    t = _hours()
    if kind == "workday":
        shape = 0.07 + 0.5 * _awake(t, 6.5, 22.0) + 0.45 * _bell(t, 8.2, 0.6) + 0.45 * _bell(t, 18.0, 0.75)
    else:
        shape = 0.06 + 0.55 * _awake(t, 8.0, 22.5) + 0.15 * _bell(t, 11.0, 1.5) + 0.15 * _bell(t, 17.0, 1.5)
    if road_class == "expressway":
        # long-distance traffic: flatter by day, heavier on holidays
        shape = 0.5 * shape + 0.5 * (0.2 + 0.6 * _awake(t, 6.0, 23.0))
        if kind == "holiday":
            shape = shape * 1.3
    return shape


def _segment_factor(seed: int, seg: Segment) -> float:
    return uniform(seed, "traffic", "segment", seg.code, low=0.85, high=1.05)


def incidents(settings: Settings, seed: int, day: date) -> list[Incident]:
    """The incidents of one local day, in start order (pure function of seed and day)."""
    if not settings.segments:
        return []
    rng = stream(seed, "traffic", "incidents", day)
    kind_of_day = holidays.day_kind(day)
    found: list[tuple[datetime, str, Segment, int, float, float]] = []
    for kind, (per_day, (dmin, dmax), (slo, shi), flow_factor) in _KINDS.items():
        n = int(rng.poisson(per_day))
        if kind == "JAM" and kind_of_day != "workday":
            n = 0
        candidates = [s for s in settings.segments if kind != "JAM" or s.road_class != "expressway"]
        if not candidates:
            continue
        for _ in range(n):
            seg = candidates[int(rng.integers(len(candidates)))]
            if kind == "ACC":
                minute = int(rng.integers(6 * 60, 21 * 60))
            elif kind == "JAM":
                minute = int((7 * 60 + 40 if rng.random() < 0.5 else 17 * 60 + 20) + rng.integers(-30, 31))
            else:
                minute = int(rng.integers(9 * 60, 10 * 60))
            found.append((midnight(day) + timedelta(minutes=minute), kind, seg,
                          int(rng.integers(dmin, dmax + 1)), float(rng.uniform(slo, shi)), flow_factor))
    found.sort(key=lambda f: (f[0], f[2].code))
    out = []
    for i, (start, kind, seg, minutes, speed_factor, flow_factor) in enumerate(found, 1):
        out.append(Incident(
            incident_id=f"SJ{day:%Y%m%d}{i:03d}", link_id=seg.code, kind=kind, start=start,
            end=start + timedelta(minutes=minutes), speed_factor=speed_factor, flow_factor=flow_factor,
            descr=_describe(kind, seg, stream(seed, "traffic", "descr", day, i)),
        ))
    return out


def _describe(kind: str, seg: Segment, rng: np.random.Generator) -> str:
    if kind == "ACC":
        what = ("两车追尾", "多车追尾", "车辆侧翻", "货车抛锚后被追尾")[int(rng.integers(4))]
        return f"{seg.name_zh}发生{what}事故，占用{int(rng.integers(1, 3))}条车道，交警已到场处置"
    if kind == "JAM":
        return f"{seg.name_zh}车流量大，行驶缓慢"
    return f"{seg.name_zh}道路施工，半幅封闭，请绕行"


def _flow_versions(settings: Settings, seed: int, day: date) -> pd.DataFrame:
    segs = settings.segments
    kind = holidays.day_kind(day)
    n = INTERVALS_PER_DAY
    starts = day_seconds(day) + np.arange(n) * np.timedelta64(300, "s")
    day_incidents = incidents(settings, seed, day)
    frames = []
    for seg in segs:
        rng = stream(seed, "traffic", seg.code, day)
        noise = np.convolve(rng.normal(0, 1, n + 2), np.ones(3) / 3, mode="valid")
        load = (PEAK_LOAD[seg.road_class] * _segment_factor(seed, seg) * demand_shape(kind, seg.road_class)
                * rng.lognormal(0, 0.05) * (1 + 0.07 * noise))
        load = np.clip(load, 0.01, 1.3)
        speed = seg.free_flow_kmh * np.clip(0.96 - 0.58 * load ** 2.2, 0.12, 1.0) * (1 + 0.03 * rng.normal(0, 1, n))
        flow = CAPACITY_5MIN[seg.road_class] * np.minimum(load, 1.02)
        for inc in day_incidents:
            if inc.link_id != seg.code:
                continue
            first = (inc.start - midnight(day)) // timedelta(minutes=5)
            last = (inc.end - midnight(day) - timedelta(seconds=1)) // timedelta(minutes=5)
            speed[first:last + 1] *= inc.speed_factor
            flow[first:last + 1] *= inc.flow_factor
        flow_cnt = rng.poisson(np.maximum(flow, 0.1))
        occ = np.clip(1.5 + 20 * load * (seg.free_flow_kmh / np.maximum(speed, 1.0)) ** 0.8, 0.5, 95.0)
        delay = rng.integers(20, 111, n).astype("timedelta64[s]")
        frames.append(pd.DataFrame({
            "link_id": seg.code,
            "collect_time": starts,
            "avg_speed": np.round(speed, 1) if seg.detector == "speed" else np.full(n, np.nan),
            "flow_cnt": flow_cnt.astype(np.int64),
            "occ_rate": np.round(occ, 1),
            "upd_time": starts + np.timedelta64(300, "s") + delay,
        }))
    return pd.concat(frames, ignore_index=True) if frames else empty_versions(t_link_flow_5min)


def flow_versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """5-minute link rows of the segments for local days first..last (one version each)."""
    frames = [_flow_versions(settings, seed, d) for d in holidays.days_between(first, last)]
    return pd.concat(frames, ignore_index=True) if frames else empty_versions(t_link_flow_5min)


def incident_versions(settings: Settings, seed: int, first: date, last: date) -> pd.DataFrame:
    """Two versions per incident: reported (end_time NULL), then cleared."""
    rows = []
    for d in holidays.days_between(first, last):
        for inc in incidents(settings, seed, d):
            rng = stream(seed, "traffic", "incident-log", inc.incident_id)
            reported = inc.start + timedelta(minutes=int(rng.integers(3, 11)))
            cleared = inc.end + timedelta(minutes=int(rng.integers(2, 9)))
            base = {"incident_id": inc.incident_id, "link_id": inc.link_id, "start_time": inc.start,
                    "incident_type": inc.kind, "descr": inc.descr}
            rows.append({**base, "end_time": None, "upd_time": reported})
            rows.append({**base, "end_time": inc.end, "upd_time": cleared})
    if not rows:
        return empty_versions(t_incident)
    frame = pd.DataFrame(rows, columns=[c.name for c in t_incident.columns])
    for col in ("start_time", "end_time", "upd_time"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[s]")
    return frame


DEPARTMENT = Department(
    name="traffic",
    metadata=traffic_md,
    feeds=(
        Feed(t_link_flow_5min, stamp="upd_time", born="collect_time", horizon=timedelta(minutes=10),
             versions=flow_versions, mutable=False),
        Feed(t_incident, stamp="upd_time", born="start_time", horizon=timedelta(days=1),
             versions=incident_versions),
    ),
)
