"""The forecast models, their backtest and the choice between them — pure, no I/O.

Why statsmodels and not statsforecast/mlforecast: statsforecast 2.1 (and mlforecast 1.1,
through fugue) pin ``pandas<3`` (Nixtla/statsforecast#1182, open), which cannot live with
this project's pandas 3; statsmodels 0.15 supports pandas 3 and brings the pieces needed:
``MSTL`` (multiple seasonal-trend decomposition by LOESS, daily + weekly seasonality) and
``SimpleExpSmoothing`` (ETS(A,N,N)) — the "MSTL + ETS on the seasonally adjusted series"
model of statsforecast's ``MSTL``. Measured in ``benchmarks/forecast.py``.

Candidates (each series keeps the one that wins *its own* backtest):

* ``seasonal_naive`` — the baseline: the value one season ago (24 h; 7 days for daily series).
* ``seasonal_naive_week`` — the value one week ago (hourly series with ≥ 2 weeks).
* ``mstl_ses`` — MSTL with periods 24 and 168 (24 only under two weeks of history; 7 for
  daily series); the seasonal part is forecast by the mean of its last two cycles per
  position in the week, the seasonally adjusted part by simple exponential smoothing.
* ``mstl_ses_day`` — the same with the daily season only (a series with no weekly rhythm,
  such as air quality, is hurt by a weekly profile learnt from noise).
* ``mstl_ses_cal`` — the same with China's holiday calendar (``simulator.holidays``): a
  holiday (春节, 国庆 …) is given a Sunday's profile and a make-up working weekend (调休)
  a Wednesday's, both when the profile is learnt and when it is applied.

Fitting is cached: :func:`fit` (the expensive MSTL and the ETS optimiser) runs in the
nightly backtest; :func:`predict` re-applies the fitted profile and smoothing weight to
the newest data (ETS filtering with fixed parameters, ~1 ms) — the hourly refresh.

Intervals: the ETS(A,N,N) forecast variance σ²(1 + (h−1)α²) (the seasonal naive's
σ²(k+1)) — then calibrated per horizon by the backtest (split conformal: quantiles of
the normalised errors |e|/σ_h), so that 80 % and 95 % intervals cover near nominal.

No look-ahead by construction: :func:`backtest` hands every model only ``y[:origin]``.
"""

from __future__ import annotations

import math
import warnings as _warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

Z80 = 1.2815515655446004
Z95 = 1.959963984540054
BASELINE = "seasonal_naive"
HOURLY_MODELS = ("seasonal_naive", "seasonal_naive_week", "mstl_ses_day", "mstl_ses", "mstl_ses_cal")
DAILY_MODELS = ("seasonal_naive", "mstl_ses", "mstl_ses_cal")
#: a candidate must beat the baseline's MASE by this share to be served (noise is not skill)
MARGIN = 0.02
#: history the MSTL is fitted on (periods of the grain): 4 weeks of hours, 12 weeks of days
TRAIN = {"h": 24 * 28, "D": 7 * 12}
#: shortest history a model is fitted on; below it the baseline serves
MIN_TRAIN = {"h": 24 * 3, "D": 21}
#: MSTL's LOESS evaluated every 5th point and interpolated: 8× faster, residual ±3 %
_STL_KW = {"seasonal_jump": 5, "trend_jump": 5, "low_pass_jump": 5}


def season(freq: str) -> int:
    """The baseline's season: a day of hours, a week of days."""
    return 24 if freq == "h" else 7


def week(freq: str) -> int:
    return 168 if freq == "h" else 7


def models_for(freq: str) -> tuple[str, ...]:
    return HOURLY_MODELS if freq == "h" else DAILY_MODELS


# ------------------------------------------------------------------------- calendar

def _effective_weekday(d: date) -> int:
    """Monday 0 … Sunday 6, with holidays as Sunday and 调休 working weekends as Wednesday."""
    from simulator import holidays  # plain data; imports nothing of citybrain

    kind = holidays.day_kind(d)
    wd = d.weekday()
    if kind == "holiday":
        return 6
    if kind == "workday" and wd >= 5:
        return 2
    return wd


def positions(times: pd.DatetimeIndex, tz: ZoneInfo, freq: str, *, calendar: bool) -> np.ndarray:
    """Position of each time in the local week (hour of week, or weekday for daily series)."""
    local = times.tz_convert(tz)
    if calendar:
        day = np.asarray(local.tz_localize(None).floor("D").asi8 // 86_400_000_000, dtype=np.int64)  # µs → days
        uniq, inv = np.unique(day, return_inverse=True)
        epoch = date(1970, 1, 1)
        kinds = np.array([_effective_weekday(epoch + timedelta(days=int(d))) for d in uniq], dtype=int)
        wd = kinds[inv]
    else:
        wd = np.asarray(local.day_of_week, dtype=int)
    return wd * 24 + np.asarray(local.hour, dtype=int) if freq == "h" else wd


# --------------------------------------------------------------------------- models

@dataclass(frozen=True)
class Prediction:
    """Mean and the (uncalibrated) standard deviation per step ahead, 1 … horizon."""

    times: pd.DatetimeIndex
    mean: np.ndarray
    sigma: np.ndarray


def future_times(y: pd.Series, horizon: int) -> pd.DatetimeIndex:
    step = pd.Timedelta(hours=1) if _freq(y) == "h" else pd.Timedelta(days=1)
    return pd.DatetimeIndex([y.index[-1] + step * (i + 1) for i in range(horizon)])


def _freq(y: pd.Series) -> str:
    return "D" if len(y.index) > 1 and (y.index[1] - y.index[0]) >= pd.Timedelta(days=1) else "h"


def _filled(values: np.ndarray) -> np.ndarray:
    """Gaps interpolated linearly (the decomposition and the smoother need every period)."""
    s = pd.Series(values, dtype=float)
    return s.interpolate(limit_direction="both").fillna(0.0).to_numpy(float)


def fit(names: Sequence[str], y: pd.Series, tz: ZoneInfo) -> dict[str, dict[str, Any]]:
    """Fit each named model on ``y`` (regular UTC index, NaN for gaps); JSON-able parameters.

    The MSTL runs once for both MSTL candidates. A model the history is too short for is
    left out of the answer.
    """
    freq = _freq(y)
    out: dict[str, dict[str, Any]] = {}
    vals = y.to_numpy(float)
    for name in names:
        if name in ("seasonal_naive", "seasonal_naive_week"):
            m = season(freq) if name == "seasonal_naive" else week(freq)
            if len(vals) < m + 1 or (name == "seasonal_naive_week" and len(vals) < 2 * m):
                continue
            diff = vals[m:] - vals[:-m]
            sigma = float(np.nanstd(diff)) if np.isfinite(diff).sum() > 2 else float("nan")
            out[name] = {"m": m, "sigma": _finite(sigma, _fallback_sigma(vals))}
    mstl = [n for n in names if n.startswith("mstl") and n != "mstl_ses_day"]
    if len(vals) >= MIN_TRAIN[freq]:
        if mstl:
            out.update(_fit_mstl(mstl, y, tz, freq))
        if "mstl_ses_day" in names and freq == "h":
            out.update(_fit_mstl(["mstl_ses_day"], y, tz, freq, daily_only=True))
    return out


def _fallback_sigma(vals: np.ndarray) -> float:
    s = float(np.nanstd(vals)) if np.isfinite(vals).sum() > 1 else 1.0
    return s if s > 0 else 1.0


def _finite(x: float, default: float) -> float:
    return x if math.isfinite(x) and x > 0 else default


def _fit_mstl(names: Sequence[str], y: pd.Series, tz: ZoneInfo, freq: str, *,
              daily_only: bool = False) -> dict[str, dict[str, Any]]:
    from statsmodels.tsa.holtwinters import SimpleExpSmoothing
    from statsmodels.tsa.seasonal import MSTL

    tail = y.iloc[-TRAIN[freq]:]
    vals = _filled(tail.to_numpy(float))
    n, wk = len(vals), week(freq)
    if freq == "h":
        periods: tuple[int, ...] = (24, 168) if n > 2 * 168 and not daily_only else (24,)
    else:
        periods = (7,)
    if n <= 2 * periods[0]:
        return {}  # MSTL needs more than two cycles of its shortest season
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        res = MSTL(vals, periods=periods, iterate=1, stl_kwargs=_STL_KW).fit()
    seasonal = np.asarray(res.seasonal, float)
    seasonal = seasonal.sum(axis=1) if seasonal.ndim == 2 else seasonal
    weekly = wk in periods
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        cal = name.endswith("_cal")
        if (cal or name == "mstl_ses") and not weekly and not daily_only and freq == "h":
            continue  # under two weeks: the daily-only model is the one to fit
        if cal and not weekly:
            continue  # without a weekly season the calendar has nothing to move
        width = wk if weekly else 24
        pos = positions(tail.index, tz, freq, calendar=cal) % width
        last = slice(max(0, n - 2 * width), n)  # the last two cycles
        profile = _profile(seasonal[last], pos[last], width)
        missing = np.isnan(profile)
        if missing.any():  # a position the last two weeks lacked (calendar): the plain one
            plain = _profile(seasonal[last], (positions(tail.index, tz, freq, calendar=False) % width)[last], width)
            profile[missing] = plain[missing]
        profile = np.nan_to_num(profile)
        adjusted = vals - profile[pos]
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            ses = SimpleExpSmoothing(adjusted, initialization_method="heuristic").fit(method="least_squares")
        alpha = float(np.clip(ses.params["smoothing_level"], 0.01, 1.0))
        resid = adjusted[1:] - np.asarray(ses.fittedvalues, float)[1:]
        out[name] = {"alpha": alpha, "sigma": _finite(float(np.std(resid)), _fallback_sigma(vals)),
                     "width": width, "calendar": cal, "profile": [round(float(v), 6) for v in profile]}
    return out


def _profile(values: np.ndarray, pos: np.ndarray, width: int) -> np.ndarray:
    sums = np.bincount(pos, weights=values, minlength=width)
    counts = np.bincount(pos, minlength=width)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def predict(name: str, params: dict[str, Any], y: pd.Series, horizon: int, tz: ZoneInfo) -> Prediction:
    """Forecast ``horizon`` periods after ``y``'s last period with fitted ``params``."""
    times = future_times(y, horizon)
    vals = y.to_numpy(float)
    steps = np.arange(1, horizon + 1)
    if name in ("seasonal_naive", "seasonal_naive_week"):
        m = int(params["m"])
        mean = np.full(horizon, np.nan)
        for i, h in enumerate(steps):
            k = (h - 1) // m
            for back in range(k + 1, k + 5):  # a gap at the lag: one season further back
                j = len(vals) - 1 + h - m * back
                if 0 <= j < len(vals) and math.isfinite(vals[j]):
                    mean[i] = vals[j]
                    break
        if np.isnan(mean).any():
            mean = np.where(np.isnan(mean), _last(vals), mean)
        sigma = float(params["sigma"]) * np.sqrt((steps - 1) // m + 1)
        return Prediction(times, mean, sigma)
    freq = _freq(y)
    width = int(params["width"])
    profile = np.asarray(params["profile"], float)
    tail = y.iloc[-TRAIN[freq]:]
    pos = positions(tail.index, tz, freq, calendar=bool(params["calendar"])) % width
    adjusted = _filled(tail.to_numpy(float)) - profile[pos]
    alpha = float(params["alpha"])
    level = ses_level(adjusted, alpha)
    fpos = positions(times, tz, freq, calendar=bool(params["calendar"])) % width
    mean = level + profile[fpos]
    sigma = float(params["sigma"]) * np.sqrt(1 + (steps - 1) * alpha ** 2)
    return Prediction(times, mean, sigma)


def ses_level(adjusted: np.ndarray, alpha: float) -> float:
    """The final level of ETS(A,N,N) with the fitted weight: ℓ_t = α y_t + (1 − α) ℓ_{t−1},
    started at the first value — statsmodels' filter with fixed parameters, run as one
    linear filter (statsmodels' own takes ~30 ms of set-up per call; this is the hourly path)."""
    from scipy.signal import lfilter

    if len(adjusted) == 0:
        return 0.0
    rest, zi = adjusted[1:], np.array([(1 - alpha) * adjusted[0]])
    if len(rest) == 0:
        return float(adjusted[0])
    out, _ = lfilter([alpha], [1.0, -(1 - alpha)], rest, zi=zi)
    return float(out[-1])


def _last(vals: np.ndarray) -> float:
    ok = vals[np.isfinite(vals)]
    return float(ok[-1]) if len(ok) else 0.0


# ------------------------------------------------------------------------ intervals

def intervals(pred: Prediction, calib: dict[str, list[float]] | None, *, nonneg: bool = True,
              log: bool = False) -> pd.DataFrame:
    """Points with 80/95 % intervals: σ_h times the calibrated quantile (normal when none).

    ``log``: the model ran on log(1 + y); points and bounds go back through exp − 1, so
    the intervals widen with the level (an AQI episode is less certain than a clean day)."""
    h = len(pred.mean)
    q80 = _per_step(calib, "q80", h, Z80)
    q95 = np.maximum(_per_step(calib, "q95", h, Z95), q80)
    back = np.expm1 if log else (lambda a: a)
    out = pd.DataFrame({"time": pred.times, "value": back(pred.mean),
                        "lo80": back(pred.mean - q80 * pred.sigma), "hi80": back(pred.mean + q80 * pred.sigma),
                        "lo95": back(pred.mean - q95 * pred.sigma), "hi95": back(pred.mean + q95 * pred.sigma)})
    if nonneg:
        cols = ["value", "lo80", "hi80", "lo95", "hi95"]
        out[cols] = out[cols].clip(lower=0.0)
    return out


def _per_step(calib: dict[str, list[float]] | None, key: str, h: int, default: float) -> np.ndarray:
    q = (calib or {}).get(key) or []
    if not q:
        return np.full(h, default)
    q = [default if v is None or not math.isfinite(v) else float(v) for v in q]
    return np.array([q[min(i, len(q) - 1)] for i in range(h)], float)  # beyond the backtest: its last step


def calibrate(z: np.ndarray) -> dict[str, list[float]]:
    """Quantiles of the normalised absolute errors |e|/σ_h (rows: origins, columns: steps),
    pooled over the steps — σ_h already carries the growth with the horizon, and a few
    weeks of origins are too few for a quantile per step. Split-conformal: the
    ⌈(n+1)p⌉-th smallest. Normal quantiles when there are fewer than 10 errors."""
    col = z[np.isfinite(z) & (z > 1e-9)]  # exact hits (a closed site's zeros at night) say nothing of width
    n = len(col)
    if n < 10:
        return {"q80": [Z80], "q95": [Z95]}
    srt = np.sort(col)
    return {"q80": [float(srt[min(n - 1, math.ceil((n + 1) * 0.8) - 1)])],
            "q95": [float(srt[min(n - 1, math.ceil((n + 1) * 0.95) - 1)])]}


# ------------------------------------------------------------------------- backtest

@dataclass
class Backtest:
    """A rolling-origin backtest of several models on one series."""

    origins: list[pd.Timestamp]
    horizon: int
    #: model → dict of mase, smape, coverage80, coverage95, mase_by_h, calib
    scores: dict[str, dict[str, Any]]
    chosen: str
    fallback: bool  # True: no model beat the baseline, the baseline serves

    def accuracy(self) -> dict[str, Any]:
        """What is stored and shown: the served model's scores against the baseline's."""
        s, b = self.scores.get(self.chosen, {}), self.scores.get(BASELINE, {})
        better = None
        if s.get("mase") is not None and b.get("mase"):
            better = round(1 - s["mase"] / b["mase"], 4)
        return {"model": self.chosen, "baseline": BASELINE, "fallback": self.fallback,
                "mase": s.get("mase"), "smape": s.get("smape"), "coverage80": s.get("coverage80"),
                "coverage95": s.get("coverage95"), "baseline_mase": b.get("mase"), "better_than_baseline": better,
                "origins": len(self.origins), "horizon": self.horizon,
                "first_origin": self.origins[0].isoformat() if self.origins else None,
                "last_origin": self.origins[-1].isoformat() if self.origins else None,
                "by_horizon": {"mase": s.get("mase_by_h"), "baseline_mase": b.get("mase_by_h"),
                               "coverage80": s.get("coverage80_by_h"), "coverage95": s.get("coverage95_by_h")},
                "candidates": {k: {"mase": v.get("mase"), "smape": v.get("smape")} for k, v in self.scores.items()}}


def origins_for(y: pd.Series, *, weeks: int, horizon: int, step: int | None = None) -> list[int]:
    """Origin positions over the last ``weeks`` weeks, each with a full horizon after it.

    Hourly origins are 23 h apart so that they fall at every hour of the day in turn.
    """
    freq = _freq(y)
    step = step or (23 if freq == "h" else 1)
    per_week = week(freq)
    n = len(y)
    first = max(MIN_TRAIN[freq], n - weeks * per_week)
    out = []
    o = n - horizon
    while o >= first:
        out.append(o)
        o -= step
    return sorted(out)


def to_model_scale(y: pd.Series, log: bool) -> pd.Series:
    """What the models see: ``y``, or log(1 + y) for series with multiplicative errors."""
    return np.log1p(y.clip(lower=0)) if log else y


def backtest(y: pd.Series, tz: ZoneInfo, *, weeks: int = 4, horizon: int | None = None,
             names: Sequence[str] | None = None, margin: float = MARGIN, log: bool = False) -> Backtest:
    """Rolling-origin backtest: at each origin every model is fitted on the data before it
    only and scored on the next ``horizon`` periods; MASE is scaled by the in-sample
    seasonal-naive error at that origin, so MASE < 1 beats the baseline.

    Coverage is honest: the interval widths used on the later half of the origins are
    calibrated on the earlier half only. The served calibration uses all origins.
    """
    freq = _freq(y)
    horizon = horizon or (24 if freq == "h" else 7)
    names = list(names or models_for(freq))
    if BASELINE not in names:
        names.insert(0, BASELINE)
    pos = origins_for(y, weeks=weeks, horizon=horizon)
    m = season(freq)
    errs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    zs: dict[str, list[np.ndarray]] = {n: [] for n in names}
    scaled: dict[str, list[np.ndarray]] = {n: [] for n in names}
    smapes: dict[str, list[np.ndarray]] = {n: [] for n in names}
    used: list[pd.Timestamp] = []
    work = to_model_scale(y, log)
    for o in pos:
        train = work.iloc[:o]  # the only data a model sees: nothing at or after the origin
        actual = y.iloc[o:o + horizon].to_numpy(float)
        actual_w = work.iloc[o:o + horizon].to_numpy(float)
        tv = y.iloc[:o].to_numpy(float)
        diffs = np.abs(tv[m:] - tv[:-m])
        scale = float(np.nanmean(diffs)) if np.isfinite(diffs).any() else float("nan")
        if not math.isfinite(scale) or scale <= 0 or not np.isfinite(actual).any():
            continue
        fitted = fit(names, train, tz)
        if BASELINE not in fitted:
            continue
        used.append(y.index[o])
        for name in names:
            if name not in fitted:
                errs[name].append(np.full(horizon, np.nan))
                zs[name].append(np.full(horizon, np.nan))
                scaled[name].append(np.full(horizon, np.nan))
                smapes[name].append(np.full(horizon, np.nan))
                continue
            p = predict(name, fitted[name], train, horizon, tz)
            mean = np.maximum(np.expm1(p.mean) if log else p.mean, 0.0)
            e = actual - mean
            errs[name].append(e)
            zs[name].append(np.abs(actual_w - p.mean) / p.sigma)  # on the model's scale, as the intervals are
            scaled[name].append(np.abs(e) / scale)
            denom = np.abs(actual) + np.abs(mean)
            with np.errstate(invalid="ignore", divide="ignore"):
                smapes[name].append(np.where(denom > 0, 200 * np.abs(e) / denom, np.nan))
    scores: dict[str, dict[str, Any]] = {}
    for name in names:
        if not scaled[name]:
            continue
        sc = np.vstack(scaled[name])
        if not np.isfinite(sc).any() or np.isnan(sc).all(axis=1).mean() > 0.5:
            continue  # a model that could not run at most origins is not judged
        z = np.vstack(zs[name])
        half = len(z) // 2
        cov80 = cov95 = None
        cov80_h = cov95_h = None
        if half >= 2:
            cal = calibrate(z[:half])
            rest = z[half:]
            q80, q95 = np.array(cal["q80"]), np.array(cal["q95"])
            ok = np.isfinite(rest)
            in80, in95 = (rest <= q80) & ok, (rest <= q95) & ok
            cov80, cov95 = _ratio(in80.sum(), ok.sum()), _ratio(in95.sum(), ok.sum())
            cov80_h = [_ratio(a, b) for a, b in zip(in80.sum(axis=0), ok.sum(axis=0))]
            cov95_h = [_ratio(a, b) for a, b in zip(in95.sum(axis=0), ok.sum(axis=0))]
        scores[name] = {
            "mase": _r(np.nanmean(sc)), "smape": _r(np.nanmean(np.vstack(smapes[name]))),
            "coverage80": cov80, "coverage95": cov95,
            "mase_by_h": [_r(v) for v in _nanmean0(sc)],
            "coverage80_by_h": cov80_h, "coverage95_by_h": cov95_h,
            "calib": calibrate(z),
        }
    chosen, fallback = choose(scores, margin)
    return Backtest(used, horizon, scores, chosen, fallback)


def choose(scores: dict[str, dict[str, Any]], margin: float = MARGIN) -> tuple[str, bool]:
    """The model with the lowest MASE if it beats the baseline by ``margin``; else the baseline."""
    base = scores.get(BASELINE, {}).get("mase")
    rivals = [(v["mase"], k) for k, v in scores.items() if k != BASELINE and v.get("mase") is not None]
    if base is None or not rivals:
        return BASELINE, True
    best_mase, best = min(rivals)
    if best_mase < base * (1 - margin):
        return best, False
    return BASELINE, True


def _nanmean0(a: np.ndarray) -> np.ndarray:
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        return np.nanmean(a, axis=0)


def _ratio(a: Any, b: Any) -> float | None:
    return round(float(a) / float(b), 4) if b else None


def _r(x: Any) -> float | None:
    x = float(x)
    return round(x, 4) if math.isfinite(x) else None
