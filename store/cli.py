"""``citybrain db retention | partitions | rollups``: the store's upkeep from the command line.

The scheduler does all three once a day (``jobs.retention.store_maintenance``); these
commands are for the city's IT staff — to see what retention would remove before it
does, to create partitions ahead of a bulk load, to rebuild rollups after a backfill.
``register`` mounts them on ``citybrain db`` (``citybrain.cli``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

# citybrain.cli's error handler, looked up at call time (that module mounts these commands)
from access.cli import handles_errors

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="City config TOML (default: $CITYBRAIN_CONFIG or config/xuchang.toml).")]
UTC = dt.timezone.utc


def _console() -> Any:
    from citybrain.cli import _console as console

    return console()


def _open(config: Path | None) -> tuple[Any, Any]:
    from citybrain.settings import load_settings
    from store.engine import open_store

    settings = load_settings(config)
    return settings, open_store(settings)


def _date(text: str | None, tz: Any) -> dt.datetime | None:
    """Local midnight of the date ``text`` (YYYY-MM-DD), in UTC."""
    if not text:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=tz).astimezone(UTC)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date; write it as YYYY-MM-DD") from None


@handles_errors
def retention(config: ConfigOpt = None,
              dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be removed.")) -> None:
    """Remove rows older than the retention settings allow (drops whole old partitions on PostgreSQL)."""
    from sqlalchemy import func, select

    from jobs.retention import RULES, cutoff_for, run

    settings, engine = _open(config)
    now = dt.datetime.now(UTC)
    out = Table("table", "kept", "rows removed" if not dry_run else "rows to remove", box=None)
    if dry_run:
        with engine.connect() as conn:
            for rule in RULES:
                cutoff = cutoff_for(settings, rule.kind, now)
                n = 0 if cutoff is None else conn.execute(
                    select(func.count()).select_from(rule.table).where(*rule.condition(cutoff))).scalar_one()
                out.add_row(rule.table.name, _kept(settings, rule.kind), f"{n:,}")
    else:
        counts = run(settings, engine, now=now)
        for rule in RULES:
            out.add_row(rule.table.name, _kept(settings, rule.kind), f"{counts.get(rule.table.name, 0):,}")
    engine.dispose()
    _console().print(out)


def _kept(settings: Any, kind: str) -> str:
    days = getattr(settings.retention, kind)
    return "forever" if days == 0 else f"{days} days ({kind})"


@handles_errors
def partitions(config: ConfigOpt = None,
               ahead: int = typer.Option(2, min=0, max=24, help="Months to create after the current one.")) -> None:
    """Create the monthly partitions ahead (PostgreSQL) and list them with their rows."""
    from store import partitions as parts

    _settings, engine = _open(config)
    if engine.dialect.name != "postgresql":
        _console().print("the store is SQLite: observation tables are not partitioned (nothing to do)")
        engine.dispose()
        return
    with engine.begin() as conn:
        created = parts.ensure_partitions(conn, ahead=ahead)
    out = Table("table", "partition", "from", "rows", box=None)
    with engine.connect() as conn:
        for name in parts.PARTITIONED:
            for part, month in sorted(parts.partitions(conn, name).items(), key=lambda kv: (kv[1] is None, kv[0])):
                rows = conn.exec_driver_sql(f'SELECT count(*) FROM "{part}"').scalar_one()
                out.add_row(name, part + (" (new)" if part in created else ""),
                            "default" if month is None else f"{month:%Y-%m}", f"{rows:,}")
    engine.dispose()
    _console().print(out)


@handles_errors
def rollups(config: ConfigOpt = None,
            rebuild: bool = typer.Option(False, "--rebuild", help="Recompute the range instead of only the gaps."),
            since: Optional[str] = typer.Option(None, "--since", help="First local day to rebuild (YYYY-MM-DD)."),
            until: Optional[str] = typer.Option(None, "--until", help="Last local day to rebuild (YYYY-MM-DD).")) -> None:
    """Fill the hourly and daily rollups: the gaps (default), or rebuild a range after a backfill."""
    from jobs.runs import recorded
    from store import rollups as ru

    settings, engine = _open(config)
    tz = settings.tz
    start = _date(since, tz) or dt.datetime(1970, 1, 1, tzinfo=UTC)  # clamped to the oldest raw row
    last = _date(until, tz)
    end = last + dt.timedelta(days=1) if last else dt.datetime.now(UTC) + ru.HOUR
    with recorded(engine, "rollups:rebuild" if rebuild else "rollups:catch_up") as rec:
        if rebuild:
            rec.rows = ru.rebuild(engine, tz, start, end)
        else:
            rec.rows = ru.catch_up(engine, tz)
    engine.dispose()
    _console().print(f"{rec.rows:,} rollup rows written")


def register(db_app: typer.Typer) -> None:
    """Mount the upkeep commands on ``citybrain db``."""
    db_app.command("retention")(retention)
    db_app.command("partitions")(partitions)
    db_app.command("rollups")(rollups)
