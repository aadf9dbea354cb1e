"""The exceptions the indicator library raises on purpose.

Every message says what is wrong *and* what to do about it, because the caller is
usually a compute job or a city engineer's config, not a debugger session.
All of them are ``ValueError`` subclasses: a bad argument is a value problem.

    MetricsError(ValueError)
    ├── UnknownKeyError      a name that is not one of the accepted ones (lists them)
    ├── MissingColumnsError  a frame lacks a column of its canonical shape
    ├── InvalidValueError    a number outside its domain (negative speed, NaN capacity…)
    └── SpecError            a composite-index spec (from TOML) is malformed; names the key
"""

from __future__ import annotations

from collections.abc import Iterable


class MetricsError(ValueError):
    """Base of every error ``metrics`` raises deliberately."""


class UnknownKeyError(MetricsError):
    """A name (pollutant key, option, edition…) that is not accepted.

    The message lists the accepted names so the fix is a copy-paste away.
    """

    def __init__(self, what: str, got: object, accepted: Iterable[str]):
        self.what, self.got, self.accepted = what, got, tuple(accepted)
        super().__init__(
            f"unknown {what} {got!r}; accepted: {', '.join(map(repr, self.accepted))}"
        )


class MissingColumnsError(MetricsError):
    """A frame does not have the columns of its canonical shape."""

    def __init__(self, frame_name: str, missing: Iterable[str], required: Iterable[str]):
        self.missing, self.required = tuple(missing), tuple(required)
        super().__init__(
            f"{frame_name} frame lacks column(s) {', '.join(map(repr, self.missing))}; "
            f"it needs {', '.join(map(repr, self.required))} — rename or add them "
            "(missing values may be NaN, the column itself must exist)"
        )


class InvalidValueError(MetricsError):
    """A value outside the domain the standard defines it on."""


class SpecError(MetricsError):
    """A malformed composite-index spec; ``key`` is the dotted path to the bad entry."""

    def __init__(self, key: str, problem: str):
        self.key, self.problem = key, problem
        super().__init__(f"{key}: {problem}")
