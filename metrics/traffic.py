"""Road-traffic indicators per GB/T 33171-2016 (城市交通运行状况评价规范).

* Link grade by v / v_free: > 0.7 畅通; (0.5, 0.7] 基本畅通; (0.4, 0.5] 轻度拥堵;
  (0.3, 0.4] 中度拥堵; ≤ 0.3 严重拥堵.  The ratio is compared exactly (Fraction of the
  decimals given), so 35 km/h at 50 km/h free flow is exactly 0.7 → 基本畅通.
* Travel-time index TTI = t / t_free = v_free / v, floored at 1 (driving faster than
  free flow does not make a trip "better than free"); delay-time proportion
  DTP = (t − t_free)/t = 1 − 1/TTI, floored at 0.
* Network TTI weights link TTIs by vehicle-kilometres travelled (VKT = flow × length);
  network DTP → traffic performance index TPI 0–10 by Appendix C (as published by one
  public implementation, STANDARDS.md): DTP bands [0,.3) [.3,.5) [.5,.6) [.6,.7) [.7,1]
  map linearly onto [0,2) [2,4) [4,6) [6,8) [8,10].
* TPI levels: [0,2) 畅通, [2,4) 基本畅通, [4,6) 轻度拥堵, [6,8) 中度拥堵, [8,10] 严重拥堵.
* Free-flow speed: 06:00–24:00 intervals of ≤ 15 min, each averaged over ≥ 30 days;
  the mean of the highest 1/9 of those interval averages, capped at the speed limit.

Zero speeds.  The scalar functions treat speed 0 as standstill (grade 严重拥堵,
TTI = ∞, DTP = 1).  The frame functions (:func:`network_tpi`, :func:`tpi_by_hour`)
instead skip readings whose speed is 0, negative or NaN: loop detectors report 0 when
no vehicle crossed during the interval, which says nothing about travel time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import numpy as np
import pandas as pd

from metrics._exact import exact, group_fsums, is_missing
from metrics._frames import numeric, require_columns, utc_times
from metrics.errors import InvalidValueError

__all__ = [
    "LINK_GRADES",
    "TPI_GRADES",
    "dtp",
    "free_flow_speed",
    "free_flow_speeds",
    "link_grade",
    "link_grades",
    "link_speeds",
    "network_tpi",
    "tpi_by_hour",
    "tpi_from_dtp",
    "tpi_grade",
    "tti",
]

#: Link grades from best to worst with their lower ratio bound (exclusive).
LINK_GRADES = ("畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵")
_LINK_BOUNDS = (Fraction(7, 10), Fraction(5, 10), Fraction(4, 10), Fraction(3, 10))
#: TPI grades, index i covers [2i, 2i+2) (the last one closed at 10).
TPI_GRADES = LINK_GRADES
#: Appendix C: DTP band lower edges and the TPI value at each.
_DTP_EDGES = (Fraction(0), Fraction(3, 10), Fraction(5, 10), Fraction(6, 10), Fraction(7, 10), Fraction(1))
_TPI_EDGES = (0, 2, 4, 6, 8, 10)


def _speed_pair(speed: float, free_flow: float) -> tuple[Fraction, Fraction]:
    v = exact(speed, what="speed")
    vf = exact(free_flow, what="free_flow")
    if v < 0:
        raise InvalidValueError(f"speed cannot be negative, got {speed!r}")
    if vf <= 0:
        raise InvalidValueError(f"free_flow must be a positive speed, got {free_flow!r}")
    return v, vf


def link_grade(speed: float, free_flow: float) -> str:
    """Congestion grade of one link from its speed ratio (GB/T 33171-2016, link level).

    Compares v / v_free exactly against 0.7, 0.5, 0.4, 0.3 — a float ratio of
    35/50 would be 0.7000000000000001 or 0.6999999999999999 depending on the path,
    flipping the grade at its edge.
    """
    v, vf = _speed_pair(speed, free_flow)
    ratio = v / vf
    for grade, bound in zip(LINK_GRADES, _LINK_BOUNDS):
        if ratio > bound:
            return grade
    return LINK_GRADES[-1]


def link_grades(speeds: Iterable[float], free_flows: Iterable[float]) -> list[str]:
    """:func:`link_grade` of each (speed, free_flow) pair — the same answers, in bulk.

    The exact comparison costs ~0.3 ms a link (a year of hourly grades for 500 links is
    4.4 M of them), so ratios clearly away from a bound are graded in floats and only
    those within 1e-9 of 0.7/0.5/0.4/0.3, or not plainly valid, go through
    :func:`link_grade` (which also raises for them exactly as it would alone).
    """
    numbers_in = [x.to_numpy() if isinstance(x, pd.Series) else x for x in (speeds, free_flows)]
    if all(isinstance(x, np.ndarray) and x.dtype.kind in "fiu" for x in numbers_in):
        # plain numeric arrays (a year's link-hours): no Python object per value to inspect
        v, vf = numbers_in
        if len(v) != len(vf):
            raise InvalidValueError(f"{len(v)} speeds but {len(vf)} free-flow speeds")
        fv, ff = v.astype(float), vf.astype(float)
        plain = np.ones(len(v), dtype=bool)
        for x in (v, vf):  # integers a float cannot hold exactly go the exact way
            if x.dtype.kind in "iu":
                plain &= np.abs(x.astype(float)) < 2.0**53
    else:
        v = np.asarray(list(speeds) if not isinstance(speeds, (np.ndarray, pd.Series)) else speeds, dtype=object)
        vf = np.asarray(list(free_flows) if not isinstance(free_flows, (np.ndarray, pd.Series)) else free_flows,
                        dtype=object)
        if len(v) != len(vf):
            raise InvalidValueError(f"{len(v)} speeds but {len(vf)} free-flow speeds")
        try:
            fv, ff = v.astype(float), vf.astype(float)
            plain = np.array([type(x) in (float, int, np.float64) for x in v], dtype=bool) & \
                np.array([type(x) in (float, int, np.float64) for x in vf], dtype=bool)
        except (TypeError, ValueError):
            return [link_grade(a, b) for a, b in zip(v, vf)]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = fv / ff
        plain &= np.isfinite(fv) & np.isfinite(ff) & (fv >= 0) & (ff > 0)
        bounds = np.array([float(b) for b in _LINK_BOUNDS])
        near = (np.abs(ratio[:, None] - bounds[None, :]) < 1e-9).any(axis=1)
    grade_index = (ratio[:, None] <= bounds[None, :]).sum(axis=1)
    out = [LINK_GRADES[i] for i in grade_index.tolist()]
    for i in np.flatnonzero(~plain | near):
        out[i] = link_grade(v[i], vf[i])
    return out


def tti(speed: float, free_flow: float) -> float:
    """Travel-time index t / t_free = v_free / v, floored at 1 (∞ at standstill)."""
    v, vf = _speed_pair(speed, free_flow)
    if v == 0:
        return math.inf
    return float(max(Fraction(1), vf / v))


def dtp(speed: float, free_flow: float) -> float:
    """Delay-time proportion (t − t_free)/t = 1 − v/v_free, floored at 0 (1 at standstill)."""
    v, vf = _speed_pair(speed, free_flow)
    return float(max(Fraction(0), 1 - v / vf))


def tpi_from_dtp(value: float) -> float:
    """Traffic performance index 0–10 from a network DTP (GB/T 33171 Appendix C).

    Piecewise linear: DTP [0,.3)→[0,2), [.3,.5)→[2,4), [.5,.6)→[4,6), [.6,.7)→[6,8),
    [.7,1]→[8,10].  Computed exactly so DTP 0.3 gives exactly 2.0 (基本畅通).
    """
    d = exact(value, what="DTP")
    if not 0 <= d <= 1:
        raise InvalidValueError(f"DTP is a proportion in [0, 1], got {value!r}")
    for i in range(1, len(_DTP_EDGES)):
        if d < _DTP_EDGES[i] or i == len(_DTP_EDGES) - 1:
            lo, hi = _DTP_EDGES[i - 1], _DTP_EDGES[i]
            t_lo, t_hi = _TPI_EDGES[i - 1], _TPI_EDGES[i]
            return float(t_lo + (d - lo) / (hi - lo) * (t_hi - t_lo))
    raise AssertionError("unreachable")  # pragma: no cover


def tpi_grade(value: float) -> str:
    """TPI level: [0,2) 畅通, [2,4) 基本畅通, [4,6) 轻度拥堵, [6,8) 中度拥堵, [8,10] 严重拥堵."""
    t = exact(value, what="TPI")
    if not 0 <= t <= 10:
        raise InvalidValueError(f"TPI lies in [0, 10], got {value!r}")
    return TPI_GRADES[min(int(t // 2), 4)]


def _vec_tpi(dtp_values: np.ndarray) -> np.ndarray:
    """Vectorised Appendix C mapping (floats; the frames have no exactness edge to protect
    beyond what the float DTP already carries)."""
    return np.interp(dtp_values, [float(e) for e in _DTP_EDGES], _TPI_EDGES)


def network_tpi(links: pd.DataFrame) -> float:
    """Network TPI of one time slice: VKT-weighted TTI → DTP → TPI (GB/T 33171).

    ``links`` has ``length_km, free_flow, speed`` and, normally, ``flow`` (vehicles in
    the slice).  VKT = flow × length weights each link's TTI.  Without a ``flow`` column
    (probe data) links weigh by length alone, i.e. as if flows were equal.  Rows with a
    speed of 0/NaN, a missing flow or a non-positive free-flow speed are skipped (module
    docstring).  Returns NaN when nothing usable remains.
    """
    require_columns(links, ("length_km", "free_flow", "speed"), "links")
    length = numeric(links["length_km"], "length_km", "links").to_numpy()
    ff = numeric(links["free_flow"], "free_flow", "links").to_numpy()
    speed = numeric(links["speed"], "speed", "links").to_numpy()
    flow = numeric(links["flow"], "flow", "links").to_numpy() if "flow" in links else np.ones(len(links))
    t, _, _ = _weighted_tti(speed, ff, length * flow)
    return float(_vec_tpi(np.array([1 - 1 / t]))[0]) if math.isfinite(t) else math.nan


def _weighted_tti(speed: np.ndarray, ff: np.ndarray, weight: np.ndarray) -> tuple[float, float, int]:
    """(VKT-weighted TTI, total weight, usable rows) over rows with a usable speed."""
    ok = (speed > 0) & (ff > 0) & (weight > 0) & np.isfinite(weight)
    if not ok.any():
        return math.nan, 0.0, 0
    link_tti = np.maximum(ff[ok] / speed[ok], 1.0)
    w = weight[ok]
    return float((link_tti * w).sum() / w.sum()), float(w.sum()), int(ok.sum())


def tpi_by_hour(readings: pd.DataFrame, segments: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Network TPI per clock hour from canonical traffic readings (GB/T 33171).

    ``readings``: ``segment, time`` (tz-aware), ``speed`` (km/h), ``volume`` (vehicles
    in the reading's interval).  ``segments``: ``segment, length_km, free_flow``.
    Every reading in the hour is one observation weighted by its VKT (volume × length),
    so the hour's TTI is Σ VKT·TTI / Σ VKT over links and intervals alike; both sums are
    exact (correctly rounded), so the result does not depend on the readings' order.

    Skipped, and documented here because they shape the number:
    readings with volume but no speed (count-only detectors), speed 0 (no vehicle
    crossed), no volume (cannot be weighted), and segments absent from ``segments``
    or without a positive free-flow speed.

    Returns one row per hour that has any reading: ``time`` (hour start, UTC), ``tpi``
    (NaN when no usable reading), ``grade``, ``tti``, ``dtp``, ``vkt`` (Σ volume ×
    length of the usable readings, veh·km), ``segments`` (segments that contributed).

    ``by`` names a column of ``segments`` (e.g. ``district``): then one row per (group,
    hour), the group in a column of that name — each group's numbers are exactly those of
    calling this on the group's segments and their readings alone (every sum visits the
    same readings in the same order), in one pass instead of one per group; readings of
    segments absent from ``segments`` then belong to no group and are left out.
    """
    require_columns(readings, ("segment", "time", "speed", "volume"), "readings")
    require_columns(segments, ("segment", "length_km", "free_flow") + ((by,) if by else ()), "segments")
    if segments["segment"].duplicated().any():
        dup = segments.loc[segments["segment"].duplicated(), "segment"].iloc[0]
        raise InvalidValueError(f"segments lists {dup!r} more than once; keep one row per segment")
    # readings as positions into ``segments`` and hour numbers: grouping and counting on
    # integers, not on a text column of every reading (issue 10)
    codes = pd.Index(segments["segment"].astype(str))
    pos = _positions(readings["segment"], codes)
    hour, hours = _hour_numbers(utc_times(readings["time"], "time", "readings"))
    length = numeric(segments["length_km"], "length_km", "segments").to_numpy()
    free_flow = numeric(segments["free_flow"], "free_flow", "segments").to_numpy()
    if by:
        segment_group, group_values = pd.factorize(segments[by], sort=True)
        group = np.where(pos >= 0, segment_group[pos], -1)
    else:
        group, group_values = np.zeros(len(pos), dtype=np.int64), None
    keep = (group >= 0) & (hour >= 0)
    pos, group, hour = pos[keep], group[keep], hour[keep]
    known = pos >= 0
    speed = numeric(readings["speed"], "speed", "readings").to_numpy()[keep]
    ff = np.where(known, free_flow[pos], np.nan)
    vkt = numeric(readings["volume"], "volume", "readings").to_numpy()[keep] * np.where(known, length[pos], np.nan)
    ok = (speed > 0) & (ff > 0) & (vkt > 0) & np.isfinite(vkt)
    link_tti = np.where(ok, np.maximum(ff / np.where(ok, speed, 1.0), 1.0), np.nan)
    number, group_of, hour_of = _numbered(group, 1 if group_values is None else len(group_values), hour, len(hours))
    groups = len(group_of)
    _, used, _ = _numbered(number[ok], groups, pos[ok], len(codes))  # each (group, segment) once
    out = pd.DataFrame({
        **({by: group_values[group_of]} if by else {}),
        "time": hours[hour_of],
        "segments": np.bincount(used, minlength=groups),
        "wt": group_fsums(number, groups, np.where(ok, link_tti * vkt, 0.0)),
        "vkt": group_fsums(number, groups, np.where(ok, vkt, 0.0)),
    })
    with np.errstate(invalid="ignore", divide="ignore"):
        net_tti = np.where(out["vkt"] > 0, out["wt"] / out["vkt"], np.nan)
    net_dtp = 1 - 1 / net_tti
    tpi = _vec_tpi(net_dtp)
    tpi = np.where(np.isnan(net_dtp), np.nan, tpi)
    grade = np.where(np.isnan(tpi), None,
                     np.array(TPI_GRADES, dtype=object)[np.minimum(np.nan_to_num(tpi) // 2, 4).astype(int)])
    return pd.DataFrame({
        **({by: out[by].to_numpy()} if by else {}),
        "time": out["time"],
        "tpi": tpi,
        "grade": pd.array(grade, dtype="str"),
        "tti": net_tti,
        "dtp": net_dtp,
        "vkt": out["vkt"].to_numpy(),
        "segments": out["segments"].to_numpy(dtype=np.int64),
    })


def link_speeds(readings: pd.DataFrame) -> pd.DataFrame:
    """Each link's mean speed per clock hour: ``segment, hour, speed`` (sorted), over the
    readings with a speed > 0 (module docstring: 0 means no vehicle crossed).

    The mean is the correctly rounded sum (``math.fsum``) over the count, so it is a
    function of the readings alone — not of the order the store returns them in — and the
    link grade at a bound (35.0 of 50 km/h) cannot move with the arrival order.
    """
    require_columns(readings, ("segment", "time", "speed"), "readings")
    speed = numeric(readings["speed"], "speed", "readings").to_numpy()
    mask = speed > 0  # NaN compares False
    segment, segment_values = _sorted_codes(readings["segment"][mask])
    hour, hours = _hour_numbers(utc_times(readings["time"][mask], "time", "readings"))
    keep = hour >= 0
    number, segment_of, hour_of = _numbered(segment[keep], len(segment_values), hour[keep], len(hours))
    total = group_fsums(number, len(segment_of), speed[mask][keep])
    return pd.DataFrame({"segment": segment_values[segment_of], "hour": hours[hour_of],
                         "speed": total / np.bincount(number, minlength=len(segment_of))})


def _positions(values: pd.Series, codes: pd.Index) -> np.ndarray:
    """Each value's position in ``codes`` as text (-1: not there); a categorical column is
    looked up once per category."""
    if not codes.is_unique:
        raise InvalidValueError("segments lists a code more than once once read as text; keep one row per segment")
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.isna().any():
        return codes.get_indexer(values.cat.categories.astype(str))[values.cat.codes.to_numpy()]
    return codes.get_indexer(values.astype(str))


def _sorted_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each value as text numbered in sorted order, and the texts (object array)."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.isna().any():
        texts = pd.Index(values.cat.categories.astype(str))
        if texts.is_unique:
            ordered = texts.sort_values()
            return ordered.get_indexer(texts)[values.cat.codes.to_numpy()], ordered.to_numpy(dtype=object)
    number, texts = pd.factorize(values.astype(str), sort=True)
    return number, np.asarray(texts, dtype=object)


def _hour_numbers(times: pd.Series) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """Each time's clock hour numbered in order (-1: no time), and the hours."""
    number, hours = pd.factorize(times.dt.floor("h"), sort=True)
    return number, pd.DatetimeIndex(hours)


def _numbered(first: np.ndarray, firsts: int, second: np.ndarray, seconds: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows grouped by (first, second), the groups numbered in that order: each row's group,
    and each group's first and second."""
    key = first.astype(np.int64) * seconds + second
    if firsts * seconds <= 4 * len(key) + (1 << 16):  # a table of every pair: no sort
        present = np.bincount(key, minlength=firsts * seconds) > 0
        pairs = np.flatnonzero(present)
        return (np.cumsum(present) - 1)[key], pairs // seconds, pairs % seconds
    pairs, number = np.unique(key, return_inverse=True)
    return number.reshape(-1), pairs // seconds, pairs % seconds


def free_flow_speed(interval_means: Iterable[float] | pd.Series, speed_limit: float | None = None) -> float:
    """Free-flow speed of one segment (GB/T 33171-2016): mean of the top 1/9 of the
    06:00–24:00 interval averages, capped at the speed limit.

    ``interval_means`` are the per-interval average speeds (intervals ≤ 15 min, each
    averaged over ≥ 30 days — see :func:`free_flow_speeds` for computing them).  A
    Series indexed by ``datetime.time`` or ``Timedelta`` (time of day) is filtered to
    06:00–24:00 here; a plain iterable is taken as already filtered.  NaN entries are
    ignored.  The count taken is ceil(n / 9) (at least one) — exactly 8 of the 72
    quarter-hours — so a partial ninth still yields an interval rather than none.
    """
    if isinstance(interval_means, pd.Series):
        series = interval_means
        if len(series) and not isinstance(series.index, pd.RangeIndex):
            series = series[[_in_daytime(i) for i in series.index]]
        values = numeric(series, "interval_means", "free_flow_speed").dropna().to_numpy()
    else:
        values = np.array([float(exact(v, what="interval mean")) for v in interval_means if not is_missing(v)])
    if len(values) == 0:
        raise InvalidValueError("free_flow_speed needs at least one 06:00–24:00 interval average")
    if (values < 0).any():
        raise InvalidValueError("interval mean speeds cannot be negative")
    top = np.sort(values)[::-1][: max(1, math.ceil(len(values) / 9))]
    speed = float(top.mean())
    if speed_limit is not None and not is_missing(speed_limit):
        limit = float(exact(speed_limit, what="speed_limit"))
        if limit <= 0:
            raise InvalidValueError(f"speed_limit must be positive, got {speed_limit!r}")
        speed = min(speed, limit)
    return speed


def _in_daytime(index_value: object) -> bool:
    """06:00 ≤ time of day < 24:00 for a ``datetime.time`` or ``Timedelta`` label."""
    if isinstance(index_value, pd.Timedelta):
        return pd.Timedelta("6h") <= index_value < pd.Timedelta("24h")
    if hasattr(index_value, "hour"):
        return index_value.hour >= 6
    raise InvalidValueError(
        "interval_means index must be times of day (datetime.time or Timedelta); "
        f"got {index_value!r} — pass a plain list if already filtered to 06:00–24:00"
    )


def free_flow_speeds(
    readings: pd.DataFrame,
    *,
    tz: str = "Asia/Shanghai",
    interval: str = "15min",
    min_days: int = 30,
    speed_limits: pd.Series | dict[str, float] | None = None,
) -> pd.Series:
    """Free-flow speed per segment from raw readings (GB/T 33171-2016).

    Buckets readings (``segment, time, speed``) into ``interval`` slots of the local
    day in ``tz`` between 06:00 and 24:00, averages each slot over days, keeps slots
    seen on ≥ ``min_days`` distinct days, then applies :func:`free_flow_speed`.
    Speed 0/NaN readings are skipped (no vehicle).  Segments with no qualifying
    slot are absent from the result (too little history to call a free-flow speed).
    """
    require_columns(readings, ("segment", "time", "speed"), "readings")
    step = pd.Timedelta(interval)
    if step > pd.Timedelta("15min") or step <= pd.Timedelta(0):
        raise InvalidValueError(f"interval must be positive and at most 15 minutes (GB/T 33171), got {interval!r}")
    local = utc_times(readings["time"], "time", "readings").dt.tz_convert(tz)
    frame = pd.DataFrame({
        "segment": readings["segment"].astype(str),
        "day": local.dt.normalize(),
        "slot": (local - local.dt.normalize()) // step,
        "speed": numeric(readings["speed"], "speed", "readings"),
    })
    frame = frame[(frame["speed"] > 0) & (frame["slot"] * step >= pd.Timedelta("6h"))]
    daily = frame.groupby(["segment", "slot", "day"])["speed"].mean().reset_index()
    slots = daily.groupby(["segment", "slot"])["speed"].agg(["mean", "count"]).reset_index()
    slots = slots[slots["count"] >= min_days]
    limits = pd.Series(speed_limits, dtype="float64") if speed_limits is not None else pd.Series(dtype="float64")
    result = {
        seg: free_flow_speed(g["mean"].tolist(), limits.get(seg))
        for seg, g in slots.groupby("segment", sort=True)
    }
    return pd.Series(result, dtype="float64", name="free_flow")
