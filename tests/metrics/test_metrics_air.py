"""HJ 633 AQI: breakpoints, editions, special rules, ties, NA, frames.

Expected values are worked out by hand from the STANDARDS.md table (transcribed
below independently of metrics._air_tables), never read back from the code.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics import air
from metrics.errors import InvalidValueError, MetricsError, MissingColumnsError, UnknownKeyError

OLD, NEW = "HJ 633-2012", "HJ 633-2026"
STEPS = (0, 50, 100, 150, 200, 300, 400, 500)
# STANDARDS.md table, one column per average (2012 edition).
TABLE_2012 = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
TABLE_2026 = {**TABLE_2012,
              "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
              "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500)}
# How to feed each table column: (input key, report).
FEED = {
    "SO2_24h": ("SO2_24h", "daily"), "SO2_1h": ("SO2_1h", "hourly"),
    "NO2_24h": ("NO2_24h", "daily"), "NO2_1h": ("NO2_1h", "hourly"),
    "PM10_24h": ("PM10_24h", "daily"), "CO_24h": ("CO_24h", "daily"),
    "CO_1h": ("CO_1h", "hourly"), "O3_1h": ("O3_1h", "daily"),
    "O3_8h": ("O3_8h", "daily"), "PM2.5_24h": ("PM2.5_24h", "daily"),
}


def _cases():
    for edition, table in ((OLD, TABLE_2012), (NEW, TABLE_2026)):
        for column, bps in table.items():
            for i, bp in enumerate(bps):
                yield pytest.param(edition, column, bp, STEPS[i], id=f"{edition[-4:]}-{column}-{bp}")


@pytest.mark.parametrize(("edition", "column", "bp", "expected"), list(_cases()))
def test_every_breakpoint_is_its_iaqi_exactly(edition, column, bp, expected):
    key, report = FEED[column]
    pollutant = key.rsplit("_", 1)[0]
    assert air.aqi({key: bp}, report=report, standard=edition).iaqi[pollutant] == expected
    # Just above a breakpoint the IAQI rounds up to the next integer (or stays capped).
    above = 500 if expected == 500 else expected + 1
    if not (column in ("SO2_1h", "O3_8h") and bp == 800):
        assert air.aqi({key: bp + 0.001}, report=report, standard=edition).iaqi[pollutant] == above


@pytest.mark.parametrize(("key", "report", "value", "edition", "expected"), [
    ("PM2.5_24h", "daily", 55, OLD, 75),          # 50 + 50/40 × 20
    ("PM2.5_24h", "daily", 75, NEW, 114),         # 100 + 50/55 × 15 = 113.6 → up
    ("PM10_24h", "daily", 135, NEW, 106),         # 100 + 50/130 × 15 = 105.8 → up
    ("CO_24h", "daily", 2.2, OLD, 55),            # float 2.2 must not become 55.0000001 → 56
    ("CO_1h", "hourly", 5.1, OLD, 51),            # 50 + 50/5 × 0.1 = 51 exactly
    ("PM2.5_1h", "hourly", 55, OLD, 75),          # hourly PM on the 24h column
    ("PM10_1h", "hourly", 100, OLD, 75),
    ("NO2_1h", "hourly", 150, OLD, 75),
    ("O3_8h", "daily", 130, OLD, 75),             # 50 + 50/60 × 30
])
def test_interpolation_by_hand(key, report, value, edition, expected):
    pollutant = key.rsplit("_", 1)[0]
    assert air.aqi({key: value}, report=report, standard=edition).iaqi[pollutant] == expected


def test_sub_index_helper_matches_table_and_none_past_short_columns():
    assert air.sub_index("PM2.5_24h", 35, standard=OLD) == 50
    assert air.sub_index("SO2_1h", 801, standard=OLD, report="hourly") is None
    assert air.sub_index("O3_8h", 800.5, standard=NEW) is None


def test_edition_switches_on_2026_03_01():
    values = {"PM2.5_24h": 75}
    before = air.aqi(values, on=dt.date(2026, 2, 28))
    after = air.aqi(values, on=dt.date(2026, 3, 1))
    assert (before.standard, before.aqi) == (OLD, 100)
    assert after.standard == NEW and after.iaqi["PM2.5"] == 114 and after.aqi == 114
    # A UTC instant late on 28 Feb is already 1 March in Beijing.
    assert air.standard_in_force(dt.datetime(2026, 2, 28, 16, 0, tzinfo=dt.timezone.utc)) == NEW
    assert air.standard_in_force(dt.datetime(2026, 2, 28, 15, 59, tzinfo=dt.timezone.utc)) == OLD


def test_so2_1h_above_800_rule_both_editions():
    hourly = {"SO2_1h": 801, "SO2_24h": 100}
    assert air.aqi(hourly, report="hourly", standard=OLD).iaqi["SO2"] == 75   # 24h IAQI: 50 + 0.5 × 50
    assert air.aqi(hourly, report="hourly", standard=NEW).iaqi["SO2"] == 200
    assert air.aqi({"SO2_1h": 800}, report="hourly", standard=OLD).iaqi["SO2"] == 200
    # Below 800 the 24h value plays no part in the hourly report.
    assert air.aqi({"SO2_1h": 150, "SO2_24h": 1000}, report="hourly", standard=OLD).iaqi["SO2"] == 50
    with pytest.raises(MetricsError, match="SO2_24h"):
        air.aqi({"SO2_1h": 900}, report="hourly", standard=OLD)


def test_o3_8h_above_800_rule_both_editions():
    daily = {"O3_8h": 801, "O3_1h": 300}
    assert air.aqi(daily, standard=OLD).iaqi["O3"] == 150  # the 1h IAQI stands for O3
    assert air.aqi(daily, standard=NEW).iaqi["O3"] == 300
    # 2026: the 1h value still counts when it is worse: 400 + 100/200 × 100 = 450.
    assert air.aqi({"O3_8h": 900, "O3_1h": 1100}, standard=NEW).iaqi["O3"] == 450
    # Otherwise O3 takes the higher of its two averages: 8h 215 → 150 vs 1h 160 → 50.
    assert air.aqi({"O3_8h": 215, "O3_1h": 160}, standard=OLD).iaqi["O3"] == 150
    with pytest.raises(MetricsError, match="O3_1h"):
        air.aqi({"O3_8h": 900}, standard=OLD)


def test_above_top_breakpoint_is_capped_at_500():
    r = air.aqi({"PM2.5_24h": 800, "CO_24h": 61}, standard=OLD)
    assert r.iaqi == {"PM2.5": 500, "CO": 500}
    assert r.aqi == 500 and r.level == 6 and r.category == "严重污染" and r.color == "#7E0023"


def test_ties_only_after_rounding_up_give_two_primaries():
    # PM10 50.5 → 50.25 → 51; PM2.5 35.1 → 50.125 → 51: tied only after rounding up.
    r = air.aqi({"PM10_24h": 50.5, "PM2.5_24h": 35.1, "SO2_24h": 10}, standard=OLD)
    assert r.aqi == 51
    assert r.primary == ("PM10", "PM2.5")
    assert r.category == "良" and r.color == "#FFFF00"


def test_exact_tie_and_over_standard():
    r = air.aqi({"NO2_24h": 180, "PM10_24h": 250, "PM2.5_24h": 100}, standard=OLD)
    assert r.aqi == 150 and r.primary == ("NO2", "PM10")
    assert r.over_standard == ("NO2", "PM10", "PM2.5")  # PM2.5 100 → 132 > 100


def test_no_primary_pollutant_at_or_below_50():
    r = air.aqi({"PM2.5_24h": 35, "PM10_24h": 50}, standard=OLD)
    assert r.aqi == 50 and r.primary == () and r.category == "优"


def _all_six(**override):
    base = {"SO2_24h": 10, "NO2_24h": 10, "PM10_24h": 10, "PM2.5_24h": 10, "CO_24h": 0.5, "O3_8h": 10}
    base.update(override)
    return {k: v for k, v in base.items() if v is not None}


def test_na_rule_2026_only():
    missing_o3 = _all_six(O3_8h=None, **{"PM2.5_24h": 60})
    r = air.aqi(missing_o3, standard=NEW)  # PM2.5 60 → exactly 100 under 2026, O3 missing
    assert r.iaqi["PM2.5"] == 100 and r.aqi is None and r.level is None and r.primary == ()
    # 2026: PM2.5 61 → 100 + 50/55 × 1 = 100.9 → 101 > 100, so the AQI is published.
    assert air.aqi(_all_six(O3_8h=None, **{"PM2.5_24h": 61}), standard=NEW).aqi == 101
    # 2012 has no NA rule: PM2.5 60 → 50 + 50/40 × 25 = 81.25 → 82.
    assert air.aqi(missing_o3, standard=OLD).aqi == 82
    # Everything present: no NA even when clean (PM2.5 10 → 14.3 → 15; NO2 10 → 12.5 → 13).
    assert air.aqi(_all_six(), standard=NEW).aqi == 15
    # None, NaN and pd.NA all mean absent.
    r = air.aqi({"PM2.5_24h": 30, "PM10_24h": None, "NO2_24h": float("nan"), "CO_24h": pd.NA}, standard=OLD)
    assert set(r.iaqi) == {"PM2.5"}
    assert air.aqi({}, standard=OLD).aqi is None


@pytest.mark.parametrize(("value", "level", "zh", "en", "color"), [
    (0, 1, "优", "Excellent", "#00E400"), (50, 1, "优", "Excellent", "#00E400"),
    (51, 2, "良", "Good", "#FFFF00"), (100, 2, "良", "Good", "#FFFF00"),
    (101, 3, "轻度污染", "Lightly Polluted", "#FF7E00"), (150, 3, "轻度污染", "Lightly Polluted", "#FF7E00"),
    (151, 4, "中度污染", "Moderately Polluted", "#FF0000"), (200, 4, "中度污染", "Moderately Polluted", "#FF0000"),
    (201, 5, "重度污染", "Heavily Polluted", "#99004C"), (300, 5, "重度污染", "Heavily Polluted", "#99004C"),
    (301, 6, "严重污染", "Severely Polluted", "#7E0023"), (500, 6, "严重污染", "Severely Polluted", "#7E0023"),
])
def test_aqi_level_bands(value, level, zh, en, color):
    assert air.aqi_level(value) == (level, zh, en, color)


def test_input_errors_say_what_to_fix():
    with pytest.raises(UnknownKeyError, match="PM2.5_24h"):
        air.aqi({"PM25": 10})
    with pytest.raises(MetricsError, match="hourly report takes"):
        air.aqi({"NO2_24h": 10}, report="hourly")
    with pytest.raises(InvalidValueError, match="negative"):
        air.aqi({"PM2.5_24h": -1})
    with pytest.raises(UnknownKeyError, match="HJ 633-2012"):
        air.aqi({"PM2.5_24h": 1}, standard="HJ 633")
    with pytest.raises(UnknownKeyError):
        air.aqi({"PM2.5_24h": 1}, report="weekly")
    with pytest.raises(InvalidValueError):
        air.aqi_level(-1)
    assert issubclass(MetricsError, ValueError)


# ------------------------------------------------------------------ properties
_conc = st.decimals(min_value=0, max_value=1500, places=1).map(float)


@settings(max_examples=200, deadline=None)
@given(values=st.fixed_dictionaries({k: _conc for k in
                                     ("SO2_24h", "NO2_24h", "PM10_24h", "PM2.5_24h", "CO_24h", "O3_1h", "O3_8h")}),
       key=st.sampled_from(("SO2_24h", "NO2_24h", "PM10_24h", "PM2.5_24h", "CO_24h", "O3_1h", "O3_8h")),
       extra=st.decimals(min_value=0, max_value=500, places=1).map(float),
       edition=st.sampled_from((OLD, NEW)))
def test_more_of_any_pollutant_never_lowers_the_daily_aqi(values, key, extra, edition):
    values["CO_24h"] = values["CO_24h"] / 20  # mg/m³ scale
    values["O3_1h"] = max(values["O3_1h"], values["O3_8h"])  # a day's max 1h ≥ its max 8h mean
    more = dict(values)
    more[key] = values[key] + extra
    more["O3_1h"] = max(more["O3_1h"], more["O3_8h"])
    assert air.aqi(more, standard=edition).aqi >= air.aqi(values, standard=edition).aqi


@settings(max_examples=200, deadline=None)
@given(values=st.fixed_dictionaries({k: _conc for k in
                                     ("SO2_1h", "NO2_1h", "PM10_1h", "PM2.5_1h", "CO_1h", "O3_1h")}),
       key=st.sampled_from(("SO2_1h", "NO2_1h", "PM10_1h", "PM2.5_1h", "CO_1h", "O3_1h")),
       extra=st.decimals(min_value=0, max_value=500, places=1).map(float))
def test_more_of_any_pollutant_never_lowers_the_hourly_aqi_2026(values, key, extra):
    more = dict(values)
    more[key] = values[key] + extra
    assert air.aqi(more, report="hourly", standard=NEW).aqi >= air.aqi(values, report="hourly", standard=NEW).aqi


# ------------------------------------------------------------------ frames
UTC = "UTC"


def _frame(rows):
    """rows: (station, utc time string, {col: value}) → canonical readings frame."""
    cols = ("pm25", "pm10", "so2", "no2", "co", "o3")
    data = {"station": [r[0] for r in rows], "time": pd.to_datetime([r[1] for r in rows], utc=True, format="ISO8601")}
    for c in cols:
        data[c] = [float(r[2].get(c, np.nan)) for r in rows]
    return pd.DataFrame(data)


def _local_day(date: str, hours, station="S1", **values):
    """Rows for the given local (Asia/Shanghai) hours of a date."""
    start = pd.Timestamp(date, tz="Asia/Shanghai")
    return [(station, (start + pd.Timedelta(hours=h)).tz_convert(UTC).isoformat(), values) for h in hours]


def test_hourly_frame_station_and_city_rows():
    frame = _frame([("S1", "2025-06-01 00:00", {"pm25": 35}), ("S2", "2025-06-01 00:00", {"pm25": 75})])
    out = air.hourly_aqi(frame)
    assert list(out["scope_kind"]) == ["city", "station", "station"]
    assert list(out["scope"]) == ["", "S1", "S2"]
    assert list(out["aqi"]) == [75, 50, 100]  # city: mean 55 → 75 (not the mean of AQIs, 75 too here)
    assert list(out["primary"]) == ["PM2.5", "", "PM2.5"]
    assert list(out["pm25_1h"]) == [55.0, 35.0, 75.0]
    assert out["time"].iloc[0] == pd.Timestamp("2025-06-01 00:00", tz=UTC)
    assert (out["standard"] == OLD).all()
    assert list(out["level"]) == [2, 1, 2]
    assert list(out["color"]) == ["#FFFF00", "#00E400", "#FFFF00"]
    for column in ("iaqi_so2", "iaqi_no2", "iaqi_pm10", "iaqi_pm25", "iaqi_co", "iaqi_o3",
                   "so2_1h", "no2_1h", "pm10_1h", "co_1h", "o3_1h", "so2_24h", "category", "category_en"):
        assert column in out.columns
    assert str(out["aqi"].dtype) == "Int64"


def test_city_value_is_aqi_of_mean_not_mean_of_aqi():
    # PM2.5 0 and 150 (2012): station IAQIs 0 and 200, mean 100; city mean 75 µg/m³ → IAQI 100.
    # PM2.5 0 and 250: IAQIs 0 and 300 (mean 150); mean 125 µg/m³ → 150 + 50/35 × 10 = 164.3 → 165.
    frame = _frame([("S1", "2025-06-01 00:00", {"pm25": 0}), ("S2", "2025-06-01 00:00", {"pm25": 250})])
    city = air.hourly_aqi(frame).query("scope_kind == 'city'")
    assert city["aqi"].iloc[0] == 165


def test_hourly_so2_above_800_uses_trailing_24h_mean_in_2012():
    rows = [("S1", (pd.Timestamp("2025-06-01", tz=UTC) + pd.Timedelta(hours=h)).isoformat(), {"so2": 100})
            for h in range(24)]
    rows.append(("S1", "2025-06-02 00:00", {"so2": 900}))
    out = air.hourly_aqi(_frame(rows)).query("scope_kind == 'station'")
    last = out.iloc[-1]
    # Trailing 24 h: 23 × 100 + 900 = 3200 / 24 = 133.3 → 50 + 0.5 × 83.3 = 91.7 → 92.
    assert last["so2_24h"] == pytest.approx(3200 / 24)
    assert last["iaqi_so2"] == 92
    forced = air.hourly_aqi(_frame(rows), standard=NEW).query("scope_kind == 'station'")
    assert forced["iaqi_so2"].iloc[-1] == 200


@pytest.mark.parametrize(("hours", "expected"), [(20, 50.0), (19, None)])
def test_daily_mean_needs_20_valid_hours(hours, expected):
    out = air.daily_aqi(_frame(_local_day("2025-06-01", range(hours), pm25=50)))
    station = out.query("scope_kind == 'station'").iloc[0]
    assert station["time"] == pd.Timestamp("2025-05-31 16:00", tz=UTC)  # local midnight in UTC
    if expected is None:
        assert np.isnan(station["pm25_24h"]) and pd.isna(station["aqi"])
    else:
        assert station["pm25_24h"] == expected and station["aqi"] == 69  # 50 + 1.25 × 15 = 68.75 → 69


@pytest.mark.parametrize(("n_hours", "expected"), [(6, 165.0), (5, None)])
def test_o3_8h_needs_6_of_8_hours(n_hours, expected):
    # O3 at local 08:00.. with values 150,160,170,180,190,140 (first n_hours of them).
    values = [150, 160, 170, 180, 190, 140][:n_hours]
    rows = []
    for h, v in zip(range(8, 8 + n_hours), values):
        rows += _local_day("2025-06-01", [h], o3=v)
    day = air.daily_aqi(_frame(rows)).query("scope_kind == 'station'").iloc[0]
    assert day["o3_1h_max"] == 190.0
    if expected is None:
        assert np.isnan(day["o3_8h_max"])
        assert day["iaqi_o3"] == 88  # O3 1h 190 alone: 50 + 50/40 × 30 = 87.5 → 88
    else:
        assert day["o3_8h_max"] == pytest.approx(expected)  # (150+…+140)/6 = 990/6 = 165
        assert day["iaqi_o3"] == 105  # 8h 165: 100 + 50/55 × 5 = 104.5 → 105 beats the 1h 88


@pytest.mark.parametrize(("hours", "o3", "o3_8h_max", "iaqi_o3"), [
    (19, 150, 150.0, 92),    # hours 00-18 valid: 14 windows (ending 08:00-21:00) → 50 + 50/60 × 50 = 91.7 → 92
    (18, 150, None, 47),     # 13 windows: no daily max 8h; O3 1h 150 → 46.9 → 47 stands alone
    (19, 160, 160.0, 100),   # 14 windows at the limit
    (18, 160, None, 50),     # 13 windows, maximum equal to the limit (not above it): missing; 1h 160 → 50
    (18, 170, 170.0, 110),   # 13 windows but above 160 µg/m³: it stands (100 + 50/55 × 10 = 109.1 → 110)
    (8, 170, 170.0, 110),    # 3 windows above the limit: still stands
])
def test_daily_max_o3_8h_needs_14_of_17_windows_unless_above_the_limit(hours, o3, o3_8h_max, iaqi_o3):
    """HJ 663-2013 §6.1.2: the daily maximum 8-hour O3 needs ≥ 14 valid 8-hour means among
    the 17 windows ending 08:00…24:00, unless the maximum exceeds the limit (GB 3095-2012
    grade II, 160 µg/m³). Hours 00:00…(hours-1) valid give hours − 5 valid windows."""
    day = air.daily_aqi(_frame(_local_day("2025-06-01", range(hours), o3=o3))).query("scope_kind == 'station'").iloc[0]
    if o3_8h_max is None:
        assert np.isnan(day["o3_8h_max"])
    else:
        assert day["o3_8h_max"] == pytest.approx(o3_8h_max)
    assert day["o3_1h_max"] == o3 and day["iaqi_o3"] == iaqi_o3


def test_a_daily_aqi_says_which_pollutants_it_lacks():
    full = dict(pm25=35, pm10=50, so2=10, no2=20, co=0.5, o3=80)
    rows = _local_day("2025-06-01", range(24), station="A", **full)
    rows += _local_day("2025-06-01", range(24), station="B", **{**full, "co": np.nan})
    rows += _local_day("2025-06-01", range(19), station="C", **full)  # 19 valid hours: only O3 1h is left
    out = air.daily_aqi(_frame(rows)).query("scope_kind == 'station'").set_index("scope")
    assert out.loc["A", "missing"] == "" and out.loc["B", "missing"] == "CO"
    assert out.loc["C", "missing"] == "SO2,NO2,PM10,PM2.5,CO"  # O3 has its 1-hour maximum
    hourly = air.hourly_aqi(_frame(_local_day("2025-06-01", [0], station="B", **{**full, "co": np.nan, "o3": np.nan})))
    assert hourly.query("scope_kind == 'station'")["missing"].iloc[0] == "CO,O3"


def test_o3_8h_windows_stay_inside_the_local_day():
    # 8 valid hours 20:00–03:00 across midnight: no window of either day has 6 of its hours.
    rows = _local_day("2025-06-01", range(20, 24), o3=200) + _local_day("2025-06-02", range(0, 4), o3=200)
    days = air.daily_aqi(_frame(rows)).query("scope_kind == 'station'")
    assert len(days) == 2
    assert days["o3_8h_max"].isna().all()


def test_daily_frame_edition_per_local_date_and_city_mean():
    rows = (_local_day("2026-02-28", range(24), station="A", pm25=75)
            + _local_day("2026-02-28", range(24), station="B", pm25=35)
            + _local_day("2026-03-01", range(24), station="A", pm25=75)
            + _local_day("2026-03-01", range(24), station="B", pm25=35))
    out = air.daily_aqi(_frame(rows))
    assert list(out["standard"]) == [OLD] * 3 + [NEW] * 3
    feb, mar = out.iloc[:3], out.iloc[3:]
    # 2012, PM2.5 only, no NA rule: A 75 → 100, B 35 → 50, city 55 → 75.
    assert list(feb["aqi"]) == [75, 100, 50]
    # 2026: A 75 → 114; B → 50 but four pollutants missing and ≤ 100 → NA; city 55 → 92.9 → NA.
    assert mar["aqi"].iloc[1] == 114
    assert pd.isna(mar["aqi"].iloc[0]) and pd.isna(mar["aqi"].iloc[2])
    assert mar["iaqi_pm25"].iloc[0] == 90  # city 55 on the 2026 column: 50 + 50/25 × 20
    assert mar["time"].iloc[0] == pd.Timestamp("2026-02-28 16:00", tz=UTC)


def test_frames_agree_with_scalar_aqi():
    rng = np.random.default_rng(7)
    rows = []
    for h in range(48):
        values = {c: float(np.round(rng.gamma(2, 40), 1)) for c in ("pm25", "pm10", "so2", "no2", "o3")}
        values["co"] = float(np.round(rng.gamma(2, 0.6), 1))
        rows.append(("S1", (pd.Timestamp("2026-02-27", tz=UTC) + pd.Timedelta(hours=h)).isoformat(), values))
    frame = _frame(rows)
    out = air.hourly_aqi(frame).query("scope_kind == 'station'").reset_index(drop=True)
    for i, row in frame.iterrows():
        local_date = row["time"].tz_convert("Asia/Shanghai").date()
        expected = air.aqi({"SO2_1h": row["so2"], "NO2_1h": row["no2"], "PM10_1h": row["pm10"],
                            "PM2.5_1h": row["pm25"], "CO_1h": row["co"], "O3_1h": row["o3"]},
                           report="hourly", on=local_date)
        assert out.loc[i, "aqi"] == expected.aqi
        assert out.loc[i, "primary"] == ",".join(expected.primary)
        assert out.loc[i, "standard"] == expected.standard


def test_frame_input_errors():
    good = _frame([("S1", "2025-06-01 00:00", {"pm25": 1})])
    with pytest.raises(MissingColumnsError, match="o3"):
        air.hourly_aqi(good.drop(columns="o3"))
    naive = good.assign(time=good["time"].dt.tz_localize(None))
    with pytest.raises(InvalidValueError, match="tz_localize"):
        air.hourly_aqi(naive)
    with pytest.raises(InvalidValueError, match="duplicate"):
        air.daily_aqi(pd.concat([good, good]))
    with pytest.raises(InvalidValueError, match="hour starts"):
        air.hourly_aqi(good.assign(time=good["time"] + pd.Timedelta(minutes=5)))
    for build in (air.hourly_aqi, air.daily_aqi):
        empty = build(good.iloc[:0])
        assert len(empty) == 0 and "aqi" in empty.columns


def test_month_of_eight_stations_is_fast():
    hours = pd.date_range("2026-02-10", periods=24 * 31, freq="h", tz=UTC)
    rng = np.random.default_rng(0)
    n = 8 * len(hours)
    frame = pd.DataFrame({
        "station": np.repeat([f"S{i}" for i in range(8)], len(hours)), "time": np.tile(hours, 8),
        **{c: rng.gamma(2, 30, n).round() for c in ("pm25", "pm10", "so2", "no2", "o3")},
        "co": rng.gamma(2, 0.5, n).round(1),
    })
    start = time.perf_counter()
    hourly, daily = air.hourly_aqi(frame), air.daily_aqi(frame)
    assert time.perf_counter() - start < 1.0
    assert len(hourly) == n + len(hours)
    assert set(daily["standard"]) == {OLD, NEW}
