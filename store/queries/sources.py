"""The sources' state, as the home and data-sources pages show it.

Each returns plain data (dicts, frames); the figure builders and components turn that
into pictures. Memoized where the data's cadence allows (``citybrain.cache``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, select

from citybrain.settings import Settings
from store.schema import source_status


def source_overview(engine: Engine, settings: Settings, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every configured source with its last known status, age and counts.

    A source that was never polled still appears (status ``never``): the IT engineer
    must see what is configured, not only what has reported.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    with engine.connect() as conn:
        stored = {r.name: r._asdict() for r in conn.execute(select(source_status))}
    rows = []
    for src in settings.sources:
        st = stored.get(src.name, {})
        data_time = st.get("data_time")
        age = (now - data_time).total_seconds() if data_time else None
        max_age = (src.max_age or settings.max_age(src.domain)).total_seconds()
        status = st.get("status") or ("disabled" if not src.enabled else "never")
        rows.append({
            "name": src.name, "domain": src.domain, "owner_zh": src.owner_zh, "owner_en": src.owner_en,
            "status": status, "last_success": st.get("last_success"), "data_time": data_time,
            "age_seconds": age, "stale": age is None or age > max_age,
            "rows_written_total": st.get("rows_written_total") or 0,
            "rows_quarantined_total": st.get("rows_quarantined_total") or 0,
            "last_error": st.get("last_error"),
        })
    return rows


def table_counts(engine: Engine, tables: list[Any]) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
