"""The condition axis of a warning as a pure state machine — no I/O, no clock.

``step(current, observation, timing, now)`` returns the warning's next condition and the
events that got it there; the engine persists both in one transaction. STANDARDS.md
"Warning levels and alert lifecycle" (after Prometheus/Grafana): a condition true for
less than ``for`` is *pending* and never notifies; it *fires* once it has held for
``for``; it stays firing through ``keep_firing_for`` after the condition clears
(*recovering* — no flapping); then it is *resolved*. A higher level escalates the same
warning and a lower one de-escalates it; every change is an event.

Observations (see :mod:`alerts.conditions`): ``active(L)`` — firing condition holds at
level L; ``band`` — between firing and recovery threshold (hysteresis; carries the rule's
lowest level); ``clear``; ``no_data``. ``since`` is ``started_at`` for a pending warning,
``recovering_since`` for a recovering one.

============  ===========================  ===============================  ==============
state         observation                  next state                       notification
============  ===========================  ===============================  ==============
(none)        active(L), for = 0           firing(L)                        firing
(none)        active(L), for > 0           pending(L)                       —
(none)        band / clear / no_data       (none)                           —
pending       active(L), now−since ≥ for   firing(L)                        firing
pending       active(L), now−since < for   pending(L)                       —
pending       band / clear                 discarded (never fired)          —
pending       no_data                      pending (held)                   —
firing        active(L) / band(L)          firing(L): escalate/de-escalate  escalated ↑
firing        clear, keep_firing_for = 0   resolved                         resolved
firing        clear, keep_firing_for > 0   recovering                       —
firing        no_data                      firing (held)                    —
recovering    active(L) / band(L)          firing(L)                        escalated ↑
recovering    clear, now−since ≥ keep      resolved                         resolved
recovering    clear, now−since < keep      recovering                       —
recovering    no_data                      recovering (held)                —
============  ===========================  ===============================  ==============

A resolved warning is finished: the next active observation opens a new warning (the
engine passes ``None`` as ``current``). "escalated ↑" means: only when the level rises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from alerts.conditions import Observation
from alerts.levels import rank

State = Literal["pending", "firing", "recovering", "resolved"]
Notice = Literal["firing", "escalated", "resolved"]


@dataclass(frozen=True)
class Timing:
    """The part of a rule the state machine needs."""

    for_: timedelta = timedelta(0)
    keep_firing_for: timedelta = timedelta(0)

    @classmethod
    def of(cls, rule: Any) -> Timing:
        return cls(rule.for_, rule.keep_firing_for)


@dataclass(frozen=True)
class Condition:
    """A warning's condition axis (what the store's ``warnings`` row holds of it)."""

    state: State
    level: str
    started_at: datetime
    fired_at: datetime | None = None
    recovering_since: datetime | None = None
    resolved_at: datetime | None = None
    value: float | None = None
    data_time: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One change: ``kind`` "state" or "level", from → to, with the value that caused it."""

    kind: Literal["state", "level"]
    from_value: str | None
    to_value: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Transition:
    """The outcome of one step. ``condition`` None: no warning (``discard``: drop the pending one)."""

    condition: Condition | None
    events: tuple[Event, ...] = ()
    notice: Notice | None = None
    discard: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.events) or self.discard


def step(current: Condition | None, obs: Observation | None, timing: Timing, now: datetime) -> Transition:
    """One evaluation of one warning (the table in the module docstring)."""
    status = "no_data" if obs is None else obs.status
    if current is not None and current.state == "resolved":
        current = None

    if current is None:
        if status != "active":
            return Transition(None)
        assert obs is not None and obs.level is not None
        opened = Condition("pending", obs.level, now, value=obs.value, data_time=obs.data_time)
        events = [Event("state", None, "pending", now, _why(obs))]
        if timing.for_ <= timedelta(0):
            return _fire(opened, obs, now, events)
        return Transition(opened, tuple(events))

    if status == "no_data":
        return Transition(current)  # held: missing data neither raises nor clears
    assert obs is not None
    seen = replace(current, value=obs.value, data_time=obs.data_time)

    if current.state == "pending":
        if status != "active":
            return Transition(None, (), discard=True)
        events = _level_change(current.level, obs, now)
        seen = replace(seen, level=obs.level)
        if now - current.started_at >= timing.for_:
            return _fire(seen, obs, now, events)
        return Transition(seen, tuple(events))

    if status in ("active", "band"):
        events = _level_change(current.level, obs, now)
        notice: Notice | None = "escalated" if rank(obs.level) > rank(current.level) else None
        seen = replace(seen, level=obs.level, recovering_since=None)
        if current.state == "recovering":
            events.insert(0, Event("state", "recovering", "firing", now, _why(obs)))
            seen = replace(seen, state="firing")
        return Transition(seen, tuple(events), notice)

    # status == "clear" while firing or recovering
    if current.state == "firing":
        if timing.keep_firing_for <= timedelta(0):
            return _resolve(seen, "firing", obs, now)
        return Transition(replace(seen, state="recovering", recovering_since=now),
                          (Event("state", "firing", "recovering", now, _why(obs)),))
    since = current.recovering_since or now
    if now - since >= timing.keep_firing_for:
        return _resolve(seen, "recovering", obs, now)
    return Transition(seen)


def _fire(cond: Condition, obs: Observation, now: datetime, events: list[Event]) -> Transition:
    events.append(Event("state", "pending", "firing", now, _why(obs)))
    return Transition(replace(cond, state="firing", fired_at=now), tuple(events), "firing")


def _resolve(cond: Condition, was: State, obs: Observation, now: datetime) -> Transition:
    return Transition(replace(cond, state="resolved", resolved_at=now, recovering_since=None),
                      (Event("state", was, "resolved", now, _why(obs)),), "resolved")


def _level_change(old: str, obs: Observation, now: datetime) -> list[Event]:
    if obs.level is None or obs.level == old:
        return []
    direction = "escalate" if rank(obs.level) > rank(old) else "de-escalate"
    return [Event("level", old, obs.level, now, {**_why(obs), "direction": direction})]


def _why(obs: Observation) -> dict[str, Any]:
    return {"value": obs.value, "status": obs.status,
            "data_time": obs.data_time.isoformat() if obs.data_time else None}
