"""An independent aggregation of the depot department's source rows (tests/themes/depot.py).

Plain Python over the rows as the department wrote them — no pandas, no store, none of
themes.compute — following the rules of README "Themes (专题)": local hours by the
instant's own offset (zoneinfo), local days from local midnight, measured values per
depot then summed (``across = "sum"``), fill = stock ÷ capacity (sums for districts and
the city), counts of events with zeros inside the span of periods that hold events,
on-time share over the events that know it. Returns
{(indicator, grain, scope_kind, scope, start as UTC datetime): value}.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from tests.themes.depot import DEPOTS

UTC = dt.timezone.utc
TZ = ZoneInfo("Europe/Berlin")
STOCK_VALID = (0.0, 500.0)  # t, the indicator's valid span in city.toml


def hour_of(t: dt.datetime) -> dt.datetime:
    local = t.replace(tzinfo=UTC).astimezone(TZ)  # fold set for the repeated hour
    return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)


def day_of(t: dt.datetime) -> dt.datetime:
    local = t.replace(tzinfo=UTC).astimezone(TZ)
    return dt.datetime.combine(local.date(), dt.time(), tzinfo=TZ).astimezone(UTC)


def stock_t(value: Any) -> float | None:
    if value is None or str(value).strip() in ("NA", ""):
        return None
    t = float(value) / 1000
    return t if STOCK_VALID[0] <= t <= STOCK_VALID[1] else None


def expected(readings: list[dict[str, Any]], events: list[dict[str, Any]]) -> dict[tuple[Any, ...], float]:
    out: dict[tuple[Any, ...], float] = {}
    districts = sorted({d for d, _ in DEPOTS.values()})
    for grain, period in (("hour", hour_of), ("day", day_of)):
        # stock: mean per depot; districts and the city sum their depots' means
        per: dict[tuple[str, dt.datetime], list[float]] = defaultdict(list)
        for r in readings:
            if (v := stock_t(r["stock_kg"])) is not None:
                per[(r["depot_id"], period(r["read_at"]))].append(v)
        means = {k: sum(v) / len(v) for k, v in per.items()}
        sums: dict[tuple[str, str, dt.datetime], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for (depot, t), m in means.items():
            out[("stock", grain, "entity", depot, t)] = m
            out[("fill", grain, "entity", depot, t)] = m / DEPOTS[depot][1]
            for kind, scope in (("district", DEPOTS[depot][0]), ("city", "")):
                acc = sums[(kind, scope, t)]
                acc[0] += m
                acc[1] += DEPOTS[depot][1]
        for (kind, scope, t), (s, cap) in sums.items():
            out[("stock", grain, kind, scope, t)] = s
            out[("fill", grain, kind, scope, t)] = s / cap
        # counts: every period between the first and the last one holding an event
        times = [period(e["arrived_at"]) for e in events]
        span = _periods(min(times), max(times), grain)
        for name, chosen in (("deliveries", events), ("late", [e for e in events if e["late"] == 1])):
            for t in span:
                for depot in DEPOTS:
                    out[(name, grain, "entity", depot, t)] = 0.0
                for d in districts:
                    out[(name, grain, "district", d, t)] = 0.0
                out[(name, grain, "city", "", t)] = 0.0
                for g in {e["goods"] for e in events}:
                    out[(name, grain, "category", g, t)] = 0.0
            for e in chosen:
                t = period(e["arrived_at"])
                for kind, scope in (("entity", e["depot_id"]), ("district", DEPOTS[e["depot_id"]][0]), ("city", ""),
                                    ("category", e["goods"])):
                    out[(name, grain, kind, scope, t)] += 1
        # on-time share over the events that know it
        share: dict[tuple[str, str, dt.datetime], list[int]] = defaultdict(lambda: [0, 0])
        for e in events:
            if e["on_time"] is None:
                continue
            t = period(e["arrived_at"])
            for kind, scope in (("entity", e["depot_id"]), ("district", DEPOTS[e["depot_id"]][0]), ("city", ""),
                                ("category", e["goods"])):
                acc = share[(kind, scope, t)]
                acc[0] += e["on_time"]
                acc[1] += 1
        for (kind, scope, t), (num, den) in share.items():
            out[("on_time", grain, kind, scope, t)] = num / den
    return out


def _periods(first: dt.datetime, last: dt.datetime, grain: str) -> list[dt.datetime]:
    if grain == "hour":
        n = int((last - first).total_seconds() // 3600)
        return [first + dt.timedelta(hours=k) for k in range(n + 1)]
    a, b = first.astimezone(TZ).date(), last.astimezone(TZ).date()
    return [dt.datetime.combine(a + dt.timedelta(days=k), dt.time(), tzinfo=TZ).astimezone(UTC)
            for k in range((b - a).days + 1)]
