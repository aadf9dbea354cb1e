"""``tpi_by_hour`` and ``link_speeds`` group on integer codes and sum with
``group_fsums`` (issue 10): the frames they return must be exactly those of the text-keyed
pandas implementation with ``math.fsum`` per group, kept here as the reference — on text
and categorical segment columns, unknown segments, missing speeds, volumes and times,
segments without a district, speeds above free flow and at the grade bounds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from metrics import traffic
from metrics._frames import numeric, utc_times


def _fsums(group: np.ndarray, groups: int, *columns: pd.Series) -> list[np.ndarray]:
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(groups + 1)).tolist()
    out = []
    for column in columns:
        values = column.to_numpy(dtype=float)[order].tolist()
        out.append(np.array([math.fsum(values[a:b]) for a, b in zip(starts[:-1], starts[1:])], dtype=float))
    return out


def _tpi_by_hour_reference(readings: pd.DataFrame, segments: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    attrs = pd.DataFrame({"segment": segments["segment"].astype(str),
                          "length_km": numeric(segments["length_km"], "length_km", "segments"),
                          "free_flow": numeric(segments["free_flow"], "free_flow", "segments")})
    if by:
        attrs[by] = segments[by].to_numpy()
    obs = pd.DataFrame({
        "segment": readings["segment"].astype(str),
        "hour": utc_times(readings["time"], "time", "readings").dt.floor("h"),
        "speed": numeric(readings["speed"], "speed", "readings"),
        "volume": numeric(readings["volume"], "volume", "readings"),
    }).merge(attrs, on="segment", how="left")
    if by:
        obs = obs[obs[by].notna()]
    speed, ff = obs["speed"].to_numpy(), obs["free_flow"].to_numpy()
    vkt = (obs["volume"] * obs["length_km"]).to_numpy()
    ok = (speed > 0) & (ff > 0) & (vkt > 0) & np.isfinite(vkt)
    link_tti = np.where(ok, np.maximum(ff / np.where(ok, speed, 1.0), 1.0), np.nan)
    work = pd.DataFrame({**({by: obs[by].to_numpy()} if by else {}), "time": obs["hour"],
                         "wt": np.where(ok, link_tti * vkt, 0.0), "vkt": np.where(ok, vkt, 0.0),
                         "seg": obs["segment"].where(ok)})
    grouped = work.groupby([by, "time"] if by else "time", sort=True)
    out = grouped.agg(segments=("seg", "nunique")).reset_index()
    out["wt"], out["vkt"] = _fsums(grouped.ngroup().to_numpy(), len(out), work["wt"], work["vkt"])
    with np.errstate(invalid="ignore", divide="ignore"):
        net_tti = np.where(out["vkt"] > 0, out["wt"] / out["vkt"], np.nan)
    net_dtp = 1 - 1 / net_tti
    tpi = np.where(np.isnan(net_dtp), np.nan, traffic._vec_tpi(net_dtp))
    grade = np.where(np.isnan(tpi), None,
                     np.array(traffic.TPI_GRADES, dtype=object)[np.minimum(np.nan_to_num(tpi) // 2, 4).astype(int)])
    return pd.DataFrame({**({by: out[by].to_numpy()} if by else {}), "time": out["time"], "tpi": tpi,
                         "grade": pd.array(grade, dtype="str"), "tti": net_tti, "dtp": net_dtp,
                         "vkt": out["vkt"].to_numpy(), "segments": out["segments"].to_numpy(dtype=np.int64)})


def _link_speeds_reference(readings: pd.DataFrame) -> pd.DataFrame:
    speed = numeric(readings["speed"], "speed", "readings").to_numpy()
    mask = speed > 0
    moving = readings[mask].reset_index(drop=True)
    work = pd.DataFrame({"segment": moving["segment"].astype(str),
                         "hour": utc_times(moving["time"], "time", "readings").dt.floor("h"), "speed": speed[mask]})
    grouped = work.groupby(["segment", "hour"], sort=True)
    out = grouped.size().reset_index(name="n")
    [total] = _fsums(grouped.ngroup().to_numpy(), len(out), work["speed"])
    return pd.DataFrame({"segment": out["segment"], "hour": out["hour"], "speed": total / out["n"].to_numpy()})


def _city(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_seg = 40
    segments = pd.DataFrame({
        "segment": [f"S{i:03d}" for i in range(n_seg)],
        "length_km": rng.choice([0.3, 1.0, 1.7, 2.4, 0.1], n_seg),
        "free_flow": rng.choice([35.0, 45.0, 55.0, 100.0, 0.0, 60.5], n_seg),
        "district": rng.choice(["411002", "411003", "411024", None], n_seg),
    })
    n = 20_000
    codes = np.array([f"S{i:03d}" for i in range(n_seg)] + ["UNKNOWN"], dtype=object)
    seg = rng.integers(0, n_seg + 1, n)
    ff = segments["free_flow"].to_numpy()[np.minimum(seg, n_seg - 1)]
    bound = rng.choice([0.7, 0.5, 0.4, 0.3], n) * ff
    speed = np.where(rng.random(n) < 0.3, bound, np.round(rng.uniform(0, 130, n), 1))
    speed = np.where(rng.random(n) < 0.05, 0.0, np.where(rng.random(n) < 0.05, np.nan, speed))
    volume = np.where(rng.random(n) < 0.05, np.nan, rng.integers(0, 300, n).astype(float))
    time = pd.Timestamp("2026-10-01 16:00", tz="UTC") + pd.to_timedelta(rng.integers(0, 3 * 24 * 12, n) * 5, unit="min")
    time = pd.Series(time).where(rng.random(n) > 0.01).astype("datetime64[us, UTC]")
    readings = pd.DataFrame({"segment": codes[seg], "time": time, "speed": speed, "volume": volume})
    return readings, segments


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("categorical", [False, True])
def test_same_frames_as_the_text_keyed_reference(seed, categorical):
    readings, segments = _city(seed)
    if categorical:  # as the PostgreSQL read hands them over
        readings = readings.assign(segment=pd.Categorical(readings["segment"]))
    for by in (None, "district"):
        got = traffic.tpi_by_hour(readings, segments, by=by)
        expected = _tpi_by_hour_reference(readings, segments, by=by)
        assert len(expected) > 50
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    got = traffic.link_speeds(readings)
    expected = _link_speeds_reference(readings)
    assert len(expected) > 1000
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_empty_readings():
    readings, segments = _city(3)
    none = readings.iloc[:0]
    for by in (None, "district"):
        assert traffic.tpi_by_hour(none, segments, by=by).empty
    assert traffic.link_speeds(none).empty
