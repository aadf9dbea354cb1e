"""The test city's depot department database (tests/themes/city.toml), on any backend.

Stock readings every ten minutes (text values, as departments keep them: some "NA",
some out of the indicator's valid span) and delivery events with an id, a category and
two yes/no columns, over local days that include Europe/Berlin's 25-hour 2026-10-25.
Times are naive UTC (the sources say ``timezone = "UTC"``): the local days are the city's.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import sqlalchemy as sa

UTC = dt.timezone.utc
START = dt.datetime(2026, 10, 23, 21, 0)  # naive UTC: 2026-10-23 23:00 Berlin (CEST)
END = dt.datetime(2026, 10, 26, 23, 0)  # naive UTC: 2026-10-27 00:00 Berlin (CET)
DEPOTS = {"D1": ("990101", 200.0), "D2": ("990101", 100.0), "D3": ("990102", 50.0)}
GOODS = ("food", "parts", "fuel")

md = sa.MetaData()
stock_readings = sa.Table(
    "stock_readings", md,
    sa.Column("depot_id", sa.String(10), nullable=False),
    sa.Column("read_at", sa.DateTime, nullable=False),
    sa.Column("stock_kg", sa.String(20)),
)
deliveries = sa.Table(
    "deliveries", md,
    sa.Column("delivery_no", sa.String(20), primary_key=True),
    sa.Column("depot_id", sa.String(10), nullable=False),
    sa.Column("arrived_at", sa.DateTime, nullable=False),
    sa.Column("goods", sa.String(20)),
    sa.Column("on_time", sa.Integer),
    sa.Column("late", sa.Integer),
    sa.Column("changed_at", sa.DateTime, nullable=False),
)


def build(url: str, seed: int = 20) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Create and fill the two tables at ``url``; returns their rows (as written)."""
    rng = random.Random(seed)
    readings: list[dict[str, Any]] = []
    t = START
    while t < END:
        for code, (_, cap) in DEPOTS.items():
            roll = rng.random()
            if roll < 0.03:
                value: str | None = "NA"
            elif roll < 0.05:
                value = None
            elif roll < 0.06:
                value = "-5"  # below valid = [0, 500] t: unusable, recorded
            else:
                value = f"{rng.uniform(0.2, 1.1) * cap * 1000:.1f}"  # kg; sometimes above capacity
            readings.append({"depot_id": code, "read_at": t, "stock_kg": value})
        t += dt.timedelta(minutes=10)
    events: list[dict[str, Any]] = []
    for i in range(400):
        at = START + dt.timedelta(seconds=rng.randrange(int((END - START).total_seconds())))
        on_time = rng.choice([1, 1, 1, 0, None])
        events.append({"delivery_no": f"DL{i:04d}", "depot_id": rng.choice(list(DEPOTS)), "arrived_at": at,
                       "goods": rng.choice(GOODS), "on_time": on_time, "late": 1 if on_time == 0 else 0,
                       "changed_at": at + dt.timedelta(minutes=5)})
    engine = sa.create_engine(url)
    try:
        md.drop_all(engine)
        md.create_all(engine)
        with engine.begin() as conn:
            conn.execute(stock_readings.insert(), readings)
            conn.execute(deliveries.insert(), events)
    finally:
        engine.dispose()
    return readings, events


def correct(url: str, events: list[dict[str, Any]], at: dt.datetime) -> None:
    """The department updates some deliveries (an open one closes late; one moves depot)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for e in events[:20]:
                if e["on_time"] is None:
                    e.update(on_time=0, late=1, changed_at=at)
                    conn.execute(deliveries.update().where(deliveries.c.delivery_no == e["delivery_no"])
                                 .values(on_time=0, late=1, changed_at=at))
            e = events[21]
            e.update(depot_id="D3" if e["depot_id"] != "D3" else "D1", changed_at=at)
            conn.execute(deliveries.update().where(deliveries.c.delivery_no == e["delivery_no"])
                         .values(depot_id=e["depot_id"], changed_at=at))
    finally:
        engine.dispose()
