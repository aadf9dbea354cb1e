"""Field-level validity (issue 19): a missing field is not a missing row.

A department keeps its readings in text columns with its own markers for "no reading"
("NA", a single space, "-", "9999" …). Each marker, each unparseable value and each value
outside its physical range makes that one field NULL and is recorded (field, value,
rule); the row's good fields are all stored. Only a row whose identity is bad, or none of
whose measured fields is usable, is quarantined, with a reason naming the fields.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings as hsettings
from hypothesis import strategies as st

import connectors
from citybrain.settings import DEFAULT_MISSING
from connectors.mapping import Mapper
from connectors.writer import record_field_issues, write_observations
from store.queries.sources import field_issue_counts, field_issue_samples
from store.schema import field_issues, metadata, obs_air, obs_hotline, obs_tourism, obs_traffic, quarantine

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 1, tzinfo=UTC)
T = dt.datetime(2026, 10, 1, 8, 0)  # naive local
POLLUTANTS = ("pm2_5", "pm10", "so2", "no2", "co", "o3")
CANONICAL = {"pm2_5": "pm25", "pm10": "pm10", "so2": "so2", "no2": "no2", "co": "co", "o3": "o3"}
GOOD = {"pm2_5": "35", "pm10": "60.5", "so2": "8", "no2": "30", "co": "800", "o3": "90"}  # co in µg/m³


def text_table(md: sa.MetaData) -> sa.Table:
    """The department's air table as kept in practice: every value a VARCHAR."""
    return sa.Table("aq_text", md, sa.Column("station_code", sa.String(16)), sa.Column("obs_time", sa.String(19)),
                    *[sa.Column(c, sa.String(16)) for c in POLLUTANTS], sa.Column("updated_at", sa.String(19)))


def text_source(url: str) -> dict[str, Any]:
    return {"name": "env_text", "domain": "environment", "url": url, "table": "aq_text", "watermark": "updated_at",
            "lookback": "2h", "columns": {"station": "station_code", "time": "obs_time",
                                          **{CANONICAL[c]: c for c in POLLUTANTS}, "updated_at": "updated_at"},
            "units": {"co": "ug/m3"}}


def marker_rows(stations: list[str]) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str], str]]:
    """One row per (station, hour); hour h puts marker h on pollutant h % 6, the rest good.

    Returns the rows and the bad cells: (station, hour text, pollutant column) → value.
    """
    markers = list(DEFAULT_MISSING)
    rows, bad = [], {}
    for s, station in enumerate(stations):
        for h, marker in enumerate(markers):
            t = T + dt.timedelta(hours=h)
            values = dict(GOOD)
            col = POLLUTANTS[(h + s) % 6]
            values[col] = marker
            bad[station, t.isoformat(sep=" "), col] = marker
            rows.append({"station_code": station, "obs_time": t.isoformat(sep=" "), **values,
                         "updated_at": (t + dt.timedelta(minutes=20)).isoformat(sep=" ")})
    # garbage and out of range, one field each, in rows of their own
    extra = [("pm2_5", "abc", "unparseable"), ("pm2_5", "99999", "range"), ("no2", "1..2", "unparseable"),
             ("o3", "-4", "range")]
    for i, (col, value, _) in enumerate(extra):
        t = T + dt.timedelta(hours=len(markers) + i)
        rows.append({"station_code": stations[0], "obs_time": t.isoformat(sep=" "), **GOOD, col: value,
                     "updated_at": (t + dt.timedelta(minutes=20)).isoformat(sep=" ")})
        bad[stations[0], t.isoformat(sep=" "), col] = value
    return rows, bad


def run_marker_case(tmp_path, store, url: str, settings_factory) -> None:
    engine = sa.create_engine(url)
    md = sa.MetaData()
    table = text_table(md)
    md.create_all(engine)
    settings = settings_factory(sources=[text_source(url)])
    stations = [s.code for s in settings.stations][:3]
    rows, bad = marker_rows(stations)
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    [report] = connectors.poll(settings, store, ["env_text"], now=NOW)
    assert report.status == "ok", report.error
    assert (report.rows_read, report.rows_written, report.rows_quarantined) == (len(rows), len(rows), 0)
    with store.connect() as conn:
        stored = {(r.station, r.time): r._asdict() for r in conn.execute(sa.select(obs_air))}
        issues = {(r.row_key, r.field): r._asdict() for r in conn.execute(sa.select(field_issues))}
    # every good field of every row is stored, every bad one is NULL and recorded with its value and rule
    for raw in rows:
        t = dt.datetime.fromisoformat(raw["obs_time"]).replace(tzinfo=settings.tz).astimezone(UTC)
        row = stored[raw["station_code"], t]
        for col in POLLUTANTS:
            field = CANONICAL[col]
            key = (raw["station_code"], raw["obs_time"], col)
            if key in bad:
                assert row[field] is None, (key, row)
                issue = issues[f"{raw['station_code']}|{t.isoformat()}", field]
                assert issue["value"] == bad[key] and issue["source"] == "env_text"
                expected = "missing" if bad[key] in DEFAULT_MISSING else ("range" if bad[key] in ("99999", "-4")
                                                                          else "unparseable")
                assert issue["rule"] == expected, issue
            else:
                want = float(GOOD[col]) * (0.001 if col == "co" else 1)
                assert row[field] == pytest.approx(want), (key, row)
    assert len(issues) == len(bad)
    counts = {(c["field"], c["rule"]): c["n"] for c in field_issue_counts(store, source="env_text")}
    assert sum(counts.values()) == len(bad) and counts["pm25", "range"] == 1 and counts["no2", "unparseable"] == 1
    assert sum(n for (f, r), n in counts.items() if r == "missing") == len(DEFAULT_MISSING) * len(stations)
    assert field_issue_samples(store, source="env_text", field="co")
    # polled again (the lookback re-reads it all): nothing is added or counted twice
    connectors.poll(settings, store, ["env_text"], now=NOW)
    assert sum(c["n"] for c in field_issue_counts(store, source="env_text")) == len(bad)
    # the department fills a missing value: the re-read row replaces the stored one and its issue goes
    station, hour, col = next(k for k, v in bad.items() if v == "NA")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.station_code == station, table.c.obs_time == hour)
                     .values({col: "41", "updated_at": "2026-10-01 23:00:00"}))  # stamped when filled
    engine.dispose()
    connectors.poll(settings, store, ["env_text"], now=NOW)
    t = dt.datetime.fromisoformat(hour).replace(tzinfo=settings.tz).astimezone(UTC)
    with store.connect() as conn:
        value = conn.execute(sa.select(obs_air.c[CANONICAL[col]]).where(obs_air.c.station == station,
                                                                         obs_air.c.time == t)).scalar_one()
        left = conn.execute(sa.select(sa.func.count()).select_from(field_issues)
                            .where(field_issues.c.row_key == f"{station}|{t.isoformat()}")).scalar_one()
    assert value == pytest.approx(41 * (0.001 if col == "co" else 1)) and left == 0
    assert sum(c["n"] for c in field_issue_counts(store, source="env_text")) == len(bad) - 1


def test_every_marker_in_text_columns_sqlite(tmp_path, store, settings_factory):
    run_marker_case(tmp_path, store, f"sqlite:///{tmp_path / 'text.db'}", settings_factory)


def test_every_marker_in_text_columns_postgresql(tmp_path, store, pg_url, settings_factory):
    run_marker_case(tmp_path, store, pg_url, settings_factory)


def test_every_marker_in_text_columns_mariadb(tmp_path, store, mysql_url, settings_factory):
    run_marker_case(tmp_path, store, mysql_url, settings_factory)


def test_a_row_is_quarantined_only_for_its_identity_or_no_usable_measure(tmp_path, store, settings_factory):
    url = f"sqlite:///{tmp_path / 'text.db'}"
    engine = sa.create_engine(url)
    md = sa.MetaData()
    table = text_table(md)
    md.create_all(engine)
    settings = settings_factory(sources=[text_source(url)])
    station = settings.stations[0].code
    upd = "2026-10-01 09:00:00"
    rows = [
        {"station_code": "NA", "obs_time": "2026-10-01 08:00:00", **GOOD, "updated_at": upd},
        {"station_code": station, "obs_time": " ", **GOOD, "updated_at": upd},
        {"station_code": station, "obs_time": "2026-10-01 09:00:00", "pm2_5": "NA", "pm10": " ", "so2": "-",
         "no2": "abc", "co": None, "o3": "99999", "updated_at": upd},
        {"station_code": station, "obs_time": "2026-10-01 10:00:00", **GOOD, "pm10": "NA", "updated_at": upd},
    ]
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    [report] = connectors.poll(settings, store, ["env_text"], now=NOW)
    assert (report.rows_written, report.rows_quarantined) == (1, 3)
    with store.connect() as conn:
        held = {r.row_key: r._asdict() for r in conn.execute(sa.select(quarantine))}
    reasons = sorted(r["reason"] for r in held.values())
    assert any(r.startswith("station is empty or a missing-value marker") for r in reasons)
    assert any(r.startswith("time is empty or a missing-value marker") for r in reasons)
    [none] = [r for r in held.values() if r["reason"].startswith("no measured field")]
    assert none["field"] == "pm25,pm10,so2,no2,co,o3"
    for part in ("pm25 'NA' is a missing-value marker", "pm10 ' ' is a missing-value marker",
                 "so2 '-' is a missing-value marker", "no2 'abc' is not a number", "co is empty",
                 "o3 99999 ug/m3 is above 1200 ug/m3"):
        assert part in none["reason"], none["reason"]


def test_every_domain_keeps_the_row_when_a_measured_field_is_bad(store, sqlite_dept, sqlite_settings, h):
    """Traffic keeps a volume beside a garbage speed; tourism its present count beside bad exits;
    the hotline a ticket with a satisfaction it cannot read."""
    settings = sqlite_settings()
    sqlite_dept.insert_raw("t_link_flow_5min", [{**h.traffic_rows(h.T0, 1, segments=("R001",))[0],
                                                 "avg_speed": "garbage"}])
    sqlite_dept.insert_raw("jq_kll_5min", [{"jqbm": settings.sites[0].code, "tjsj": "2026-10-01 10:00:00",
                                            "zxrs": 1200, "rysl": 30, "cysl": "NA", "gxsj": "2026-10-01 10:01:00"}])
    sqlite_dept.insert("dm_sqlb", [{"dm": "01", "mc": "城乡建设"}])
    query = settings.source("hotline_12345").query.replace(
        "WHEN '3' THEN 'dissatisfied' END AS myd", "WHEN '3' THEN 'dissatisfied' ELSE g.hfmyd END AS myd")
    settings = sqlite_settings(hotline_12345={"query": query})
    sqlite_dept.insert("gd_info", [{"gdbh": "T1", "ldsj": dt.datetime(2026, 10, 1, 9, 0), "jtsj": None, "ddsc": 35,
                                    "qd": "1", "sqlb": "01", "ssqx": "411002", "blsx": None, "bjsj": None,
                                    "hfmyd": "很好", "gdzt": "10", "gxsj": dt.datetime(2026, 10, 1, 9, 1)}])
    reports = {r.name: r for r in connectors.poll(settings, store, ["traffic_detectors", "scenic_gates",
                                                                     "hotline_12345"], now=NOW)}
    assert all((r.rows_written, r.rows_quarantined) == (1, 0) for r in reports.values()), reports
    [traffic] = h.rows_of(store, obs_traffic)
    assert traffic["speed"] is None and traffic["volume"] == 100
    [site] = h.rows_of(store, obs_tourism)
    assert site["present"] == 1200 and site["entries"] == 30 and site["exits"] is None
    [ticket] = h.rows_of(store, obs_hotline)
    assert ticket["ticket"] == "T1" and ticket["satisfaction"] is None
    issues = {(r["source"], r["field"]): r for r in h.rows_of(store, field_issues)}
    assert issues["traffic_detectors", "speed"]["rule"] == "unparseable"
    assert issues["scenic_gates", "exits"]["rule"] == "missing" and issues["scenic_gates", "exits"]["value"] == "NA"
    assert issues["hotline_12345", "satisfaction"]["rule"] == "unknown"
    assert issues["hotline_12345", "satisfaction"]["value"] == "很好"


def test_markers_are_per_source_and_numeric_markers_match_numbers(settings_factory, tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    settings = settings_factory(sources=[{**text_source(url), "missing": ["缺测", "-999"]}])
    mapper = Mapper(settings, settings.source("env_text"), [s.code for s in settings.stations])
    station = settings.stations[0].code
    raws = [{"station_code": station, "obs_time": T + dt.timedelta(hours=i), **GOOD, "pm2_5": v, "updated_at": None}
            for i, v in enumerate(["缺测", -999, -999.0, " 缺测 ", "NA", 9999])]
    batch = mapper.map_batch(raws, NOW)
    assert [r["pm25"] for r in batch.rows] == [None] * 6
    assert [(i.rule, i.value) for i in batch.issues] == [
        ("missing", "缺测"), ("missing", "-999"), ("missing", "-999.0"), ("missing", " 缺测 "),
        ("unparseable", "NA"), ("range", "9999")]  # not this source's markers: a bad value, and 9999 > 1500


# ----------------------------------------------------------------- the property (issue 19)

_GOOD_VALUES = st.one_of(st.integers(0, 500).map(str), st.floats(0, 500, allow_nan=False).map(repr),
                         st.integers(0, 500), st.floats(0, 500, allow_nan=False),
                         st.integers(1, 500).map(lambda x: f"  {x} "))
_BAD_VALUES = st.one_of(st.sampled_from(DEFAULT_MISSING), st.sampled_from(["abc", "1..2", "nan", "inf", "--5",
                                                                              "9999999", "-1", "1e9"]),
                        st.floats(1e7, 1e300), st.floats(-1e300, -0.5), st.just(float("nan")))


@st.composite
def air_rows(draw: Any) -> list[tuple[dict[str, Any], set[str]]]:
    rows = []
    for hour in range(draw(st.integers(1, 6))):
        bad = draw(st.sets(st.sampled_from(POLLUTANTS), max_size=5))  # m < all: at least one good field
        values = {c: draw(_BAD_VALUES if c in bad else _GOOD_VALUES) for c in POLLUTANTS}
        rows.append(({"station_code": "XC01", "obs_time": T + dt.timedelta(hours=hour), **values,
                      "updated_at": T + dt.timedelta(hours=hour, minutes=20)}, bad))
    return rows


@pytest.fixture(scope="module")
def mem(tmp_path_factory):
    from citybrain.settings import load_settings

    settings = load_settings(env={}, data_dir=tmp_path_factory.mktemp("var"))
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    yield settings, engine
    engine.dispose()


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(air_rows(), st.booleans())
def test_a_row_with_k_good_and_m_bad_fields_stores_exactly_the_k_values(mem, rows, one_by_one):
    settings, engine = mem
    source = settings.source("env_monitor")
    mapper = Mapper(settings, source, [s.code for s in settings.stations])
    raws = [r for r, _ in rows]
    batches = [mapper.map_batch([r], NOW) for r in raws] if one_by_one else [mapper.map_batch(raws, NOW)]
    with engine.begin() as conn:
        conn.execute(obs_air.delete())
        conn.execute(field_issues.delete())
        for batch in batches:
            write_observations(conn, "environment", batch)
            record_field_issues(conn, source.name, "environment", batch, None, NOW)
    with engine.connect() as conn:
        stored = {r.time: r._asdict() for r in conn.execute(sa.select(obs_air))}
        issues = {(r.row_key, r.field) for r in conn.execute(sa.select(field_issues))}
    assert len(stored) == len(raws)
    for raw, bad in rows:
        t = raw["obs_time"].replace(tzinfo=settings.tz).astimezone(UTC)
        row = stored[t]
        for col in POLLUTANTS:
            field = CANONICAL[col]
            if col in bad:
                assert row[field] is None
                if not (isinstance(raw[col], float) and raw[col] != raw[col]):  # NaN is a NULL, not a problem
                    assert (f"XC01|{t.isoformat()}", field) in issues
            else:
                want = float(str(raw[col]).strip()) * (0.001 if col == "co" else 1)
                assert row[field] == want, (col, raw[col], row[field])
                assert (f"XC01|{t.isoformat()}", field) not in issues


# ------------------------------------------------ the issue's real case, end to end

BEIJING = ["Aotizhongxin", "Changping", "Dingling", "Dongsi", "Guanyuan", "Gucheng", "Huairou", "Nongzhanguan",
           "Shunyi", "Tiantan", "Wanliu", "Wanshouxigong"]


def december(seed: int = 2015) -> tuple[list[dict[str, Any]], "Any"]:
    """12 stations × 10 December days of hourly text rows with NA and a single space.

    Returns the department's rows and the truth as a frame (NaN where the department had
    no reading): what a reference computes from. Some station-days lose a pollutant for
    5 hours running (fewer than 20 valid hours: that pollutant drops out of the day).
    """
    import numpy as np
    import pandas as pd

    rng = random.Random(seed)
    start = dt.datetime(2015, 12, 1, 0, 0)  # naive Beijing time, hour start
    rows, truth = [], []
    for station in BEIJING:
        gaps = {(rng.randrange(10), rng.choice(POLLUTANTS)) for _ in range(3)}  # (day, pollutant) with a long gap
        for h in range(24 * 10):
            t = start + dt.timedelta(hours=h)
            episode = 3.0 if t.day in (1, 7, 8) else 1.0  # two red-alert-like episodes
            value = {"pm2_5": rng.uniform(5, 160) * episode, "pm10": rng.uniform(10, 200) * episode,
                     "so2": rng.uniform(2, 60), "no2": rng.uniform(10, 120), "co": rng.uniform(300, 4000) * episode,
                     "o3": rng.uniform(2, 180)}
            text, real = {}, {}
            for col in POLLUTANTS:
                r = rng.random()
                gap = (h // 24, col) in gaps and 6 <= h % 24 < 11
                if gap or r < 0.06:
                    text[col], real[col] = "NA", np.nan
                elif r < 0.08:
                    text[col], real[col] = " ", np.nan
                else:
                    v = round(value[col], 1)
                    text[col], real[col] = f"{v}", v
            rows.append({"station_code": station, "obs_time": t.isoformat(sep=" "), **text,
                         "updated_at": (t + dt.timedelta(minutes=40)).isoformat(sep=" ")})
            truth.append({"station": station, "time": pd.Timestamp(t, tz="Asia/Shanghai").tz_convert("UTC"),
                          "pm25": real["pm2_5"], "pm10": real["pm10"], "so2": real["so2"], "no2": real["no2"],
                          "co": real["co"] / 1000, "o3": real["o3"]})
    return rows, pd.DataFrame(truth)


def test_the_issues_case_twelve_stations_daily_aqi_matches_the_reference(tmp_path, store, pg_url, settings_factory):
    """The issue's data set in miniature: PostgreSQL text columns, NA and ' ', co in µg/m³.

    Before issue 19 a row with any NA was quarantined whole, so a day lost the other
    pollutants' hours too: the daily AQI moved, or collapsed when the pollutant that set
    it fell below 20 valid hours. Now the served daily AQI equals HJ 633 computed from
    every reading the department has (``metrics.air.daily_aqi`` on the truth).
    """
    import pandas as pd

    from jobs.indicators import compute
    from metrics.air import daily_aqi
    from store.schema import indicators

    engine = sa.create_engine(pg_url)
    md = sa.MetaData()
    table = text_table(md)
    md.create_all(engine)
    rows, truth = december()
    with engine.begin() as conn:
        conn.execute(table.insert(), rows)
    engine.dispose()
    stations = [{"code": code, "name_zh": code, "name_en": code, "district": "411002", "lat": 34.0, "lon": 113.8}
                for code in BEIJING]
    settings = settings_factory(sources=[{**text_source(pg_url), "lookback": "0s", "batch_size": 1000}],
                                stations=stations)
    now = dt.datetime(2016, 1, 1, tzinfo=UTC)
    [report] = connectors.poll(settings, store, ["env_text"], now=now)
    assert (report.status, report.rows_written, report.rows_quarantined) == ("ok", len(rows), 0)
    start, end = dt.datetime(2015, 11, 30, 16, tzinfo=UTC), dt.datetime(2015, 12, 10, 16, tzinfo=UTC)
    compute(settings, store, start=start, end=end, domains=["environment"], now=now)
    with store.connect() as conn:
        served = {(r.scope, pd.Timestamp(r.time).tz_convert("UTC") if pd.Timestamp(r.time).tzinfo else
                   pd.Timestamp(r.time, tz="UTC")): r.value
                  for r in conn.execute(sa.select(indicators).where(indicators.c.name == "aqi",
                                                                    indicators.c.grain == "day",
                                                                    indicators.c.scope_kind == "station"))}
    reference = daily_aqi(truth, tz="Asia/Shanghai")
    reference = reference[(reference["scope_kind"] == "station") & reference["aqi"].notna()]
    expected = {(r.scope, r.time): float(r.aqi) for r in reference.itertuples()}
    assert len(expected) == 12 * 10
    assert served == expected
    # the loss the issue measured: whole rows dropped for one NA change many of these days
    complete = truth.dropna()
    old = daily_aqi(complete, tz="Asia/Shanghai")
    old = {(r.scope, r.time): r.aqi for r in old[old["scope_kind"] == "station"].itertuples()}
    changed = sum(1 for k, v in expected.items() if old.get(k) is pd.NA or old.get(k) != v)
    assert changed > 12, changed
    # every NA and ' ' is counted per field on /sources
    n_missing = int(truth[["pm25", "pm10", "so2", "no2", "co", "o3"]].isna().sum().sum())
    counts = field_issue_counts(store, source="env_text")
    assert sum(c["n"] for c in counts) == n_missing and {c["rule"] for c in counts} == {"missing"}
