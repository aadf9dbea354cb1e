"""The exceptions citybrain raises on purpose.

Every one carries a message meant for the person at the keyboard: what is wrong and
what to do next. The CLI prints them without a traceback; anything else that escapes
is a bug.

    CitybrainError
    ├── ConfigError        a city config or environment setting is wrong
    ├── StoreError         the store cannot be opened or is not at the right schema
    ├── SourceError        a department database cannot be read as configured
    │   └── SchemaDriftError   a configured column is missing at the source
    ├── BriefingError      a briefing PDF could not be produced
    │   ├── ChromiumMissing    no Chromium to print with
    │   ├── PrintFailed        the print layout did not finish drawing or Chromium failed
    │   └── CheckFailed        the PDF was printed but did not pass its checks
    ├── AccessRefused      the signed-in principal may not do this (checked where it is done)
    └── NotAvailableYet    a command that a later release provides
"""

from __future__ import annotations


class CitybrainError(Exception):
    """Base of every error citybrain raises deliberately."""

    #: Process exit code the CLI uses for this kind of error.
    exit_code = 1


class ConfigError(CitybrainError):
    """A malformed city config or environment setting.

    Names the file, the key, the problem and the fix, so that a city engineer can
    correct the TOML without reading Python.
    """

    def __init__(self, problems: list[ConfigProblem] | ConfigProblem, file: str | None = None):
        self.problems = problems if isinstance(problems, list) else [problems]
        self.file = file
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.file}: " if self.file else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''} in the configuration:"]
        for p in self.problems:
            lines.append(f"  - {p.key}: {p.problem}")
            if p.fix:
                lines.append(f"    fix: {p.fix}")
        return "\n".join(lines)


class ConfigProblem:
    """One wrong key: where, what, and how to fix it."""

    __slots__ = ("key", "problem", "fix")

    def __init__(self, key: str, problem: str, fix: str = ""):
        self.key, self.problem, self.fix = key, problem, fix

    def __repr__(self) -> str:
        return f"ConfigProblem({self.key!r}, {self.problem!r}, {self.fix!r})"


class StoreError(CitybrainError):
    """The store cannot be opened, or its schema is not the one this code expects."""


class SourceError(CitybrainError):
    """A department database cannot be reached or read as configured."""

    def __init__(self, source: str, message: str):
        self.source = source
        super().__init__(f"source {source!r}: {message}")


class SchemaDriftError(SourceError):
    """A column named in a source's config no longer exists at the source."""


class BriefingError(CitybrainError):
    """A briefing (城市运行简报) or a page's PDF could not be produced."""


class ChromiumMissing(BriefingError):
    """No Chromium to print with; the message says how to install one."""


class PrintFailed(BriefingError):
    """Chromium could not load, draw or print the print layout in time."""


class CheckFailed(BriefingError):
    """The PDF exists but failed a check (pages, headings, figures, fonts); the file is kept."""

    def __init__(self, problems: list[str], path: str | None = None):
        self.problems, self.path = problems, path
        where = f" (partial file kept at {path})" if path else ""
        super().__init__("the briefing failed its checks" + where + ": " + "; ".join(problems))


class NotAvailableYet(CitybrainError):
    """A command planned for a later release."""

    exit_code = 2


class AccessRefused(CitybrainError):
    """The principal may not perform this action on this object.

    Raised by the functions that act (warning handling, exports, printing) when they check
    the principal again, after the gate: a request that got past the gate is still refused
    there, and the refusal is audited with the object it targeted.
    """

    def __init__(self, message: str, target: str | None = None):
        super().__init__(message)
        self.target = target

