"""Forecast accuracy and cost (issue 22): MASE against the seasonal-naive baseline, interval
coverage, and the time to backtest/fit and to refresh (predict) each series.

* demo city — a prepared demo store (``--data-dir``, e.g. one made by ``citybrain demo``):
  the nightly backtest of every series, then the hourly refresh of every series;
* big city — the benchmark city's series shape (``benchmarks/dataset.py``: TPI for the
  500 segments' districts, 15 sites, hotline calls by category, hourly and daily) as
  synthetic series with daily + weekly seasonality and noise, run through the same
  models in memory (``--big-weeks`` of history): it measures cost per series at that
  scale without the hour-long dataset build.

    python3 benchmarks/forecast.py --data-dir /path/to/demo [--weeks 4] [--skip-backtest]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _summary(rows: list[dict]) -> None:
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["series"], []).append(r)
    print(f"{'series':34} {'n':>3} {'model≠base':>10} {'MASE':>6} {'base':>6} {'better':>7} {'cov80':>6} {'cov95':>6}")
    for name, rs in sorted(by.items()):
        def med(k: str) -> float:
            vals = [r[k] for r in rs if r.get(k) is not None]
            return statistics.median(vals) if vals else float("nan")
        won = sum(1 for r in rs if r["model"] != "seasonal_naive")
        print(f"{name:34} {len(rs):>3} {won:>10} {med('mase'):6.3f} {med('baseline_mase'):6.3f} "
              f"{med('better'):7.1%} {med('coverage80'):6.2f} {med('coverage95'):6.2f}")


def demo(data_dir: Path, weeks: int, skip_backtest: bool) -> None:
    from sqlalchemy import select

    from citybrain.settings import load_settings
    from forecast import run
    from store.engine import make_engine, upgrade
    from store.schema import forecast_series

    settings = load_settings(env={}, data_dir=data_dir, cache_url="null")
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    if not skip_backtest:
        rep = run.backtest(settings, engine, weeks=weeks)
        print(f"demo backtest: {rep.series} series, {rep.seconds_backtest:.1f} s "
              f"({rep.seconds_backtest / max(rep.series, 1) * 1000:.0f} ms/series), {rep.fallback} on the baseline")
    t0 = time.perf_counter()
    rep = run.refresh(settings, engine, force=True)
    wall = time.perf_counter() - t0
    print(f"demo hourly refresh: {rep.refreshed} series in {wall:.2f} s wall "
          f"({rep.seconds_refresh / max(rep.refreshed, 1) * 1000:.1f} ms/series predict+write)")
    with engine.connect() as conn:
        rows = conn.execute(select(forecast_series)).all()
    _summary([{"series": f"{r.indicator}/{r.grain}/{r.scope_kind}", "model": r.model,
               "mase": (r.accuracy or {}).get("mase"), "baseline_mase": (r.accuracy or {}).get("baseline_mase"),
               "better": (r.accuracy or {}).get("better_than_baseline"),
               "coverage80": (r.accuracy or {}).get("coverage80"), "coverage95": (r.accuracy or {}).get("coverage95")}
              for r in rows])


def big(weeks_history: int, weeks: int) -> None:
    from zoneinfo import ZoneInfo

    from forecast import models

    tz = ZoneInfo("Asia/Shanghai")
    rng = np.random.default_rng(2026)
    idx = pd.date_range(pd.Timestamp("2026-10-05", tz=tz).tz_convert("UTC"), periods=weeks_history * 168, freq="h")
    local = idx.tz_convert(tz)
    hour, rest = np.asarray(local.hour), np.asarray(local.day_of_week) >= 5
    shapes = {"tpi/district": 10, "tourism_present/site": 15, "hotline_calls/hour/category": 12}
    rows, fit_s, pred_s = [], [], []
    for name, count in shapes.items():
        for i in range(count):
            level = rng.uniform(20, 200)
            work = np.exp(-((hour - 8) ** 2) / 2) + np.exp(-((hour - 18) ** 2) / 2)
            leisure = np.exp(-((hour - 15) ** 2) / 18)
            y = level * (1 + 0.6 * np.where(rest, leisure, work)) + rng.normal(0, level * 0.08, len(idx))
            s = pd.Series(np.maximum(y, 0), index=idx)
            t0 = time.perf_counter()
            bt = models.backtest(s, tz, weeks=weeks)
            fitted = models.fit([bt.chosen], s, tz)
            fit_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            models.intervals(models.predict(bt.chosen, fitted[bt.chosen], s, 48, tz), bt.scores[bt.chosen]["calib"])
            pred_s.append(time.perf_counter() - t0)
            a = bt.accuracy()
            rows.append({"series": name, "model": bt.chosen, "mase": a["mase"], "baseline_mase": a["baseline_mase"],
                         "better": a["better_than_baseline"], "coverage80": a["coverage80"],
                         "coverage95": a["coverage95"]})
    n = len(rows)
    print(f"big city ({n} series, {weeks_history} weeks of hours, {weeks}-week backtest): backtest+fit "
          f"{sum(fit_s):.1f} s ({statistics.median(fit_s) * 1000:.0f} ms/series median); hourly predict "
          f"{sum(pred_s):.2f} s ({statistics.median(pred_s) * 1000:.1f} ms/series median)")
    _summary(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, help="a prepared demo data directory")
    ap.add_argument("--weeks", type=int, default=4, help="weeks of rolling origins")
    ap.add_argument("--skip-backtest", action="store_true", help="demo: refresh only (models already chosen)")
    ap.add_argument("--big-weeks", type=int, default=8, help="big city: weeks of synthetic hourly history")
    args = ap.parse_args()
    if args.data_dir:
        demo(args.data_dir, args.weeks, args.skip_backtest)
    big(args.big_weeks, args.weeks)


if __name__ == "__main__":
    main()
