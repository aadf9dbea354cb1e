"""The store's tables, in one module (SQLAlchemy 2 Core).

Keys follow DESIGN.md's canonical shapes so that re-reading a source inside its
lookback window is an idempotent upsert. Entities are one table keyed by (kind, code):
pages, the API and warnings address "a station, a segment or a site" uniformly.
Indicators are one long table keyed by (name, grain, scope_kind, scope, time) — the
composite index, AQI, TPI and crowding all land there with their level and a JSON
``detail`` (IAQIs, contributions) — so a new indicator needs no migration.

Changing anything here needs a new Alembic revision in ``store/migrations/versions``;
``tests/store/test_store_migrations.py`` fails when the two disagree.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from store.types import JSONType, UTCDateTime

# Stable constraint names so migrations can address them on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Code = String(64)

# ---------------------------------------------------------------------------- entities

districts = Table(
    "districts", metadata,
    Column("code", Code, primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("population_10k", Float),
    Column("updated_at", UTCDateTime, nullable=False),
)

entities = Table(
    "entities", metadata,
    Column("kind", String(16), primary_key=True),  # station | segment | site
    Column("code", Code, primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("district", Code, nullable=False, index=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    # segment attributes (GB/T 33171)
    Column("free_flow_kmh", Float),
    Column("length_km", Float),
    Column("speed_limit_kmh", Float),
    Column("road_class", String(16)),
    # site attributes (LB/T 034)
    Column("capacity", Integer),
    Column("daily_capacity", Integer),
    # anything else: path geometry, station kind, grade, opening hours …
    Column("attrs", JSONType, nullable=False, default=dict),
    Column("source", String(64)),  # "config" or the source that delivered it
    Column("updated_at", UTCDateTime, nullable=False),
)

economy_indicators = Table(
    "economy_indicators", metadata,
    Column("code", Code, primary_key=True),
    Column("name_zh", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("unit_zh", String(50), nullable=False),
    Column("unit_en", String(50), nullable=False),
    Column("freq", String(8), nullable=False),
    Column("aggregation", String(8), nullable=False),
    Column("headline", Boolean, nullable=False, default=False),
)

# ------------------------------------------------------------ canonical observations

def _ingest_columns() -> list[Column]:
    """Provenance every observation carries: which source, the source's own update time."""
    return [
        Column("source", String(64), nullable=False),
        Column("source_updated_at", UTCDateTime),
        Column("ingested_at", UTCDateTime, nullable=False),
    ]


obs_air = Table(
    "obs_air", metadata,
    Column("station", Code, primary_key=True),
    Column("time", UTCDateTime, primary_key=True),  # hour start
    Column("pm25", Float), Column("pm10", Float), Column("so2", Float),
    Column("no2", Float), Column("co", Float),  # CO in mg/m³
    Column("o3", Float),
    *_ingest_columns(),
    Index("ix_obs_air_time", "time"),
)

obs_traffic = Table(
    "obs_traffic", metadata,
    Column("segment", Code, primary_key=True),
    Column("time", UTCDateTime, primary_key=True),
    Column("speed", Float),  # km/h; NULL where the detector only counts
    Column("volume", Float),  # vehicles in the interval
    Column("occupancy", Float),  # percent
    Column("implausible", String(64)),  # fields implausible at this segment (issue 19 item 13): kept, not computed on
    *_ingest_columns(),
    Index("ix_obs_traffic_time", "time"),
)

obs_tourism = Table(
    "obs_tourism", metadata,
    Column("site", Code, primary_key=True),
    Column("time", UTCDateTime, primary_key=True),
    Column("present", Integer, nullable=False),
    Column("entries", Integer),
    Column("exits", Integer),
    Column("implausible", String(64)),  # fields implausible at this site (issue 19 item 13): kept, not computed on
    *_ingest_columns(),
    Index("ix_obs_tourism_time", "time"),
)

# Statistics are revisable: ``obs_economy`` holds the newest revision that pages and
# metrics read; ``obs_economy_revisions`` keeps every version ever received.
obs_economy = Table(
    "obs_economy", metadata,
    Column("indicator", Code, primary_key=True),
    Column("period", String(16), primary_key=True),  # "2026-10" or "2026-Q3"
    Column("district", Code, primary_key=True),  # the city code for city totals
    Column("freq", String(8), nullable=False),  # month | quarter
    Column("period_start", Date, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(50)),
    Column("revision", Integer, nullable=False, default=1),
    *_ingest_columns(),
)

obs_economy_revisions = Table(
    "obs_economy_revisions", metadata,
    Column("indicator", Code, primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("district", Code, primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("value", Float, nullable=False),
    Column("unit", String(50)),
    *_ingest_columns(),
)

# The key includes ``created_at`` (issue 11): PostgreSQL partitions this table by month on
# it, and a partitioned table's primary key must contain the partition key. A ticket's
# creation time never changes at the source, so (ticket, created_at) is still one ticket.
obs_hotline = Table(
    "obs_hotline", metadata,
    Column("ticket", Code, primary_key=True),
    Column("created_at", UTCDateTime, primary_key=True),
    Column("category", String(100), nullable=False),
    Column("district", Code, nullable=False),
    Column("channel", String(32)),
    Column("answered", Boolean),
    Column("wait_seconds", Float),
    Column("due_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("satisfaction", String(32)),  # satisfied | basically_satisfied | dissatisfied
    Column("status", String(32)),
    Column("updated_at", UTCDateTime),
    *_ingest_columns(),
    Index("ix_obs_hotline_created_at", "created_at"),
)

#: Readings and events of the themes (专题, issue 20): one long table for every theme, as a
#: theme is config, not a migration. ``vals`` holds the row's measured values and boolean
#: columns by field code ({"occupied": 212.0, "closed_on_time": true}, NULL where unusable);
#: ``ref`` is "" for a reading and the department's id for an event (a case: re-read when
#: it closes, it replaces its earlier version). Partitioned by month on ``time`` on
#: PostgreSQL like the other observation tables, hence ``time`` in the key.
theme_obs = Table(
    "theme_obs", metadata,
    Column("theme", String(16), primary_key=True),
    Column("time", UTCDateTime, primary_key=True),
    Column("entity", Code, primary_key=True),
    Column("ref", String(128), primary_key=True),
    Column("category", String(64)),
    Column("vals", JSONType, nullable=False),
    *_ingest_columns(),
    Index("ix_theme_obs_time", "time"),
    Index("ix_theme_obs_source_time", "source", "time"),
    Index("ix_theme_obs_theme_ref", "theme", "ref"),
)

#: canonical observation table per domain
OBSERVATIONS = {
    "environment": obs_air,
    "traffic": obs_traffic,
    "tourism": obs_tourism,
    "economy": obs_economy,
    "hotline": obs_hotline,
}


def observation_table(domain: str) -> Table:
    """Where ``domain``'s observations are stored: its own table, or ``theme_obs`` for a
    theme (the settings admit no other domain)."""
    return OBSERVATIONS.get(domain, theme_obs)

# ------------------------------------------------------------------------- rollups

def _rollup(name: str) -> Table:
    """Hourly or daily aggregates of one measure per entity (``store.rollups`` fills them).

    Count, sum, min and max of the non-null values, never a mean: they combine exactly
    (a day is the sum of its hours, a mean is sum / n), so a rollup of rollups equals the
    aggregate of the raw rows. ``metric`` is "<domain>.<measure>" (``traffic.speed``),
    ``entity`` the station, segment or site code — for the hotline "<district>|<category>".
    Daily rows start at the city's local midnight (stored in UTC), as the pages' day buckets do.
    """
    return Table(
        name, metadata,
        Column("metric", String(32), nullable=False),
        Column("entity", String(200), nullable=False),
        Column("time", UTCDateTime, nullable=False),
        Column("n", Integer, nullable=False),
        Column("value_sum", Float),
        Column("value_min", Float),
        Column("value_max", Float),
        Column("updated_at", UTCDateTime, nullable=False),
        # (metric, time) first: windows of one metric — refresh, page reads, coverage — are range scans
        PrimaryKeyConstraint("metric", "time", "entity"),
        Index(f"ix_{name}_time", "time"),
    )


rollup_hourly = _rollup("rollup_hourly")
rollup_daily = _rollup("rollup_daily")

# ---------------------------------------------------------------------- indicators

indicators = Table(
    "indicators", metadata,
    Column("name", String(64), primary_key=True),  # aqi, tpi, crowding, vital_signs …
    Column("grain", String(8), primary_key=True),  # hour | day | month | quarter
    Column("scope_kind", String(16), primary_key=True),  # city | district | station | segment | site | category
    Column("scope", Code, primary_key=True),  # "" for the city
    Column("time", UTCDateTime, primary_key=True),  # start of the period
    Column("value", Float),
    Column("level", Integer),
    Column("category", String(64)),
    Column("detail", JSONType),
    Column("computed_at", UTCDateTime, nullable=False),  # when the result last changed (a recompute of the same result leaves it)
    Index("ix_indicators_name_time", "name", "time"),
)

# ---------------------------------------------------------------- forecasts (issue 22)

#: One row per forecast series (indicator, grain, scope): the model it serves — chosen by
#: its own rolling-origin backtest, the seasonal-naive baseline when no model beats it —
#: the fitted parameters the hourly refresh reuses (``params``: no refit every hour), and
#: the backtest's accuracy (``accuracy``: MASE, sMAPE, coverage per horizon, origins).
forecast_series = Table(
    "forecast_series", metadata,
    Column("indicator", String(64), primary_key=True),
    Column("grain", String(8), primary_key=True),  # hour | day
    Column("scope_kind", String(16), primary_key=True),
    Column("scope", String(200), primary_key=True),  # "" for the city; "district|category" for the hotline
    Column("model", String(32), nullable=False),  # what is served
    Column("params", JSONType),
    Column("accuracy", JSONType),
    Column("backtested_at", UTCDateTime),
    Column("last_obs", UTCDateTime),  # the newest observation the current points start after
    Column("made_at", UTCDateTime),
)

#: The served forecast of each series: points from the first period after its last
#: observation, with 80 % and 95 % intervals. Replaced whole at every refresh.
forecast_points = Table(
    "forecast_points", metadata,
    Column("indicator", String(64), primary_key=True),
    Column("grain", String(8), primary_key=True),
    Column("scope_kind", String(16), primary_key=True),
    Column("scope", String(200), primary_key=True),
    Column("time", UTCDateTime, primary_key=True),
    Column("value", Float),
    Column("lo80", Float), Column("hi80", Float),
    Column("lo95", Float), Column("hi95", Float),
)

# ------------------------------------------------------------------------ warnings

warnings = Table(
    "warnings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("domain", String(16), nullable=False),
    Column("scope_kind", String(16), nullable=False),
    Column("scope", Code, nullable=False),
    Column("district", Code),
    Column("level", String(8), nullable=False),  # blue | yellow | orange | red
    Column("state", String(12), nullable=False),  # pending | firing | recovering | resolved
    Column("handling", String(16), nullable=False, default="unacknowledged"),
    Column("title_zh", String(200), nullable=False),
    Column("title_en", String(200), nullable=False),
    Column("value", Float),
    Column("started_at", UTCDateTime, nullable=False),
    Column("fired_at", UTCDateTime),
    Column("resolved_at", UTCDateTime),
    Column("last_evaluated_at", UTCDateTime),
    Column("acknowledged_by", String(64)),
    Column("acknowledged_at", UTCDateTime),
    Column("assigned_to", String(100)),
    Column("detail", JSONType),
    # issue 5 (alerts/): rule kind (staleness is a class of its own), data time of the
    # value shown, the recovering timer (survives restarts), the handling trail's ends,
    # and "rule|scope_kind|scope" while not resolved — one open warning per rule and scope.
    Column("rule_kind", String(16)),
    Column("data_time", UTCDateTime),
    Column("recovering_since", UTCDateTime),
    Column("assigned_at", UTCDateTime),
    Column("closed_by", String(64)),
    Column("closed_at", UTCDateTime),
    Column("open_key", String(160)),
    Index("ix_warnings_rule_scope", "rule", "scope_kind", "scope"),
    Index("ix_warnings_state", "state"),
    UniqueConstraint("open_key", name="uq_warnings_open_key"),
)

warning_events = Table(
    "warning_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("warning_id", Integer, ForeignKey("warnings.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),  # state | level | ack | assign | close | note | notify | silence
    # notify rows: to_value = pending | delivered | failed | expired; detail has webhook, attempts, error
    Column("from_value", String(32)),
    Column("to_value", String(32)),
    Column("actor", String(64)),
    Column("note", Text),
    Column("detail", JSONType),
)

silences = Table(
    "silences", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rule", String(64)),
    Column("scope_kind", String(16)),
    Column("scope", Code),
    Column("source", String(64)),
    Column("reason", Text, nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
)

# ---------------------------------------------------------------- sources and jobs

source_status = Table(
    "source_status", metadata,
    Column("name", String(64), primary_key=True),
    Column("domain", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="never"),  # never | ok | failing | drift | disabled
    Column("last_attempt", UTCDateTime),
    Column("last_success", UTCDateTime),
    Column("watermark", String(64)),  # the source's own watermark value, as text
    Column("watermark_key", Text),  # within a tie at ``watermark``: the last key read (JSON), NULL when read whole
    Column("data_time", UTCDateTime),  # newest observation time received (drives "as of")
    Column("lag_seconds", Float),
    Column("rows_read_last", Integer, nullable=False, default=0),
    Column("rows_written_last", Integer, nullable=False, default=0),
    Column("rows_quarantined_last", Integer, nullable=False, default=0),
    Column("rows_read_total", Integer, nullable=False, default=0),
    Column("rows_written_total", Integer, nullable=False, default=0),
    Column("rows_quarantined_total", Integer, nullable=False, default=0),
    Column("consecutive_failures", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("updated_at", UTCDateTime),
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False, index=True),
    Column("domain", String(16), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("row_key", String(200)),  # the shape's key as text, when it could be read
    Column("field", String(64)),
    Column("reason", Text, nullable=False),
    Column("row", JSONType, nullable=False),  # the source values as received
    # hash of (reason, row): a bad row re-read inside the lookback is quarantined once
    Column("fingerprint", String(64)),
    UniqueConstraint("source", "fingerprint", name="uq_quarantine_source_fingerprint"),
)

#: Unusable fields of stored rows (issue 19): the row was kept with the field NULL, and
#: this says which field, the value as received and the rule it failed. One row per
#: (source, row, field): re-reading the row inside the lookback changes nothing, and a
#: re-read in which the department has filled the field deletes its issue.
field_issues = Table(
    "field_issues", metadata,
    Column("source", String(64), primary_key=True),
    Column("row_key", String(200), primary_key=True),  # the shape's key as text (station|time …)
    Column("field", String(64), primary_key=True),
    Column("domain", String(16), nullable=False),
    Column("time", UTCDateTime),  # the row's data time
    Column("rule", String(16), nullable=False),  # missing | unparseable | range | unknown | future | grid …
    Column("value", String(200)),  # as received, as text; NULL for a database NULL
    Column("reason", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_field_issues_source_time", "source", "time"),
)

#: Data-time spans written but not yet carried into the derived tables (issue 19 item 9).
#: A poll's batch records its span in the same transaction as its rows; the indicators
#: and rollups of the span are computed after the poll and the span is deleted once every
#: step succeeded. A crash in between leaves it here, and the scheduler catches it up when
#: it (re)starts and every few minutes — derived data never silently lags the raw rows.
changed_spans = Table(
    "changed_spans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(64), nullable=False),
    Column("domain", String(16), nullable=False),
    Column("first", UTCDateTime, nullable=False),
    Column("last", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
)

#: The reconciliation's (对账, issue 19 item 5) last view of each source group — rows and
#: the source database's checksum of their values per (entity, local day or period) — so
#: a value changed at the source under an unchanged count is found the next night.
reconcile_sums = Table(
    "reconcile_sums", metadata,
    Column("source", String(64), primary_key=True),
    Column("entity", String(200), primary_key=True),
    Column("grp", String(16), primary_key=True),  # the local day (2026-10-01) or the period (2026-Q3)
    Column("n", Integer, nullable=False),
    Column("checksum", String(64)),
    Column("checked_at", UTCDateTime, nullable=False),
)

job_runs = Table(
    "job_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", String(100), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("status", String(12), nullable=False),  # running | ok | failed | abandoned
    Column("rows", Integer),
    Column("error", Text),
    Column("host", String(100)),
    Column("pid", Integer),
    Index("ix_job_runs_job_started", "job", "started_at"),
)

#: One row per named lock: the scheduler's single-instance guard where no advisory
#: locks exist (SQLite). The holder refreshes ``heartbeat_at``; a stale row may be taken.
locks = Table(
    "locks", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

wall_heartbeats = Table(
    "wall_heartbeats", metadata,
    Column("client", String(64), primary_key=True),
    Column("screen", String(64), nullable=False),
    Column("last_seen", UTCDateTime, nullable=False),
    Column("address", String(64)),
    Column("user_agent", String(300)),
)

# ----------------------------------------------------------------- briefings, users

briefings = Table(
    "briefings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # daily | page
    Column("date", Date, nullable=False),
    Column("period_from", UTCDateTime),
    Column("period_to", UTCDateTime),
    Column("status", String(12), nullable=False),  # running | done | failed
    Column("path", String(500)),
    Column("pages", Integer),
    Column("checks", JSONType),
    Column("error", Text),
    Column("requested_by", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("display_name", String(100), nullable=False, default=""),
    Column("password_hash", String(300)),
    Column("role", String(16), nullable=False),  # admin | leader | department | duty | analyst | wall
    Column("domains", JSONType, nullable=False, default=list),
    Column("district", Code),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login", UTCDateTime),
    # raised by sign-out and password changes: cookies issued under an older version are void
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("username"),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200)),
    Column("detail", JSONType),
    Column("address", String(64)),
)

# ------------------------------------------------------------------ access (issue 9)

#: API bearer tokens and wall-screen tokens. Only a hash of the secret is kept (the
#: secret is shown once, at creation); ``screen`` set = a wall token bound to that screen.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(8), nullable=False),  # api | wall
    Column("role", String(16), nullable=False),
    Column("domains", JSONType, nullable=False, default=list),
    Column("district", Code),
    Column("screen", String(32)),
    Column("token_hash", String(64), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
    UniqueConstraint("token_hash"),
)

# ------------------------------------------------------------- dispatch (issue 21)

#: 事件: a warning turned into an incident, or one reported by hand (a call, a patrol).
#: ``warning_id`` is unique: a warning becomes at most one event.
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("category", String(64), nullable=False),
    Column("district", Code, nullable=False, index=True),
    Column("level", String(8), nullable=False),  # blue | yellow | orange | red
    Column("description", Text, nullable=False, default=""),
    Column("lat", Float),
    Column("lon", Float),
    Column("warning_id", Integer, ForeignKey("warnings.id", ondelete="SET NULL")),
    Column("origin", String(16), nullable=False),  # warning | manual | api
    Column("reported_by", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("warning_id", name="uq_events_warning_id"),
)

#: 工单: one per department an event is dispatched to (``role`` lead or co). ``version``
#: rises with every action: each UPDATE is conditional on the state and version read, so
#: two people acting at once cannot both win. ``redispatch_of``: the returned (退单) order
#: this one replaces. Deadlines are instants (UTC); an approved extension moves ``resolve_by``.
work_orders = Table(
    "work_orders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("department", Code, nullable=False, index=True),
    Column("role", String(8), nullable=False),  # lead | co
    Column("state", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False, default=0),
    Column("dispatched_by", String(64), nullable=False),
    Column("dispatched_at", UTCDateTime, nullable=False),
    Column("respond_by", UTCDateTime, nullable=False),
    Column("resolve_by", UTCDateTime, nullable=False),
    Column("accepted_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    Column("closed_at", UTCDateTime),
    Column("returned_at", UTCDateTime),
    Column("result", Text),
    Column("reopened", Integer, nullable=False, default=0),
    Column("extension_until", UTCDateTime),  # a pending 延期申请
    Column("respond_escalation", Integer, nullable=False, default=0),  # 0, 1, 2
    Column("resolve_escalation", Integer, nullable=False, default=0),
    Column("redispatch_of", Integer, ForeignKey("work_orders.id", ondelete="SET NULL")),
)

#: Everything that happened to an order: transitions, 催办, 延期申请 and its decision,
#: notes, escalations, and ``notify`` rows (an outbox: to_state pending | delivered | failed).
order_events = Table(
    "order_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", Integer, ForeignKey("work_orders.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("from_state", String(16)),
    Column("to_state", String(16)),
    Column("actor", String(64)),
    Column("note", Text),
    Column("detail", JSONType),
)

#: Photos and PDFs of an event (or of one order's result): metadata here, the bytes in the
#: data directory (``path``, relative to it) or an object store (``url``).
attachments = Table(
    "attachments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("order_id", Integer, ForeignKey("work_orders.id", ondelete="SET NULL")),
    Column("filename", String(200), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("path", String(500)),
    Column("url", String(1000)),
    Column("uploaded_by", String(64), nullable=False),
    Column("uploaded_at", UTCDateTime, nullable=False),
)
