"""Evaluate the warning rules at an instant and persist what changed — live and replay alike.

The scheduler calls :func:`evaluate` every minute after the indicators are computed;
:func:`alerts.replay.replay` calls the same :func:`evaluate_at` at successive instants
over a past period. State lives in the store (``warnings`` plus ``warning_events``), so a
restarted scheduler continues where it stopped: pending timers, firing warnings and
recovering timers are all columns of the warning row.

Each evaluation runs in one transaction: every state and level change is written as a
``warning_events`` row together with the warning row — nothing half-written. One open
warning per rule and scope is guaranteed by the unique ``open_key``
(``rule|scope_kind|scope``), cleared when the warning resolves.

Notifications are an outbox: a transition that should notify (firing, escalation,
resolution — STANDARDS.md: pending never notifies) writes one ``notify`` event per
subscribed webhook with ``to_value = "pending"`` in the same transaction; a silenced
warning gets a ``silence`` event instead. :func:`alerts.notify.deliver` sends the
pending ones afterwards, so a crash between the two loses nothing.

Usage (the scheduler, after compute)::

    report = evaluate(settings, engine, now=now)
    deliver(settings, engine, report)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, update

from alerts.conditions import IndicatorData, Observation, SourceState, index_frame, observe
from alerts.levels import rank
from alerts.lifecycle import Condition, Transition, Timing, step
from alerts.rules import WarningConfig, Webhook, load_warning_config
from citybrain.i18n import t
from citybrain.settings import Settings
from store.schema import indicators, silences, source_status, warning_events, warnings

log = logging.getLogger(__name__)
UTC = timezone.utc


@dataclass
class EvaluationReport:
    """What one evaluation did; ``notifications`` are the ids of pending notify events."""

    now: datetime
    rules: int = 0
    observed: int = 0
    opened: int = 0
    fired: int = 0
    escalated: int = 0
    deescalated: int = 0
    resolved: int = 0
    discarded: int = 0
    silenced: int = 0
    notifications: list[int] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, other: EvaluationReport) -> None:
        for name in ("rules", "observed", "opened", "fired", "escalated", "deescalated", "resolved",
                     "discarded", "silenced"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.notifications.extend(other.notifications)
        self.errors.update(other.errors)


# ----------------------------------------------------------------------------- scopes

@dataclass(frozen=True)
class ScopeInfo:
    name_zh: str
    name_en: str
    district: str | None


class ScopeDirectory:
    """Names and districts of every scope a rule can address, from the settings."""

    def __init__(self, settings: Settings):
        self._city = ScopeInfo(settings.city.name_zh, settings.city.name_en, None)
        self._known: dict[tuple[str, str], ScopeInfo] = {}
        for d in settings.districts:
            self._known[("district", d.code)] = ScopeInfo(d.name_zh, d.name_en, d.code)
        for kind, items in (("station", settings.stations), ("segment", settings.segments), ("site", settings.sites)):
            for e in items:
                self._known[(kind, e.code)] = ScopeInfo(e.name_zh, e.name_en, e.district)
        for ind in settings.indicators:
            self._known[("indicator", ind.code)] = ScopeInfo(ind.name_zh, ind.name_en, None)
        for src in settings.sources:
            self._known[("source", src.name)] = ScopeInfo(src.owner_zh or src.name, src.owner_en or src.name, None)
        for theme in settings.themes:  # issue 20: a theme's own entities (the city lists' are above)
            for e in theme.entities if isinstance(theme.entities, list) else ():
                self._known[("entity", e.code)] = ScopeInfo(e.name_zh, e.name_en, e.district)
            for kind, items in (("station", settings.stations), ("segment", settings.segments), ("site", settings.sites)):
                if theme.entities == f"{kind}s":
                    self._known.update({("entity", e.code): self._known[(kind, e.code)] for e in items})

    def info(self, scope_kind: str, scope: str) -> ScopeInfo:
        if scope_kind == "city":
            return self._city
        if scope_kind == "category":  # a 12345 category: the catalogue's English word (issue 18)
            word = t(f"hotline.cat.{scope}", "en")
            return ScopeInfo(scope, scope if word == f"hotline.cat.{scope}" else word, None)
        return self._known.get((scope_kind, scope), ScopeInfo(scope, scope, None))

    def titles(self, rule: Any, scope_kind: str, scope: str) -> tuple[str, str]:
        if scope_kind == "city":
            return rule.title_zh, rule.title_en
        info = self.info(scope_kind, scope)
        return f"{rule.title_zh}（{info.name_zh}）", f"{rule.title_en} — {info.name_en}"


# ------------------------------------------------------------------------------ inputs

def load_indicators(engine: Engine, rules: Iterable[Any], start: datetime, end: datetime) -> IndicatorData:
    """The indicator rows the rules read for instants in [start, end], indexed for look-ups."""
    windows: dict[tuple[str, str, str], timedelta] = {}
    for rule in rules:
        if rule.kind in ("staleness", "forecast"):  # forecast rules read forecasts (issue 22)
            continue
        key = (rule.indicator, rule.grain, rule.scope_kind)
        windows[key] = max(windows.get(key, timedelta(0)), rule.data_window)
    frames = []
    with engine.connect() as conn:
        for (name, grain, kind), window in sorted(windows.items()):
            rows = conn.execute(
                select(indicators.c.name, indicators.c.grain, indicators.c.scope_kind, indicators.c.scope,
                       indicators.c.time, indicators.c.value)
                .where(indicators.c.name == name, indicators.c.grain == grain, indicators.c.scope_kind == kind,
                       indicators.c.time > start - window, indicators.c.time <= end)
            ).all()
            if rows:
                frames.append(pd.DataFrame(rows, columns=["name", "grain", "scope_kind", "scope", "time", "value"]))
    return index_frame(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())


def load_sources(settings: Settings, engine: Engine) -> list[SourceState]:
    """Each enabled configured source with its newest data time (``source_status``)."""
    with engine.connect() as conn:
        status = {r.name: r for r in conn.execute(select(source_status)).all()}
    out = []
    for src in settings.sources:
        if not src.enabled:
            continue
        row = status.get(src.name)
        out.append(SourceState(
            src.name, src.domain, row.data_time if row else None, row.status if row else "never",
            src.max_age or settings.max_age(src.domain), row.last_error if row else None))
    return out


# -------------------------------------------------------------------------- evaluation

def evaluate(settings: Settings, engine: Engine, *, now: datetime, rules: Sequence[Any] | None = None,
             notify: bool = True, config: WarningConfig | None = None) -> EvaluationReport:
    """Live: evaluate every enabled rule at ``now`` and persist; send with ``notify.deliver``."""
    _check_aware(now)
    config = config or load_warning_config(settings)
    rules = [r for r in (config.rules if rules is None else rules) if r.enabled]
    data = load_indicators(engine, rules, now, now)
    sources = load_sources(settings, engine) if any(r.kind == "staleness" for r in rules) else []
    forecasts = None
    if any(r.kind == "forecast" for r in rules):  # issue 22: 预计 warnings read the served forecasts
        from forecast.warn import load_views

        forecasts = load_views(settings, engine, [r for r in rules if r.kind == "forecast"], now)
    return evaluate_at(settings, engine, rules=rules, data=data, sources=sources, now=now,
                       webhooks=config.webhooks if notify else [], directory=ScopeDirectory(settings),
                       forecasts=forecasts)


def evaluate_at(settings: Settings, engine: Engine, *, rules: Sequence[Any], data: IndicatorData,
                sources: Sequence[SourceState], now: datetime, webhooks: Sequence[Webhook] = (),
                directory: ScopeDirectory | None = None, silence_engine: Engine | None = None,
                forecasts: Mapping[str, Any] | None = None) -> EvaluationReport:
    """The shared core: observe (pure), step each warning (pure), persist in one transaction."""
    _check_aware(now)
    directory = directory or ScopeDirectory(settings)
    report = EvaluationReport(now=now, rules=len(rules))
    tz = settings.tz
    calendar = _holiday_calendar()
    seen: dict[str, dict[str, Observation]] = {}
    for rule in rules:
        try:
            if rule.kind == "forecast":  # issue 22; a replay has no past forecasts: no 预计 warnings there
                from forecast.warn import observe_forecast

                seen[rule.id] = observe_forecast(rule, (forecasts or {}).get(rule.id, {}), now)
                continue
            seen[rule.id] = observe(rule, data, now, tz=tz, calendar=calendar, sources=sources)
        except Exception as exc:  # noqa: BLE001 — one broken rule must not silence the others
            log.exception("warning rule %s failed to evaluate", rule.id)
            report.errors[rule.id] = f"{type(exc).__name__}: {exc}"
    report.observed = sum(len(v) for v in seen.values())

    active_silences = _active_silences(silence_engine or engine, now)
    domains = {s.name: s.domain for s in settings.sources}
    with engine.begin() as conn:
        open_rows = _open_warnings(conn, [r.id for r in rules if r.id in seen])
        for rule in rules:
            if rule.id not in seen:
                continue
            observations = seen[rule.id]
            scopes = {(o.scope_kind, o.scope) for o in observations.values()}
            scopes |= {(k, s) for (rid, k, s) in open_rows if rid == rule.id}
            for scope_kind, scope in sorted(scopes):
                row = open_rows.get((rule.id, scope_kind, scope))
                obs = observations.get(scope)
                current = _condition(row) if row is not None else None
                transition = step(current, obs, Timing.of(rule), now)
                _persist(conn, rule, scope_kind, scope, row, obs, transition, now, report,
                         directory, webhooks, active_silences, domains)
    return report


def evaluate_step(settings: Settings, engine: Engine, touched: Mapping[str, Any] | None = None) -> int:
    """Adapter for ``jobs.pipeline`` (``"alerts.engine:evaluate_step"``): evaluate now, then send."""
    from alerts.notify import deliver

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    config = load_warning_config(settings)
    report = evaluate(settings, engine, now=now, config=config)
    deliver(settings, engine, report, config=config)
    return report.opened + report.fired + report.resolved + report.escalated


# -------------------------------------------------------------------------- persistence

def open_key(rule_id: str, scope_kind: str, scope: str) -> str:
    return f"{rule_id}|{scope_kind}|{scope}"


def _open_warnings(conn: Connection, rule_ids: list[str]) -> dict[tuple[str, str, str], Any]:
    if not rule_ids:
        return {}
    rows = conn.execute(select(warnings).where(warnings.c.open_key.is_not(None), warnings.c.rule.in_(rule_ids))).all()
    return {(r.rule, r.scope_kind, r.scope): r for r in rows}


def _condition(row: Any) -> Condition:
    return Condition(row.state, row.level, row.started_at, row.fired_at, row.recovering_since, row.resolved_at,
                     row.value, row.data_time)


def _persist(conn: Connection, rule: Any, scope_kind: str, scope: str, row: Any, obs: Observation | None,
             tr: Transition, now: datetime, report: EvaluationReport, directory: ScopeDirectory,
             webhooks: Sequence[Webhook], active_silences: list[Any], domains: Mapping[str, str]) -> None:
    detail = dict(obs.detail) | extremes(rule, row, obs, tr.condition) if obs is not None else None
    if tr.discard:
        report.discarded += 1
        if row.handling == "unacknowledged":  # a blip shorter than `for` leaves no warning behind
            conn.execute(delete(warning_events).where(warning_events.c.warning_id == row.id))
            conn.execute(delete(warnings).where(warnings.c.id == row.id))
        else:  # someone already acted on it: keep it, resolved
            conn.execute(update(warnings).where(warnings.c.id == row.id).values(
                state="resolved", resolved_at=now, open_key=None, last_evaluated_at=now))
            _events(conn, row.id, [("state", "pending", "resolved", now, {"reason": "condition cleared before `for`"})])
        return
    cond = tr.condition
    if cond is None:
        return
    if row is None:
        district = directory.info(scope_kind, scope).district
        title_zh, title_en = directory.titles(rule, scope_kind, scope)
        domain = (obs.domain if obs is not None and obs.domain else None) or rule.domain
        warning_id = conn.execute(insert(warnings).values(
            rule=rule.id, rule_kind=rule.kind, domain=domain, scope_kind=scope_kind, scope=scope,
            district=district, handling="unacknowledged", title_zh=title_zh, title_en=title_en,
            open_key=None if cond.state == "resolved" else open_key(rule.id, scope_kind, scope),
            detail=detail, **_condition_values(cond, now))).inserted_primary_key[0]
        report.opened += 1
        snapshot = {"rule": rule.id, "domain": domain, "scope_kind": scope_kind, "scope": scope,
                    "district": district, "title_zh": title_zh, "title_en": title_en}
    else:
        warning_id = row.id
        values = _condition_values(cond, now)
        if obs is None:  # held for lack of data: only note that it was evaluated
            values = {"last_evaluated_at": now}
        elif tr.events:
            values["open_key"] = None if cond.state == "resolved" else row.open_key
        if detail is not None:
            values["detail"] = detail
        conn.execute(update(warnings).where(warnings.c.id == warning_id).values(**values))
        snapshot = {"rule": row.rule, "domain": row.domain, "scope_kind": row.scope_kind, "scope": row.scope,
                    "district": row.district, "title_zh": row.title_zh, "title_en": row.title_en}
    _events(conn, warning_id, [(e.kind, e.from_value, e.to_value, e.at, e.detail) for e in tr.events])
    for e in tr.events:
        if e.kind == "state" and e.to_value == "firing" and e.from_value == "pending":
            report.fired += 1
        elif e.kind == "state" and e.to_value == "resolved":
            report.resolved += 1
        elif e.kind == "level":
            if rank(e.to_value) > rank(e.from_value):
                report.escalated += 1
            else:
                report.deescalated += 1
    if tr.notice:
        snapshot |= {"notice": tr.notice, "level": cond.level, "state": cond.state, "value": cond.value,
                     "values": detail or {}, "rule_kind": rule.kind, "group": rule.notify_group,
                     "started_at": _iso(cond.started_at), "fired_at": _iso(cond.fired_at),
                     "resolved_at": _iso(cond.resolved_at), "data_time": _iso(cond.data_time)}
        _notify(conn, warning_id, snapshot, now, report, webhooks, active_silences, domains)


def worse(rule: Any) -> Any:
    """``max`` when a higher value is worse for ``rule`` (≥ thresholds, rates, anomalies,
    staleness), ``min`` when a lower one is (an upper bound like 接通率 < 85 %)."""
    return min if getattr(rule, "op", ">") in ("<", "<=") else max


def extremes(rule: Any, row: Any, obs: Observation, cond: Condition | None) -> dict[str, Any]:
    """What the duty officer reads beside the current value: the value that fired the
    warning (``trigger``) and the worst value seen while it was open (``worst``), carried
    from evaluation to evaluation in the warning's detail."""
    before = dict(getattr(row, "detail", None) or {}) if row is not None else {}
    trigger, worst = before.get("trigger"), before.get("worst")
    if cond is not None and obs.value is not None and cond.state != "resolved":
        worst = obs.value if worst is None else worse(rule)(worst, obs.value)
        if trigger is None and cond.state in ("firing", "recovering"):
            trigger = cond.value if cond.value is not None else obs.value
    return {"trigger": trigger, "worst": worst}


def _condition_values(cond: Condition, now: datetime) -> dict[str, Any]:
    return {"state": cond.state, "level": cond.level, "value": cond.value, "started_at": cond.started_at,
            "fired_at": cond.fired_at, "resolved_at": cond.resolved_at, "recovering_since": cond.recovering_since,
            "data_time": cond.data_time, "last_evaluated_at": now}


def _events(conn: Connection, warning_id: int, events: list[tuple[str, str | None, str, datetime, Any]],
            actor: str | None = None) -> list[int]:
    ids = []
    for kind, old, new, at, detail in events:
        ids.append(conn.execute(insert(warning_events).values(
            warning_id=warning_id, at=at, kind=kind, from_value=old, to_value=new, actor=actor,
            detail=detail)).inserted_primary_key[0])
    return ids


# ------------------------------------------------------------------ silences and notify

def _active_silences(engine: Engine, now: datetime) -> list[Any]:
    with engine.connect() as conn:
        return conn.execute(select(silences).where(silences.c.starts_at <= now, silences.c.ends_at > now)
                            .order_by(silences.c.id)).all()


def silence_matches(silence: Any, warning: Mapping[str, Any], domains: Mapping[str, str]) -> bool:
    """A silence matches when every selector it sets matches. ``source`` covers the
    staleness warning of that source and every warning of the source's domain — a
    maintenance window of a department database makes its data unreliable."""
    if silence.rule is not None and silence.rule != warning["rule"]:
        return False
    if silence.scope_kind is not None and silence.scope_kind != warning["scope_kind"]:
        return False
    if silence.scope is not None and silence.scope != warning["scope"]:
        return False
    if silence.source is not None:
        is_source = warning["scope_kind"] == "source" and warning["scope"] == silence.source
        if not (is_source or domains.get(silence.source) == warning["domain"]):
            return False
    return True


def _notify(conn: Connection, warning_id: int, snapshot: dict[str, Any], now: datetime,
            report: EvaluationReport, webhooks: Sequence[Webhook], active_silences: list[Any],
            domains: Mapping[str, str]) -> None:
    hit = next((s for s in active_silences if silence_matches(s, snapshot, domains)), None)
    if hit is not None:
        report.silenced += 1
        _events(conn, warning_id, [("silence", None, snapshot["notice"], now,
                                    {"silence_id": hit.id, "reason": hit.reason, "notice": snapshot["notice"]})])
        return
    for hook in webhooks:
        if hook.serves(snapshot["group"], snapshot["level"]):
            report.notifications.extend(_events(conn, warning_id, [
                ("notify", snapshot["notice"], "pending", now, {**snapshot, "webhook": hook.name, "attempts": 0})]))


# ------------------------------------------------------------------------------ helpers

def _holiday_calendar() -> Any:
    """The simulator's published holiday calendar (plain data, importable on its own)."""
    try:
        from simulator import holidays
    except ImportError:  # pragma: no cover — a deployment without the simulator package
        return None
    return holidays


def _check_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"naive datetime {now.isoformat()}; evaluate at an aware UTC instant")


def _iso(t: datetime | None) -> str | None:
    return t.astimezone(UTC).isoformat() if t else None
