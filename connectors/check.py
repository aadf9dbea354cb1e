"""``citybrain check``: can every source be read as configured, right now?

For each source: connect (read-only, with its timeouts), confirm the configured columns
exist, and map the newest row as a poll would. Nothing is written anywhere, so a city
engineer can run it against production databases while editing the config.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError

from citybrain.errors import SchemaDriftError, SourceError
from citybrain.settings import Settings, Source
from connectors.fields import ENTITY_KIND
from connectors.mapping import Mapper
from connectors.poll import describe
from connectors.source import SourceEngines, SourceReader
from connectors.validate import Invalid


@dataclass(frozen=True)
class CheckReport:
    name: str
    ok: bool
    reachable: bool
    missing_columns: list[str] = field(default_factory=list)
    #: True when the newest row maps, False when it does not, None when the source is empty
    sample_ok: bool | None = None
    message: str = ""


def check(settings: Settings) -> list[CheckReport]:
    """Check every configured source (enabled or not); never raises for a bad source."""
    sources = list(settings.sources)
    if not sources:
        return []
    with SourceEngines() as engines, ThreadPoolExecutor(max_workers=min(8, len(sources))) as pool:
        return list(pool.map(lambda s: check_source(settings, s, engines), sources))


def check_source(settings: Settings, source: Source, engines: SourceEngines) -> CheckReport:
    try:
        kind = ENTITY_KIND.get(source.domain)
        known = {e.code for e in getattr(settings, f"{kind}s")} if kind else set()
        mapper = Mapper(settings, source, known)
    except ValueError as exc:
        return CheckReport(source.name, False, False, message=f"config: {exc}")
    try:
        with engines.get(source).connect() as conn:
            try:
                reader = SourceReader(source, conn)
            except SchemaDriftError as exc:
                return CheckReport(source.name, False, True, list(getattr(exc, "missing", [])),
                                   message=describe(exc, source))
            sample = reader.newest()
    except (DBAPIError, SourceError, OSError) as exc:
        return CheckReport(source.name, False, False, message=describe(exc, source))
    except Exception as exc:  # noqa: BLE001 — check reports, it does not crash
        return CheckReport(source.name, False, False, message=describe(exc, source))
    if sample is None:
        return CheckReport(source.name, True, True, sample_ok=None, message="reachable, columns present, no rows yet")
    try:
        mapper.map_row(sample, dt.datetime.now(dt.timezone.utc))
    except Invalid as exc:
        return CheckReport(source.name, False, True, sample_ok=False,
                           message=f"the newest row does not map: {exc}")
    return CheckReport(source.name, True, True, sample_ok=True, message="ok")
