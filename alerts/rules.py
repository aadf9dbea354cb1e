"""Warning rules as the city config writes them, validated into pydantic models.

Rules live in ``[[warnings]]`` tables — in the city file or in its sibling
``<city>.warnings.toml`` (``config/xuchang.warnings.toml`` ships the demo's). Each rule
has an ``id``, a ``kind``, a domain, a bilingual title, a scope (city, district, an
entity — station / segment / site — a hotline category, or a source) and its timing:
``for`` (how long the condition must hold before the warning fires) and
``keep_firing_for`` (how long it keeps firing after the condition clears), as in
Prometheus/Grafana alerting (STANDARDS.md "Warning levels and alert lifecycle").

Kinds:

* ``threshold`` — an indicator's latest value against per-level thresholds
  (``op`` > ≥ < ≤), with an optional separate ``recover`` threshold (hysteresis).
* ``episode`` — a run of consecutive periods above ``above``, graded by its length and
  by how many periods were above ``severe`` (the heavy-pollution alert of STANDARDS.md:
  蓝 1 day > 200, 黄 ≥ 2 days, 橙 ≥ 3 days with ≥ 1 > 300, 红 ≥ 4 days with ≥ 2 > 300
  or any day ≥ 500).
* ``rate`` — the latest complete period against the same period ``compare_to`` earlier
  (e.g. hotline calls in a category up 3× on the same hour last week).
* ``anomaly`` — hour-of-week robust z against the last 4–8 weeks, holidays skipped
  (STANDARDS.md "Seasonal anomaly": modified z = 0.6745 (x − median)/MAD, |z| > 3.5).
* ``staleness`` — a source's newest data older than its max age; levels are multiples
  of that age, and the default ``for`` is longer (30 min) so a poll that is a little
  late does not page anybody.
* ``forecast`` — 预计 (issue 22): a value forecast to cross a threshold within a window
  with at least a probability per level (:class:`ForecastRule`, :mod:`forecast.warn`).

A wrong rule never produces a traceback: :func:`parse_rules` raises
:class:`~citybrain.errors.ConfigError` whose keys read like ``warnings[2] (id =
"aqi_heavy").for``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from alerts.levels import LEVEL_NAMES, rank
from citybrain.errors import ConfigError, ConfigProblem
from citybrain.settings import DOMAINS, Duration, Settings

LevelName = Literal["blue", "yellow", "orange", "red"]
#: "entity": a theme's entity (issue 20; themes.warnings)
ScopeKind = Literal["city", "district", "station", "segment", "site", "category", "indicator", "entity"]
Grain = Literal["hour", "day", "month", "quarter"]
Op = Literal[">", ">=", "<", "<="]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", min_length=1, max_length=64)]
Title = Annotated[str, Field(min_length=1, max_length=120)]

#: Length of one period per grain (month/quarter only as far as "older than" goes).
GRAIN_LENGTH: dict[str, timedelta] = {
    "hour": timedelta(hours=1), "day": timedelta(days=1),
    "month": timedelta(days=31), "quarter": timedelta(days=92),
}

#: The indicators the compute job writes (its contract with this package): grains and
#: scope kinds. A rule on one of these names must use one of them; other names are
#: accepted as they are, since a new indicator needs no migration.
KNOWN_INDICATORS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "aqi": (frozenset({"hour", "day"}), frozenset({"station", "district", "city"})),
    "tpi": (frozenset({"hour"}), frozenset({"city", "district"})),
    "speed_ratio": (frozenset({"hour"}), frozenset({"segment"})),
    "crowding": (frozenset({"hour"}), frozenset({"site"})),
    "hotline_calls": (frozenset({"hour", "day"}), frozenset({"city", "district", "category"})),
    "hotline_answer_rate": (frozenset({"hour", "day"}), frozenset({"city", "district"})),
    "hotline_on_time_rate": (frozenset({"day"}), frozenset({"city", "district"})),
    "hotline_satisfaction": (frozenset({"day"}), frozenset({"city", "district"})),
    "vital_signs": (frozenset({"hour"}), frozenset({"city", "district"})),
    "economy": (frozenset({"month", "quarter"}), frozenset({"indicator"})),
}


class _Strict(BaseModel):
    # Unknown keys are almost always typos in a hand-written TOML: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _ordered(levels: Mapping[str, float], increasing: bool, what: str) -> None:
    """Thresholds must grow with severity (or shrink, for a "below" rule)."""
    ordered = sorted(levels.items(), key=lambda kv: rank(kv[0]))
    for (lo_name, lo), (hi_name, hi) in zip(ordered, ordered[1:]):
        if (hi <= lo) if increasing else (hi >= lo):
            word = "above" if increasing else "below"
            raise ValueError(
                f"{what} for {hi_name} ({hi:g}) must lie {word} that for {lo_name} ({lo:g}); "
                f"a more severe level needs a more extreme threshold"
            )


class _RuleBase(_Strict):
    id: RuleId
    title_zh: Title
    title_en: Title
    #: a built-in domain, or a theme's code when the rules are read with the city's themes
    domain: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
    #: webhooks subscribe to groups; defaults to the domain
    group: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)] | None = None
    for_: Duration = Field(default=timedelta(0), alias="for")
    keep_firing_for: Duration = timedelta(0)
    enabled: bool = True
    description_zh: str = ""
    description_en: str = ""

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str | None, info: Any) -> str | None:
        known = (info.context or {}).get("domains", DOMAINS)
        if v is not None and v not in known:
            raise ValueError(f"{v!r} is not a domain or theme of this city; use one of {', '.join(known)}")
        return v

    @property
    def notify_group(self) -> str:
        return self.group or self.domain

    @property
    def lowest_level(self) -> str:
        return min(self.levels, key=rank)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _durations(self) -> _RuleBase:
        if self.for_ < timedelta(0) or self.keep_firing_for < timedelta(0):
            raise ValueError("`for` and `keep_firing_for` cannot be negative; write e.g. \"0s\" or \"10m\"")
        return self


class _IndicatorRule(_RuleBase):
    indicator: Annotated[str, Field(min_length=1, max_length=64)]
    grain: Grain
    scope_kind: ScopeKind
    #: only these scopes (entity codes, district codes, category names); all when absent
    scopes: list[str] | None = None
    #: the newest row must be younger than this to count; default two periods
    lookback: Duration | None = None

    @property
    def period(self) -> timedelta:
        return GRAIN_LENGTH[self.grain]

    @property
    def data_window(self) -> timedelta:
        """How far back the rule reads: its lookback (plus history for rate/anomaly)."""
        return self.lookback or 2 * self.period

    @model_validator(mode="after")
    def _known_indicator(self) -> _IndicatorRule:
        known = KNOWN_INDICATORS.get(self.indicator)
        if known:
            grains, kinds = known
            if self.grain not in grains:
                raise ValueError(f"indicator {self.indicator} has no grain {self.grain!r}; "
                                 f"use one of {', '.join(sorted(grains))}")
            if self.scope_kind not in kinds:
                raise ValueError(f"indicator {self.indicator} has no scope_kind {self.scope_kind!r}; "
                                 f"use one of {', '.join(sorted(kinds))}")
        return self


class ThresholdRule(_IndicatorRule):
    """The latest value against per-level thresholds; ``recover`` adds hysteresis."""

    kind: Literal["threshold"]
    op: Op = ">"
    levels: Annotated[dict[LevelName, float], Field(min_length=1)]
    #: recovered only once the value is back beyond this (below it for > / ≥ rules)
    recover: float | None = None

    @model_validator(mode="after")
    def _thresholds(self) -> ThresholdRule:
        up = self.op in (">", ">=")
        _ordered(self.levels, up, "the threshold")
        if self.recover is not None:
            first = self.levels[self.lowest_level]
            if (self.recover > first) if up else (self.recover < first):
                raise ValueError(
                    f"recover ({self.recover:g}) must lie on the safe side of the {self.lowest_level} "
                    f"threshold ({first:g}); use a value {'≤' if up else '≥'} {first:g}"
                )
        return self


class EpisodeLevel(_Strict):
    """A level of an episode: at least ``periods`` in a row, ``severe`` of them above the
    rule's ``severe`` value — or any one period at ``peak`` or more."""

    periods: Annotated[int, Field(ge=1, le=366)]
    severe: Annotated[int, Field(ge=0, le=366)] = 0
    peak: float | None = None


class EpisodeRule(_IndicatorRule):
    """A run of consecutive periods above ``above`` (e.g. days of AQI > 200)."""

    kind: Literal["episode"]
    above: float
    severe: float | None = None
    levels: Annotated[dict[LevelName, EpisodeLevel], Field(min_length=1)]

    @property
    def data_window(self) -> timedelta:
        longest = max(lv.periods for lv in self.levels.values())
        return self.lookback or (longest + 2) * self.period

    @model_validator(mode="after")
    def _grades(self) -> EpisodeRule:
        if self.grain not in ("hour", "day"):
            raise ValueError("an episode counts consecutive hours or days; use grain \"hour\" or \"day\"")
        if any(lv.severe for lv in self.levels.values()) and self.severe is None:
            raise ValueError("a level counts severe periods but the rule has no `severe` value; add e.g. severe = 300")
        return self


class RateRule(_IndicatorRule):
    """The latest complete period as a multiple of the same period ``compare_to`` earlier."""

    kind: Literal["rate"]
    compare_to: Duration = timedelta(days=7)
    #: ratio at or above which each level applies
    levels: Annotated[dict[LevelName, Annotated[float, Field(gt=0)]], Field(min_length=1)]
    #: the current value must reach this too (3 calls against 1 is no surge)
    min_value: float = 0.0
    #: a reference below this counts as this (no division by zero)
    reference_floor: Annotated[float, Field(gt=0)] = 1.0
    recover: float | None = None

    @property
    def data_window(self) -> timedelta:
        return self.compare_to + self.period + 2 * (self.lookback or 2 * self.period)

    @model_validator(mode="after")
    def _ratios(self) -> RateRule:
        _ordered(self.levels, True, "the ratio")
        if self.recover is not None and self.recover > self.levels[self.lowest_level]:
            raise ValueError(f"recover ({self.recover:g}) must be ≤ the {self.lowest_level} ratio")
        return self


class AnomalyRule(_IndicatorRule):
    """Hour-of-week robust z against the same hour over the last ``weeks`` weeks."""

    kind: Literal["anomaly"]
    weeks: Annotated[int, Field(ge=4, le=8)] = 6
    #: baseline values needed (holidays and gaps leave fewer); below this: not judged
    min_weeks: Annotated[int, Field(ge=3, le=8)] = 4
    direction: Literal["up", "down", "both"] = "both"
    #: |z| above which each level applies (STANDARDS.md: 3.5)
    levels: Annotated[dict[LevelName, Annotated[float, Field(gt=0)]], Field(min_length=1)]
    #: MAD below this counts as this, so a flat baseline does not make every wiggle "infinite"
    mad_floor: Annotated[float, Field(gt=0)] = 1.0
    recover: float | None = None

    @property
    def data_window(self) -> timedelta:
        return timedelta(weeks=self.weeks) + self.period + 2 * (self.lookback or 2 * self.period)

    @model_validator(mode="after")
    def _z(self) -> AnomalyRule:
        if self.grain != "hour":
            raise ValueError("hour-of-week baselines need grain \"hour\"")
        if self.min_weeks > self.weeks:
            raise ValueError(f"min_weeks ({self.min_weeks}) cannot exceed weeks ({self.weeks})")
        _ordered(self.levels, True, "|z|")
        if self.recover is not None and self.recover > self.levels[self.lowest_level]:
            raise ValueError(f"recover ({self.recover:g}) must be ≤ the {self.lowest_level} |z|")
        return self


class StalenessRule(_RuleBase):
    """A source whose newest data is older than its max age — a class of its own."""

    kind: Literal["staleness"]
    domain: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)] | None = None  # type: ignore[assignment]
    #: only these sources (by name); all enabled sources when absent
    sources: list[str] | None = None
    #: overrides the source's `max_age` and the domain's
    max_age: Duration | None = None
    #: age as a multiple of the max age at which each level applies
    levels: Annotated[dict[LevelName, Annotated[float, Field(gt=0)]], Field(min_length=1)] = Field(
        default_factory=lambda: {"blue": 1.0})
    for_: Duration = Field(default=timedelta(minutes=30), alias="for")

    @property
    def notify_group(self) -> str:
        return self.group or "sources"

    @model_validator(mode="after")
    def _multiples(self) -> StalenessRule:
        _ordered(self.levels, True, "the age multiple")
        return self


class ForecastRule(_RuleBase):
    """预计 (issue 22): a value *forecast* to cross a threshold within ``within``, with at least
    the probability each level names — read from the forecast's predictive distribution
    (:mod:`forecast.warn`). Its warnings carry rule kind ``forecast`` and a title starting
    with 预计 / "Expected"; one resolves when the forecast falls back below ``recover``, or
    as *confirmed* when the value itself arrives (``confirms``: the rule of the real warning).
    """

    kind: Literal["forecast"]
    #: a forecast series (``forecast.series``): tourism_present, tpi, aqi, pm25, hotline_calls, <theme>.<indicator>
    indicator: Annotated[str, Field(min_length=1, max_length=64)]
    grain: Literal["hour", "day"] = "hour"
    scope_kind: ScopeKind
    scopes: list[str] | None = None
    op: Literal[">", ">="] = ">="
    #: the value forecast to be reached, or (sites) a share of the site's capacity (LB/T 034: 0.8)
    threshold: float | None = None
    capacity_share: Annotated[float, Field(gt=0, le=2)] | None = None
    within: Duration = timedelta(hours=2)
    #: probability (0–1) at or above which each level applies
    levels: Annotated[dict[LevelName, Annotated[float, Field(gt=0, le=1)]], Field(min_length=1)]
    #: resolved once the probability is below this (hysteresis); default: the lowest level's
    recover: Annotated[float, Field(ge=0, le=1)] | None = None
    #: the rule whose warning the value itself raises (informational: the confirmation is measured on the value)
    confirms: RuleId | None = None
    #: a forecast made from an observation older than this is not acted on
    max_age: Duration = timedelta(hours=3)

    @property
    def data_window(self) -> timedelta:
        return self.within

    @model_validator(mode="before")
    @classmethod
    def _label(cls, data: Any) -> Any:
        """The warning's own label: 预计 in its title, whatever the config wrote."""
        if isinstance(data, dict):
            data = dict(data)
            zh, en = data.get("title_zh"), data.get("title_en")
            if isinstance(zh, str) and zh and not zh.startswith("预计"):
                data["title_zh"] = "预计" + zh
            if isinstance(en, str) and en and not en.lower().startswith("expected"):
                data["title_en"] = "Expected: " + en
        return data

    @model_validator(mode="after")
    def _target(self) -> ForecastRule:
        if (self.threshold is None) == (self.capacity_share is None):
            raise ValueError("a forecast rule needs exactly one of `threshold` and `capacity_share`; "
                             "write e.g. capacity_share = 0.8")
        if self.capacity_share is not None and self.scope_kind != "site":
            raise ValueError("capacity_share applies to scenic sites; use scope_kind = \"site\" or a threshold")
        if self.within <= timedelta(0):
            raise ValueError("`within` must be positive; write e.g. within = \"2h\"")
        _ordered(self.levels, True, "the probability")
        if self.recover is not None and self.recover > self.levels[self.lowest_level]:
            raise ValueError(f"recover ({self.recover:g}) must be ≤ the {self.lowest_level} probability")
        return self


Rule = Annotated[
    Union[ThresholdRule, EpisodeRule, RateRule, AnomalyRule, StalenessRule, ForecastRule],
    Field(discriminator="kind"),
]
IndicatorRule = Union[ThresholdRule, EpisodeRule, RateRule, AnomalyRule]
KINDS = ("threshold", "episode", "rate", "anomaly", "staleness", "forecast")

_RULE = TypeAdapter(Rule)


# ------------------------------------------------------------------------------ webhooks

class Webhook(_Strict):
    """A receiver of notifications for some rule groups (JSON, DingTalk or WeCom robot)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$", max_length=64)]
    url: Annotated[str, Field(pattern=r"^https?://")]
    format: Literal["json", "dingtalk", "wecom"] = "json"
    #: rule groups served ("*" for all); a rule's group defaults to its domain
    groups: list[str] = Field(default_factory=lambda: ["*"])
    min_level: LevelName = "blue"
    #: DingTalk 加签 secret: the URL gets timestamp and sign
    secret: str | None = None
    timeout: Duration = timedelta(seconds=5)
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    #: first wait between attempts; doubles each time
    backoff: Duration = timedelta(seconds=2)
    enabled: bool = True

    def serves(self, group: str, level: str) -> bool:
        return self.enabled and ("*" in self.groups or group in self.groups) and rank(level) >= rank(self.min_level)


@dataclass(frozen=True)
class WarningConfig:
    """Everything in a ``*.warnings.toml``: rules, webhooks and the link to a warning."""

    rules: list[Any] = field(default_factory=list)
    webhooks: list[Webhook] = field(default_factory=list)
    #: where a person opens warning {id}; used in notifications
    link: str = ""

    def link_for(self, warning_id: int) -> str:
        return self.link.format(id=warning_id) if self.link else ""


# ------------------------------------------------------------------------------- parsing

def parse_rules(raw: list[dict], *, file: str | None = None, domains: tuple[str, ...] | None = None) -> list[Any]:
    """Validate ``[[warnings]]`` tables into rules; every problem at once, by key."""
    if not isinstance(raw, list):
        raise ConfigError(ConfigProblem("warnings", "must be a list of tables",
                                        "write each rule as a [[warnings]] table"), file)
    rules: list[Any] = []
    problems: list[ConfigProblem] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        label = _label(i, item)
        if not isinstance(item, dict):
            problems.append(ConfigProblem(label, "is not a table", "write the rule as a [[warnings]] table"))
            continue
        try:
            rule = _RULE.validate_python(item, context={"domains": domains} if domains else None)
        except ValidationError as exc:
            problems.extend(_problem(label, err, item) for err in exc.errors())
            continue
        if rule.id in seen:
            problems.append(ConfigProblem(f"{label}.id", f"repeats the id of warnings[{seen[rule.id]}]",
                                          "give every rule its own id"))
            continue
        seen[rule.id] = i
        rules.append(rule)
    if problems:
        raise ConfigError(problems, file)
    return rules


def parse_webhooks(raw: Any, *, file: str | None = None, env: Mapping[str, str] | None = None) -> list[Webhook]:
    """Validate ``[[webhooks]]``; ``${VAR}`` in a URL or secret is read from ``env``."""
    env = os.environ if env is None else env
    if not isinstance(raw, list):
        raise ConfigError(ConfigProblem("webhooks", "must be a list of tables", "write [[webhooks]] tables"), file)
    hooks: list[Webhook] = []
    problems: list[ConfigProblem] = []
    for i, item in enumerate(raw):
        label = f'webhooks[{i}] (name = "{item.get("name")}")' if isinstance(item, dict) and item.get("name") \
            else f"webhooks[{i}]"
        if not isinstance(item, dict):
            problems.append(ConfigProblem(label, "is not a table", "write it as a [[webhooks]] table"))
            continue
        item = dict(item)
        for key in ("url", "secret"):
            value = item.get(key)
            if isinstance(value, str):
                for var in _VAR.findall(value):
                    if var not in env:
                        problems.append(ConfigProblem(f"{label}.{key}", f"refers to ${{{var}}}, which is not set",
                                                      f"export {var}=... before starting"))
                item[key] = _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), value)
        try:
            hooks.append(Webhook.model_validate(item))
        except ValidationError as exc:
            problems.extend(_problem(label, err, item) for err in exc.errors())
    if problems:
        raise ConfigError(problems, file)
    return hooks


def warnings_file(settings: Settings) -> Path:
    """``config/xuchang.toml`` → ``config/xuchang.warnings.toml``."""
    return Path(Path(settings.config_path).with_suffix("").as_posix() + ".warnings.toml")


def load_warning_config(settings: Settings, *, env: Mapping[str, str] | None = None) -> WarningConfig:
    """Read the city's ``<city>.warnings.toml`` (an empty config when there is none)."""
    path = warnings_file(settings)
    if not path.exists():
        return WarningConfig(link=_default_link(settings))
    shown = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(ConfigProblem("(syntax)", f"not valid UTF-8 TOML: {exc}",
                                        "check the line named above"), shown) from None
    unknown = sorted(set(raw) - {"warnings", "webhooks", "link"})
    if unknown:
        raise ConfigError([ConfigProblem(k, "is not a known setting of a warnings file",
                                         "use [[warnings]], [[webhooks]] or link = \"...\"") for k in unknown], shown)
    link = raw.get("link", _default_link(settings))
    if not isinstance(link, str):
        raise ConfigError(ConfigProblem("link", "is not a string", 'write e.g. link = "http://host/warnings/{id}"'),
                          shown)
    from themes.warnings import prepare_rules  # issue 20: rules on theme indicators

    rules, problems = prepare_rules(settings, raw.get("warnings", []))
    if problems:
        raise ConfigError(problems, shown)
    domains = (*DOMAINS, *(t.code for t in settings.themes))
    return WarningConfig(rules=parse_rules(rules, file=shown, domains=domains),
                         webhooks=parse_webhooks(raw.get("webhooks", []), file=shown, env=env),
                         link=link)


def load_rules(settings: Settings) -> list[Any]:
    """The city's rules from ``<city>.warnings.toml`` (none when the file is absent)."""
    return load_warning_config(settings).rules


def _default_link(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/warnings/{{id}}"


# ------------------------------------------------------------------------ error messages

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _label(i: int, item: Any) -> str:
    rid = item.get("id") if isinstance(item, dict) else None
    return f'warnings[{i}] (id = "{rid}")' if isinstance(rid, str) and rid else f"warnings[{i}]"


def _problem(label: str, err: Mapping[str, Any], item: Mapping[str, Any]) -> ConfigProblem:
    """One pydantic error → key, problem and a fix a city engineer can act on."""
    loc = list(err["loc"])
    if loc and loc[0] == item.get("kind") and loc[0] in KINDS:
        loc = loc[1:]  # the discriminator's tag
    loc = [p for p in loc if not (isinstance(p, str) and (p.startswith(("function-", "constrained-"))
                                                          or p == "[key]"))]
    key = label + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
    kind, given = err["type"], err.get("input")
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if kind == "union_tag_not_found":
        return ConfigProblem(f"{label}.kind", "is required but missing", f"add kind = one of {', '.join(KINDS)}")
    if kind == "union_tag_invalid":
        return ConfigProblem(f"{label}.kind", f"{item.get('kind')!r} is not a rule kind",
                             f"use one of {', '.join(KINDS)}")
    if kind == "missing":
        return ConfigProblem(key, "is required but missing", f"add `{loc[-1]} = ...` to the rule")
    if kind == "extra_forbidden":
        return ConfigProblem(key, "is not a setting of this kind of rule",
                             "remove it, or check its spelling against config/xuchang.warnings.toml")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        if loc and loc[0] == "levels":
            expected = ", ".join(LEVEL_NAMES)
        return ConfigProblem(key, f"{given!r} is not allowed", f"use one of {expected}")
    if kind == "string_pattern_mismatch":
        return ConfigProblem(key, f"{given!r} has characters that are not allowed",
                             "use lowercase letters, digits and _")
    if kind.endswith(("_parsing", "_type")):
        return ConfigProblem(key, f"{given!r} is of the wrong type: {msg}", "write a value of the type shown")
    fix = ""
    if "; " in msg:
        msg, _, fix = msg.partition("; ")
    return ConfigProblem(key, msg, fix)
