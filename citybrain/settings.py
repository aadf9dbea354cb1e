"""One settings object, built from a city config file plus ``CITYBRAIN_*`` overrides.

A city is a TOML file (``config/xuchang.toml`` is the demo): the city, its districts and
entities (air stations, road segments, scenic sites), the economy indicators it reports,
the department databases it polls and the domains' freshness limits. Deployment values
that differ per machine — store URL, cache URL, secret key, data directory — come from
the environment so one config serves a laptop and a production cluster alike.

Like Flask's ``app.config``, the object is built once (``load_settings``) and handed to
``create_app`` and the CLI; nothing reads the environment behind its back.

A wrong config never produces a traceback: ``load_settings`` raises
:class:`~citybrain.errors.ConfigError` naming the file, the key, the problem and the fix.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from pydantic_core import InitErrorDetails, PydanticCustomError

from citybrain.errors import ConfigError, ConfigProblem
from simulator.spec import SimulatedDepartment
from themes.spec import Theme

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "xuchang.toml"

DOMAINS = ("environment", "traffic", "tourism", "economy", "hotline")
Domain = Literal["environment", "traffic", "tourism", "economy", "hotline"]

#: Canonical fields per domain (DESIGN.md "Canonical shapes"): required, then optional.
CANONICAL_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "environment": (("station", "time"), ("pm25", "pm10", "so2", "no2", "co", "o3", "updated_at")),
    "traffic": (("segment", "time"), ("speed", "volume", "occupancy", "updated_at")),
    "tourism": (("site", "time", "present"), ("entries", "exits", "updated_at")),
    "economy": (("indicator", "period", "value"), ("unit", "district", "revision", "updated_at")),
    "hotline": (
        ("ticket", "created_at", "category", "district"),
        ("channel", "answered", "wait_seconds", "due_at", "closed_at", "satisfaction", "status", "updated_at"),
    ),
}

#: what departments write for "no value" (issue 19); a source's ``missing`` replaces it
DEFAULT_MISSING = ("NA", "", " ", "-", "—", "/", "null", "#N/A", "9999")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> timedelta:
    """``"90s"``, ``"5m"``, ``"2h"``, ``"1d"``, ``"2w"`` or a number of seconds → timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return timedelta(**{_UNITS[m.group(2)]: float(m.group(1))})
    raise ValueError(
        f"{value!r} is not a duration; write a number and a unit, e.g. \"30s\", \"5m\", \"2h\", \"1d\""
    )


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{value!r} is not an IANA time zone; use e.g. \"Asia/Shanghai\""
        ) from None
    return value


def check_source_url(url: str) -> str:
    """``url`` if SQLAlchemy can read it as a database URL (``mysql+pymysql//…`` it cannot)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 — sqlalchemy raises ArgumentError, ValueError…
        raise ValueError(f"url {url!r} is not a database URL; write e.g. "
                         "postgresql+psycopg://user@host/db or sqlite:////path/to/file.db") from None
    if not re.fullmatch(r"[a-z][a-z0-9]*(\+[a-z0-9_]+)?", parsed.drivername or ""):
        raise ValueError(f"url {url!r} names no database driver; write e.g. postgresql+psycopg://user@host/db")
    try:
        parsed.get_dialect()
    except Exception:  # noqa: BLE001 — NoSuchModuleError: no such database kind in this installation
        raise ValueError(f"url {url!r} names the database kind {parsed.drivername!r}, which this installation "
                         "cannot read; use sqlite, postgresql+psycopg or mysql+pymysql") from None
    return url


def unit_problem(domain: str, field: str, unit: str) -> str | None:
    """Why ``unit`` cannot be converted for ``field`` (None when it can): refused at load."""
    from connectors.fields import FIELDS
    from connectors.units import factor

    spec = FIELDS[domain].get(field)
    if spec is None:
        return None
    try:
        factor(field, unit, spec.unit)
    except ValueError as exc:
        return str(exc)
    return None


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
LatLon = tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]]


class _Strict(BaseModel):
    # Unknown keys are almost always typos in a hand-written TOML: refuse them.
    model_config = ConfigDict(extra="forbid", frozen=True)


class City(_Strict):
    code: Code
    name_zh: str
    name_en: str
    province_zh: str = ""
    timezone: TimeZone = "Asia/Shanghai"
    center: LatLon
    zoom: Annotated[int, Field(ge=3, le=18)] = 10


class District(_Strict):
    code: Code
    name_zh: str
    name_en: str
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    population_10k: Annotated[float, Field(gt=0)] | None = None


class _Entity(_Strict):
    code: Code
    name_zh: str
    name_en: str
    district: Code


class Station(_Entity):
    """An air monitoring station (HJ 633 hourly readings)."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    kind: Literal["national", "provincial", "city"] = "national"


class Segment(_Entity):
    """A road segment with its detector: GB/T 33171 needs free-flow speed and length."""

    path: Annotated[list[LatLon], Field(min_length=2)]
    free_flow_kmh: Annotated[float, Field(gt=0, le=200)]
    length_km: Annotated[float, Field(gt=0, le=200)]
    speed_limit_kmh: Annotated[float, Field(gt=0, le=200)] | None = None
    road_class: Literal["expressway", "arterial", "secondary", "branch"] = "arterial"
    #: "speed" detectors measure speed and count; "count" detectors only count vehicles.
    detector: Literal["speed", "count"] = "speed"

    @model_validator(mode="after")
    def _free_flow_within_limit(self) -> Segment:
        if self.speed_limit_kmh is not None and self.free_flow_kmh > self.speed_limit_kmh:
            raise ValueError(
                f"free_flow_kmh {self.free_flow_kmh} exceeds speed_limit_kmh {self.speed_limit_kmh}; "
                "GB/T 33171 caps free-flow speed at the speed limit — lower free_flow_kmh"
            )
        return self

    @property
    def lat(self) -> float:
        return sum(p[0] for p in self.path) / len(self.path)

    @property
    def lon(self) -> float:
        return sum(p[1] for p in self.path) / len(self.path)


class Site(_Entity):
    """A scenic site; `capacity` is LB/T 034-2014's maximum instantaneous capacity C1."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    capacity: Annotated[int, Field(gt=0)]
    daily_capacity: Annotated[int, Field(gt=0)] | None = None
    grade: str = ""
    opening: tuple[int, int] = (8, 18)

    @field_validator("opening")
    @classmethod
    def _opening_hours(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not (0 <= v[0] < v[1] <= 24):
            raise ValueError("opening must be [open_hour, close_hour] with 0 <= open < close <= 24, e.g. [8, 18]")
        return v


class EconomyIndicator(_Strict):
    """A statistic the statistics bureau reports; names and units are shown as written."""

    code: Code
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    freq: Literal["month", "quarter"]
    #: how 累计 (year to date) is formed: "sum" for flows, "mean" for indices such as CPI
    aggregation: Literal["sum", "mean"] = "sum"
    headline: bool = False


class DomainSettings(_Strict):
    """Per-domain freshness: data older than ``max_age`` is shown with a stale badge."""

    max_age: Duration


def _default_domains() -> dict[str, DomainSettings]:
    ages = {"environment": "2h", "traffic": "15m", "tourism": "15m", "economy": "75d", "hotline": "30m"}
    return {d: DomainSettings(max_age=parse_duration(a)) for d, a in ages.items()}


class Source(_Strict):
    """A department database polled by a connector (issue 3's source shape)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=64)]
    #: a built-in domain, or the code of one of the city's [[themes]] (checked by Settings)
    domain: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)]
    url: str
    table: str | None = None
    query: str | None = None
    watermark: str | None = None
    lookback: Duration = timedelta(hours=2)
    interval: Duration = timedelta(minutes=5)
    timezone: TimeZone = "Asia/Shanghai"
    columns: dict[str, str]
    units: dict[str, str] = Field(default_factory=dict)
    #: owner department shown on the data-sources page (数据共享交换目录)
    owner_zh: str = ""
    owner_en: str = ""
    batch_size: Annotated[int, Field(gt=0, le=1_000_000)] = 50_000
    connect_timeout: Duration = timedelta(seconds=10)
    statement_timeout: Duration = timedelta(seconds=60)
    max_age: Duration | None = None
    enabled: bool = True
    #: values the department writes for "no reading" (compared after trimming whitespace);
    #: such a field is stored NULL and counted as missing, never a reason to drop the row
    #: (issue 19). Numeric markers ("9999") also match numbers in measured fields — a
    #: department whose real readings can be 9999 lists its markers without it.
    missing: list[str] = Field(default_factory=lambda: list(DEFAULT_MISSING))
    #: how far ahead of now a row's time may lie (clock skew between the department's
    #: server and ours); later rows are quarantined (时间超前) and the watermark never
    #: advances past now + this
    future_tolerance: Duration = timedelta(minutes=15)
    #: environment only: does the source's hour mean the hour that starts or that ends at
    #: its time? CNEMC labels an hourly mean by its end (10:00 = 09:00-10:00); the store
    #: keeps hour starts, so an "end" hour is shifted back one hour on the way in
    hour_label: Literal["start", "end"] = "start"
    #: environment only: a reading not on the hour (10:30) is quarantined, or floored to
    #: its hour ("floor": the department stamps the time it sent the hour's mean)
    off_grid: Literal["quarantine", "floor"] = "quarantine"
    #: a naive local time that a daylight-saving change makes occur twice or never: read
    #: with the offset before ("earlier") or after ("later") the change, or quarantined with
    #: the explanation (the default; zones without DST never meet it)
    dst: Literal["quarantine", "earlier", "later"] = "quarantine"
    #: reconciliation (对账, issue 19 item 5): every night at ``reconcile_at`` (city time) the
    #: rows per entity and day of the last ``reconcile_window`` are counted at the source and
    #: in the store with a checksum of their values, and the days that differ are read again
    #: by their time column — rows backfilled with an old update stamp, or with none, that the
    #: watermark never reaches, and values changed under an unchanged stamp. Statistics are
    #: compared per indicator and period over the whole table. "0s" turns it off
    reconcile_window: Duration = timedelta(days=7)
    reconcile_at: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "03:10"
    #: a row whose update stamp (the watermark column) is NULL is never read by a poll; the
    #: reconciliation reads it by its time ("time") or quarantines it with the reason
    null_stamp: Literal["time", "quarantine"] = "time"
    #: what the department's status codes mean, shown instead of the code (hotline 工单状态
    #: "20" → 已派单): code = "label" or code = { zh = "…", en = "…" }; codes not listed
    #: fall back to the catalogue's defaults (hotline.status.<code>), then to the code itself
    status_labels: dict[str, str | dict[Literal["zh", "en"], str]] = Field(default_factory=dict)

    @field_validator("interval", "lookback", "connect_timeout", "statement_timeout", "future_tolerance")
    @classmethod
    def _durations(cls, v: timedelta, info: Any) -> timedelta:
        if v < timedelta(0):
            raise ValueError(f"{info.field_name} cannot be negative; write e.g. \"5m\"")
        if info.field_name in ("interval", "connect_timeout", "statement_timeout") and v < timedelta(seconds=1):
            raise ValueError(f"{info.field_name} {v.total_seconds():g}s is too short; write at least \"1s\" "
                             "(\"0s\" would poll without pause)")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_source_url(v)

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str, info: Any) -> str:
        # load_settings passes the themes' codes, so an unknown domain is told with the other
        # problems of the file; built directly, Settings checks it against its themes instead
        codes = (info.context or {}).get("theme_codes")
        if codes is not None and v not in DOMAINS and v not in codes:
            from themes.spec import unknown_domain

            raise ValueError(unknown_domain(v, codes))
        return v

    @model_validator(mode="after")
    def _shape(self) -> Source:
        if (self.table is None) == (self.query is None):
            raise ValueError('give exactly one of `table = "..."` or `query = "SELECT ..."`')
        if self.table is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", self.table):
            raise ValueError(f"table {self.table!r} is not a plain table name; use `query` for anything else")
        if self.domain != "environment" and (self.hour_label != "start" or self.off_grid != "quarantine"):
            raise ValueError("hour_label and off_grid apply to environment sources (hourly means) only; "
                             "remove them from this source")
        if self.domain not in CANONICAL_FIELDS:
            return self  # a theme's source: its columns and units are checked against [[themes]] by Settings
        required, optional = CANONICAL_FIELDS[self.domain]
        missing = [f for f in required if f not in self.columns]
        if missing:
            raise ValueError(
                f"columns lacks {', '.join(missing)} for the {self.domain} domain; add e.g. "
                f'`{missing[0]} = "<source column>"` under [sources.columns]'
            )
        unknown = sorted(set(self.columns) - set(required) - set(optional))
        if unknown:
            raise ValueError(
                f"columns has unknown canonical field(s) {', '.join(unknown)}; "
                f"the {self.domain} domain knows {', '.join(required + optional)}"
            )
        if self.domain == "traffic" and not ({"speed", "volume"} & set(self.columns)):
            raise ValueError("a traffic source needs at least one of `speed` or `volume` in [sources.columns]")
        bad_units = sorted(set(self.units) - set(self.columns))
        if bad_units:
            raise ValueError(f"units names {', '.join(bad_units)}, which is not mapped in [sources.columns]")
        for field_name, unit in self.units.items():
            problem = unit_problem(self.domain, field_name, unit)
            if problem:
                raise ValueError(problem)
        return self

    @property
    def watermark_column(self) -> str:
        """The source column the incremental predicate runs on (default: the time column)."""
        if self.watermark:
            return self.watermark
        return self.columns.get("updated_at") or self.columns.get("time") or self.columns.get("created_at") or ""


#: "theme": the entities of the screen's theme (issue 20)
WallLayer = Literal["districts", "stations", "segments", "sites", "theme"]


class WallScreen(_Strict):
    """One screen of the command-centre wall, at ``/wall/<name>``."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$", max_length=32)]
    kind: Literal["overview", "environment", "traffic", "tourism", "economy", "hotline", "theme"]
    title_zh: str
    title_en: str
    layers: list[WallLayer] = Field(default_factory=lambda: ["districts", "stations", "segments", "sites"])
    #: kind = "theme": the code of the [[themes]] entry the screen shows (checked by Settings)
    theme: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=16)] | None = None

    @model_validator(mode="after")
    def _theme_screen(self) -> WallScreen:
        if (self.kind == "theme") != (self.theme is not None):
            raise ValueError('a theme screen needs kind = "theme" and theme = "<theme code>"; other kinds take no '
                             "theme — add or remove the one that is missing")
        return self


def _default_screens() -> list[WallScreen]:
    titles = {"overview": ("城市运行总览", "City overview"), "environment": ("生态环境", "Environment"),
              "traffic": ("交通运行", "Traffic"), "tourism": ("文旅客流", "Tourism"),
              "economy": ("经济运行", "Economy"), "hotline": ("12345民生热线", "12345 Hotline")}
    layers = {"overview": ["districts", "stations", "segments", "sites"], "environment": ["districts", "stations"],
              "traffic": ["districts", "segments"], "tourism": ["districts", "sites"],
              "economy": ["districts"], "hotline": ["districts"]}
    return [WallScreen(name=k, kind=k, title_zh=zh, title_en=en, layers=layers[k]) for k, (zh, en) in titles.items()]


class Wall(_Strict):
    """The command-centre wall (大屏): canvas, screens, rotation, refresh, map tiles."""

    canvas: Literal["1920x1080", "3840x2160", "5760x1080"] = "1920x1080"
    screens: Annotated[list[WallScreen], Field(min_length=1)] = Field(default_factory=_default_screens)
    #: rotate through the screens, each shown for ``interval``
    rotate: bool = True
    interval: Duration = timedelta(seconds=60)
    #: how often tiles fetch fresh data
    refresh: Duration = timedelta(seconds=30)
    #: a nightly soft reload (city time, HH:MM) as a safety net for browsers running for days
    reload_at: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "03:30"
    #: map tiles from an intranet tile server ("" = none: the shipped district outlines still draw the city)
    tile_url: str = ""
    tile_attribution: str = ""

    @model_validator(mode="after")
    def _unique_screens(self) -> Wall:
        names = [s.name for s in self.screens]
        if len(set(names)) != len(names):
            raise ValueError(f"wall screens repeat a name ({', '.join(names)}); give each screen its own name")
        return self


class MapSettings(_Strict):
    """The city map (``[map]``): real district boundaries and an optional tile layer.

    Nothing is fetched from the internet at run time: ``boundaries`` is a GeoJSON file
    shipped with the deployment (``assets/geo/<city code>.geojson`` when empty), and
    tiles draw only when ``tile_url`` names a (normally intranet) tile server.
    """

    #: GeoJSON FeatureCollection of the districts, relative to the project root or absolute;
    #: "" = assets/geo/<city code>.geojson, else an approximation from the district centres
    boundaries: str = ""
    #: the feature property holding the district code (used when a feature has no ``id``)
    code_property: Annotated[str, Field(min_length=1, max_length=64)] = "code"
    #: an XYZ tile URL such as "http://tiles.intranet/{z}/{x}/{y}.png" ("" = no tiles, offline)
    tile_url: str = ""
    tile_attribution: str = ""
    tile_max_zoom: Annotated[int, Field(ge=1, le=22)] = 18

    @field_validator("tile_url")
    @classmethod
    def _tile_url(cls, v: str) -> str:
        if v and not (v.startswith(("http://", "https://", "/")) and "{z}" in v and "{x}" in v and "{y}" in v):
            raise ValueError(f"{v!r} is not a tile URL; write e.g. \"http://tiles.intranet/{{z}}/{{x}}/{{y}}.png\"")
        return v


class Access(_Strict):
    """Sign-in, sessions, single sign-on and API limits (access/ reads these)."""

    #: with no users in the store, let everyone in as admin (logged) — `citybrain demo` only
    open_demo: bool = False
    #: trusted-header single sign-on: the header a portal sets (e.g. "X-Remote-User"); "" = off
    sso_header: str = ""
    #: addresses or networks of the portal's proxy; the header is ignored from anyone else
    sso_proxies: list[str] = Field(default_factory=list)
    lockout_attempts: Annotated[int, Field(ge=1, le=100)] = 5
    lockout_minutes: Annotated[int, Field(ge=1, le=1440)] = 15
    session_hours: Annotated[int, Field(ge=1, le=720)] = 12
    #: API requests per token per minute
    api_rate_limit: Annotated[int, Field(ge=1)] = 600
    #: mark the session cookie Secure (production behind HTTPS)
    secure_cookies: bool = False

    @field_validator("sso_proxies")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for item in v:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network; write e.g. \"10.0.0.5\" or \"10.0.0.0/24\"") from None
        return v


class Briefing(_Strict):
    """The daily briefing (城市运行简报): when the scheduler prints it and how long it is kept."""

    enabled: bool = True
    #: city-local time of day the daily briefing is produced (covers the previous day)
    time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "07:30"
    #: days a briefing PDF stays in the archive; 0 keeps them forever
    retention_days: Annotated[int, Field(ge=0)] = 365
    #: seconds a print may take before it is marked failed
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = 60.0


class Retention(_Strict):
    """How many days rows are kept, per kind of table; 0 keeps them forever.

    The retention job deletes older rows (on PostgreSQL it detaches and drops whole
    monthly partitions of the observation tables). Rollups outlive the raw rows they
    summarise, so trends stay drawable after the detail is gone.
    """

    observations: Annotated[int, Field(ge=0)] = 400
    hourly_rollups: Annotated[int, Field(ge=0)] = 1825
    daily_rollups: Annotated[int, Field(ge=0)] = 0
    indicators: Annotated[int, Field(ge=0)] = 1825
    quarantine: Annotated[int, Field(ge=0)] = 180
    job_runs: Annotated[int, Field(ge=0)] = 30
    wall_heartbeats: Annotated[int, Field(ge=0)] = 7
    #: the audit log is kept at least six months (网络安全法 第二十一条)
    audit_log: Annotated[int, Field(ge=180)] | Literal[0] = 730


class Demo(_Strict):
    """How the simulated department systems of the demo behave for this city."""

    seed: int = 20261121
    days: Annotated[int, Field(ge=1, le=365)] = 30
    #: seconds between appends of new rows while the demo runs
    tick_seconds: Annotated[float, Field(gt=0, le=3600)] = 5.0
    #: size of the economy relative to Xuchang (GDP ≈ 3,700 亿元 a year)
    economy_scale: Annotated[float, Field(gt=0)] = 1.0
    hotline_calls_per_day: Annotated[int, Field(gt=0)] = 1200
    #: the themes' simulated department databases (issue 20: described here, generated by
    #: simulator.generic — a theme needs no Python in the simulator either)
    departments: list[SimulatedDepartment] = Field(default_factory=list)


#: the four warning levels (alerts.levels), the keys of ``[dispatch.sla]``
DispatchLevel = Literal["blue", "yellow", "orange", "red"]
#: issue 21 defaults: (respond-by, resolve-by) per level, after 12345 platforms' tiers
DISPATCH_SLA_DEFAULTS: dict[str, tuple[str, str]] = {
    "red": ("15m", "2h"), "orange": ("30m", "4h"), "yellow": ("2h", "24h"), "blue": ("24h", "72h")}


class DispatchSla(_Strict):
    """One level's time limits for a work order: accept (签收) by ``respond``, resolve (办结) by ``resolve``,
    both counted from dispatch. A key left out keeps the level's default."""

    respond: Duration | None = None
    resolve: Duration | None = None


class Dispatch(_Strict):
    """指挥调度 (issue 21): work-order time limits and who hears of overdue orders.

    ``[dispatch.sla.red] respond = "15m"  resolve = "2h"`` and so on per level;
    ``leader_webhooks`` names ``[[webhooks]]`` of the warnings file that reach the duty
    leader (the department's own are those serving its domain).
    """

    sla: dict[DispatchLevel, DispatchSla] = Field(default_factory=dict, validate_default=True)
    leader_webhooks: list[str] = Field(default_factory=list)
    #: seconds between the escalation job's runs
    check_seconds: Annotated[int, Field(ge=10, le=3600)] = 60

    @field_validator("sla", mode="after")
    @classmethod
    def _limits(cls, v: dict[str, DispatchSla]) -> dict[str, DispatchSla]:
        out: dict[str, DispatchSla] = {}
        for level, (respond, resolve) in DISPATCH_SLA_DEFAULTS.items():
            given = v.get(level) or DispatchSla()
            r = parse_duration(respond) if given.respond is None else given.respond  # "0m" is given, not absent
            f = parse_duration(resolve) if given.resolve is None else given.resolve
            if r <= timedelta(0) or f <= timedelta(0):
                raise ValueError(f"dispatch.sla.{level}: respond and resolve must be longer than 0; "
                                 f'write e.g. respond = "{respond}", resolve = "{resolve}"')
            if f < r:
                raise ValueError(f"dispatch.sla.{level}: resolve ({f}) is shorter than respond ({r}); "
                                 f"make resolve at least as long as respond under [dispatch.sla.{level}]")
            out[level] = DispatchSla(respond=r, resolve=f)
        return out


class Settings(_Strict):
    """Everything a citybrain process needs, validated, immutable."""

    # -- from the city file
    city: City
    districts: Annotated[list[District], Field(min_length=1)]
    stations: list[Station] = Field(default_factory=list)
    segments: list[Segment] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    indicators: list[EconomyIndicator] = Field(default_factory=list)
    #: departments' indicators declared by config (专题, issue 20; themes.spec)
    themes: list[Theme] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    domains: dict[Domain, DomainSettings] = Field(default_factory=_default_domains)
    #: the 城市体征指数 spec (OECD/JRC): goalposts, weights, directions; None = documented defaults
    vital_signs: dict[str, Any] | None = None
    wall: Wall = Field(default_factory=Wall)
    map: MapSettings = Field(default_factory=MapSettings)
    access: Access = Field(default_factory=Access)
    briefing: Briefing = Field(default_factory=Briefing)
    retention: Retention = Field(default_factory=Retention)
    demo: Demo = Field(default_factory=Demo)
    dispatch: Dispatch = Field(default_factory=Dispatch)

    # -- from the environment (CITYBRAIN_*), with defaults for a laptop
    config_path: Path = DEFAULT_CONFIG
    data_dir: Path = Path("var")
    store_url: str = ""
    cache_url: str = ""
    secret_key: str = ""
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8050
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("vital_signs", mode="after")
    @classmethod
    def _vital_signs_spec(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            from metrics.composite import IndexSpec
            from metrics.errors import SpecError

            try:
                IndexSpec.from_dict(v)
            except SpecError as exc:
                raise ValueError(f"{exc.key}: {exc.problem}; see the [vital_signs] example in config/xuchang.toml") from None
        return v

    @field_validator("domains", mode="after")
    @classmethod
    def _all_domains(cls, v: dict[str, DomainSettings]) -> dict[str, DomainSettings]:
        return {**_default_domains(), **v}

    @model_validator(mode="after")
    def _references(self) -> Settings:
        problems: list[str] = []
        district_codes = {d.code for d in self.districts} | {self.city.code}
        for kind, items in (("districts", self.districts), ("stations", self.stations),
                            ("segments", self.segments), ("sites", self.sites),
                            ("indicators", self.indicators), ("sources", self.sources)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                key = getattr(item, "code", None) or getattr(item, "name")
                if key in seen:
                    problems.append(f"{kind}[{i}] repeats {key!r}; every entry needs its own code/name")
                seen.add(key)
        for kind, items in (("stations", self.stations), ("segments", self.segments), ("sites", self.sites)):
            for i, item in enumerate(items):
                if item.district not in district_codes:
                    problems.append(
                        f"{kind}[{i}] ({item.code}) names district {item.district!r}, which is not in [[districts]]; "
                        f"use one of {', '.join(sorted(district_codes))}"
                    )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _theme_references(self) -> Settings:
        from themes.spec import theme_problems

        found = theme_problems(self)
        if found:
            # located errors, so the config error names e.g. sources[3] (name = "parking_db").columns
            raise ValidationError.from_exception_data("Settings", [
                InitErrorDetails(type=PydanticCustomError("value_error", "{msg}", {"msg": msg}), loc=loc, input=None)
                for loc, msg in found])
        return self

    # -- derived values
    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.city.timezone)

    @property
    def resolved_store_url(self) -> str:
        return self.store_url or f"sqlite:///{(self.data_dir / 'citybrain.db').resolve()}"

    @property
    def departments_dir(self) -> Path:
        """Where the demo's simulated department databases live."""
        return self.data_dir / "departments"

    @property
    def vital_signs_spec(self) -> Any:
        """The composite index spec (``metrics.composite.IndexSpec``) the compute job uses."""
        from metrics.composite import DEFAULT_VITAL_SIGNS, IndexSpec

        return DEFAULT_VITAL_SIGNS if self.vital_signs is None else IndexSpec.from_dict(self.vital_signs)

    def source(self, name: str) -> Source:
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def max_age(self, domain: str) -> timedelta:
        if domain not in self.domains and (theme := self.theme(domain)) is not None:
            return theme.max_age
        return self.domains[domain].max_age

    def theme(self, code: str) -> Theme | None:
        """The theme of this code (None when the city has none of that code)."""
        return next((t for t in self.themes if t.code == code), None)


# ---------------------------------------------------------------------------------------
# loading

_ENV_KEYS = {
    "CITYBRAIN_DATA_DIR": "data_dir",
    "CITYBRAIN_STORE_URL": "store_url",
    "CITYBRAIN_CACHE_URL": "cache_url",
    "CITYBRAIN_SECRET_KEY": "secret_key",
    "CITYBRAIN_HOST": "host",
    "CITYBRAIN_PORT": "port",
    "CITYBRAIN_LOG_LEVEL": "log_level",
}
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def load_settings(
    config: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from a city file, the environment and explicit overrides.

    Precedence: ``overrides`` > ``CITYBRAIN_*`` variables in ``env`` > the file.
    ``config`` defaults to ``$CITYBRAIN_CONFIG`` or the Xuchang demo. ``${VAR}`` inside a
    source's ``url`` is read from ``env``; ``${CITYBRAIN_DATA_DIR}`` always resolves (to
    the data directory) so the demo's config works with no environment at all.
    """
    env = os.environ if env is None else env
    path = Path(config or env.get("CITYBRAIN_CONFIG") or DEFAULT_CONFIG)
    shown = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(ConfigProblem(
            "CITYBRAIN_CONFIG", f"the config file {shown} does not exist",
            "pass an existing file with --config, or set CITYBRAIN_CONFIG (e.g. config/xuchang.toml)",
        )) from None
    except UnicodeDecodeError:
        raise ConfigError(ConfigProblem("(file)", "the file is not UTF-8 text", "save it as UTF-8"), shown) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(ConfigProblem(
            "(syntax)", f"not valid TOML: {exc}",
            'check the line named above: strings need quotes ("..."), tables are [name], lists of tables [[name]]',
        ), shown) from None

    values: dict[str, Any] = dict(raw)
    values["config_path"] = path
    for var, key in _ENV_KEYS.items():
        if env.get(var):
            values[key] = env[var]
    values.update(overrides)

    data_dir = Path(values.get("data_dir") or "var")
    problems = _expand_source_urls(values, {**env, "CITYBRAIN_DATA_DIR": str(data_dir.resolve())})
    if problems:
        raise ConfigError(problems, shown)
    try:
        themes = values.get("themes")
        codes = [t.get("code") for t in themes if isinstance(t, dict)] if isinstance(themes, list) else []
        return Settings.model_validate(values, context={"theme_codes": codes})
    except ValidationError as exc:
        raise ConfigError([_problem(err, raw) for err in exc.errors()], shown) from None


def _expand_source_urls(values: dict[str, Any], env: Mapping[str, str]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    sources = values.get("sources")
    if not isinstance(sources, list):
        return problems
    expanded = []
    for i, src in enumerate(sources):
        if isinstance(src, dict) and isinstance(src.get("url"), str):
            url = src["url"]
            for var in _VAR.findall(url):
                if var not in env:
                    problems.append(ConfigProblem(
                        f"{_source_label(i, src)}.url",
                        f"refers to ${{{var}}}, which is not set in the environment",
                        f"export {var}=<SQLAlchemy URL> before starting, or write the URL directly",
                    ))
            src = {**src, "url": _VAR.sub(lambda m: env.get(m.group(1), m.group(0)), url)}
        expanded.append(src)
    values["sources"] = expanded
    return problems


def _source_label(i: int, src: Any) -> str:
    name = src.get("name") if isinstance(src, dict) else None
    return f'sources[{i}] (name = "{name}")' if name else f"sources[{i}]"


def _problem(err: Mapping[str, Any], raw: Mapping[str, Any]) -> ConfigProblem:
    """Turn one pydantic error into a key path, a problem and a fix a city engineer can act on."""
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tuple[")))]
    key = _key_path(loc, raw)
    kind = err["type"]
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    given = err.get("input")
    if kind == "missing":
        section = _key_path(loc[:-1], raw) or "the top level"
        return ConfigProblem(key, "is required but missing", f"add `{loc[-1]} = ...` to {section}")
    if kind == "extra_forbidden":
        return ConfigProblem(key, "is not a known setting", "remove it, or check its spelling against config/xuchang.toml")
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return ConfigProblem(key, f"{given!r} is not allowed", f"use one of {expected}")
    if kind in {"int_parsing", "float_parsing", "int_type", "float_type", "bool_type", "bool_parsing",
                "string_type", "list_type", "dict_type", "model_type", "tuple_type"}:
        want = {"int": "a whole number", "float": "a number", "bool": "true or false", "string": "a quoted string",
                "list": "a list [..]", "dict": "a table", "model": "a table", "tuple": "a list [..]"}[kind.split("_")[0]]
        return ConfigProblem(key, f"{given!r} is not {want}", f"write {want} here")
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return ConfigProblem(key, f"{given!r}: {msg.lower()}", "change the value to lie in the allowed range")
    if kind in {"too_short", "too_long"}:
        return ConfigProblem(key, msg, "add or remove entries so the count fits")
    if kind == "string_pattern_mismatch":
        return ConfigProblem(key, f"{given!r} has characters that are not allowed",
                             "use lowercase letters, digits and _ for source names; letters, digits, _ . - for codes")
    if kind == "value_error" and "; " in msg and loc == []:
        return ConfigProblem("(references)", msg, "")
    fix = ""
    if " use " in msg or "; " in msg:
        msg, _, fix = msg.partition("; ")
    return ConfigProblem(key or "(top level)", msg, fix)


def _key_path(loc: list[Any], raw: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = raw
    for p in loc:
        if isinstance(p, int):
            label = f"[{p}]"
            item = node[p] if isinstance(node, list) and p < len(node) else None
            name = item.get("name") or item.get("code") if isinstance(item, dict) else None
            if name:
                label += f' ({"name" if "name" in item else "code"} = "{name}")'
            parts.append(label)
            node = item
        else:
            parts.append(("." if parts else "") + str(p))
            node = node.get(p) if isinstance(node, dict) else None
    return "".join(parts)
