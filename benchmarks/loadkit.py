"""Driving the web app like its viewers do: gunicorn workers, recorded callbacks, load.

Shared by ``benchmarks/web.py``, ``benchmarks/memory.py`` and the load run of the
fault suite (``tests/faults/test_load.py``). A "viewer" is what a wall or an office page
sends: the Dash callback requests a real Chromium sent when it opened the page, recorded
once (:func:`record_callbacks`) and replayed by many threads (:func:`run_load`), each
timing its requests. Plain HTTP from threads, so 50 viewers cost the load machine far
less than 50 browsers would, and what is measured is the server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
CHROMIUM = "/usr/bin/chromium"
UPDATE = "/_dash-update-component"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running ``gunicorn -w N app:server``: its address and process ids."""

    url: str
    proc: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each worker (MB), from /proc."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except FileNotFoundError:
                continue
            kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
            sizes[pid] = kb / 1024
        return sizes


@contextmanager
def gunicorn(env: Mapping[str, str], *, workers: int = 2, log: Path, timeout_s: float = 90,
             extra: list[str] | None = None, app_dir: Path = ROOT) -> Iterator[Server]:
    """Start ``gunicorn -w workers app:server`` on a free port; stop it (SIGTERM) afterwards.

    ``app_dir``: the checkout whose ``app`` to serve (another commit's, to compare)."""
    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120",
           *(extra or []), "app:server"]
    out = open(log, "wb")
    proc = subprocess.Popen(cmd, cwd=app_dir, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, timeout_s)
        yield Server(url, proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float) -> None:
    import requests

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url + "/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout_s:.0f}s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


def record_callbacks(browser: Any, url: str, *, wait_for: str = "wall-shown", settle_s: float = 1.0,
                     timeout_s: float = 60, kick: str | None = "wall-refresh",
                     kick_after_s: float = 3.0) -> list[dict[str, Any]]:
    """Open ``url`` in Chromium and return the server callback requests it sent.

    Waits until a callback whose output names ``wait_for`` has been answered, then a
    moment more for the ones it chains. Each item is ``{"path": …, "body": …}``: the
    request path with its query (Dash 4 adds one) and the JSON body the browser sent.

    A wall sent filled asks for nothing until its refresh interval first ticks (30 s by
    default), so after ``kick_after_s`` the recorder ticks it itself (``set_props`` on
    ``kick``'s ``n_intervals``: the request a tick sends).
    """
    bodies: list[dict[str, Any]] = []
    answered = threading.Event()

    def on_request(req: Any) -> None:
        if req.method == "POST" and UPDATE in req.url:
            path = req.url[req.url.index(UPDATE):]
            bodies.append({"path": path, "body": json.loads(req.post_data)})

    def on_response(resp: Any) -> None:
        if UPDATE in resp.url and wait_for in (resp.request.post_data or ""):
            answered.set()

    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.on("request", on_request)
    page.on("response", on_response)
    try:
        page.goto(url, wait_until="domcontentloaded")
        started = time.monotonic()
        deadline, kicked = started + timeout_s, kick is None
        while not answered.is_set() and time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if not kicked and time.monotonic() - started > kick_after_s:
                kicked = page.evaluate(
                    "id => !!(window.dash_clientside && dash_clientside.set_props && document.getElementById(id)"
                    " && (dash_clientside.set_props(id, {n_intervals: 1}), true))", kick)
        page.wait_for_timeout(settle_s * 1000)
    finally:
        context.close()
    if not answered.is_set():
        raise RuntimeError(f"{url}: no answered callback for {wait_for!r} within {timeout_s:.0f}s")
    return bodies


def tick_bodies(bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a viewer sends each refresh tick: the last recorded request of each callback,
    without the router's (it runs once, on opening) — the heartbeat also ran once at load."""
    ticks = {b["body"].get("output", ""): b for b in bodies if "_pages_content" not in b["body"].get("output", "")}
    return list(ticks.values())


@dataclass
class LoadResult:
    """Latencies (seconds) of every request, per callback output, and every failure."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    wall_s: float = 0.0

    def all(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), nearest-rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": percentile(values, 50) * 1000, "p95": percentile(values, 95) * 1000,
            "p99": percentile(values, 99) * 1000, "max": max(values, default=float("nan")) * 1000}


def run_load(url: str, bodies: list[dict[str, Any]], *, clients: int, duration_s: float | None = None,
             rounds: int | None = None, think_s: float = 0.0, before_round: Any = None,
             timeout_s: float = 30) -> LoadResult:
    """``clients`` threads each replay ``bodies`` in order, again and again.

    Stops after ``duration_s`` or after ``rounds`` rounds per client. ``before_round``
    (called by one thread while the others wait at a barrier) can e.g. empty the cache,
    so that every round starts cold. A non-200 answer or an exception is an error.
    """
    import requests

    result = LoadResult()
    lock = threading.Lock()
    barrier = threading.Barrier(clients, action=before_round) if before_round else None
    stop_at = time.monotonic() + duration_s if duration_s else None

    def viewer(i: int) -> None:
        session = requests.Session()
        session.headers["Origin"] = url.rstrip("/")  # as a browser's page would (access/csrf.py)
        n = 0
        while (rounds is None or n < rounds) and (stop_at is None or time.monotonic() < stop_at):
            if barrier is not None:
                barrier.wait()
            for item in bodies:
                key = item["body"].get("output", "?")[:60]
                started = time.perf_counter()
                try:
                    resp = session.post(url + item["path"], json=item["body"], timeout=timeout_s)
                    ok = resp.status_code in (200, 204)
                    problem = None if ok else f"{resp.status_code} {resp.text[:200]}"
                except requests.RequestException as exc:
                    problem = f"{type(exc).__name__}: {exc}"
                took = time.perf_counter() - started
                with lock:
                    result.requests += 1
                    result.latencies.setdefault(key, []).append(took)
                    if problem:
                        result.errors.append(f"{key}: {problem}")
            n += 1
            if think_s:
                time.sleep(think_s * (0.5 + (i * 7919 % 100) / 100))  # viewers out of step
        session.close()

    started = time.monotonic()
    threads = [threading.Thread(target=viewer, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall_s = time.monotonic() - started
    return result


def flush_redis(url: str) -> None:
    """Empty the benchmark's own Redis database (its number is in the URL)."""
    import redis

    redis.Redis.from_url(url).flushdb()


def machine() -> dict[str, Any]:
    """What the figures were measured on, and what else was running."""
    import platform

    load = os.getloadavg()
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:"))
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    versions = {}
    for name, cmd in (("postgresql", ["psql", "--version"]), ("redis", ["redis-server", "--version"]),
                      ("chromium", [CHROMIUM, "--version"])):
        try:
            versions[name] = subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            versions[name] = "(not found)"
    top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers"], capture_output=True,
                         text=True).stdout.splitlines()[:8]
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem / 1024 / 1024, 1),
            "python": platform.python_version(), "versions": versions, "loadavg": [round(x, 2) for x in load],
            "busiest": [" ".join(line.split()) for line in top]}
