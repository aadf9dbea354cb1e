"""Run the issue-10 benchmarks and print the table (also ``benchmarks/results/<date>.md``).

    python3 benchmarks/run.py                  # poll, compute (a year), web, briefing; ~45 min the first time
    python3 benchmarks/run.py --collect DIR    # only render the table from DIR/{poll,compute,web,briefing,load}.json

``load.json`` comes from the fault suite's load run:
``CITYBRAIN_FULL_RUNS=1 CITYBRAIN_LOAD_JSON=DIR/load.json python3 -m pytest tests/faults/test_load.py -s``.

Each figure stands next to its physical limit measured in the same run (see each
script's docstring).
The machine's description — cores, RAM, versions and what else was running — is
written with the table: these figures are from a shared 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import loadkit  # noqa: E402

RESULTS = HERE / "results"


def _ok(value: float, limit: float, *, at_most: bool = True) -> str:
    return "✅" if (value <= limit if at_most else value >= limit) else "❌"


def table(data: dict[str, Any]) -> list[str]:
    """Markdown rows: figure | measured | target | physical limit, same run."""
    rows = ["| figure | measured | target | physical limit (same run) |", "|---|---|---|---|"]
    poll = data.get("poll")
    if poll:
        inc = poll["incremental"]
        for key, label in (("lookback_0s", "no lookback"), ("lookback_30m", "30 min lookback")):
            ms = inc[key]["ms_median"]
            rows.append(f"| poll 1,000 new rows of {inc['table_rows']:,} ({label}) | {ms:.0f} ms median "
                        f"({inc[key]['rows_read']:,} read) | ≤ 100 ms {_ok(ms, 100)} | — |")
        b = poll["backfill"]
        rows.append(f"| bulk backfill into a PostgreSQL store ({b['rows']:,} rows) | {b['rows_per_s']:,.0f} rows/s "
                    f"| ≥ 300,000 rows/s {_ok(b['rows_per_s'], 300_000, at_most=False)} | SELECT+fetch "
                    f"{b['select_rows_per_s']:,.0f}/s; COPY out {b['copy_out_rows_per_s']:,.0f}/s; COPY out+in "
                    f"{b['copy_through_rows_per_s']:,.0f}/s (unindexed table)"
                    + (f"; COPY out+in the store's own obs_traffic {b['copy_into_store_rows_per_s']:,.0f}/s"
                       if "copy_into_store_rows_per_s" in b else "") + " |")
    comp = data.get("compute")
    if comp:
        for label, target in (("1 day", 2.0), ("365 days", 60.0), ("30 days", None)):
            c = comp.get(label)
            if not c:
                continue
            tgt = f"≤ {target:g} s {_ok(c['total_s'], target)}" if target else "—"
            rows.append(f"| compute {label}: indicators + warnings replay | {c['total_s']:.1f} s "
                        f"({c['indicators_s']:.1f} + {c['warnings_s']:.1f}; {c['indicator_rows']:,} rows) | {tgt} | "
                        f"COPY of its {c['obs_rows']:,} observation rows {c['limit_copy_s']:.1f} s"
                        + (f"; storing its {c['limit_write_rows']:,} indicator rows {c['limit_write_s']:.1f} s"
                           if "limit_write_s" in c else "") + " |")
    web = data.get("web")
    if web:
        for clients, r in web["latency"].items():
            w, c, f = r["warm"], r["cold"], r["floor"]
            rows.append(f"| wall refresh+heartbeat, {clients} client(s) back to back: p50/p95/p99 | warm "
                        f"{w['p50']:.0f}/{w['p95']:.0f}/{w['p99']:.0f} ms; cold {c['p50']:.0f}/{c['p95']:.0f}/"
                        f"{c['p99']:.0f} ms | p95 ≤ 50 warm {_ok(w['p95'], 50)}, ≤ 300 cold {_ok(c['p95'], 300)} | "
                        f"`/healthz` {f['p50']:.0f}/{f['p95']:.0f}/{f['p99']:.0f} ms |")
        r = web["render"]
        rows.append(f"| wall overview first full render (Chromium) | {r['wall_median_s']:.2f} s median | ≤ 1.0 s "
                    f"{_ok(r['wall_median_s'], 1.0)} | bare Dash page, same figures from constants: "
                    f"{r['bare_median_s']:.2f} s |")
        rows.append(f"| … ratio wall / bare | {r['ratio']:.2f} | ≤ 1.3 {_ok(r['ratio'], 1.3)} | — |")
    brief = data.get("briefing")
    if brief:
        runs = brief["runs"]
        warm = runs[1:] or runs
        best = min(r["total_s"] for r in warm)
        peak = max(r["peak_mb"] for r in runs)
        py = max(r["python_peak_mb"] for r in runs)
        rows.append(f"| daily briefing, warm printer ({len(warm)} run(s); first with the browser launch "
                    f"{runs[0]['total_s']:.1f} s) | {best:.1f} s | ≤ 5 s {_ok(best, 5)} | Chromium printing a blank "
                    f"page {brief['floor_s']:.2f} s |")
        rows.append(f"| … peak memory: this process + Chromium (PSS) | {peak:.0f} MB ({py:.0f} + "
                    f"{peak - py:.0f}) | ≤ 400 MB {_ok(peak, 400)} | Chromium and its driver, blank page: "
                    f"{brief['floor_chromium_mb']:.0f} MB |")
    load = data.get("load")
    if load:
        a = load["all"]
        rows.append(f"| load run: {load['viewers']} walls for {load['seconds'] // 60} min (each every "
                    f"{load['think_s']:g} s) on 2 workers while the scheduler polls ({load['scheduler_jobs']} jobs) | "
                    f"{load['requests']:,} callbacks, {load['errors']} errors; p50/p95/p99 {a['p50']:.0f}/{a['p95']:.0f}/"
                    f"{a['p99']:.0f} ms | no errors {'✅' if load['errors'] == 0 else '❌'} | — |")
        rss = max(load["rss_after"])
        rows.append(f"| web worker RSS after an hour-equivalent (50 walls × 120 refreshes) | {rss:.0f} MB | ≤ 250 MB "
                    f"{_ok(rss, 250)} | at start {max(load['rss_before']):.0f} MB |")
    return rows


def render(data: dict[str, Any], machine: dict[str, Any]) -> str:
    lines = [f"# Benchmarks {dt.date.today().isoformat()}", ""]
    ds = data.get("dataset")
    if ds:
        lines += [f"Dataset `cb_bench_source` (benchmarks/dataset.py): {ds['rows']}; generated in "
                  f"{ds['seconds'] / 60:.0f} min ({ds['by_department']} s).", ""]
    lines += table(data)
    lines += ["", f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM; Python "
              f"{machine['python']}; {'; '.join(machine['versions'].values())}.",
              f"Load average at the end {machine['loadavg']} — other agents' test suites and browsers share these "
              f"2 cores; busiest processes: {', '.join(machine['busiest'][:5])}."]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--collect", type=Path, help="render from the JSON files in this directory")
    args = ap.parse_args()
    folder = args.collect or Path(tempfile.mkdtemp(prefix="cb-bench-"))
    if not args.collect:
        for script, extra in (("poll.py", []), ("compute.py", ["--year"]), ("web.py", []), ("briefing.py", [])):
            out = folder / f"{script[:-3]}.json"
            subprocess.run([sys.executable, str(HERE / script), "--json", str(out), *extra], check=True)
    data = {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}
    if (RESULTS / "dataset.json").exists():
        data["dataset"] = json.loads((RESULTS / "dataset.json").read_text())
    text = render(data, loadkit.machine())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{dt.date.today().isoformat()}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
