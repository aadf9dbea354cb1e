"""The observation steps' windows computed ahead in threads, their rows stored by one
writer thread (PostgreSQL stores; SQLite runs everything inline)."""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from store import bulk


class Pipeline:
    """The observation steps' windows computed ahead in threads and their rows stored by
    one writer thread, in order, while the next windows are read and computed.

    A window's rows wait on PostgreSQL twice — packing its readings, then merging its
    results — and the job alone left the two cores idle meanwhile: 30 days on the big
    city took 22 s wall for 10 s of Python CPU (issue 10). The driver waits without the
    GIL, so a thread waiting on the database lets another compute. Each write is still one
    transaction per batch, committed in the order the batches were computed; the first
    error of any thread stops the run and is raised. ``depth`` 0 runs everything inline
    (SQLite: one writer at a time).
    """

    def __init__(self, engine: Engine, now: dt.datetime, depth: int) -> None:
        self.engine, self.now, self.depth = engine, now, depth
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(depth, 1))
        self._error: BaseException | None = None
        self._writer = threading.Thread(target=self._write, name="indicators-writer", daemon=True) if depth else None
        self._pool = concurrent.futures.ThreadPoolExecutor(depth, thread_name_prefix="indicators-step") \
            if depth else None

    def __enter__(self) -> Pipeline:
        if self._writer:
            self._writer.start()
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if self._pool:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._writer:
            self._queue.put(None)
            self._writer.join()
        if kind is None and self._error is not None:
            raise self._error

    def run(self, tasks: list[tuple[int, Callable[[], dict[str, Any]]]],
            started: Callable[[int], None]) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each task's result, in order, with up to ``depth`` tasks running ahead."""
        if not self._pool:
            for i, task in tasks:
                started(i)
                yield i, task()
            return
        ahead: collections.deque[tuple[int, concurrent.futures.Future[dict[str, Any]]]] = collections.deque()
        todo = iter(tasks)
        for i, task in itertools.islice(todo, self.depth):
            ahead.append((i, self._pool.submit(task)))
        while ahead:
            i, future = ahead.popleft()
            started(i)
            result = future.result()
            for j, task in itertools.islice(todo, 1):
                ahead.append((j, self._pool.submit(task)))
            yield i, result

    def store(self, rows: list[dict[str, Any]] | pd.DataFrame) -> int:
        """Queue ``rows`` for the writer (inline without one); returns how many."""
        if self._error is not None:
            raise self._error
        if not self._writer:
            return bulk.write_indicators(self.engine, rows, self.now)
        self._queue.put(rows)
        return len(rows)

    def _write(self) -> None:
        while (rows := self._queue.get()) is not None:
            if self._error is None:
                try:
                    bulk.write_indicators(self.engine, rows, self.now)
                except BaseException as exc:  # noqa: BLE001 — raised again by the job's thread
                    self._error = exc
