"""The department systems' own tables — their names, their conventions, never citybrain's.

One SQLAlchemy Core definition per table serves SQLite, PostgreSQL and MariaDB alike.
Each department has its own ``MetaData`` (its own database), but the table names are
distinct so all five can share one database (``create(target_url=...)``).

Timestamps are naive local time. On PostgreSQL/MariaDB they are TIMESTAMP WITHOUT TIME
ZONE / DATETIME; on SQLite they are declared DATETIME (reflection sees a datetime) and
stored as TEXT 'YYYY-MM-DD HH:MM:SS' exactly — no fraction — so a connector's watermark
predicate ``WHERE upd_time > :wm`` compares correctly as text against a bound string or
a bound datetime (which SQLAlchemy renders with a fraction, and the 19-character stored
value sorts before it when equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"
SQLITE_STORAGE_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"


class LocalDateTime(TypeDecorator[datetime]):
    """Naive local datetime: DATETIME/TIMESTAMP on servers, DATETIME on SQLite stored as
    19-character text (no fraction), so reflection still reports a datetime column."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sqlite.DATETIME(storage_format=SQLITE_STORAGE_FORMAT))
        return dialect.type_descriptor(sa.DateTime(timezone=False))

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(microsecond=0)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.strptime(value[:19], LOCAL_FORMAT)
        return value.replace(microsecond=0)


def Real() -> sa.types.TypeEngine[float]:  # noqa: N802 — reads like a column type
    """Double precision everywhere (MariaDB's FLOAT is single precision), REAL on SQLite."""
    return sa.Double().with_variant(sa.REAL(), "sqlite")


def Code(length: int = 32) -> sa.String:  # noqa: N802
    """Key text: VARCHAR on servers (MariaDB cannot index TEXT without a length), TEXT affinity on SQLite."""
    return sa.String(length)


#: Chinese text on MariaDB/MySQL whatever the server's default charset
TEXT_OPTIONS = {"mysql_charset": "utf8mb4", "mariadb_charset": "utf8mb4"}


def _stamp_index(table: str, column: str) -> sa.Index:
    # Every department system indexes its update time: the connectors poll on it.
    return sa.Index(f"ix_{table}_{column}", column)


# ---- 交通 traffic ---------------------------------------------------------------------
traffic_md = sa.MetaData()
t_link_flow_5min = sa.Table(
    "t_link_flow_5min", traffic_md,
    sa.Column("link_id", Code(), primary_key=True),
    sa.Column("collect_time", LocalDateTime(), primary_key=True),
    sa.Column("avg_speed", Real()),
    sa.Column("flow_cnt", sa.Integer),
    sa.Column("occ_rate", Real()),
    sa.Column("upd_time", LocalDateTime(), nullable=False),
    _stamp_index("t_link_flow_5min", "upd_time"),
    **TEXT_OPTIONS,
)
t_incident = sa.Table(
    "t_incident", traffic_md,
    sa.Column("incident_id", Code(), primary_key=True),
    sa.Column("link_id", Code(), nullable=False),
    sa.Column("start_time", LocalDateTime(), nullable=False),
    sa.Column("end_time", LocalDateTime()),
    sa.Column("incident_type", Code(8), nullable=False),
    sa.Column("descr", sa.String(200)),
    sa.Column("upd_time", LocalDateTime(), nullable=False),
    _stamp_index("t_incident", "upd_time"),
    **TEXT_OPTIONS,
)

# ---- 环保 environment -----------------------------------------------------------------
environment_md = sa.MetaData()
aq_hourly = sa.Table(
    "aq_hourly", environment_md,
    sa.Column("station_code", Code(), primary_key=True),
    sa.Column("obs_time", LocalDateTime(), primary_key=True),
    sa.Column("pm2_5", Real()),
    sa.Column("pm10", Real()),
    sa.Column("so2", Real()),
    sa.Column("no2", Real()),
    sa.Column("o3", Real()),
    sa.Column("co", Real()),  # µg/m³ — this department's convention
    sa.Column("updated_at", LocalDateTime(), nullable=False),
    _stamp_index("aq_hourly", "updated_at"),
    **TEXT_OPTIONS,
)

# ---- 文旅 tourism (pinyin initials, as the bureau's vendor named them) -------------------
tourism_md = sa.MetaData()
jq_kll_5min = sa.Table(
    "jq_kll_5min", tourism_md,
    sa.Column("jqbm", Code(), primary_key=True),  # 景区编码
    sa.Column("tjsj", LocalDateTime(), primary_key=True),  # 统计时间
    sa.Column("rysl", sa.Integer, nullable=False),  # 入园数量
    sa.Column("cysl", sa.Integer, nullable=False),  # 出园数量
    sa.Column("zxrs", sa.Integer, nullable=False),  # 在园人数
    sa.Column("gxsj", LocalDateTime(), nullable=False),  # 更新时间
    _stamp_index("jq_kll_5min", "gxsj"),
    **TEXT_OPTIONS,
)
jq_jbxx = sa.Table(
    "jq_jbxx", tourism_md,
    sa.Column("jqbm", Code(), primary_key=True),
    sa.Column("jqmc", sa.String(100), nullable=False),  # 景区名称
    sa.Column("zdcz", sa.Integer, nullable=False),  # 最大承载量
    sa.Column("jqdj", Code(16)),  # 景区等级
    **TEXT_OPTIONS,
)

# ---- 统计局 economy -------------------------------------------------------------------
economy_md = sa.MetaData()
tjj_zbsj = sa.Table(
    "tjj_zbsj", economy_md,
    sa.Column("zbdm", Code(), primary_key=True),  # 指标代码
    sa.Column("bgq", Code(8), primary_key=True),  # 报告期 202610 / 2026Q3
    sa.Column("xzqh", Code(12), primary_key=True),  # 行政区划
    sa.Column("pl", Code(1), nullable=False),  # 频率 M / Q
    sa.Column("sz", Real(), nullable=False),  # 数值
    sa.Column("jldw", sa.String(32), nullable=False),  # 计量单位
    sa.Column("bbh", sa.Integer, nullable=False),  # 版本号 1 初步 / 2 修订
    sa.Column("gxsj", LocalDateTime(), nullable=False),  # 更新时间
    _stamp_index("tjj_zbsj", "gxsj"),
    **TEXT_OPTIONS,
)
tjj_zbdm = sa.Table(
    "tjj_zbdm", economy_md,
    sa.Column("zbdm", Code(), primary_key=True),
    sa.Column("zbmc", sa.String(100), nullable=False),  # 指标名称
    **TEXT_OPTIONS,
)

# ---- 12345 hotline --------------------------------------------------------------------
hotline_md = sa.MetaData()
gd_info = sa.Table(
    "gd_info", hotline_md,
    sa.Column("gdbh", Code(), primary_key=True),  # 工单编号
    sa.Column("ldsj", LocalDateTime(), nullable=False),  # 来电时间
    sa.Column("jtsj", LocalDateTime()),  # 接通时间; NULL = 未接通
    sa.Column("ddsc", sa.Integer, nullable=False),  # 等待时长 (s)
    sa.Column("qd", Code(2), nullable=False),  # 渠道 1 电话 2 微信 3 网站 4 APP
    sa.Column("sqlb", Code(4)),  # 诉求类别 (dm_sqlb.dm)
    sa.Column("ssqx", Code(12), nullable=False),  # 所属区县
    sa.Column("blsx", LocalDateTime()),  # 办理时限
    sa.Column("bjsj", LocalDateTime()),  # 办结时间
    sa.Column("hfmyd", Code(2)),  # 回访满意度 1 满意 2 基本满意 3 不满意
    sa.Column("gdzt", Code(2), nullable=False),  # 工单状态 00/10/20/30/40
    sa.Column("gxsj", LocalDateTime(), nullable=False),  # 更新时间
    _stamp_index("gd_info", "gxsj"),
    sa.Index("ix_gd_info_ldsj", "ldsj"),  # the call centre's own screens list by call time
    **TEXT_OPTIONS,
)
dm_sqlb = sa.Table(
    "dm_sqlb", hotline_md,
    sa.Column("dm", Code(4), primary_key=True),
    sa.Column("mc", sa.String(50), nullable=False),
    **TEXT_OPTIONS,
)

#: department → its MetaData (the tables ``create`` drops and recreates)
METADATA: Mapping[str, sa.MetaData] = MappingProxyType({
    "traffic": traffic_md,
    "environment": environment_md,
    "tourism": tourism_md,
    "economy": economy_md,
    "hotline": hotline_md,
})
