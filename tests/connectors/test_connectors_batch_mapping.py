"""The column-at-a-time batch mapper gives exactly what mapping row by row gives.

Issue 10 maps a backfill a column at a time with quick type-and-range checks and sends
every row a check does not accept through ``Mapper.map_row``. These tests map the same
rows both ways — good, bad, boundary, missing, oddly typed and duplicate-keyed values for
every domain — and compare the canonical rows (values, types, order) and the rejected
rows (reason, field, key, the source values kept for the quarantine).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from citybrain.settings import DEFAULT_CONFIG, load_settings
from connectors import validate as v
from connectors.fields import ENTITY_KIND, KEYS
from connectors.mapping import Batch, Mapper, Rejected, jsonable, key_text

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 1, tzinfo=UTC)
T = dt.datetime(2026, 10, 1, 8, 0)  # naive local time, as the departments write it
NAN, INF = float("nan"), float("inf")

TIMES = [T, T + dt.timedelta(minutes=5), "2026-10-01 08:10:00", "2026/10/01 08:15:00", T.replace(tzinfo=UTC),
         dt.date(2026, 10, 1), "not a time", "", "  ", None, NAN, 12345, dt.datetime(1969, 12, 31, 8, 0),
         dt.datetime(2201, 1, 1), True, Decimal("1")]


def per_row(mapper: Mapper, raws: list[dict[str, Any]]) -> Batch:
    """The per-row rules, written out as they were before the batch path (the reference)."""
    kept: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, Any], list[Any]]] = {}
    rejected: list[Rejected] = []
    for raw in raws:
        issues: list[Any] = []
        try:
            row = mapper.map_row(raw, NOW, issues)
        except v.Invalid as exc:
            rejected.append(Rejected(str(exc), exc.field, mapper._raw_key(raw), jsonable(raw)))
            continue
        key = tuple(row[k] for k in KEYS[mapper.domain])
        if key in kept:
            _, earlier, _ = kept.pop(key)
            rejected.append(Rejected(
                f"duplicate of a later row with the same key ({key_text(key)}) in the same batch; "
                "the later row was kept", None, key_text(key), jsonable(earlier)))
        kept[key] = (row, raw, issues)
    return Batch([row for row, _, _ in kept.values()], rejected,
                 issues=[x for _, _, found in kept.values() for x in found])


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return load_settings(DEFAULT_CONFIG, env={}, data_dir=tmp_path_factory.mktemp("var"))


def mappers(settings, name: str, **update: Any) -> tuple[Mapper, Mapper]:
    source = settings.source(name).model_copy(update=update)
    kind = ENTITY_KIND.get(source.domain)
    known = [e.code for e in getattr(settings, f"{kind}s")] if kind else []
    known += ["  PADDED  "]  # a code only the per-row path can judge (as_text strips it)
    return Mapper(settings, source, known), Mapper(settings, source, known)


def pools(settings, domain: str) -> dict[str, list[Any]]:
    """Per source column: a good value first (drawn most often), then everything else."""
    seg = [s.code for s in settings.segments][:3]
    if domain == "traffic":
        return {
            "link_id": [*seg, f" {seg[0]} ", "R999", "", None, 1, "x" * 300, "  PADDED  ", "PADDED"],
            "collect_time": TIMES,
            "avg_speed": [40.0, 0.0, 200.0, -0.0, 200.00001, -1.0, NAN, INF, -INF, 41, True, "55.5", "1,234",
                          "abc", Decimal("12.5"), None, "", 1e308],
            "flow_cnt": [100, 0, 100_000, 100_001, -1, 5.5, None, "7", True, False, 2 ** 60],
            "occ_rate": [12.5, 100.0, 100.5, NAN, None, 0, -0.0],
            "upd_time": TIMES,
        }
    if domain == "environment":
        sta = [s.code for s in settings.stations][:3]
        # co arrives in µg/m³ (the config's [sources.units]) and is stored in mg/m³
        return {
            "station_code": [*sta, "NOPE", None, ""],
            "obs_time": TIMES,
            "pm2_5": [35.0, 0.0, 1500.0, 1500.1, -0.1, NAN, None, 35, "35"],
            "pm10": [50.0, 3000.0, 3001.0, None],
            "so2": [10.0, 2620.0, 2620.5, None],
            "no2": [20.0, 3840.0, 3840.1, None],
            "co": [800.0, 150_000.0, 150_000.2, 0.0, -1.0, 800, INF, NAN, None, "900", 1e308],
            "o3": [100.0, 1200.0, 1200.01, None],
            "updated_at": TIMES,
        }
    if domain == "tourism":
        sites = [s.code for s in settings.sites][:3]
        return {
            "jqbm": [*sites, "NOPE", None],
            "tjsj": TIMES,
            "zxrs": [1200, 0, 10_000_000, 10_000_001, -1, 5.0, 5.5, "12", True, None, 2 ** 60, NAN],
            "rysl": [30, None, 0, -3, 7.0],
            "cysl": [25, None, 10_000_000],
            "gxsj": TIMES,
        }
    if domain == "economy":
        return {
            "zbdm": ["GDP", "SHXFPLSZE", "CPI", "NOPE", " GDP ", None, ""],
            "bgq": ["202609", "2026Q3", "2026-09", "2026-13", dt.date(2026, 9, 1), dt.date(2026, 9, 2), 202609,
                    202609.0, "  ", None, "1900-01", "2026年第3季度"],
            "sz": [80.5, 0.0, -12.5, "abc", NAN, INF, None, 1e308, 3, Decimal("2.5"), "1,234.5"],
            "jldw": ["亿元", None, "", "x" * 201, "  元  "],
            "xzqh": ["411000", "411002", "魏都区", 411002, "999", None, " 411002", ""],
            "bbh": [1, 2, 0, 1_000_001, None, 1.0, "3", True],
            "gxsj": TIMES,
        }
    assert domain == "hotline"
    return {
        "gdbh": ["T1", "T2", "T3", "T4", 12345, None, "", " T1 "],
        "ldsj": TIMES,
        "sqlb_mc": ["城乡建设", "交通运输", None, "x" * 250, "  "],
        "ssqx": ["411002", "魏都区", 411002, "999", None],
        "qd": ["phone", "web", None, 3],
        "answered": [1, 0, True, False, 2, "是", "maybe", None, 1.0, NAN],
        "ddsc": [35, 0, 604_800, 604_801, -1, None, "35", 12.5],
        "blsx": [T + dt.timedelta(days=5), None, "bad"],
        "bjsj": [None, T + dt.timedelta(days=2), T - dt.timedelta(days=1), "2026-10-02 09:00:00"],
        "myd": ["satisfied", None, "", 3],
        "gdzt": ["10", "40", None],
        "gxsj": TIMES,
    }


def draw(pool: dict[str, list[Any]], rng: random.Random, n: int, good: float) -> list[dict[str, Any]]:
    rows = []
    for _ in range(n):
        rows.append({col: (rng.choice(values[:3]) if rng.random() < good else rng.choice(values))
                     for col, values in pool.items()})
    return rows


def same(batch: Batch, reference: Batch) -> None:
    # repr compares values and their types (-0.0, int vs float, naive vs aware) and the order
    assert repr([list(r.items()) for r in batch.rows]) == repr([list(r.items()) for r in reference.rows])
    assert repr(batch.rejected) == repr(reference.rejected)
    assert repr(batch.issues) == repr(reference.issues)


SOURCES = {"traffic": "traffic_detectors", "environment": "env_monitor", "tourism": "scenic_gates",
           "economy": "stats_bureau", "hotline": "hotline_12345"}


@pytest.mark.parametrize("domain", list(SOURCES))
@pytest.mark.parametrize("good", [1.0, 0.9, 0.4])
def test_batch_mapping_equals_per_row_mapping(settings, domain, good):
    fast, slow = mappers(settings, SOURCES[domain])
    rng = random.Random(f"{domain}-{good}")
    pool = pools(settings, domain)
    for _ in range(4):  # several batches through the same mappers: the instant cache carries over
        raws = draw(pool, rng, 1500, good)
        batch = fast.map_batch(raws, NOW)
        same(batch, per_row(slow, raws))
    if good == 0.4:
        assert batch.rejected, "the mix must exercise the rejections"


def test_a_clean_batch_with_unique_keys_keeps_every_row_in_order(settings, monkeypatch):
    fast, slow = mappers(settings, "traffic_detectors")

    def per_row_path(*args: Any) -> None:
        raise AssertionError("a clean batch is mapped by columns alone")

    monkeypatch.setattr(fast, "map_row", per_row_path)
    segments = [s.code for s in settings.segments]
    raws = [{"link_id": seg, "collect_time": T + dt.timedelta(minutes=5 * i), "avg_speed": 30.0 + i % 50,
             "flow_cnt": i, "occ_rate": 0.5, "upd_time": T + dt.timedelta(minutes=5 * i + 1)}
            for i in range(40) for seg in segments]
    batch = fast.map_batch(raws, NOW)
    assert len(batch.rows) == len(raws) and not batch.rejected
    same(batch, per_row(slow, raws))
    first = batch.rows[0]
    assert first == {"segment": segments[0], "time": dt.datetime(2026, 10, 1, 0, 0, tzinfo=UTC), "speed": 30.0,
                     "volume": 0.0, "occupancy": 0.5, "implausible": None, "source": "traffic_detectors",
                     "source_updated_at": dt.datetime(2026, 10, 1, 0, 1, tzinfo=UTC), "ingested_at": NOW}
    assert type(first["volume"]) is float  # an integer count is stored as the float the field is


def test_duplicates_keep_the_later_row_and_quarantine_the_earlier(settings):
    fast, slow = mappers(settings, "traffic_detectors")
    row = {"link_id": "R001", "collect_time": T, "avg_speed": 40.0, "flow_cnt": 1, "occ_rate": 1.0, "upd_time": T}
    raws = [row, {**row, "link_id": "R002"}, {**row, "avg_speed": 41.0, "upd_time": T + dt.timedelta(minutes=1)},
            {**row, "avg_speed": 999.0}, {**row, "collect_time": "2026-10-01 08:00:00", "avg_speed": 42.0}]
    batch = fast.map_batch(raws, NOW)
    same(batch, per_row(slow, raws))
    assert [r["speed"] for r in batch.rows] == [40.0, 42.0]  # R002, then the last R001 (its time spelled as text)
    # speed 999 nulls that row's speed only (issue 19): the row is kept, then replaced by the later one
    assert [r.reason.split(" (")[0] for r in batch.rejected] == ["duplicate of a later row with the same key"] * 3
    assert batch.issues == []  # the kept rows are clean; the replaced row's issue went with it


def test_unit_conversion_and_its_bounds_match(settings):
    fast, slow = mappers(settings, "env_monitor")
    raws = [{"station_code": "XC01", "obs_time": T + dt.timedelta(hours=i), "co": co, "updated_at": None}
            for i, co in enumerate([150_000.0, 150_000.00001, 1234.5, 1, 0.0, -0.0, 149_999.99999999999])]
    batch = fast.map_batch(raws, NOW)
    same(batch, per_row(slow, raws))
    assert [r["co"] for r in batch.rows][:3] == [150.0, 1234.5 * 0.001, 0.001]


def test_a_value_the_per_row_path_cannot_convert_fails_the_same_way(settings):
    fast, slow = mappers(settings, "traffic_detectors")
    raws = [{"link_id": "R001", "collect_time": T, "avg_speed": 2 ** 1100, "flow_cnt": 1, "occ_rate": 1.0,
             "upd_time": T}]
    with pytest.raises(OverflowError):
        per_row(slow, raws)
    with pytest.raises(OverflowError):
        fast.map_batch(raws, NOW)


def test_another_time_zone_across_its_dst_fold(settings):
    fast, slow = mappers(settings, "traffic_detectors", timezone="America/New_York")
    raws = [{"link_id": "R001", "collect_time": dt.datetime(2026, 11, 1, 1, 30) + dt.timedelta(minutes=m),
             "avg_speed": 40.0, "flow_cnt": 1, "occ_rate": 1.0, "upd_time": None} for m in (0, 30, 60, 90)]
    same(fast.map_batch(raws, NOW), per_row(slow, raws))  # the DST fold: 01:30 happens twice
