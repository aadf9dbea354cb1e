"""Briefing budget: time and peak memory to produce the daily briefing (target ≤ 5 s, ≤ 400 MB).

    python3 benchmarks/briefing.py [--data-dir DIR] [--days 30] [--runs 3] [--json out.json]

Uses (or prepares, with ``citybrain demo``'s own ``prepare``) a demo store of ``--days``
simulated days, builds the app once — as the scheduler and the web workers do — and then
produces yesterday's briefing ``--runs`` times through :func:`briefings.archive.produce_daily`
(build the document from the store → print in Chromium → read back and check). The first
run includes launching Chromium; later runs reuse the process's browser, as a long-lived
scheduler does. Memory is the peak resident set of this Python process and, sampled every
20 ms while printing, the proportional set size (PSS) of the Chromium processes it drives (the two together are what the
machine must have free). The physical floor printed next to it: Chromium printing an
empty page with the same browser.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _pss_tree_mb(root_pid: int) -> float:
    """Proportional set size of ``root_pid``'s descendants (Chromium and its helpers):
    shared pages counted once across the tree, unlike summing RSS."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, list(children.get(root_pid, []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total / 2**20


class Sampler:
    def __init__(self) -> None:
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _pss_tree_mb(os.getpid()))
            time.sleep(0.02)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=None, help="demo data dir to use (prepared if empty)")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    from rich.console import Console

    from app import create_app
    from briefings.archive import produce_daily
    from briefings.daily import default_day
    from briefings.printer import process_printer
    from citybrain.demo import prepare
    from citybrain.settings import load_settings
    from store.engine import make_engine

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="cb-brief-bench-"))
    settings = load_settings(env={}, data_dir=data_dir)
    if not (data_dir / "citybrain.db").exists():
        t = time.perf_counter()
        prepare(settings, days=args.days, console=Console(quiet=True))
        print(f"prepared a {args.days}-day demo store in {time.perf_counter() - t:.1f} s ({data_dir})")
    t = time.perf_counter()
    server = create_app(settings, open_demo=True).server
    app_s = time.perf_counter() - t
    engine = make_engine(settings.resolved_store_url)
    day = default_day(settings)
    printer = process_printer()
    # the floor: the same browser printing a blank page (no document, no plotly) — time and memory
    printer.print_parts("", "x")
    with Sampler() as idle:
        t = time.perf_counter()
        printer.print_parts("", "x")
        floor = time.perf_counter() - t
    rows = []
    out_dir = Path(tempfile.mkdtemp(prefix="cb-brief-out-"))
    for i in range(args.runs):
        with Sampler() as chromium:
            t = time.perf_counter()
            done = produce_daily(settings, engine, day, out=out_dir / f"run{i}.pdf", requested_by="benchmark",
                                 printer=printer, server=server, notify=False)
            total = time.perf_counter() - t
        py_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append({"run": i + 1, "status": done.status, "pages": done.report.pages, "total_s": round(total, 2),
                     **{f"{k}_s": round(v, 2) for k, v in done.seconds.items()},
                     "python_peak_mb": round(py_peak), "chromium_peak_mb": round(chromium.peak),
                     "peak_mb": round(py_peak + chromium.peak)})

    head = ["run", "status", "pages", "total_s", "build_s", "print_s", "chromium_s", "check_s", "python_peak_mb",
            "chromium_peak_mb", "peak_mb"]
    print(f"\nDaily briefing of {day} ({args.days}-day demo store, {os.cpu_count()} cores); app built once in {app_s:.1f} s")
    print(" | ".join(head))
    for r in rows:
        print(" | ".join(str(r.get(h, "")) for h in head))
    warm = rows[1:] or rows
    best = min(r["total_s"] for r in warm)
    print(f"\nwarm briefing: {best:.2f} s (target ≤ 5 s) · peak memory {max(r['peak_mb'] for r in rows)} MB "
          f"(target ≤ 400 MB)\nfloor: Chromium printing a blank page {floor:.2f} s, its processes {idle.peak:.0f} MB PSS; "
          f"this Python process (Dash app, pandas) {rows[0]['python_peak_mb']} MB")
    if args.json:
        args.json.write_text(json.dumps({"day": day.isoformat(), "app_s": app_s, "runs": rows, "floor_s": floor,
                                        "floor_chromium_mb": idle.peak},
                                        indent=2), encoding="utf-8")
    printer.close()


if __name__ == "__main__":
    main()
