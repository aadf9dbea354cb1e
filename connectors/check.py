"""``citybrain check``: can every source be read as configured, right now?

For each source: connect (read-only, with its timeouts), confirm the configured columns
exist, and map a sample of the newest rows as a poll would (issue 19: judging by the
newest row alone failed two good sources whose newest row happened to be bad). Nothing is
written anywhere, so a city engineer can run it against production databases while
editing the config.

A report also says whether the problem is the *config* (a table, column or watermark the
source does not have): ``citybrain scheduler`` refuses to start on those
(:func:`config_problems`), while a source that is merely unreachable is polled — and
retried — as usual.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from citybrain.errors import ConfigProblem, SchemaDriftError, SourceError
from citybrain.settings import Settings, Source
from connectors.fields import ENTITY_KIND
from connectors.poll import describe
from connectors.source import SourceEngines, SourceReader
from connectors.theme import mapper_for, theme_entities

#: how many of the newest rows ``check`` maps
SAMPLE_ROWS = 200


@dataclass(frozen=True)
class CheckReport:
    name: str
    ok: bool
    reachable: bool
    missing_columns: list[str] = field(default_factory=list)
    #: True when some sampled row maps, False when none does, None when the source is empty
    sample_ok: bool | None = None
    message: str = ""
    #: the config asks for what the source does not have (a table, a column, the watermark)
    config_problem: bool = False
    #: rows sampled, and of them: mapped, quarantined, fields unusable
    sampled: int = 0
    mapped: int = 0
    rejected: int = 0
    field_issues: int = 0


def check(settings: Settings, names: list[str] | None = None) -> list[CheckReport]:
    """Check every configured source (enabled or not), or those named; never raises for a bad source."""
    sources = [s for s in settings.sources if names is None or s.name in names]
    if not sources:
        return []
    with SourceEngines() as engines, ThreadPoolExecutor(max_workers=min(8, len(sources))) as pool:
        return list(pool.map(lambda s: check_source(settings, s, engines), sources))


def config_problems(settings: Settings) -> list[ConfigProblem]:
    """What the enabled sources' config asks of their databases that they do not have.

    Issue 19 item 11: a missing table, a wrong column or a wrong watermark column started
    the scheduler anyway, to fail on every poll. What can be known at start is refused at
    start; an unreachable source is not a config problem (it is polled and retried).
    """
    reports = check(settings, [s.name for s in settings.sources if s.enabled])
    return [ConfigProblem(f"sources ({r.name})", r.message,
                          "correct `table`/`query`, `watermark` or [sources.columns] for this source, "
                          "or set `enabled = false` until the department's table is ready")
            for r in reports if r.config_problem]


def check_source(settings: Settings, source: Source, engines: SourceEngines) -> CheckReport:
    try:
        kind = ENTITY_KIND.get(source.domain)
        known = {e.code for e in getattr(settings, f"{kind}s")} if kind else set()
        if (theme := settings.theme(source.domain)) is not None:  # issue 20
            known = theme_entities(settings, None, theme)
        mapper = mapper_for(settings, source, known)
    except ValueError as exc:
        return CheckReport(source.name, False, False, message=f"config: {exc}", config_problem=True)
    try:
        with engines.get(source).connect() as conn:
            try:
                reader = SourceReader(source, conn)
            except SchemaDriftError as exc:
                return CheckReport(source.name, False, True, list(getattr(exc, "missing", [])),
                                   message=describe(exc, source), config_problem=True)
            sample = reader.newest(SAMPLE_ROWS)
    except DBAPIError as exc:
        return CheckReport(source.name, False, False, message=describe(exc, source),
                           config_problem=_names_missing_object(exc))
    except (SourceError, OSError) as exc:
        return CheckReport(source.name, False, False, message=describe(exc, source))
    except Exception as exc:  # noqa: BLE001 — check reports, it does not crash
        return CheckReport(source.name, False, False, message=describe(exc, source))
    if not sample:
        return CheckReport(source.name, True, True, sample_ok=None, message="reachable, columns present, no rows yet")
    batch = mapper.map_batch(sample[::-1], dt.datetime.now(dt.timezone.utc))  # oldest first, as a poll reads
    counts = {"sampled": len(sample), "mapped": len(batch.rows), "rejected": len(batch.rejected),
              "field_issues": len(batch.issues)}
    summary = (f"{len(sample)} newest rows sampled: {len(batch.rows)} map, {len(batch.rejected)} would be "
               f"quarantined, {len(batch.issues)} fields unusable")
    if not batch.rows:
        return CheckReport(source.name, False, True, sample_ok=False,
                           message=f"{summary}; e.g. {batch.rejected[0].reason}", **counts)
    detail = f"; e.g. {batch.rejected[-1].reason}" if batch.rejected else ""
    return CheckReport(source.name, True, True, sample_ok=True, message=f"ok: {summary}{detail}", **counts)


def _names_missing_object(exc: DBAPIError) -> bool:
    """Did the source refuse the statement because the configured table or query is wrong?

    A refused statement (PostgreSQL's undefined table, MariaDB's 1146) is a programming
    error, not an operational one; SQLite reports a missing table as operational.
    """
    text = str(exc.orig).lower()
    if "no such table" in text or "no such column" in text:
        return True
    return not isinstance(exc, (OperationalError, InterfaceError)) and not exc.connection_invalidated
