"""Slowing password guessing down without letting a stranger lock anyone out.

Before a password is checked, :func:`login_wait` looks at the recent failed sign-ins in
the audit log (the record every worker and host already shares; no extra state) in three
groups, each with a number of free attempts and then a wait that doubles with every
further failure (1 s, 2 s, 4 s …) up to a cap — NIST SP 800-63B §5.2.2 (rate limiting
instead of a permanent lockout) and OWASP ASVS 4.0 V2.2.1:

* **this account from this address** (``lockout_attempts`` free, since the pair's last
  success, over a day; waits up to ``lockout_minutes``): one guesser on one account;
* **this address, any account** (``login_address_attempts`` free within
  ``lockout_minutes``; waits up to ``lockout_minutes``): one guesser spraying accounts;
* **this account, any address** (``login_account_attempts`` free since its last success,
  over a day; waits only up to ``login_account_max_delay`` seconds): guessers spread over
  many addresses. This cap is why a stranger can slow an account but never shut it.

A browser that has signed in to the account before carries a signed device cookie
(:mod:`access.web`) and is exempt from the last two groups: strangers elsewhere, or
behind the same office NAT, do not slow the real user at all. The groups are keyed by the
name typed, whether or not such an account exists, so the answers never tell accounts
apart.

While a wait runs the attempt is refused with 429 and ``Retry-After`` — without checking
the password, so the right one does not help either — and only the first refusal after
each failure is audited (a flood of refusals cannot fill the audit log).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Engine, or_, select

from access.config import AccessConfig
from store.schema import audit_log

UTC = dt.timezone.utc
#: how far back failures and successes are read (the account groups' window)
HORIZON = dt.timedelta(days=1)
#: audit actions this module reads
SUCCESS, FAILURE, THROTTLED = "login", "login.failed", "login.throttled"


@dataclass(frozen=True)
class Wait:
    """A sign-in attempt that must wait: ``seconds`` (whole, ≥ 1: the ``Retry-After``), the
    group that imposed it, and whether this refusal is the first since that group's last
    failure (then it is audited)."""

    seconds: int
    scope: str
    audit: bool


def backoff(failures: int, free: int, cap: float) -> float:
    """Seconds the next attempt waits after ``failures`` failures: none while within the
    ``free`` ones, then 1, 2, 4 … doubling, never more than ``cap``."""
    if failures < free:
        return 0.0
    return float(min(cap, 2 ** min(failures - free, 40)))


def login_wait(engine: Engine, username: str, address: str | None, config: AccessConfig, *,
               known_device: bool = False, now: dt.datetime | None = None) -> Wait | None:
    """The wait imposed on a sign-in as ``username`` from ``address`` now, or None.

    ``known_device``: the browser proved it signed in to this account before (exempt from
    the address and account-wide groups, see the module docstring).
    """
    now = now or dt.datetime.now(UTC)
    user = username[:64]
    addr = (address or "")[:64]
    wanted = [audit_log.c.target == user, audit_log.c.actor == user]
    if addr:
        wanted.append(audit_log.c.address == addr)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.at, audit_log.c.action, audit_log.c.actor, audit_log.c.target,
                                   audit_log.c.address)
                            .where(audit_log.c.at >= now - HORIZON,
                                   audit_log.c.action.in_((SUCCESS, FAILURE, THROTTLED)), or_(*wanted))).all()

    def last(times: list[dt.datetime]) -> dt.datetime:
        return max(times, default=now - HORIZON)

    pair_ok = last([r.at for r in rows if r.action == SUCCESS and r.actor == user and r.address == addr])
    account_ok = last([r.at for r in rows if r.action == SUCCESS and r.actor == user])
    failed = [r for r in rows if r.action == FAILURE]
    recent = now - dt.timedelta(minutes=config.lockout_minutes)
    cap = config.lockout_minutes * 60.0
    groups = [("account+address", [r.at for r in failed if r.target == user and r.address == addr and r.at > pair_ok],
               config.lockout_attempts, cap)]
    if not known_device:
        if addr:
            groups.append(("address", [r.at for r in failed if r.address == addr and r.at >= recent],
                           config.login_address_attempts, cap))
        groups.append(("account", [r.at for r in failed if r.target == user and r.at > account_ok],
                       config.login_account_attempts, float(config.login_account_max_delay)))
    found: Wait | None = None
    for scope, times, free, limit in groups:
        if not times:
            continue
        latest = max(times)
        remaining = (latest + dt.timedelta(seconds=backoff(len(times), free, limit)) - now).total_seconds()
        if remaining > 0 and (found is None or remaining > found.seconds):
            # audited already since that failure? (judged per group: one row per failure of the
            # group, however many names a sprayer tries)
            first = not any(r.action == THROTTLED and r.at >= latest and (scope == "account" or r.address == addr)
                            and (scope == "address" or r.target == user) for r in rows)
            found = Wait(seconds=max(1, math.ceil(remaining)), scope=scope, audit=first)
    return found
