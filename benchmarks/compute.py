"""Compute budget: one day and N days of all indicators on the demo city.

    python3 benchmarks/compute.py [--days 30] [--data-dir DIR]

Builds the simulated departments and polls them into a fresh SQLite store (unless
DIR already holds one), then times ``jobs.indicators.compute`` for the last day and the
whole period, and prints a table. Targets (issue 4): 30 days in under a minute.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

from citybrain.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cb-bench-"))
    settings = load_settings(env={}, data_dir=data_dir)

    import connectors
    import simulator
    from jobs.indicators import compute
    from store.engine import make_engine, upgrade
    from store.entities import sync_from_config

    end = dt.datetime.now(dt.timezone.utc).replace(minute=0, second=0, microsecond=0)
    upgrade(settings.resolved_store_url)
    engine = make_engine(settings.resolved_store_url)
    sync_from_config(engine, settings)
    if not (data_dir / "departments" / "traffic.db").exists():
        t = time.perf_counter()
        simulator.create(settings, days=args.days, end=end)
        connectors.poll(settings, engine, now=end)
        print(f"prepared {args.days} days in {time.perf_counter() - t:.1f} s ({data_dir})")

    rows = []
    for label, start in (("1 day", end - dt.timedelta(days=1)), (f"{args.days} days", end - dt.timedelta(days=args.days))):
        t = time.perf_counter()
        report = compute(settings, engine, start=start, end=end, now=end)
        rows.append((label, time.perf_counter() - t, report.total))
    print(f"\nmachine: {platform.processor() or platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, SQLite store")
    print(f"{'period':<10} {'seconds':>8} {'rows':>9}  target")
    for label, seconds, total in rows:
        target = "≤ 2 s" if label == "1 day" else "≤ 60 s"
        print(f"{label:<10} {seconds:>8.2f} {total:>9,}  {target}")


if __name__ == "__main__":
    main()
