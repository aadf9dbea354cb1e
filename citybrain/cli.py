"""``citybrain`` — the command line of a city's operations brain.

Every command loads one settings object (``--config`` or ``$CITYBRAIN_CONFIG``) and
reports problems as plain sentences with an exit code, never as a traceback: a
``CitybrainError`` is printed with its advice; exit 2 means "not available yet".
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from citybrain.errors import CitybrainError
from citybrain.i18n import format_age
from citybrain.settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_show_locals=False, help="城市运行智慧大脑 citybrain — operations dashboard for a city.")
db_app = typer.Typer(no_args_is_help=True, help="The store: migrations.")
app.add_typer(db_app, name="db")

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="City config TOML (default: $CITYBRAIN_CONFIG or config/xuchang.toml).")]


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def handles_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Print deliberate errors as advice and exit with their code; no tracebacks."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CitybrainError as exc:
            _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return wrapper


def _settings(config: Path | None, **overrides: Any) -> Settings:
    return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})


# ------------------------------------------------------------------------------ store

@db_app.command("upgrade")
@handles_errors
def db_upgrade(config: ConfigOpt = None, revision: str = typer.Option("head", help="Target revision.")) -> None:
    """Create or migrate the store to the newest schema."""
    from store.engine import upgrade

    settings = _settings(config)
    reached = upgrade(settings.resolved_store_url, revision)
    _console().print(f"store at revision {reached}: {_safe_url(settings.resolved_store_url)}")


@db_app.command("current")
@handles_errors
def db_current(config: ConfigOpt = None) -> None:
    """Show the store's schema revision and the newest this code knows."""
    from store.engine import current_revision, head_revision, make_engine

    settings = _settings(config)
    engine = make_engine(settings.resolved_store_url)
    try:
        cur = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision()
    _console().print(f"current: {cur or '(empty store)'}  newest: {head}" + ("" if cur == head else "  → run `citybrain db upgrade`"))


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# ------------------------------------------------------------------------------ sources

@app.command()
@handles_errors
def check(config: ConfigOpt = None) -> None:
    """Connect to every configured source and say whether it can be read as configured."""
    import connectors

    settings = _settings(config)
    reports = connectors.check(settings)
    table = Table(title=f"{settings.city.name_zh} — 数据源检查 source check")
    for col in ("source", "domain", "reachable", "columns", "sample", "message"):
        table.add_column(col)
    by_name = {s.name: s for s in settings.sources}
    for r in reports:
        missing = ", ".join(r.missing_columns) if r.missing_columns else "ok"
        table.add_row(r.name, by_name[r.name].domain if r.name in by_name else "",
                      "yes" if r.reachable else "[red]no[/]", missing if not r.missing_columns else f"[red]missing {missing}[/]",
                      "ok" if r.sample_ok else "[red]no[/]", escape(r.message or ""))
    _console().print(table)
    failed = [r.name for r in reports if not r.ok]
    if failed:
        _console(stderr=True).print(f"[red]{len(failed)} source(s) failed:[/] {', '.join(failed)}")
        raise typer.Exit(1)


@app.command()
@handles_errors
def poll(names: Annotated[Optional[list[str]], typer.Argument(help="Sources to poll (default: all).")] = None,
         config: ConfigOpt = None) -> None:
    """Poll sources now and print what each delivered."""
    import connectors
    from store.engine import open_store

    settings = _settings(config)
    unknown = [n for n in names or [] if n not in {s.name for s in settings.sources}]
    if unknown:
        raise CitybrainError(f"unknown source(s) {', '.join(unknown)}; configured: "
                             f"{', '.join(s.name for s in settings.sources)}")
    engine = open_store(settings)
    try:
        reports = connectors.poll(settings, engine, names or None)
    finally:
        engine.dispose()
    table = Table(title="poll")
    for col in ("source", "status", "read", "written", "quarantined", "watermark", "lag", "seconds", "error"):
        table.add_column(col, no_wrap=True)
    failed = [r for r in reports if r.error]
    for r in reports:
        # the error itself goes under the table: in a column it wraps one word per line
        table.add_row(r.name, r.status, str(r.rows_read), str(r.rows_written), str(r.rows_quarantined),
                      str(r.watermark or ""), format_age(r.lag_seconds, "en").removesuffix(" ago"),
                      f"{r.duration_s:.2f}", f"[red]({failed.index(r) + 1}) ↓[/]" if r.error else "")
    console = _console()
    console.print(table)
    for i, r in enumerate(failed, 1):
        console.print(f"[red]({i}) {escape(r.name)}:[/] {escape(r.error or '')}", soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
@handles_errors
def scheduler(config: ConfigOpt = None) -> None:
    """Run the job scheduler (polls, compute, warnings, briefings) in the foreground."""
    import jobs

    jobs.run_scheduler(_settings(config))


# ------------------------------------------------------------------------------ web

@app.command()
@handles_errors
def serve(config: ConfigOpt = None,
          host: Annotated[Optional[str], typer.Option(help="Address to listen on.")] = None,
          port: Annotated[Optional[int], typer.Option(help="Port to listen on.")] = None) -> None:
    """Serve the web app in one process with waitress (several hosts/workers: gunicorn app:server)."""
    from app import create_app
    from citybrain.demo import serve_wsgi

    settings = _settings(config, host=host, port=port)
    dash_app = create_app(settings)
    _console().print(f"citybrain serving {settings.city.name_zh} at http://{settings.host}:{settings.port}/")
    serve_wsgi(dash_app.server, settings.host, settings.port)


@app.command()
@handles_errors
def demo(config: ConfigOpt = None,
         port: Annotated[Optional[int], typer.Option(help="Port of the web app (default 8050).")] = None,
         host: Annotated[Optional[str], typer.Option(help="Address to listen on.")] = None,
         days: Annotated[Optional[int], typer.Option(min=1, max=365, help="Days of simulated history (default from config).")] = None,
         rebuild: Annotated[bool, typer.Option(help="Recreate the simulated department databases.")] = False,
         serve_web: Annotated[bool, typer.Option("--serve/--no-serve", help="Start the web app (--no-serve: prepare only).")] = True) -> None:
    """Create the simulated department databases, fill the store and start the app."""
    from citybrain import demo as demo_mod

    settings = _settings(config, host=host, port=port)
    demo_mod.run(settings, days=days, rebuild=rebuild, serve=serve_web, console=_console())


@app.command()
@handles_errors
def simulate(config: ConfigOpt = None,
             target_url: Annotated[Optional[str], typer.Option("--target-url", help="Put all five department databases into this one database (PostgreSQL, MariaDB, SQLite).")] = None,
             days: Annotated[Optional[int], typer.Option(min=1, max=365)] = None,
             seed: Annotated[Optional[int], typer.Option()] = None) -> None:
    """Create the simulated department databases (default: SQLite files in the data dir)."""
    import simulator

    settings = _settings(config)
    counts = simulator.create(settings, target_url=target_url, days=days, seed=seed)
    _console().print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


# ------------------------------------------------------------------------------ later

def _instant(text: str | None, settings: Settings, default: dt.datetime) -> dt.datetime:
    """``2026-11-01`` or ``2026-11-01T08:00`` in the city's zone (or with an offset) → UTC."""
    if not text:
        return default
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CitybrainError(f"{text!r} is not a date; write e.g. 2026-11-01 or 2026-11-01T08:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.tz)
    return value.astimezone(dt.timezone.utc)


@app.command()
@handles_errors
def compute(config: ConfigOpt = None,
            from_: Annotated[Optional[str], typer.Option("--from", help="Start (city time), default: 30 days ago.")] = None,
            to: Annotated[Optional[str], typer.Option("--to", help="End (city time, exclusive), default: now.")] = None,
            replay_warnings: Annotated[bool, typer.Option("--warnings/--no-warnings", help="Replay the warning rules over the period afterwards.")] = True,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="Replay warnings into a scratch store: try a rule on last month without touching live warnings.")] = False) -> None:
    """Recompute indicators and the vital-signs index over a period, then replay the warning rules."""
    from rich.progress import Progress

    from jobs.indicators import compute as run_compute
    from store.engine import open_store

    settings = _settings(config)
    now = dt.datetime.now(dt.timezone.utc)
    end = _instant(to, settings, now)
    start = _instant(from_, settings, end - dt.timedelta(days=30))
    if start >= end:
        raise CitybrainError(f"--from ({start:%Y-%m-%d %H:%M} UTC) must be before --to ({end:%Y-%m-%d %H:%M} UTC)")
    engine = open_store(settings)
    try:
        with Progress(console=_console()) as progress:
            task = progress.add_task("compute", total=1)

            def on_progress(step: str, done: int, total: int) -> None:
                progress.update(task, description=f"compute {step}", completed=done, total=total)

            report = run_compute(settings, engine, start=start, end=end, progress=on_progress)
        _console().print(f"{report.start:%Y-%m-%d %H:%M} – {report.end:%Y-%m-%d %H:%M} UTC: "
                         + ", ".join(f"{k} {v:,}" for k, v in report.rows.items()))
        if replay_warnings:
            from alerts.replay import replay

            replayed = replay(settings, engine, start=start, end=end, dry_run=dry_run)
            _print_replay(replayed, dry_run)
        from forecast.run import refresh as refresh_forecasts  # issue 22: forecasts from the new data

        _print_forecast(refresh_forecasts(settings, engine, force=True))
    finally:
        engine.dispose()


@app.command()
@handles_errors
def forecast(config: ConfigOpt = None,
             indicator: Annotated[Optional[list[str]], typer.Option("--indicator", help="Only this forecast indicator (repeatable): tourism_present, tpi, aqi, pm25, hotline_calls, <theme>.<indicator>.")] = None,
             backtest: Annotated[bool, typer.Option("--backtest/--no-backtest", help="Backtest every series first (model choice, fit, accuracy); otherwise only series without a recent model.")] = False) -> None:
    """Refresh the forecasts (决策支持, issue 22): new points with 80/95 % intervals for every series."""
    from forecast.run import backtest as run_backtest
    from forecast.run import refresh as run_refresh
    from store.engine import open_store

    settings = _settings(config)
    engine = open_store(settings)
    try:
        try:
            report = (run_backtest(settings, engine, indicators=indicator) if backtest
                      else run_refresh(settings, engine, indicators=indicator, force=True))
        except ValueError as exc:
            raise CitybrainError(str(exc)) from None
        _print_forecast(report)
    finally:
        engine.dispose()


def _print_forecast(report: Any) -> None:
    _console().print(f"forecasts: {report.series} series, {report.backtested} backtested "
                     f"({report.seconds_backtest:.1f} s), {report.refreshed} refreshed ({report.seconds_refresh:.1f} s), "
                     f"{report.fallback} serve the seasonal-naive baseline"
                     + (f", {len(report.errors)} failed: {', '.join(report.errors)}" if report.errors else ""))


def _print_replay(replayed: Any, dry_run: bool) -> None:
    table = Table(title=f"预警回放 warnings replay{' (dry run)' if dry_run else ''}: {replayed.steps} steps")
    for col in ("id", "rule", "scope", "level", "state", "fired at (UTC)", "resolved at (UTC)"):
        table.add_column(col)
    for w in replayed.warnings:
        fired, resolved = w.get("fired_at"), w.get("resolved_at")
        table.add_row(str(w.get("id", "")), w["rule"], f"{w['scope_kind']} {w['scope']}".strip(), w["level"], w["state"],
                      f"{fired:%Y-%m-%d %H:%M}" if fired else "", f"{resolved:%Y-%m-%d %H:%M}" if resolved else "")
    _console().print(table)


@app.command()
@handles_errors
def brief(config: ConfigOpt = None,
          date: Annotated[Optional[str], typer.Option("--date", help="Local day to brief (YYYY-MM-DD), default: yesterday.")] = None,
          out: Annotated[Optional[Path], typer.Option("--out", help="Write the PDF here (default: the archive under the data dir).")] = None,
          lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh") -> None:
    """Write the daily briefing PDF (城市运行简报), check it, and record it in the archive."""
    from briefings.archive import produce_daily
    from briefings.daily import default_day
    from store.engine import open_store

    settings = _settings(config)
    if lang not in ("zh", "en"):
        raise CitybrainError(f"--lang {lang!r}: use zh or en")
    try:
        day = dt.date.fromisoformat(date) if date else default_day(settings)
    except ValueError:
        raise CitybrainError(f"--date {date!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-20") from None
    engine = open_store(settings)
    try:
        done = produce_daily(settings, engine, day, out=out, requested_by="cli", lang=lang)
    finally:
        engine.dispose()
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in done.seconds.items())
    if done.status == "done":
        _console().print(f"[green]briefing {day} written:[/] {escape(str(done.path))} "
                         f"({done.report.pages} pages, checks passed; {timing})")
        return
    _console(stderr=True).print(f"[bold red]briefing {day} failed its checks[/] (file kept at {escape(str(done.path))}):")
    for problem in done.report.problems:
        _console(stderr=True).print(f"  - {escape(problem)}")
    raise typer.Exit(1)


from access.cli import token_app, users_app  # noqa: E402 — needs handles_errors above

app.add_typer(users_app, name="users")
app.add_typer(token_app, name="token")
from store.cli import register as register_store_upkeep  # noqa: E402 — db retention | partitions | rollups
register_store_upkeep(db_app)


def main() -> None:
    app(prog_name="citybrain")


if __name__ == "__main__":
    sys.exit(main())
