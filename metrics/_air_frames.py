"""Vectorised hourly and daily AQI over canonical station readings (private).

Public names live in :mod:`metrics.air` (``hourly_aqi``, ``daily_aqi``).  The IAQI
arithmetic here is the scalar formula of :mod:`metrics.air` done in integers scaled
by :data:`metrics._exact.QUANTUM`, so both agree exactly (a test checks this).

Data-validity (GB 3095-2012 Table 4, as listed in STANDARDS.md):

* a 24-hour mean needs ≥ 20 valid hourly values, otherwise it is missing;
* an 8-hour O3 moving mean needs ≥ 6 of its 8 hours, otherwise it is missing;
* the day's maximum 8-hour O3 needs ≥ 14 valid 8-hour means among the day's 17
  windows, unless the maximum found exceeds the GB 3095-2012 grade II limit
  (160 µg/m³), in which case it stands (HJ 663-2013 §6.1.2).

The day's maximum 8-hour O3 takes the 17 windows that lie inside the local day
(ending 08:00 … 24:00, the HJ 663 convention); the day's maximum 1-hour O3 is the
highest valid hourly value.  Negative or infinite readings are treated as missing:
they are instrument faults, not concentrations.

Each row says which pollutants it lacks (``missing``, e.g. "CO,O3"): a daily AQI
computed without a pollutant is not the same statement as one with all six (HJ 633-2026
cl. 5.3.1 publishes "NA" for some of them; HJ 633-2012 publishes the AQI of the rest).

City-wide rows use the mean over stations of each concentration the report uses
(城市点位浓度均值), over the stations that have a valid value, and then the AQI
of those means — never the mean of station AQIs.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd

from metrics._air_tables import (
    BREAKPOINTS,
    DAILY_MIN_HOURS,
    EDITION_2026_FROM,
    HJ633_2012,
    HJ633_2026,
    IAQI_STEPS,
    LEVELS,
    O3_8H_LIMIT,
    O3_8H_MIN_HOURS,
    O3_8H_MIN_WINDOWS,
    POLLUTANTS,
)
from metrics._exact import QUANTUM
from metrics._frames import numeric, require_columns, utc_times
from metrics.errors import InvalidValueError, UnknownKeyError

READING_COLUMNS = ("pm25", "pm10", "so2", "no2", "co", "o3")
#: Output column suffix per pollutant (matches the reading columns).
SLUG = MappingProxyType({"SO2": "so2", "NO2": "no2", "PM10": "pm10", "PM2.5": "pm25", "CO": "co", "O3": "o3"})
_HOUR = pd.Timedelta("1h")


# ---------------------------------------------------------------- IAQI in integers
def _iaqi(c: np.ndarray, table: tuple[int, ...]) -> np.ndarray:
    """Rounded-up IAQI per element (float array, NaN = missing or undefined)."""
    valid = ~np.isnan(c)
    # Clip before scaling so absurd values cannot overflow int64; anything above
    # 10⁷ is above every top breakpoint anyway.
    q = np.where(valid, np.rint(np.minimum(c, 1e7) * QUANTUM), 0).astype(np.int64)
    bp = np.asarray(table, dtype=np.int64) * QUANTUM
    steps = np.asarray(IAQI_STEPS[: len(table)], dtype=np.int64)
    idx = np.searchsorted(bp, q, side="left")  # bp[idx-1] < q <= bp[idx]
    seg = np.clip(idx, 1, len(bp) - 1)
    num = (steps[seg] - steps[seg - 1]) * (q - bp[seg - 1])
    val = steps[seg - 1] - ((-num) // (bp[seg] - bp[seg - 1]))  # ceiling division
    top = 500.0 if len(table) == len(IAQI_STEPS) else np.nan
    out = np.where(idx >= len(bp), top, val.astype(float))
    out[~valid] = np.nan
    return out


def _above(c: np.ndarray, limit: int) -> np.ndarray:
    """c > limit after the same quantisation the IAQI uses (NaN → False)."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(np.rint(np.minimum(c, 1e7) * QUANTUM), nan=-1) > limit * QUANTUM


def _by_edition(c: np.ndarray, table_key: str, is_2026: np.ndarray) -> np.ndarray:
    old = _iaqi(c, BREAKPOINTS[HJ633_2012][table_key])
    if BREAKPOINTS[HJ633_2026][table_key] == BREAKPOINTS[HJ633_2012][table_key]:
        return old
    return np.where(is_2026, _iaqi(c, BREAKPOINTS[HJ633_2026][table_key]), old)


def _sub_indices(conc: dict[str, np.ndarray], report: str, is_2026: np.ndarray) -> dict[str, np.ndarray]:
    """IAQI per pollutant after the special rules (see :mod:`metrics.air`)."""
    if report == "hourly":
        so2 = _by_edition(conc["so2_1h"], "SO2_1h", is_2026)
        over = _above(conc["so2_1h"], 800)
        substitute = _iaqi(conc["so2_24h"], BREAKPOINTS[HJ633_2012]["SO2_24h"])
        so2 = np.where(over, np.where(is_2026, 200.0, substitute), so2)
        return {
            "SO2": so2,
            "NO2": _iaqi(conc["no2_1h"], BREAKPOINTS[HJ633_2012]["NO2_1h"]),
            "PM10": _by_edition(conc["pm10_1h"], "PM10_24h", is_2026),
            "PM2.5": _by_edition(conc["pm25_1h"], "PM2.5_24h", is_2026),
            "CO": _iaqi(conc["co_1h"], BREAKPOINTS[HJ633_2012]["CO_1h"]),
            "O3": _iaqi(conc["o3_1h"], BREAKPOINTS[HJ633_2012]["O3_1h"]),
        }
    o3_8h = _iaqi(conc["o3_8h_max"], BREAKPOINTS[HJ633_2012]["O3_8h"])  # NaN above 800
    o3_8h = np.where(_above(conc["o3_8h_max"], 800) & is_2026, 300.0, o3_8h)
    o3_1h = _iaqi(conc["o3_1h_max"], BREAKPOINTS[HJ633_2012]["O3_1h"])
    return {
        "SO2": _iaqi(conc["so2_24h"], BREAKPOINTS[HJ633_2012]["SO2_24h"]),
        "NO2": _iaqi(conc["no2_24h"], BREAKPOINTS[HJ633_2012]["NO2_24h"]),
        "PM10": _by_edition(conc["pm10_24h"], "PM10_24h", is_2026),
        "PM2.5": _by_edition(conc["pm25_24h"], "PM2.5_24h", is_2026),
        "CO": _iaqi(conc["co_24h"], BREAKPOINTS[HJ633_2012]["CO_24h"]),
        "O3": np.fmax(o3_1h, o3_8h),  # fmax ignores NaN: the other average stands
    }


def _report_columns(
    kind: np.ndarray, scope: np.ndarray, time: pd.DatetimeIndex,
    conc: dict[str, np.ndarray], report: str, is_2026: np.ndarray,
) -> pd.DataFrame:
    """AQI, level, colour, primary pollutant and IAQI columns for every row."""
    subs = _sub_indices(conc, report, is_2026)
    matrix = np.column_stack([subs[p] for p in POLLUTANTS])
    n = len(kind)
    present = ~np.isnan(matrix)
    value = np.where(present.any(axis=1), np.fmax.reduce(matrix, axis=1), np.nan)
    # HJ 633-2026 cl. 5.3.1: a pollutant missing and the rest ≤ 100 → "NA".
    na = is_2026 & ~present.all(axis=1) & (value <= 100)
    value = np.where(na, np.nan, value)
    has = ~np.isnan(value)

    band = np.searchsorted(np.array([b[0] for b in LEVELS[:-1]]), np.nan_to_num(value), side="left")
    pick = lambda j: np.where(has, np.array([b[j] for b in LEVELS], dtype=object)[band], None)  # noqa: E731
    primary = np.full(n, "", dtype=object)
    missing = np.full(n, "", dtype=object)
    for p in POLLUTANTS:
        hit = has & (value > 50) & (subs[p] == value)
        primary = np.where(hit, np.where(primary == "", p, primary + "," + p), primary)
        gone = np.isnan(subs[p])
        missing = np.where(gone, np.where(missing == "", p, missing + "," + p), missing)

    out = {
        "scope_kind": pd.array(kind, dtype="str"),
        "scope": pd.array(scope, dtype="str"),
        "time": time,
        "aqi": pd.array(value, dtype="Int64"),
        "level": pd.array(np.where(has, band + 1.0, np.nan), dtype="Int64"),
        "category": pd.array(pick(2), dtype="str"),
        "category_en": pd.array(pick(3), dtype="str"),
        "color": pd.array(pick(4), dtype="str"),
        "primary": pd.array(primary, dtype="str"),
        "missing": pd.array(missing, dtype="str"),
        "standard": pd.array(np.where(is_2026, HJ633_2026, HJ633_2012), dtype="str"),
    }
    for p in POLLUTANTS:
        out[f"iaqi_{SLUG[p]}"] = pd.array(subs[p], dtype="Int64")
    for name, values in conc.items():
        out[name] = values
    return pd.DataFrame(out)


# ---------------------------------------------------------------- grid of readings
class _Grid:
    """Readings laid out as hour × station arrays (NaN where absent)."""

    def __init__(self, readings: pd.DataFrame):
        require_columns(readings, ("station", "time", *READING_COLUMNS), "readings")
        time = utc_times(readings["time"], "time", "readings")
        if time.isna().any():
            raise InvalidValueError("readings.time has missing timestamps; drop those rows")
        if (time != time.dt.floor("h")).any():
            raise InvalidValueError(
                "readings.time must be hour starts (the hourly means of HJ 633); "
                "average sub-hourly data to hours first"
            )
        if readings["station"].isna().any():
            raise InvalidValueError("readings.station has missing station codes; drop those rows")
        station = readings["station"].astype(str).to_numpy()
        keys = pd.DataFrame({"s": station, "t": time.to_numpy()})
        dup = keys.duplicated()
        if dup.any():
            first = keys[dup].iloc[0]
            raise InvalidValueError(
                f"readings has {int(dup.sum())} duplicate (station, time) rows, e.g. "
                f"{first['s']!r} at {first['t']}; keep one reading per station and hour"
            )
        self.stations = np.array(sorted(set(station)), dtype=object)
        self.empty = len(readings) == 0
        self.start = time.min() if not self.empty else pd.Timestamp(0, tz="UTC")
        hours = 0 if self.empty else int((time.max() - self.start) // _HOUR) + 1
        self.hours = pd.date_range(self.start, periods=hours, freq="h", tz="UTC")
        self.row = ((time - self.start) // _HOUR).to_numpy(dtype=np.int64)
        self.col = np.searchsorted(self.stations, station).astype(np.int64)
        self.values: dict[str, np.ndarray] = {}
        for name in READING_COLUMNS:
            v = numeric(readings[name], name, "readings").to_numpy(dtype=float, na_value=np.nan)
            v = np.where(np.isfinite(v) & (v >= 0), v, np.nan)  # faults are missing
            arr = np.full((hours, len(self.stations)), np.nan)
            arr[self.row, self.col] = v
            self.values[name] = arr


def _rolling_mean(arr: np.ndarray, window: int, min_valid: int) -> np.ndarray:
    """Trailing mean over ``window`` hours, NaN unless ≥ ``min_valid`` are valid."""
    return pd.DataFrame(arr).rolling(window, min_periods=min_valid).mean().to_numpy(copy=True)


def _city_mean(arr: np.ndarray) -> np.ndarray:
    """Mean over stations (axis 1) of the valid values; NaN when none is valid."""
    valid = ~np.isnan(arr)
    count = valid.sum(axis=1)
    total = np.where(valid, arr, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _editions(times: pd.DatetimeIndex, tz: str, standard: str | None) -> np.ndarray:
    """True where HJ 633-2026 governs: a forced edition, or the local date ≥ 2026-03-01."""
    if standard is not None:
        if standard not in (HJ633_2012, HJ633_2026):
            raise UnknownKeyError("AQI standard", standard, (HJ633_2012, HJ633_2026))
        return np.full(len(times), standard == HJ633_2026)
    switch = pd.Timestamp(EDITION_2026_FROM).tz_localize(tz).tz_convert("UTC")
    return np.asarray(times >= switch)


def _long(grid_rows: np.ndarray, grid_cols: np.ndarray, stations: np.ndarray,
          times: pd.DatetimeIndex, station_arrays: dict[str, np.ndarray],
          city_rows: np.ndarray, tz: str, report: str, standard: str | None) -> pd.DataFrame:
    """Station rows at (grid_rows, grid_cols) plus city rows at city_rows, with AQI."""
    conc = {
        name: np.concatenate([arr[grid_rows, grid_cols], _city_mean(arr)[city_rows]])
        for name, arr in station_arrays.items()
    }
    n_station, n_city = len(grid_rows), len(city_rows)
    kind = np.array(["station"] * n_station + ["city"] * n_city, dtype=object)
    scope = np.concatenate([stations[grid_cols], np.full(n_city, "", dtype=object)])
    time = times[np.concatenate([grid_rows, city_rows])]
    frame = _report_columns(kind, scope, time, conc, report, _editions(time, tz, standard))
    return frame.sort_values(["time", "scope_kind", "scope"], ignore_index=True)


def _check_tz(tz: str) -> str:
    try:
        pd.Timestamp(0, tz=tz)
    except Exception:  # pytz/zoneinfo raise assorted types
        raise InvalidValueError(f"unknown time zone {tz!r}; use an IANA name such as 'Asia/Shanghai'") from None
    return tz


# ---------------------------------------------------------------- public functions
def hourly_aqi(readings: pd.DataFrame, *, tz: str = "Asia/Shanghai", standard: str | None = None) -> pd.DataFrame:
    """Hourly AQI (实时报, HJ 633) per station and city-wide.

    ``readings``: canonical environment rows ``station, time`` (tz-aware, hour start),
    ``pm25, pm10, so2, no2`` (µg/m³), ``co`` (mg/m³), ``o3`` (µg/m³), NaN allowed.
    One station row per input (station, hour); one city row per hour with any input.

    Columns: ``scope_kind`` ("station"/"city"), ``scope`` (station or ""), ``time``
    (the hour, UTC), ``aqi`` (Int64, <NA> for "NA"/no data), ``level`` (Int64),
    ``category``, ``category_en``, ``color``, ``primary`` ("PM2.5,O3" or ""),
    ``missing`` (the pollutants without a value, "CO,O3" or ""), ``standard``, ``iaqi_so2 … iaqi_o3`` (Int64), and the concentrations used:
    ``so2_1h, no2_1h, pm10_1h, pm25_1h, co_1h, o3_1h`` and ``so2_24h`` (trailing 24-h
    mean, ≥ 20 valid hours; used only as the HJ 633-2012 substitute when SO2 1h > 800 —
    if it is missing then, SO2 counts as missing).  The edition follows the local date
    of each hour in ``tz`` unless ``standard`` forces one.
    """
    tz = _check_tz(tz)
    grid = _Grid(readings)
    v = grid.values
    arrays = {
        "so2_1h": v["so2"], "no2_1h": v["no2"], "pm10_1h": v["pm10"],
        "pm25_1h": v["pm25"], "co_1h": v["co"], "o3_1h": v["o3"],
        "so2_24h": _rolling_mean(v["so2"], 24, DAILY_MIN_HOURS),
    }
    return _long(grid.row, grid.col, grid.stations, grid.hours, arrays,
                 np.unique(grid.row), tz, "hourly", standard)


def _to_day_end(grid: _Grid, tz: str) -> tuple[dict[str, np.ndarray], pd.DatetimeIndex]:
    """The grid's values and hours padded with empty hours to the end of its last local day.

    The 8-hour windows ending after the last reading still exist: readings that stop at
    18:00 leave valid windows ending at 19:00…21:00 (6 of 8 hours), which count towards
    the day's 14 (HJ 663-2013 §6.1.2) and may hold its maximum.
    """
    if grid.empty:
        return grid.values, grid.hours
    last = grid.hours[-1].tz_convert(tz)
    day_end = (pd.Timestamp(last.date()) + pd.Timedelta(days=1)).tz_localize(tz, ambiguous=False,
                                                                             nonexistent="shift_forward")
    extra = int((day_end.tz_convert("UTC") - grid.hours[-1]) // _HOUR) - 1
    if extra <= 0:
        return grid.values, grid.hours
    pad = np.full((extra, len(grid.stations)), np.nan)
    values = {name: np.vstack([arr, pad]) for name, arr in grid.values.items()}
    return values, pd.date_range(grid.start, periods=len(grid.hours) + extra, freq="h", tz="UTC")


def daily_aqi(readings: pd.DataFrame, *, tz: str = "Asia/Shanghai", standard: str | None = None) -> pd.DataFrame:
    """Daily AQI (日报, HJ 633) per station and city-wide, for local calendar days in ``tz``.

    Same input as :func:`hourly_aqi`.  ``time`` is the local midnight of the day as a
    UTC timestamp (Asia/Shanghai 2026-03-01 → 2026-02-28 16:00 UTC).  Concentration
    columns: ``so2_24h, no2_24h, pm10_24h, pm25_24h, co_24h`` (≥ 20 valid hours of the
    day), ``o3_1h_max`` (highest valid hour) and ``o3_8h_max`` (highest valid 8-h moving
    mean inside the day, each needing ≥ 6 of 8 hours; the day needs ≥ 14 valid windows
    of its 17 unless the maximum exceeds 160 µg/m³ — HJ 663-2013 §6.1.2).  ``missing``
    names the pollutants the day's AQI lacks.  Other columns as in :func:`hourly_aqi`.
    The edition follows the local date.
    """
    tz = _check_tz(tz)
    grid = _Grid(readings)
    v, hours = _to_day_end(grid, tz)
    local = hours.tz_convert(tz)
    day_of_hour = local.normalize()
    day_code, days = pd.factorize(day_of_hour.tz_convert("UTC"), sort=True)

    def per_day(arr: np.ndarray, how: str, min_valid: int = 1) -> np.ndarray:
        grouped = pd.DataFrame(arr).groupby(day_code)
        out = grouped.mean() if how == "mean" else grouped.max()
        out = out.to_numpy()
        return np.where(grouped.count().to_numpy() >= min_valid, out, np.nan)

    o3_8h = _rolling_mean(v["o3"], 8, O3_8H_MIN_HOURS)
    o3_8h[np.asarray(local.hour) < 7] = np.nan  # keep windows ending 08:00…24:00 local
    arrays = {f"{name}_24h": per_day(v[name], "mean", DAILY_MIN_HOURS) for name in ("so2", "no2", "pm10", "pm25", "co")}
    arrays["o3_1h_max"] = per_day(v["o3"], "max")
    # HJ 663-2013 §6.1.2: ≥ 14 valid windows, or a maximum above the limit, which stands
    o3_8h_max = per_day(o3_8h, "max")
    windows = pd.DataFrame(o3_8h).groupby(day_code).count().to_numpy()
    arrays["o3_8h_max"] = np.where((windows >= O3_8H_MIN_WINDOWS) | _above(o3_8h_max, O3_8H_LIMIT), o3_8h_max, np.nan)

    pairs = np.unique(np.column_stack([day_code[grid.row], grid.col]), axis=0) if not grid.empty \
        else np.empty((0, 2), dtype=np.int64)
    return _long(pairs[:, 0], pairs[:, 1], grid.stations, pd.DatetimeIndex(days), arrays,
                 np.unique(pairs[:, 0]), tz, "daily", standard)
