"""Web budget: callback latency under load, against ``gunicorn -w 2 app:server``.

The server runs the big city (``benchmarks/dataset.py``) on a PostgreSQL store
(``benchmarks/compute.py`` prepares ``cb_bench_store``) with the Redis cache (its own
database number, emptied here). What a viewer sends is recorded once from Chromium —
the wall overview's refresh and heartbeat, and the traffic page's callbacks — and then
replayed by 1, 10 and 50 concurrent clients (``benchmarks/loadkit.py``):

* warm — the cache holds every query (each client's requests back to back);
* cold — the Redis database is emptied before every round (all clients at once).

Targets: p95 ≤ 50 ms warm, ≤ 300 ms cold. Next to them, the physical floor in the same
run: the same server answering ``/healthz`` (Flask + gunicorn and one trivial query, no
Dash) at the same concurrency — with clients sending back to back, two sync workers
on two cores queue requests, so at 10 and 50 clients latency is mostly waiting in line
(Little's law), for ``/healthz`` as for the wall. Then the wall's first full render in
Chromium next to a bare Dash page (``benchmarks/wall_render.py``) and the workers' RSS.

    python3 benchmarks/web.py [--seconds 20] [--json out.json]

To compare two versions in the same conditions, serve another checkout (``--app-dir``,
e.g. ``git archive <commit> | tar -x -C /tmp/before``); ``--cache-url`` picks the Redis
database this run may empty; ``--config``/``--store-url``/``--no-faketime`` run it on
another city (the demo's store) while the big city's is being built.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402
import loadkit  # noqa: E402
import wall_render  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/13"  # the benchmark's own database (default): flushed freely
CONCURRENCY = (1, 10, 50)


LIBFAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


def server_env(config: Path, store_url: str, data_dir: Path, cache_url: str = REDIS_URL,
               now: dt.datetime | None = dataset.END) -> dict[str, str]:
    """The server's environment; ``now`` sets its clock (libfaketime) to the dataset's end,
    so the pages see the kept city-year as current data, as a live city's would be."""
    env = {"CITYBRAIN_CONFIG": str(config), "CITYBRAIN_STORE_URL": store_url, "CITYBRAIN_CACHE_URL": cache_url,
           "CITYBRAIN_SECRET_KEY": "benchmark-only", "CITYBRAIN_DATA_DIR": str(data_dir),
           "CITYBRAIN_OPEN_DEMO": "1", "CITYBRAIN_LOG_LEVEL": "WARNING"}
    if now is not None:
        if not LIBFAKETIME.exists():
            raise SystemExit(f"{LIBFAKETIME} is missing: install it with `apt-get install faketime` "
                             "(the benchmark city-year ends on a fixed date the server must take for today)")
        # an offset (not an absolute "@…" start): with it time.sleep and the monotonic
        # clock keep working under libfaketime
        behind = dt.datetime.now(dt.timezone.utc) - (now + dt.timedelta(minutes=5))
        env |= {"LD_PRELOAD": str(LIBFAKETIME), "FAKETIME": f"-{int(behind.total_seconds())}s", "TZ": "UTC"}
    return env


def record(browser: Any, url: str) -> dict[str, list[dict[str, Any]]]:
    """What a wall sends: opening the page (the page-content callback) and then, every
    ``wall.refresh``, its refresh and heartbeat (clientside callbacks never reach the server)."""
    wall = loadkit.record_callbacks(browser, url + "/wall/overview", wait_for="wall-shown")
    opening = [b for b in wall if "_pages_content" in b["body"].get("output", "")]
    return {"refresh": loadkit.tick_bodies(wall), "open": opening}


def healthz_floor(url: str, clients: int, seconds: float) -> dict[str, float]:
    """Latency of ``GET /healthz`` at the same concurrency: gunicorn + Flask + one trivial query."""
    import threading
    import time

    import requests

    lat: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def one() -> None:
        s = requests.Session()
        while time.monotonic() < stop:
            t = time.perf_counter()
            s.get(url + "/healthz", timeout=30)
            with lock:
                lat.append(time.perf_counter() - t)

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return loadkit.summary_ms(lat)


def latency(url: str, bodies: list[dict[str, Any]], seconds: float, cold_rounds: int,
            cache_url: str = REDIS_URL) -> dict[str, Any]:
    """Warm and cold latency at 1, 10 and 50 clients, with the /healthz floor."""
    out: dict[str, Any] = {}
    loadkit.run_load(url, bodies, clients=1, rounds=2)  # fill the cache
    for clients in CONCURRENCY:
        warm = loadkit.run_load(url, bodies, clients=clients, duration_s=seconds)
        cold = loadkit.run_load(url, bodies, clients=clients, rounds=cold_rounds,
                                before_round=lambda: loadkit.flush_redis(cache_url))
        out[clients] = {"warm": loadkit.summary_ms(warm.all()), "cold": loadkit.summary_ms(cold.all()),
                        "floor": healthz_floor(url, clients, min(seconds, 10)),
                        "errors": warm.errors[:5] + cold.errors[:5],
                        "per_callback_warm": {k: loadkit.summary_ms(v) for k, v in warm.latencies.items()}}
        w, c, f = out[clients]["warm"], out[clients]["cold"], out[clients]["floor"]
        print(f"{clients:>3} clients: warm p50/p95/p99 {w['p50']:.0f}/{w['p95']:.0f}/{w['p99']:.0f} ms "
              f"(n={w['n']}), cold {c['p50']:.0f}/{c['p95']:.0f}/{c['p99']:.0f} ms (n={c['n']}); "
              f"/healthz floor {f['p50']:.0f}/{f['p95']:.0f}/{f['p99']:.0f} ms; errors {len(warm.errors + cold.errors)}",
              flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--admin-url", default=dataset.ADMIN_URL)
    ap.add_argument("--store-db", default="cb_bench_store")
    ap.add_argument("--seconds", type=float, default=20, help="warm run per concurrency")
    ap.add_argument("--cold-rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=7, help="first renders of the wall (and of the bare page)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--cache-url", default=REDIS_URL, help="the Redis database of this run (emptied for cold rounds)")
    ap.add_argument("--app-dir", type=Path, default=loadkit.ROOT, help="the checkout to serve (default: this one)")
    ap.add_argument("--config", type=Path, help="another city's TOML (default: the big city's)")
    ap.add_argument("--store-url", help="another store (default: --store-db on --admin-url)")
    ap.add_argument("--no-faketime", action="store_true", help="serve at the real time (a live or demo store)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        config = (args.config or dataset.city_config()).resolve()
        env = server_env(config, args.store_url or dataset.source_url(args.admin_url, args.store_db), Path(tmp),
                         cache_url=args.cache_url, now=None if args.no_faketime else dataset.END)
        browser = p.chromium.launch(executable_path=loadkit.CHROMIUM, args=loadkit.CHROMIUM_ARGS)
        with loadkit.gunicorn(env, workers=2, log=Path(tmp) / "gunicorn.log", app_dir=args.app_dir) as server:
            bodies = record(browser, server.url)
            print(f"recorded: {len(bodies['refresh'])} refresh-time callbacks, {len(bodies['open'])} opening", flush=True)
            out = {"latency": latency(server.url, bodies["refresh"], args.seconds, args.cold_rounds, args.cache_url)}
            if bodies["open"]:  # the router's request (none when the wall's layout is served whole)
                out["open"] = loadkit.summary_ms(loadkit.run_load(server.url, bodies["open"], clients=1, rounds=20).all())
            out["render"] = wall_render.measure(browser, server.url, config, args.runs)
            out["rss_mb"] = server.rss_mb()
            print(f"wall first render: median {out['render']['wall_median_s']:.2f} s, bare Dash page "
                  f"{out['render']['bare_median_s']:.2f} s, ratio {out['render']['ratio']:.2f}; "
                  f"worker RSS {out['rss_mb']}", flush=True)
        browser.close()
    if args.json:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
